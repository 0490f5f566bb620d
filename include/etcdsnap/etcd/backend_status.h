// StatusComputer: etcd's `snapshot status` figures for a backend file, computed from the
// entries of a bolt::Check() walk (one pass over the file):
//  - hash: CRC-32C over each top-level bucket name followed by its keys and values, in order;
//  - revision: the main revision of the last key of bucket `key`;
//  - total keys: every pair in every top-level bucket (etcd 3.4/3.5), or, with
//    StatusLayout::kEtcd36, the number of live user keys (etcdutl 3.6), which keeps a set of
//    the live keys in memory;
//  - version (3.6 layout): meta/storageVersion when it parses as a semantic version.
// As a bolt::SplittableVisitor it lets Check() split bucket `key` over two threads (3.4/3.5
// layout only): a fork hashes its range from a CRC of 0 and counts its bytes, and Join()
// combines the CRCs (crc32c::Combine), adds the key counts and takes the fork's revision.
// Not thread-safe; one computer per walk (a fork is another computer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

#include "etcdsnap/bolt/check.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::etcd {

// Which etcd's `snapshot status` to reproduce: 3.4/3.5 (etcdctl) or 3.6 (etcdutl).
enum class StatusLayout { kEtcd34, kEtcd36 };

// etcdctl's snapshot.Status.
struct BackendStatus {
  uint32_t hash = 0;
  int64_t revision = 0;
  int64_t total_key = 0;
  uint64_t total_size = 0;
  std::string version;  // 3.6 layout only; may be empty
};

class StatusComputer : public bolt::SplittableVisitor {
 public:
  explicit StatusComputer(StatusLayout layout) : layout_(layout) {}

  void OnEntry(const bolt::Entry& entry) override;
  // Bucket `key` in the 3.4 layout (3.6's live-key set depends on the order of every entry).
  bool CanSplit(bolt::Bytes name) const override;
  std::unique_ptr<bolt::SplittableVisitor> Fork() const override;
  void Join(bolt::SplittableVisitor& fork) override;
  void Reset() override;

  // The figures, or the first error etcd would have stopped on (a root entry that is not a
  // bucket, a `key` entry that is not a revision, a value that is not a KeyValue).
  Result<BackendStatus> Finish(uint64_t total_size);

 private:
  void Fail(std::string message);
  void Hash(bolt::Bytes bytes);

  StatusLayout layout_;
  BackendStatus status_;
  uint32_t crc_ = 0;
  uint64_t hashed_bytes_ = 0;  // the length of what crc_ covers, for Join()
  bool has_revision_ = false;  // whether status_.revision was taken from a key here
  bool in_key_bucket_ = false;
  bool in_meta_bucket_ = false;
  std::unordered_set<std::string> live_;
  std::string error_;
};

}  // namespace etcdsnap::etcd
