// SchemaChecker: etcd's expectations of a backend file, checked over the entries of a
// bolt::Check() walk: the buckets etcd creates at startup exist and are not nested; every entry
// of `key` is a well-formed revision (17 bytes, or 18 for a deletion) in increasing order whose
// value decodes as an mvccpb.KeyValue consistent with it; `meta/consistent_index` is an 8-byte
// integer, present once `key` holds revisions (a fresh server has not saved it yet); the
// compaction marks, when present, are revisions. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "etcdsnap/bolt/check.h"

namespace etcdsnap::etcd {

// What SchemaChecker found. ok() when no problem.
struct SchemaReport {
  std::vector<std::string> problems;  // the first max_problems of them
  uint64_t problem_count = 0;
  std::vector<std::string> buckets;  // top-level bucket names, in order
  uint64_t revisions = 0;            // entries in `key`
  uint64_t deletions = 0;            // tombstones among them
  int64_t latest_revision = 0;
  bool has_consistent_index = false;
  uint64_t consistent_index = 0;
  // Live keys (not tombstones) under /registry/: the snapshot holds a Kubernetes cluster.
  uint64_t kubernetes_keys = 0;
  bool ok() const { return problem_count == 0; }
};

class SchemaChecker : public bolt::EntryVisitor {
 public:
  explicit SchemaChecker(size_t max_problems = 100) : max_problems_(max_problems) {}

  void OnEntry(const bolt::Entry& entry) override;
  SchemaReport Finish();

 private:
  void Problem(std::string message);
  void CheckKeyEntry(const bolt::Entry& e);
  void CheckMetaEntry(const bolt::Entry& e);

  size_t max_problems_;
  SchemaReport report_;
  std::string bucket_;
  int64_t previous_main_ = -1;
};

}  // namespace etcdsnap::etcd
