// The save use case: pick a member, stream its Maintenance.Snapshot into "<path>.part" (0600),
// check the size (% 512 == 32) and the sha256 trailer against what was hashed while streaming,
// fsync file and directory, rename onto <path>. On any failure or cancellation the .part is
// removed and an existing <path> is left as it was. The canceller is checked in every stage
// (probe, authentication, stream, after the stream, during and after --verify) up to the
// rename; once the rename is done, so is the save.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/client/client.h"
#include "etcdsnap/util/cancel.h"
#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/status.h"

namespace spdlog {
class logger;
}

namespace etcdsnap::snapshot {

struct SaveResult {
  std::string path;  // the file's final name (after SaveOptions::final_path)
  std::string endpoint;
  uint64_t size = 0;  // bytes received, trailer included
  std::chrono::nanoseconds took{0};
  std::string sha256_hex;  // the trailer: sha256 of the snapshot image, as etcd computed it
  // The member it came from, as its Status answered just before the stream.
  client::MemberStatus member;
  // The latest revision in the snapshot: the largest `key` revision seen in the stream.
  int64_t revision = 0;
  std::chrono::system_clock::time_point started{}, finished{};
  // The file as written: its size, its compression ("none", "zstd", "gzip") and, when
  // SaveOptions::hash_file was set, its sha256 (what `sha256sum <file>` prints).
  uint64_t file_size = 0;
  std::string compression = "none";
  std::string file_sha256_hex;
};

struct SaveOptions {
  std::string path;  // "-": write the snapshot to stdout (no file, no rename)
  // --compress: the file (or stdout) holds the raw snapshot compressed as one stream; the
  // sha256 trailer is still checked on the raw bytes.
  CompressSpec compress;
  std::vector<client::Endpoint> endpoints;
  client::ConnectionOptions connection;
  std::string user;  // empty: no authentication
  std::string password;
  client::StreamOptions stream;
  // Before the rename, run Verify() (bbolt structure and etcd schema) on the .part; a backup
  // that fails it is not saved. The sha256 trailer is checked whatever this says.
  bool verify = false;
  // Called from the streaming thread after each chunk: bytes received so far, and the expected
  // total (0 until known).
  std::function<void(uint64_t received, uint64_t total)> on_progress;
  // When set, called once the snapshot is received and checked, before the rename: returns the
  // file's final name (same directory as `path`, e.g. a name template expanded with the
  // revision), or an error that fails the save. `path` then only names the .part.
  std::function<Result<std::string>(const SaveResult&)> final_path;
  // With final_path: an existing file of that name is never replaced (the save fails, naming
  // it). A name template makes a new name per run; two runs that expand to one name would
  // otherwise overwrite each other's backup.
  bool final_path_no_replace = false;
  // Also hash the bytes as written to the file (SaveResult::file_sha256_hex), for a manifest.
  bool hash_file = false;
};

// Member selection for several endpoints: among the reachable candidates, voters before
// learners, then the highest raft applied index, then a follower over the leader. Returns the
// index of the chosen candidate, or nullopt when none is reachable.
struct Candidate {
  bool reachable = false;
  client::MemberStatus status;
};
std::optional<size_t> ChooseMember(const std::vector<Candidate>& candidates);

Result<SaveResult> Save(const SaveOptions& options, Canceller* canceller,
                        spdlog::logger& log);

}  // namespace etcdsnap::snapshot
