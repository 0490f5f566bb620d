// The manifest: `<file>.json` beside a snapshot (`save --manifest`), saying where the snapshot
// came from and what the file must be: its size and sha256 as written, the snapshot's own sha256
// (etcd's trailer), the member, the revision, the times. `status`, `verify` and `restore` check a
// file against its manifest when there is one (CheckManifest): a file that was cut, grew or
// changed since the save no longer matches.
//
// The JSON keys are camelCase, as in `snapshot verify -w json`; times are RFC 3339 in UTC;
// IDs are hex as etcd prints them. "format" names this layout: readers refuse others.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "etcdsnap/util/status.h"

namespace etcdsnap::snapshot {

inline constexpr const char* kManifestFormat = "etcdsnap-manifest/1";

struct Manifest {
  std::string file;  // the snapshot's file name, no directory
  uint64_t size = 0;  // the file as written
  std::string sha256;
  std::string compression = "none";
  uint64_t snapshot_size = 0;  // the snapshot as received, trailer included
  std::string snapshot_sha256;  // the trailer: etcd's sha256 of the image
  int64_t revision = 0;
  uint64_t cluster_id = 0, member_id = 0;
  std::string endpoint;
  std::string server_version;
  uint64_t raft_term = 0, raft_index = 0;
  int64_t db_size = 0, db_size_in_use = 0;
  std::string tool;  // "etcdsnap 0.1.0 (a2ea373)": the version and commit that wrote it
  std::chrono::system_clock::time_point started{}, finished{};
};

// "<snapshot>.json".
std::string ManifestPath(const std::string& snapshot_path);

std::string ManifestToJson(const Manifest& m);
// kCorruption naming `where` when the text is not a manifest of this format.
Result<Manifest> ManifestFromJson(const std::string& text, const std::string& where);

// Writes `<snapshot>.json` atomically (a .part renamed into place), mode 0600.
Status WriteManifest(const std::string& snapshot_path, const Manifest& m);

// RFC 3339 in UTC with milliseconds: "2026-03-07T01:02:03.456Z".
std::string FormatRfc3339(std::chrono::system_clock::time_point t);

// The manifest of a snapshot; nullopt when there is none. kCorruption when <snapshot>.json is
// not a manifest of this format (or not a regular file under 1 MiB).
Result<std::optional<Manifest>> ReadManifest(const std::string& snapshot_path);

struct ManifestCheck {
  std::string manifest_path;
  Manifest manifest;
  uint64_t actual_size = 0;
  std::string actual_sha256;  // empty when the size already differs (no need to read it)
  bool ok() const { return actual_size == manifest.size && actual_sha256 == manifest.sha256; }
  // "size 1234 bytes, the manifest says 5678" / "sha256 ab.., the manifest says cd..";
  // "" when ok().
  std::string Mismatch() const;
};

// nullopt when the snapshot has no manifest. Otherwise reads it and compares the file's size
// and sha256 (one read of the whole file) with it. An unreadable or malformed manifest is an
// error naming it. `cancel`, when set and true, stops the hashing (kCancelled).
Result<std::optional<ManifestCheck>> CheckManifest(const std::string& snapshot_path,
                                                   const std::atomic<bool>* cancel = nullptr);

}  // namespace etcdsnap::snapshot
