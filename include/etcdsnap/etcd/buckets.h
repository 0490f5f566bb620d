// The names of etcd's backend buckets and meta keys (server/storage/schema/bucket.go).
#pragma once

#include <array>
#include <string_view>

namespace etcdsnap::etcd {

inline constexpr std::string_view kKeyBucket = "key";
inline constexpr std::string_view kMetaBucket = "meta";
inline constexpr std::string_view kLeaseBucket = "lease";

// Created by every etcd 3.4 to 3.6 at startup, in key order.
inline constexpr std::array<std::string_view, 10> kExpectedBuckets = {
    "alarm", "auth",  "authRoles", "authUsers",       "cluster",
    "key",   "lease", "members",   "members_removed", "meta"};

inline constexpr std::string_view kConsistentIndexKey = "consistent_index";
inline constexpr std::string_view kStorageVersionKey = "storageVersion";
inline constexpr std::string_view kScheduledCompactKey = "scheduledCompactRev";
inline constexpr std::string_view kFinishedCompactKey = "finishedCompactRev";

}  // namespace etcdsnap::etcd
