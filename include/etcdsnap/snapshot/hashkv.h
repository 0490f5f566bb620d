// The `snapshot hashkv` use case: the value etcd's Maintenance.HashKV(R) returns, computed from a
// snapshot (or backend) file, for the server it was saved from or any member holding the same
// history. R defaults to the file's current revision and C to its compact revision, both as a
// member opening the file would see them (etcd::RestoredRevisions); a C given by the caller
// reproduces a member that has compacted further (any C from the file's own up to R). Two
// sequential walks of bucket `key` (etcd/hash_kv.h); memory is one 32-byte entry per key. The
// file is opened read-only; a compressed snapshot is read through a decompressed temporary copy
// (util/compression.h). No network: this library links no gRPC.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/bolt/file.h"
#include "etcdsnap/etcd/hash_kv.h"
#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::snapshot {

struct HashKvOptions {
  std::string path;
  int64_t revision = 0;                     // R; 0: the file's current revision
  std::optional<int64_t> compact_revision;  // C; default: the file's compact revision
  etcd::HashKvRules rules;                  // which etcd's rules (HashKvRulesFor)
};

struct HashKvResult {
  uint32_t hash = 0;
  int64_t revision = 0;          // R
  int64_t compact_revision = 0;  // C (-1: not compacted)
  int64_t current_revision = 0;  // the file's
  int64_t file_compact_revision = 0;  // the file's own C
  uint64_t keys = 0;          // distinct keys up to R
  uint64_t index_bytes = 0;   // memory the first walk held
  // No key is live at R: then a compact revision above the file's own may count entries a
  // server compacted there has removed (docs/hashkv.md).
  bool no_live_keys = false;
};

// A snapshot file opened for HashKV and walked once: R and the file's revisions are known, and
// Hash() gives the hash for any compact revisions in one more walk. The cross-check with live
// members uses it to ask them at R and then hash at each one's compact revision.
class HashKvFile {
 public:
  // Opens the file, reads bucket `meta` and indexes bucket `key` up to `revision` (0: the
  // current revision). The rules decide the file's revisions (RestoredRevisions). Errors name
  // the file: missing, not bbolt, not an etcd backend, a damaged entry; and HashByRev's own
  // (CheckHashRevision) for an explicit `revision`.
  static Result<std::unique_ptr<HashKvFile>> Open(const std::string& path, int64_t revision,
                                                  const etcd::HashKvRules& rules,
                                                  const std::atomic<bool>* cancel = nullptr);

  int64_t revision() const { return revision_; }
  const etcd::StoreRevisions& store() const { return store_; }
  uint64_t keys() const { return hasher_.keys(); }
  uint64_t index_bytes() const { return hasher_.memory_bytes(); }
  // No key is live at R: a hash at a compact revision above the file's own may then count
  // entries that a server compacted there has removed.
  bool keep_empty() const { return hasher_.keep_empty(); }

  // One hash per request, in order (a second walk of bucket `key`).
  Result<std::vector<uint32_t>> Hash(const std::vector<etcd::HashRequest>& requests) const;

 private:
  HashKvFile(PlainSnapshot plain, std::unique_ptr<bolt::File> file, int64_t revision)
      : plain_(std::move(plain)), file_(std::move(file)), hasher_(revision) {}
  etcd::KeyWalk Walk() const;

  PlainSnapshot plain_;
  std::unique_ptr<bolt::File> file_;
  etcd::KvHasher hasher_;
  etcd::StoreRevisions store_;
  int64_t revision_ = 0;
};

// Opens, checks and hashes: kInvalidArgument for a compact revision below the file's own (what
// it removed cannot be put back) or above its current revision, and for the HashByRev checks.
Result<HashKvResult> ComputeHashKv(const HashKvOptions& options);

}  // namespace etcdsnap::snapshot
