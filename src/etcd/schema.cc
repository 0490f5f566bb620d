#include "etcdsnap/etcd/schema.h"

#include <algorithm>
#include <string_view>

#include "etcdsnap/bolt/format.h"
#include "etcdsnap/etcd/buckets.h"
#include "etcdsnap/etcd/key_value.h"
#include "etcdsnap/etcd/revision.h"

namespace etcdsnap::etcd {

void SchemaChecker::Problem(std::string message) {
  ++report_.problem_count;
  if (report_.problems.size() < max_problems_) report_.problems.push_back(std::move(message));
}

void SchemaChecker::OnEntry(const bolt::Entry& e) {
  if (e.depth == 0) {
    bucket_ = std::string(bolt::View(e.key));
    report_.buckets.push_back(bucket_);
    if (!e.is_bucket) Problem("root entry " + bolt::Quote(bucket_, 48) + " is not a bucket");
    return;
  }
  if (e.depth > 1) return;
  if (e.is_bucket) {
    Problem("bucket \"" + bucket_ + "\" holds a nested bucket " +
            bolt::Quote(bolt::View(e.key), 48) + " (etcd never nests buckets)");
    return;
  }
  if (bucket_ == kKeyBucket) CheckKeyEntry(e);
  if (bucket_ == kMetaBucket) CheckMetaEntry(e);
}

void SchemaChecker::CheckKeyEntry(const bolt::Entry& e) {
  ++report_.revisions;
  Result<Revision> rev = ParseRevisionKey(e.key);
  if (!rev.ok()) {
    Problem("bucket \"key\": entry " + bolt::Quote(bolt::View(e.key), 48) + ": " +
            rev.status().message());
    return;
  }
  const std::string where = "bucket \"key\": revision " + std::to_string(rev->main) + "_" +
                            std::to_string(rev->sub) + (rev->tombstone ? "t" : "");
  if (rev->main <= 0) Problem(where + ": main revision is not positive");
  if (rev->main < previous_main_) Problem(where + ": revisions go backwards");
  previous_main_ = rev->main;
  report_.latest_revision = rev->main;
  if (rev->tombstone) ++report_.deletions;
  // `snapshot restore --bump-revision` leaves an entry with an empty value as a marker.
  if (e.value.empty() && !rev->tombstone) return;
  Result<KeyValue> kv = DecodeKeyValue(e.value);
  if (!kv.ok()) {
    Problem(where + ": value is not a KeyValue: " + kv.status().message());
    return;
  }
  if (kv->key.empty()) Problem(where + ": KeyValue has an empty key");
  if (rev->tombstone) return;
  if (kv->key.starts_with("/registry/")) ++report_.kubernetes_keys;
  if (kv->mod_revision != rev->main) {
    Problem(where + ": KeyValue mod_revision is " + std::to_string(kv->mod_revision));
  }
  if (kv->create_revision <= 0 || kv->create_revision > kv->mod_revision) {
    Problem(where + ": KeyValue create_revision " + std::to_string(kv->create_revision) +
            " is not in [1, mod_revision]");
  }
  if (kv->version <= 0) {
    Problem(where + ": KeyValue version " + std::to_string(kv->version) + " is not positive");
  }
}

void SchemaChecker::CheckMetaEntry(const bolt::Entry& e) {
  const std::string_view key = bolt::View(e.key);
  if (key == kConsistentIndexKey) {
    if (e.value.size() != 8) {
      Problem("meta/consistent_index is " + std::to_string(e.value.size()) +
              " bytes, not an 8-byte integer");
      return;
    }
    report_.has_consistent_index = true;
    report_.consistent_index = bolt::LoadBE64(e.value.data());
  } else if (key == kScheduledCompactKey || key == kFinishedCompactKey) {
    Result<Revision> rev = ParseRevisionKey(e.value);
    if (!rev.ok()) Problem("meta/" + std::string(key) + ": " + rev.status().message());
  }
}

SchemaReport SchemaChecker::Finish() {
  for (std::string_view want : kExpectedBuckets) {
    if (std::find(report_.buckets.begin(), report_.buckets.end(), want) == report_.buckets.end()) {
      Problem("bucket \"" + std::string(want) + "\" is missing");
    }
  }
  // A server that never applied a write (a fresh one) has not saved its index yet.
  if (!report_.has_consistent_index && report_.revisions > 0 &&
      std::find(report_.buckets.begin(), report_.buckets.end(), kMetaBucket) !=
          report_.buckets.end()) {
    Problem("meta/consistent_index is missing");
  }
  return std::move(report_);
}

}  // namespace etcdsnap::etcd
