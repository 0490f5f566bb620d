#include "etcdsnap/snapshot/manifest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

#include "etcdsnap/util/file.h"
#include "etcdsnap/util/sha256.h"

namespace etcdsnap::snapshot {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::system_clock;

std::string Hex(uint64_t id) { return fmt::format("{:x}", id); }

// Parses FormatRfc3339's form (and whole seconds); nullopt otherwise.
std::optional<Clock::time_point> ParseRfc3339(const std::string& s) {
  std::tm tm{};
  const char* end = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  long ms = 0;
  if (*end == '.') {
    char* after = nullptr;
    ms = std::strtol(end + 1, &after, 10);
    if (after != end + 4) return std::nullopt;
    end = after;
  }
  if (std::string_view(end) != "Z") return std::nullopt;
  return Clock::from_time_t(::timegm(&tm)) + std::chrono::milliseconds(ms);
}

}  // namespace

std::string ManifestPath(const std::string& snapshot_path) { return snapshot_path + ".json"; }

std::string FormatRfc3339(Clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const time_t secs = static_cast<time_t>(std::chrono::floor<std::chrono::seconds>(ms).count());
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     static_cast<int>(ms.count() - int64_t{secs} * 1000));
}

std::string ManifestToJson(const Manifest& m) {
  const Json j = {
      {"format", kManifestFormat},
      {"file", m.file},
      {"size", m.size},
      {"sha256", m.sha256},
      {"compression", m.compression},
      {"snapshot", {{"size", m.snapshot_size}, {"sha256", m.snapshot_sha256}}},
      {"revision", m.revision},
      {"clusterId", Hex(m.cluster_id)},
      {"memberId", Hex(m.member_id)},
      {"endpoint", m.endpoint},
      {"serverVersion", m.server_version},
      {"raftTerm", m.raft_term},
      {"raftIndex", m.raft_index},
      {"dbSize", m.db_size},
      {"dbSizeInUse", m.db_size_in_use},
      {"tool", m.tool},
      {"started", FormatRfc3339(m.started)},
      {"finished", FormatRfc3339(m.finished)},
  };
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<Manifest> ManifestFromJson(const std::string& text, const std::string& where) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& why) {
    return Status::Corruption(where + " is not an etcdsnap manifest (" + why +
                              "): remove it, or write it again with snapshot save --manifest");
  };
  if (!j.is_object()) return bad("not a JSON object");
  if (j.value("format", "") != kManifestFormat) {
    return bad(std::string("format is not ") + kManifestFormat);
  }
  // Reads one field; the first one missing or of another type is named in the error.
  std::string wrong;
  auto get = [&](const Json& obj, const char* key, auto* out) {
    using T = std::remove_pointer_t<decltype(out)>;
    auto it = obj.find(key);
    const bool fits = it != obj.end() && (std::is_same_v<T, std::string> ? it->is_string()
                                                                          : it->is_number_integer());
    if (!fits) {
      if (wrong.empty()) wrong = key;
      return;
    }
    *out = it->template get<T>();
  };
  Manifest m;
  std::string cluster, member, started, finished;
  get(j, "file", &m.file);
  get(j, "size", &m.size);
  get(j, "sha256", &m.sha256);
  get(j, "compression", &m.compression);
  const Json snap = j.value("snapshot", Json::object());
  get(snap, "size", &m.snapshot_size);
  get(snap, "sha256", &m.snapshot_sha256);
  get(j, "revision", &m.revision);
  get(j, "clusterId", &cluster);
  get(j, "memberId", &member);
  get(j, "endpoint", &m.endpoint);
  get(j, "serverVersion", &m.server_version);
  get(j, "raftTerm", &m.raft_term);
  get(j, "raftIndex", &m.raft_index);
  get(j, "dbSize", &m.db_size);
  get(j, "dbSizeInUse", &m.db_size_in_use);
  get(j, "tool", &m.tool);
  get(j, "started", &started);
  get(j, "finished", &finished);
  if (!wrong.empty()) return bad("\"" + wrong + "\" is missing or of the wrong type");
  m.cluster_id = std::strtoull(cluster.c_str(), nullptr, 16);
  m.member_id = std::strtoull(member.c_str(), nullptr, 16);
  const auto s = ParseRfc3339(started), f = ParseRfc3339(finished);
  if (!s || !f) return bad("\"started\" or \"finished\" is not an RFC 3339 UTC time");
  m.started = *s;
  m.finished = *f;
  return m;
}

Status WriteManifest(const std::string& snapshot_path, const Manifest& m) {
  return WriteFileAtomically(ManifestPath(snapshot_path), ManifestToJson(m), 0600)
      .Annotate("writing the manifest of " + snapshot_path);
}

std::string ManifestCheck::Mismatch() const {
  if (actual_size != manifest.size) {
    return "its size is " + std::to_string(actual_size) + " bytes, " + manifest_path + " says " +
           std::to_string(manifest.size);
  }
  if (actual_sha256 != manifest.sha256) {
    return "its sha256 is " + actual_sha256 + ", " + manifest_path + " says " + manifest.sha256;
  }
  return "";
}

Result<std::optional<Manifest>> ReadManifest(const std::string& snapshot_path) {
  const std::string path = ManifestPath(snapshot_path);
  ETCDSNAP_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadSmallFile(path, 1 << 20));
  if (!text) return std::optional<Manifest>();
  ETCDSNAP_ASSIGN_OR_RETURN(Manifest m, ManifestFromJson(*text, path));
  return std::optional<Manifest>(std::move(m));
}

Result<std::optional<ManifestCheck>> CheckManifest(const std::string& snapshot_path,
                                                   const std::atomic<bool>* cancel) {
  ETCDSNAP_ASSIGN_OR_RETURN(std::optional<Manifest> manifest, ReadManifest(snapshot_path));
  if (!manifest) return std::optional<ManifestCheck>();
  ManifestCheck c;
  c.manifest_path = ManifestPath(snapshot_path);
  c.manifest = std::move(*manifest);
  UniqueFd fd(::open(snapshot_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno("could not read " + snapshot_path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::FromErrno("stat " + snapshot_path, errno);
  c.actual_size = static_cast<uint64_t>(st.st_size);
  if (c.actual_size != c.manifest.size) return std::optional<ManifestCheck>(std::move(c));
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  Sha256 sha;
  std::vector<uint8_t> buf(1 << 20);
  for (off_t off = 0;;) {
    if (cancel != nullptr && cancel->load()) {
      return Status::Cancelled("interrupted while checking " + snapshot_path + " against " +
                               c.manifest_path);
    }
    const ssize_t n = ::pread(fd.get(), buf.data(), buf.size(), off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("could not read " + snapshot_path, errno);
    if (n == 0) break;
    sha.Update(buf.data(), static_cast<size_t>(n));
    off += n;
  }
  ETCDSNAP_ASSIGN_OR_RETURN(const Sha256Digest d, sha.Finish());
  c.actual_sha256 = HexString(d);
  return std::optional<ManifestCheck>(std::move(c));
}

}  // namespace etcdsnap::snapshot
