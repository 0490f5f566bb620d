#include "etcdsnap/etcd/backend_status.h"

#include <regex>
#include <string_view>

#include "etcdsnap/bolt/format.h"
#include "etcdsnap/etcd/buckets.h"
#include "etcdsnap/etcd/key_value.h"
#include "etcdsnap/etcd/revision.h"
#include "etcdsnap/util/crc32c.h"

namespace etcdsnap::etcd {
namespace {

// What Go's coreos/go-semver NewVersion accepts, roughly: MAJOR.MINOR.PATCH[-pre][+meta].
bool IsSemver(std::string_view v) {
  static const std::regex kSemver(R"(^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$)");
  return std::regex_match(v.begin(), v.end(), kSemver);
}

}  // namespace

void StatusComputer::Fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

void StatusComputer::Hash(bolt::Bytes bytes) {
  crc_ = crc32c::Extend(crc_, bytes);
  hashed_bytes_ += bytes.size();
}

void StatusComputer::OnEntry(const bolt::Entry& e) {
  if (e.depth == 0) {
    if (!e.is_bucket) Fail("cannot get hash of bucket " + std::string(bolt::View(e.key)));
    Hash(e.key);
    in_key_bucket_ = bolt::View(e.key) == kKeyBucket;
    in_meta_bucket_ = bolt::View(e.key) == kMetaBucket;
    return;
  }
  if (e.depth != 1) return;  // inside a nested bucket: etcd has none, its hash skips them
  Hash(e.key);
  if (!e.is_bucket) Hash(e.value);  // ForEach gives a nil value
  if (layout_ == StatusLayout::kEtcd34) ++status_.total_key;
  if (in_meta_bucket_ && layout_ == StatusLayout::kEtcd36 && bolt::View(e.key) == kStorageVersionKey) {
    status_.version = IsSemver(bolt::View(e.value)) ? std::string(bolt::View(e.value)) : std::string();
  }
  if (!in_key_bucket_) return;
  if (e.key.size() < kRevisionKeySize) {
    Fail("cannot parse revision key of " + std::to_string(e.key.size()) + " bytes");
    return;
  }
  // etcd's bytesToRev reads main from the first 8 bytes, whatever follows.
  status_.revision = static_cast<int64_t>(bolt::LoadBE64(e.key.data()));
  has_revision_ = true;
  if (layout_ != StatusLayout::kEtcd36) return;
  Result<KeyValue> kv = DecodeKeyValue(e.value);
  if (!kv.ok()) {
    Fail("cannot unmarshal the value of revision " + std::to_string(status_.revision) + ": " +
         kv.status().message());
    return;
  }
  const bool tombstone = e.key.size() == kTombstoneKeySize && e.key[17] == 't';
  if (tombstone) {
    live_.erase(std::string(kv->key));
  } else {
    live_.insert(std::string(kv->key));
  }
}

bool StatusComputer::CanSplit(bolt::Bytes name) const {
  return layout_ == StatusLayout::kEtcd34 && bolt::View(name) == kKeyBucket;
}

std::unique_ptr<bolt::SplittableVisitor> StatusComputer::Fork() const {
  auto fork = std::make_unique<StatusComputer>(layout_);
  fork->in_key_bucket_ = in_key_bucket_;
  fork->in_meta_bucket_ = in_meta_bucket_;
  return fork;
}

void StatusComputer::Join(bolt::SplittableVisitor& other) {
  StatusComputer& fork = static_cast<StatusComputer&>(other);  // made by Fork()
  if (!fork.error_.empty()) Fail(std::move(fork.error_));  // ours came first, if any
  crc_ = crc32c::Combine(crc_, fork.crc_, fork.hashed_bytes_);
  hashed_bytes_ += fork.hashed_bytes_;
  status_.total_key += fork.status_.total_key;
  if (fork.has_revision_) {
    status_.revision = fork.status_.revision;
    has_revision_ = true;
  }
}

void StatusComputer::Reset() { *this = StatusComputer(layout_); }

Result<BackendStatus> StatusComputer::Finish(uint64_t total_size) {
  if (!error_.empty()) return Status::Corruption(error_);
  BackendStatus s = status_;
  s.hash = crc_;
  s.total_size = total_size;
  if (layout_ == StatusLayout::kEtcd36) s.total_key = static_cast<int64_t>(live_.size());
  return s;
}

}  // namespace etcdsnap::etcd
