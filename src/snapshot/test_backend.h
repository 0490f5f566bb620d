// Writes an etcd backend file for the use-case tests: bucket key from a TestHistory (the store
// model), lease with the given leases, members and members_removed with the given member IDs,
// meta with the history's compaction marks. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "etcdsnap/bolt/builder.h"
#include "etcdsnap/etcd/buckets.h"
#include "etcdsnap/etcd/member.h"
#include "test_history.h"

namespace etcdsnap::testing {

inline std::string BigEndian64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (56 - 8 * i));
  return s;
}

// leasepb.Lease{ID, TTL}.
inline std::string LeaseValue(int64_t id, int64_t ttl) {
  using etcd::testing::Varint;
  return "\x08" + Varint(static_cast<uint64_t>(id)) + "\x10" + Varint(static_cast<uint64_t>(ttl));
}

struct BackendContents {
  std::map<int64_t, int64_t> leases;  // id -> TTL
  std::vector<uint64_t> members;
  std::vector<uint64_t> removed_members;
  bool with_key_bucket = true;
};

inline void WriteBackend(const std::string& path, const etcd::testing::TestHistory& h,
                         const BackendContents& c = {}) {
  auto b = bolt::Builder::Create(path, {.persist_freelist = false, .sync = false});
  ASSERT_TRUE(b.ok()) << b.status().message();
  bolt::Builder& w = **b;
  auto member_bucket = [&](std::string_view name, std::vector<uint64_t> ids) {
    std::map<std::string, std::string> sorted;  // by the hex key, as bbolt orders them
    for (uint64_t id : ids) sorted[etcd::IdString(id)] = "{\"id\":" + std::to_string(id) + "}";
    ASSERT_TRUE(w.BeginBucket(name).ok());
    for (const auto& [k, v] : sorted) ASSERT_TRUE(w.Put(k, v).ok());
    ASSERT_TRUE(w.EndBucket().ok());
  };
  if (c.with_key_bucket) {
    ASSERT_TRUE(w.BeginBucket(etcd::kKeyBucket).ok());
    for (const auto& [k, v] : h.entries()) ASSERT_TRUE(w.Put(k, v).ok());
    ASSERT_TRUE(w.EndBucket().ok());
  }
  ASSERT_TRUE(w.BeginBucket(etcd::kLeaseBucket).ok());
  for (const auto& [id, ttl] : c.leases) {
    ASSERT_TRUE(w.Put(BigEndian64(static_cast<uint64_t>(id)), LeaseValue(id, ttl)).ok());
  }
  ASSERT_TRUE(w.EndBucket().ok());
  member_bucket("members", c.members);
  member_bucket("members_removed", c.removed_members);
  ASSERT_TRUE(w.BeginBucket(etcd::kMetaBucket).ok());
  ASSERT_TRUE(w.Put("consistent_index", std::string(8, '\1')).ok());
  using etcd::testing::RevisionKey;
  if (h.finished_compact()) {
    ASSERT_TRUE(w.Put(etcd::kFinishedCompactKey, RevisionKey(*h.finished_compact(), 0, false)).ok());
  }
  if (h.scheduled_compact()) {
    ASSERT_TRUE(
        w.Put(etcd::kScheduledCompactKey, RevisionKey(*h.scheduled_compact(), 0, false)).ok());
  }
  ASSERT_TRUE(w.EndBucket().ok());
  ASSERT_TRUE(w.Finish().ok());
}

}  // namespace etcdsnap::testing
