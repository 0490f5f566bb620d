#include "etcdsnap/etcd/hash_kv.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "etcdsnap/util/crc32c.h"
#include "test_history.h"

namespace etcdsnap::etcd {
namespace {

using testing::MarshalKeyValue;
using testing::TestHistory;

KeyWalk WalkOf(const TestHistory& h) {
  return [&h](const KeyEntryFn& fn) { return h.Walk(fn); };
}

StoreMeta MetaOf(const TestHistory& h) {
  StoreMeta m;
  m.finished_compact = h.finished_compact();
  m.scheduled_compact = h.scheduled_compact();
  return m;
}

// HashKV at `rev` (0: current) with `compact` (nullopt: the history's own), as a server with
// `rules` would answer; revisions as a member opening the history would have them.
struct Answer {
  uint32_t hash = 0;
  int64_t current = 0;
  int64_t compact = 0;
};
Answer HashOf(const TestHistory& h, int64_t rev = 0, std::optional<int64_t> compact = {},
              const HashKvRules& rules = {}) {
  KvHasher hasher(rev);
  EXPECT_TRUE(hasher.Index(WalkOf(h)).ok());
  const StoreRevisions store = RestoredRevisions(MetaOf(h), hasher.last_main(), rules);
  const int64_t c = compact.value_or(store.compact);
  auto hashes = hasher.Hash(WalkOf(h), {{c, rules.skips_tombstone_at_compaction}});
  EXPECT_TRUE(hashes.ok()) << hashes.status().message();
  return {hashes.ok() ? hashes->front() : 0, store.current, c};
}

std::string Hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += std::string{d[c >> 4], d[c & 15]};
  return out;
}

// The vectors measured on etcd 3.4.23's own store (docs/hashkv.md, "Test vectors").
TEST(HashKvVectorsTest, EmptyStoreHashesTheBucketName) {
  TestHistory h;
  const Answer a = HashOf(h);
  EXPECT_EQ(a.hash, 0x40a4756du);
  EXPECT_EQ(a.hash, crc32c::Value("key"));
  EXPECT_EQ(a.current, 1);
  EXPECT_EQ(a.compact, -1);
}

TEST(HashKvVectorsTest, OnePut) {
  TestHistory h;
  h.Put("foo", "bar");
  EXPECT_EQ(Hex(h.entries().begin()->second), "0a03666f6f1002180220012a03626172");
  const Answer a = HashOf(h);
  EXPECT_EQ(a.hash, 0xc5023252u);
  EXPECT_EQ(a.current, 2);
  EXPECT_EQ(a.compact, -1);
}

TEST(HashKvVectorsTest, DeleteAndPutAgain) {
  TestHistory h;
  h.Put("foo", "bar");
  h.Delete("foo");
  h.Put("foo", "baz");
  const Answer a = HashOf(h);
  EXPECT_EQ(a.hash, 0x7eccde94u);
  EXPECT_EQ(a.current, 4);
}

TEST(HashKvVectorsTest, CompactedAtTheDeletion) {
  TestHistory h;
  h.Put("foo", "bar");
  h.Delete("foo");
  h.Put("foo", "baz");
  // The uncompacted history at C=3 already gives what the compacted store answers: the hash
  // depends on (R, C) only.
  EXPECT_EQ(HashOf(h, 0, 3).hash, 0xa174fea0u);
  for (bool keep_tombstone : {false, true}) {
    TestHistory c = h;
    c.Compact(3, keep_tombstone);
    const Answer a = HashOf(c);
    EXPECT_EQ(a.hash, 0xa174fea0u) << keep_tombstone;
    EXPECT_EQ(a.current, 4);
    EXPECT_EQ(a.compact, 3);
    // And with the older rules too: the keep set is not empty here.
    EXPECT_EQ(HashOf(c, 0, {}, *HashKvRulesFor("3.4.23")).hash, 0xa174fea0u);
  }
}

// No key live at R: every entry at or below C counts (the server's `len(keep) > 0` test), and
// only the newer rule leaves out a deletion exactly at C.
TEST(HashKvRulesTest, EmptyKeepSetAndTheTombstoneAtTheCompactRevision) {
  TestHistory h;
  h.Put("foo", "bar");   // 2
  h.Delete("foo");       // 3
  const auto& e = h.entries();
  auto it = e.begin();
  const std::string k2 = it->first, v2 = it->second;
  ++it;
  const std::string k3 = it->first, v3 = it->second;
  const uint32_t both = crc32c::Extend(crc32c::Extend(crc32c::Extend(crc32c::Extend(
                                           crc32c::Value("key"), k2), v2), k3), v3);
  const uint32_t put_only = crc32c::Extend(crc32c::Extend(crc32c::Value("key"), k2), v2);
  EXPECT_EQ(HashOf(h, 3, 3, *HashKvRulesFor("3.4.33")).hash, both);
  EXPECT_EQ(HashOf(h, 3, 3, *HashKvRulesFor("3.4.34")).hash, put_only);
  EXPECT_EQ(HashOf(h, 3, 3, {}).hash, put_only);
  // Below C nothing is left out when nothing is live.
  EXPECT_EQ(HashOf(h, 3, 2, {}).hash, both);
}

TEST(HashKvRulesTest, Versions) {
  auto rules = [](const char* v) { return *HashKvRulesFor(v); };
  EXPECT_FALSE(rules("3.4.23").allows_rev_at_compaction);
  EXPECT_TRUE(rules("3.4.27").allows_rev_at_compaction);
  EXPECT_FALSE(rules("3.4.33").skips_tombstone_at_compaction);
  EXPECT_TRUE(rules("v3.4.34").skips_tombstone_at_compaction);
  EXPECT_FALSE(rules("3.4.31").current_rev_covers_scheduled);
  EXPECT_TRUE(rules("3.4.32").current_rev_covers_scheduled);
  EXPECT_FALSE(rules("3.5.9").allows_rev_at_compaction);
  EXPECT_TRUE(rules("3.5.10").allows_rev_at_compaction);
  EXPECT_FALSE(rules("3.5.15").skips_tombstone_at_compaction);
  EXPECT_TRUE(rules("3.5.16").skips_tombstone_at_compaction);
  EXPECT_FALSE(rules("3.5.13").current_rev_covers_scheduled);
  EXPECT_TRUE(rules("3.5.14").current_rev_covers_scheduled);
  EXPECT_FALSE(rules("3.3.0").allows_rev_at_compaction);
  EXPECT_TRUE(rules("3.6.0").skips_tombstone_at_compaction);
  EXPECT_TRUE(rules("3.4").skips_tombstone_at_compaction);  // newest 3.4
  EXPECT_TRUE(rules("").skips_tombstone_at_compaction);
  EXPECT_TRUE(rules("latest").allows_rev_at_compaction);
  for (const char* bad : {"3", "3.2.0", "2.3.7", "3.4.x", "3..4", "3.4.23.1", "x", "3.4."}) {
    EXPECT_FALSE(HashKvRulesFor(bad).ok()) << bad;
  }
}

TEST(HashKvRulesTest, HashRevisionChecks) {
  const StoreRevisions store{.current = 10, .compact = 5};
  const HashKvRules old34 = *HashKvRulesFor("3.4.23"), now;
  EXPECT_TRUE(CheckHashRevision(0, store, old34).ok());
  EXPECT_TRUE(CheckHashRevision(6, store, old34).ok());
  EXPECT_TRUE(CheckHashRevision(10, store, old34).ok());
  EXPECT_NE(CheckHashRevision(5, store, old34).message().find("compacted"), std::string::npos);
  EXPECT_TRUE(CheckHashRevision(5, store, now).ok());
  EXPECT_NE(CheckHashRevision(4, store, now).message().find("compacted"), std::string::npos);
  EXPECT_NE(CheckHashRevision(11, store, now).message().find("future"), std::string::npos);
}

TEST(HashKvRulesTest, RestoredRevisions) {
  const HashKvRules old34 = *HashKvRulesFor("3.4.23"), now;
  StoreMeta m;
  EXPECT_EQ(RestoredRevisions(m, 0, now).current, 1);
  EXPECT_EQ(RestoredRevisions(m, 0, now).compact, -1);
  m.finished_compact = 7;
  EXPECT_EQ(RestoredRevisions(m, 5, now).current, 7);  // everything up to 7 was removed
  m.scheduled_compact = 9;  // an interrupted compaction
  EXPECT_EQ(RestoredRevisions(m, 12, now).compact, 9);
  EXPECT_EQ(RestoredRevisions(m, 12, old34).compact, 9);
  // Above the last key: only newer members resume it (etcd-io/etcd#17780).
  EXPECT_EQ(RestoredRevisions(m, 8, now).compact, 9);
  EXPECT_EQ(RestoredRevisions(m, 8, now).current, 9);
  EXPECT_EQ(RestoredRevisions(m, 8, old34).compact, 7);
  EXPECT_EQ(RestoredRevisions(m, 8, old34).current, 8);
}

TEST(HashKvTest, SubRevisionsAndOlderRevisions) {
  TestHistory h;
  h.Txn({{false, "a", "1"}, {false, "b", "1"}, {false, "c", "1"}});  // 2_0 2_1 2_2
  h.Put("a", "2");                                                  // 3
  h.Txn({{true, "b", ""}, {false, "d", "1"}});                     // 4_0t 4_1
  h.Put("c", "2");                                                  // 5
  // At R=5, C=4 the kept revisions <= 4 are a@3 and d@4_1; b's latest is a deletion.
  std::vector<std::string> kept;
  for (const auto& [k, v] : h.entries()) {
    const bool tomb = k.size() == 18;
    const int64_t main = static_cast<uint8_t>(k[7]);
    const int64_t sub = static_cast<uint8_t>(k[16]);
    if ((main == 3) || (main == 4 && sub == 1 && !tomb) || main == 5) kept.push_back(k + v);
  }
  uint32_t want = crc32c::Value("key");
  for (const std::string& kv : kept) want = crc32c::Extend(want, kv);
  EXPECT_EQ(HashOf(h, 5, 4).hash, want);
  // Compacting at 4 keeps exactly those: the compacted history hashes the same.
  TestHistory c = h;
  c.Compact(4);
  EXPECT_EQ(HashOf(c).hash, want);
  EXPECT_EQ(HashOf(c).compact, 4);
}

// The key property: the hash depends on (R, C) only. A history compacted at Cs reproduces, for
// every C in [Cs, R], what the uncompacted history (a member that compacted later) answers.
TEST(HashKvTest, CompactedFilesReproduceEveryLaterCompaction) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 40; ++round) {
    TestHistory h;
    const int keys = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < 30; ++i) {
      const std::string k = "k" + std::to_string(rng() % keys);
      switch (rng() % 4) {
        case 0: h.Delete(k); break;
        case 1:
          h.Txn({{false, k, "t" + std::to_string(i)},
                 {false, k + "x", std::string(rng() % 200, 'v')}});
          break;
        default: h.Put(k, "v" + std::to_string(i)); break;
      }
    }
    const int64_t cs = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(h.current()));
    for (bool keep_tombstone : {false, true}) {
      TestHistory compacted = h;
      compacted.Compact(cs, keep_tombstone);
      for (int64_t c = cs; c <= h.current(); ++c) {
        for (int64_t r = c; r <= h.current(); ++r) {
          const uint32_t live = HashOf(h, r, c).hash;
          const uint32_t file = HashOf(compacted, r, c).hash;
          // With no key live at R the server hashes everything <= C it still has: there the
          // two stores differ by what compaction removed, so only compare when keys are live.
          KvHasher probe(r);
          ASSERT_TRUE(probe.Index(WalkOf(h)).ok());
          if (probe.keep_empty()) continue;
          EXPECT_EQ(file, live) << "round " << round << " cs " << cs << " c " << c << " r " << r;
        }
      }
    }
  }
}

TEST(HashKvTest, SeveralCompactRevisionsInOneWalk) {
  TestHistory h;
  for (int i = 0; i < 20; ++i) h.Put("k" + std::to_string(i % 5), std::to_string(i));
  KvHasher hasher(0);
  ASSERT_TRUE(hasher.Index(WalkOf(h)).ok());
  EXPECT_EQ(hasher.keys(), 5u);
  EXPECT_FALSE(hasher.keep_empty());
  std::vector<HashRequest> requests;
  for (int64_t c = -1; c <= h.current(); ++c) requests.push_back({c, true});
  auto all = hasher.Hash(WalkOf(h), requests);
  ASSERT_TRUE(all.ok());
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ((*all)[i], HashOf(h, 0, requests[i].compact_revision).hash) << i;
  }
}

TEST(HashKvTest, RevisionsAboveRAreNotHashed) {
  TestHistory h;
  h.Put("a", "1");
  const uint32_t at2 = HashOf(h).hash;
  h.Put("a", "2");
  h.Put("b", "1");
  EXPECT_EQ(HashOf(h, 2).hash, at2);
  EXPECT_EQ(HashOf(h, 2).current, 4);
}

TEST(HashKvTest, ValueThatIsNotAKeyValueIsCorruption) {
  const std::string k = testing::RevisionKey(2, 0, false), v = "\x0a\x7f";  // length past the end
  KeyWalk walk = [&](const KeyEntryFn& fn) {
    auto span = [](const std::string& s) {
      return bolt::Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    };
    bool stop = false;
    return fn(KeyEntry{*ParseRevisionKey(span(k)), span(k), span(v)}, &stop);
  };
  KvHasher hasher(0);
  Status s = hasher.Index(walk);
  EXPECT_EQ(s.code(), Code::kCorruption);
  EXPECT_NE(s.message().find("revision 2_0"), std::string::npos) << s.message();
}

TEST(HashKvTest, MemoryIsAFewDozenBytesPerKey) {
  TestHistory h;
  for (int i = 0; i < 100000; ++i) h.Put("/registry/pods/ns/pod-" + std::to_string(i), "v");
  KvHasher hasher(0);
  ASSERT_TRUE(hasher.Index(WalkOf(h)).ok());
  EXPECT_EQ(hasher.keys(), 100000u);
  // 32-byte slots at a load factor between 3/8 and 3/4.
  EXPECT_LE(hasher.memory_bytes(), 100000u * 32 * 8 / 3);
}

}  // namespace
}  // namespace etcdsnap::etcd
