// The cross-check of a snapshot file with the live members it came from (`snapshot save
// --check-cluster`, `snapshot hashkv <file> --endpoints ...`): each member is asked for
// Maintenance.HashKV at the file's revision R, and its hash is compared with the file's hash
// computed offline at R and that member's own compact revision, as etcd's corruption checks
// compare only hashes taken at equal compact revisions. Members are asked one at a time: on a
// 3.4 member HashKV blocks writes while it scans.
//
// Verdicts: match; mismatch (the member's history up to R differs from the file's); cannot
// compare (the member compacted past R, or below the file's own compaction, or is behind R, or
// belongs to another cluster); unreachable. Only a mismatch says something is wrong.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/client/client.h"
#include "etcdsnap/util/cancel.h"
#include "etcdsnap/util/status.h"

namespace spdlog {
class logger;
}

namespace etcdsnap::snapshot {

struct ClusterCheckOptions {
  std::string path;      // the snapshot file
  int64_t revision = 0;  // R; 0: the file's current revision
  std::vector<client::Endpoint> endpoints;
  // Ask every member of the endpoints' cluster (Cluster.MemberList, first client URL of each)
  // instead of the endpoints themselves.
  bool whole_cluster = false;
  client::ConnectionOptions connection;
  std::string user;  // empty: no authentication (HashKV needs the root role when auth is on)
  std::string password;
  std::chrono::nanoseconds hash_timeout = std::chrono::minutes(2);
  // The etcd version whose HashKV rules the file's own hash and its revisions follow; members
  // are always compared with the rules of the version they report. "" = the newest rules.
  std::string etcd_version;
  const std::atomic<bool>* cancel_file = nullptr;  // for reading a compressed file
};

enum class Verdict { kMatch, kMismatch, kCannotCompare, kUnreachable };
const char* VerdictName(Verdict v);  // "match", "MISMATCH", "cannot compare", "unreachable"

struct MemberCheck {
  std::string endpoint;
  uint64_t member_id = 0;  // 0: unknown (unreachable)
  std::string name;        // from MemberList, when asked
  std::string version;     // the member's etcd version
  Verdict verdict = Verdict::kUnreachable;
  int64_t compact_revision = 0;  // the member's, when it answered a hash
  uint32_t member_hash = 0;
  uint32_t file_hash = 0;  // the file's at (R, the member's compact revision)
  std::string reason;      // for cannot compare and unreachable
};

struct ClusterCheckReport {
  std::string path;
  int64_t revision = 0;          // R
  int64_t compact_revision = 0;  // the file's own
  uint32_t hash = 0;             // the file's at (R, its own compact revision)
  uint64_t cluster_id = 0;       // of the first member that answered
  std::vector<MemberCheck> members;

  size_t Count(Verdict v) const;
};

// The report, or an error when the file cannot be hashed (see snapshot/hashkv.h), when no
// endpoint answers Status (kUnavailable), or when MemberList fails with whole_cluster.
Result<ClusterCheckReport> CheckCluster(const ClusterCheckOptions& options, Canceller* canceller,
                                        spdlog::logger& log);

}  // namespace etcdsnap::snapshot
