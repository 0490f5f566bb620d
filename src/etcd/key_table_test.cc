// KeyTable over histories from the store model (test_history.h): the latest state of every key,
// the size of its history, lookups across growth, and keys of every size.
#include "etcdsnap/etcd/key_table.h"

#include <gtest/gtest.h>

#include "test_history.h"

namespace etcdsnap::etcd {
namespace {

using testing::TestHistory;

void Load(const TestHistory& h, KeyTable* t) {
  ASSERT_TRUE(h.Walk([&](const KeyEntry& e, bool*) -> Status {
                 ETCDSNAP_ASSIGN_OR_RETURN(KeyValue kv, DecodeKeyValue(e.value));
                 bool inserted;
                 return t->Apply(e.revision, kv, &inserted).status();
               }).ok());
}

TEST(KeyTableTest, LatestStateAndHistoryOfEachKey) {
  TestHistory h;
  h.Put("a", "1");        // 2
  h.Put("b", "22");       // 3
  h.Put("a", "333");      // 4
  h.Delete("b");          // 5
  h.Txn({{false, "c", "x"}, {false, "a", "4444"}});  // 6
  h.Put("b", "55555");    // 7: b again, a new create revision
  h.Delete("c");          // 8
  KeyTable t;
  Load(h, &t);
  ASSERT_EQ(t.size(), 3u);
  const KeyRecord* a = t.Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->revisions, 3u);
  EXPECT_EQ(a->bytes_all, (1 + 1) + (1 + 3) + (1 + 4));
  EXPECT_EQ(a->create_revision, 2);
  EXPECT_EQ(a->mod_revision, 6);
  EXPECT_EQ(a->version, 3);
  EXPECT_EQ(a->value_size, 4u);
  EXPECT_EQ(a->bytes(), 5u);
  EXPECT_FALSE(a->deleted);
  const KeyRecord* b = t.Find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->revisions, 3u);
  EXPECT_EQ(b->deletes, 1u);
  EXPECT_EQ(b->bytes_all, (1 + 2) + 1 + (1 + 5));  // a deletion holds the key only
  EXPECT_EQ(b->create_revision, 7);
  EXPECT_EQ(b->version, 1);
  EXPECT_FALSE(b->deleted);
  const KeyRecord* c = t.Find("c");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->deleted);
  EXPECT_EQ(c->bytes(), 0u);
  EXPECT_EQ(c->create_revision, 0);
  EXPECT_EQ(c->mod_revision, 8);
  EXPECT_EQ(t.Find("d"), nullptr);
  EXPECT_EQ(t.Find(""), nullptr);
}

TEST(KeyTableTest, ManyKeysOfEverySizeSurviveGrowth) {
  KeyTable t;
  const int n = 50000;
  auto key = [](int i) {
    // Sizes from 0 to 300 KiB: small keys share blocks, the large ones get their own.
    const size_t size = i % 997 == 0 ? 300000 + i : static_cast<size_t>(i % 61);
    std::string k = std::to_string(i);
    k.resize(std::max(size, k.size()), static_cast<char>('a' + i % 26));
    return k;
  };
  for (int i = 0; i < n; ++i) {
    const std::string k = key(i);
    KeyValue kv{.key = k, .create_revision = i + 2, .mod_revision = i + 2, .version = 1, .value = "v"};
    bool inserted = false;
    Result<KeyRecord*> r = t.Apply(Revision{i + 2, 0, false}, kv, &inserted);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(inserted) << i;
  }
  // One more revision of each tenth key.
  for (int i = 0; i < n; i += 10) {
    const std::string k = key(i);
    KeyValue kv{.key = k, .create_revision = i + 2, .mod_revision = n + 2 + i, .version = 2,
                .value = "vv", .lease = 7};
    bool inserted = true;
    ASSERT_TRUE(t.Apply(Revision{n + 2 + i, 0, false}, kv, &inserted).ok());
    EXPECT_FALSE(inserted);
  }
  ASSERT_EQ(t.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const KeyRecord* r = t.Find(key(i));
    ASSERT_NE(r, nullptr) << i;
    EXPECT_EQ(r->key(), key(i));
    EXPECT_EQ(r->create_revision, i + 2);
    EXPECT_EQ(r->revisions, i % 10 == 0 ? 2u : 1u);
    EXPECT_EQ(r->lease, i % 10 == 0 ? 7 : 0);
  }
  EXPECT_GT(t.memory_bytes(), uint64_t{n} * sizeof(KeyRecord));
}

}  // namespace
}  // namespace etcdsnap::etcd
