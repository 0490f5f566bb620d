// KeyTable over histories from the store model (test_history.h): the latest state of every key,
// the size of its history, lookups across growth, and keys of every size.
#include "etcdsnap/etcd/key_table.h"

#include <gtest/gtest.h>

#include "test_collisions.h"
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

// The history figures under a compaction still to run (KeyTable(C)): an entry at or below C
// counts while it is its key's latest there and not a deletion; above C every entry counts.
TEST(KeyTableTest, APendingCompactionCountsWhatItKeeps) {
  TestHistory h;
  h.Put("a", "1");        // 2
  h.Put("a", "22");       // 3
  h.Put("b", "333");      // 4
  h.Delete("b");          // 5: b's latest at or below 6 is a deletion: all of b <= 6 goes
  h.Put("a", "4444");     // 6: a's latest at or below 6
  h.Put("c", "x");        // 7
  h.Delete("a");          // 8
  h.Put("b", "55555");    // 9
  KeyTable t(6);
  Load(h, &t);
  const KeyRecord* a = t.Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->revisions, 2u);  // 6 and the deletion at 8
  EXPECT_EQ(a->deletes, 1u);
  EXPECT_EQ(a->bytes_all, (1 + 4) + 1);
  EXPECT_TRUE(a->deleted);
  const KeyRecord* b = t.Find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->revisions, 1u);
  EXPECT_EQ(b->deletes, 0u);
  EXPECT_EQ(b->bytes_all, 1u + 5);
  EXPECT_EQ(b->create_revision, 9);
  // The same history compacted at 6 gives the same figures, and so does the table without C.
  TestHistory compacted = h;
  compacted.Compact(6);
  KeyTable u;
  Load(compacted, &u);
  for (std::string_view k : {"a", "b", "c"}) {
    EXPECT_EQ(t.Find(k)->revisions, u.Find(k)->revisions) << k;
    EXPECT_EQ(t.Find(k)->deletes, u.Find(k)->deletes) << k;
    EXPECT_EQ(t.Find(k)->bytes_all, u.Find(k)->bytes_all) << k;
  }

  // What each Apply reports: b's deletion at 5 takes back its put at 4; a's put at 6 its put at 3.
  KeyTable v(6);
  std::vector<HistoryChange> changes;
  ASSERT_TRUE(h.Walk([&](const KeyEntry& e, bool*) -> Status {
                 ETCDSNAP_ASSIGN_OR_RETURN(KeyValue kv, DecodeKeyValue(e.value));
                 bool inserted;
                 HistoryChange c;
                 ETCDSNAP_RETURN_IF_ERROR(
                     v.Apply(e.revision, kv, &inserted, &c, e.key.size() + e.value.size())
                         .status());
                 changes.push_back(c);
                 return Status::Ok();
               }).ok());
  ASSERT_EQ(changes.size(), 8u);
  EXPECT_EQ(changes[0].revisions, 1);
  EXPECT_EQ(changes[1].revisions, 0);  // a at 3 replaces a at 2
  EXPECT_EQ(changes[1].bytes, 1);
  EXPECT_EQ(changes[3].revisions, -1);  // b's deletion at 5 takes back b at 4, counts nothing
  EXPECT_EQ(changes[3].bytes, -4);
  EXPECT_EQ(changes[3].deletes, 0);
  EXPECT_LT(changes[3].stored_bytes, 0);
  EXPECT_EQ(changes[6].revisions, 1);  // a's deletion at 8, above C
  EXPECT_EQ(changes[6].deletes, 1);
  int64_t revisions = 0;
  for (const HistoryChange& c : changes) revisions += c.revisions;
  EXPECT_EQ(revisions, 4);  // a at 6 and 8, c at 7, b at 9
}

TEST(KeyTableTest, TooManyKeysShareAHash) {
  // Keys crafted so that all share their home slot: the table refuses the first key whose probe
  // would run past kMaxProbe slots instead of probing on (quadratic over the file).
  const std::vector<std::string> keys = testing::TooManyCollidingKeys();
  KeyTable t;
  for (size_t i = 0; i < keys.size(); ++i) {
    KeyValue kv{.key = keys[i], .create_revision = static_cast<int64_t>(i) + 2,
                .mod_revision = static_cast<int64_t>(i) + 2, .version = 1, .value = "v"};
    bool inserted = false;
    Result<KeyRecord*> r = t.Apply(Revision{static_cast<int64_t>(i) + 2, 0, false}, kv, &inserted);
    if (i < KeyTable::kMaxProbe) {
      ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
      continue;
    }
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kCorruption);
    EXPECT_EQ(r.status().message(), "too many keys share a hash (a crafted file?)");
  }
  // The keys taken before it are all still found.
  EXPECT_EQ(t.size(), KeyTable::kMaxProbe);
  for (size_t i = 0; i < KeyTable::kMaxProbe; ++i) ASSERT_NE(t.Find(keys[i]), nullptr) << i;
}

}  // namespace
}  // namespace etcdsnap::etcd
