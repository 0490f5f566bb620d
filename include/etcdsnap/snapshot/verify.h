// The `snapshot verify` use case: everything that can be checked about a snapshot file without
// a server. The sha256 trailer etcd appends (when size % 512 == 32), both meta pages, the whole
// bbolt structure (bolt::Check: what `bbolt check` does plus bounds, cycles and inline
// buckets) and etcd's schema (etcd::SchemaChecker). The trailer is hashed on a second thread
// while the tree is walked. Reads only; memory stays flat whatever the file size.
//
// `snapshot save --verify` calls Verify() on the file it just wrote.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "etcdsnap/bolt/check.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/etcd/schema.h"
#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::snapshot {

// What Verify() reads and how much it checks and lists.
struct VerifyOptions {
  std::string path;
  bool check_schema = true;  // off for a bbolt file that is not an etcd backend
  size_t max_errors = 100;   // per section; the rest are counted
  // When set and it turns true, Verify stops at its next check (between stages and every MiB
  // hashed) and returns kCancelled.
  const std::atomic<bool>* cancel = nullptr;
  // An absent trailer is a problem (a backup that restore would take only with
  // --skip-hash-check).
  bool require_trailer = false;
};

// The sha256 trailer, as etcd's restore sees it: present when size % 512 == 32 (then matching
// or not); absent when the size is a multiple of the page size (a member's db: restore needs
// --skip-hash-check); damaged when the size is neither (a trailer cut short or bytes appended:
// restore refuses the file).
enum class TrailerState { kAbsent, kMatch, kMismatch, kDamaged };

// What Verify() checked and found. ok() when all is well.
struct VerifyReport {
  std::string path;
  uint64_t file_size = 0;  // of the raw snapshot (decompressed, when the file is compressed)
  Compression compression = Compression::kNone;
  uint64_t compressed_size = 0;  // the file's own size when compressed

  TrailerState trailer = TrailerState::kAbsent;
  bool trailer_required = false;  // VerifyOptions::require_trailer
  std::string trailer_expected;  // hex, as stored in the file
  std::string trailer_actual;    // hex, computed over the bytes before it

  bolt::MetaState metas;
  uint32_t page_size = 0;
  uint64_t db_size = 0;  // high-water mark times page size
  std::vector<std::string> meta_problems;

  bolt::CheckResult bolt;

  bool schema_checked = false;
  etcd::SchemaReport schema;

  uint64_t problem_count() const {
    const bool trailer_bad = trailer == TrailerState::kMismatch ||
                             trailer == TrailerState::kDamaged ||
                             (trailer == TrailerState::kAbsent && trailer_required);
    return (trailer_bad ? 1 : 0) + meta_problems.size() + bolt.error_count + schema.problem_count;
  }
  bool ok() const { return problem_count() == 0; }
};

// The report, or an error when the file cannot be read as bbolt at all (missing, a directory,
// empty, not bbolt, truncated below its high-water mark, both metas invalid): those come back
// as a Status whose message names the file.
Result<VerifyReport> Verify(const VerifyOptions& options);

}  // namespace etcdsnap::snapshot
