#include "etcdsnap/snapshot/restore.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "etcdsnap/bolt/update_tx.h"
#include "etcdsnap/etcd/buckets.h"
#include "etcdsnap/etcd/revision.h"
#include "etcdsnap/raft/wal.h"
#include "etcdsnap/snapshot/verify.h"
#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/file.h"
#include "etcdsnap/util/sha256.h"
#include "etcdsnap/util/staging_dir.h"

namespace etcdsnap::snapshot {
namespace {

constexpr uint64_t kTrailerSize = 32;
constexpr size_t kChunk = size_t{1} << 20;
constexpr size_t kSlots = 8;  // chunks in flight between the copy and the hash: 8 MiB

// "a//b/./c/" as "a/b/c": the path as written, without the spellings that would make
// "<path>.part" or a comparison of two paths go wrong ("n1/." + ".part"). ".." stays.
std::string NormalPath(const std::string& p) {
  std::string out = std::filesystem::path(p).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out.empty() ? "." : out;
}

// The absolute path of `p` with symlinks of its existing part resolved, for comparing where two
// paths lead; "" when the current directory cannot be read.
std::filesystem::path Resolved(const std::string& p) {
  std::error_code ec;
  std::filesystem::path r = std::filesystem::weakly_canonical(std::filesystem::absolute(p, ec), ec);
  return ec ? std::filesystem::path() : r;
}

// True when `inner` is `outer` or lies below it.
bool IsWithin(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  if (inner.empty() || outer.empty()) return false;
  const std::filesystem::path rel = inner.lexically_relative(outer);
  return !rel.empty() && *rel.begin() != "..";
}

std::string BE64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}

// etcd's revToBytes: 8-byte big-endian main, '_', 8-byte big-endian sub.
std::string RevisionKey(int64_t main, int64_t sub) {
  return BE64(static_cast<uint64_t>(main)) + "_" + BE64(static_cast<uint64_t>(sub));
}

Status Cancelled(const Canceller* c) { return c == nullptr ? Status::Ok() : c->Check(); }

// What is at a directory path the restore is to fill.
enum class DirState { kMissing, kEmpty, kNotEmpty, kNotDirectory };

// An existing directory counts as empty when it holds nothing but `lost+found` (a fresh file
// system mounted there). Follows symlinks: /var/lib/etcd may link to the volume.
DirState Inspect(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? DirState::kMissing : DirState::kNotEmpty;
  if (!S_ISDIR(st.st_mode)) return DirState::kNotDirectory;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return DirState::kNotEmpty;  // "could not be read"
  DirState state = DirState::kEmpty;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || name == "lost+found") continue;
    state = DirState::kNotEmpty;
    break;
  }
  ::closedir(d);
  return state;
}

// Directories created for a path whose parents were missing (etcdutl creates them, 0700);
// removed again, deepest first and only while empty, unless Keep() was called.
class CreatedParents {
 public:
  CreatedParents() = default;
  CreatedParents(const CreatedParents&) = delete;
  CreatedParents& operator=(const CreatedParents&) = delete;
  ~CreatedParents() {
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) ::rmdir(it->c_str());
  }
  // Creates every missing ancestor of `path` (not `path` itself).
  Status For(const std::string& path) {
    std::vector<std::string> missing;
    for (std::string p = DirName(path); p != "/" && p != "."; p = DirName(p)) {
      struct stat st {};
      if (::stat(p.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
          return Status::InvalidArgument(p + " is not a directory; cannot create " + path +
                                         " under it");
        }
        break;
      }
      missing.push_back(p);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      if (::mkdir(it->c_str(), 0700) == 0) {
        made_.push_back(*it);  // only what we made: one made meanwhile by another is not ours
      } else if (errno != EEXIST) {
        return Status::FromErrno("could not create directory " + *it, errno);
      }
    }
    return Status::Ok();
  }
  // Makes the created directories durable (each in its parent) and keeps them.
  Status Keep() {
    for (const std::string& d : made_) ETCDSNAP_RETURN_IF_ERROR(FsyncParentDir(d));
    made_.clear();
    return Status::Ok();
  }

 private:
  std::vector<std::string> made_;
};

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0) return Status::FromErrno("mkdir " + path, errno);
  return Status::Ok();
}

// mkdir -p with mode 0700 for every level it makes (inside a staging tree of ours).
Status MakeDirs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return Status::Ok();
  const std::string parent = DirName(path);
  if (parent != path) ETCDSNAP_RETURN_IF_ERROR(MakeDirs(parent));
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::FromErrno("mkdir " + path, errno);
  }
  return Status::Ok();
}

Status FsyncDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno("open directory " + path, errno);
  if (::fsync(fd.get()) != 0) return Status::FromErrno("fsync directory " + path, errno);
  return Status::Ok();
}

// One file written under a temporary name in an existing directory and renamed to its name at
// Commit(); removed unless committed (and by Revert() after).
class StagedFile {
 public:
  StagedFile(std::string dir, const std::string& name)
      : path_(dir + "/" + name), temp_(path_ + ".part"), dir_(std::move(dir)) {}
  ~StagedFile() {
    if (!committed_) ::unlink(temp_.c_str());
  }
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  const std::string& temp() const { return temp_; }
  Status Commit() {
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) != 0) {
      return Status::FromErrno("could not rename " + temp_ + " to " + path_, errno);
    }
    committed_ = true;
    return FsyncDir(dir_);
  }
  void Revert() {
    if (committed_) ::unlink(path_.c_str());
    committed_ = false;
  }

 private:
  std::string path_, temp_, dir_;
  bool committed_ = false;
};

// Copies `bytes` bytes of `src` to `dst`; when `digest` is set, a second thread computes the
// sha256 of exactly the bytes written while the first reads and writes (8 chunks of 1 MiB in
// flight). Checks for cancellation every chunk.
Status CopyAndHash(int src, const std::string& src_path, int dst, const std::string& dst_path,
                   uint64_t bytes, Sha256Digest* digest, Canceller* canceller,
                   const std::function<void(uint64_t, uint64_t)>& on_progress) {
  struct Ring {
    std::mutex mu;
    std::condition_variable cv;
    uint64_t produced = 0;  // chunks read
    uint64_t hashed = 0;    // chunks hashed
    bool done = false;
    std::array<size_t, kSlots> len{};
  } ring;
  std::vector<std::unique_ptr<uint8_t[]>> slots;
  for (size_t i = 0; i < kSlots; ++i) slots.emplace_back(new uint8_t[kChunk]);
  Sha256 sha;
  std::jthread hasher;
  if (digest != nullptr) {
    hasher = std::jthread([&] {
      std::unique_lock lock(ring.mu);
      while (true) {
        ring.cv.wait(lock, [&] { return ring.produced > ring.hashed || ring.done; });
        if (ring.produced == ring.hashed) return;  // done
        const size_t slot = ring.hashed % kSlots;
        const size_t n = ring.len[slot];
        lock.unlock();
        sha.Update(slots[slot].get(), n);
        lock.lock();
        ++ring.hashed;
        ring.cv.notify_all();
      }
    });
  }
  auto finish_hasher = [&] {
    if (!hasher.joinable()) return;
    {
      std::lock_guard lock(ring.mu);
      ring.done = true;
    }
    ring.cv.notify_all();
    hasher.join();
  };

  ::posix_fadvise(src, 0, static_cast<off_t>(bytes), POSIX_FADV_SEQUENTIAL);
  Status status;
  uint64_t off = 0;
  for (uint64_t chunk = 0; off < bytes; ++chunk) {
    status = Cancelled(canceller);
    if (!status.ok()) break;
    const size_t slot = chunk % kSlots;
    if (digest != nullptr) {  // the slot's previous chunk must be hashed before it is reused
      std::unique_lock lock(ring.mu);
      ring.cv.wait(lock, [&] { return chunk - ring.hashed < kSlots; });
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, bytes - off));
    size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(src, slots[slot].get() + got, want - got,
                                static_cast<off_t>(off + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = Status::FromErrno("read " + src_path, errno);
        break;
      }
      if (n == 0) {
        status = Status::IOError(src_path + " shrank while it was read (at byte " +
                                 std::to_string(off + got) + " of " + std::to_string(bytes) +
                                 "): is something writing to it?");
        break;
      }
      got += static_cast<size_t>(n);
    }
    if (!status.ok()) break;
    if (digest != nullptr) {
      {
        std::lock_guard lock(ring.mu);
        ring.len[slot] = want;
        ++ring.produced;
      }
      ring.cv.notify_all();
    }
    size_t put = 0;
    while (put < want) {
      const ssize_t n = ::pwrite(dst, slots[slot].get() + put, want - put,
                                 static_cast<off_t>(off + put));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status = n < 0 ? Status::FromErrno("write " + dst_path, errno)
                       : Status::IOError("write " + dst_path + ": no progress");
        break;
      }
      put += static_cast<size_t>(n);
    }
    if (!status.ok()) break;
    // Start writing the chunk back now, so that the fdatasync at the end does not find the whole
    // copy still dirty (the disk works while the hash runs). A hint: its failure changes nothing.
    ::sync_file_range(dst, static_cast<off_t>(off), static_cast<off_t>(want),
                      SYNC_FILE_RANGE_WRITE);
    off += want;
    if (on_progress) on_progress(off, bytes);
  }
  finish_hasher();
  if (!status.ok()) return status;
  if (digest != nullptr) {
    ETCDSNAP_ASSIGN_OR_RETURN(*digest, sha.Finish());
  }
  return Status::Ok();
}

Status MissingHash(const std::string& src_path, uint64_t size) {
  return Status::Corruption("snapshot missing hash but --skip-hash-check=false: " + src_path +
                            " (" + std::to_string(size) +
                            " bytes) does not end with the sha256 etcd appends when it saves "
                            "a snapshot; for a member's db file copied from a data dir, add "
                            "--skip-hash-check");
}

Status ReadExactly(int fd, const std::string& path, uint64_t offset, std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + got, out.size() - got,
                              static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return n < 0 ? Status::FromErrno("read " + path, errno)
                   : Status::IOError("read " + path + ": unexpected end of file");
    }
    got += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// The sha256 of the first `n` bytes of `fd` (the decompressed copy, which is in the page cache).
Result<Sha256Digest> HashPrefix(int fd, const std::string& path, uint64_t n,
                                const Canceller* canceller) {
  Sha256 sha;
  std::vector<uint8_t> buf(kChunk);
  for (uint64_t off = 0; off < n;) {
    ETCDSNAP_RETURN_IF_ERROR(Cancelled(canceller));
    const size_t len = static_cast<size_t>(std::min<uint64_t>(kChunk, n - off));
    ETCDSNAP_RETURN_IF_ERROR(ReadExactly(fd, path, off, std::span(buf).first(len)));
    sha.Update(buf.data(), len);
    off += len;
  }
  return sha.Finish();
}

// The first problems of a verify report, for one error line.
std::string FirstProblems(const VerifyReport& r) {
  std::vector<std::string> all;
  if (r.trailer == TrailerState::kDamaged) {
    all.push_back("its size is not a whole number of pages: the file was cut short or bytes "
                  "were appended");
  }
  for (const auto& p : r.meta_problems) all.push_back(p);
  for (const auto& p : r.bolt.errors) all.push_back(p);
  for (const auto& p : r.schema.problems) all.push_back(p);
  std::string out;
  for (size_t i = 0; i < all.size() && i < 3; ++i) out += (i ? "; " : "") + all[i];
  if (all.size() > 3 || r.problem_count() > all.size()) out += "; ...";
  return out;
}

// The data dir side of the restore: where `member/` is built and how it is moved into place.
struct DataDirStage {
  CreatedParents parents;
  std::optional<StagingDir> staging;
  std::string member;  // the directory that becomes <data-dir>/member
  // The final path the staging directory becomes (<data-dir> or <data-dir>/member), resolved,
  // for Within().
  std::filesystem::path target;

  // Where `path` (a final path strictly inside what is staged) is built, else "".
  std::string Within(const std::string& path) const {
    const std::filesystem::path p = Resolved(path);
    if (!IsWithin(p, target) || p == target) return "";
    return (std::filesystem::path(staging->path()) / p.lexically_relative(target)).string();
  }
};

// The WAL side when --wal-dir is given: a staged directory, or a staged file in an existing
// empty one.
struct WalDirStage {
  CreatedParents parents;
  std::optional<StagingDir> staging;
  std::optional<StagedFile> file;
  std::string dir;  // where the segment is written
};

Status StageDataDir(const std::string& data_dir, DataDirStage* out) {
  switch (Inspect(data_dir)) {
    case DirState::kMissing: {
      ETCDSNAP_RETURN_IF_ERROR(out->parents.For(data_dir));
      ETCDSNAP_ASSIGN_OR_RETURN(StagingDir s, StagingDir::Create(data_dir));
      out->staging.emplace(std::move(s));
      out->target = Resolved(data_dir);
      out->member = out->staging->path() + "/member";
      return MakeDir(out->member);
    }
    case DirState::kEmpty: {
      // A mount point cannot be renamed onto: build <data-dir>/member.part, rename it to member.
      ETCDSNAP_ASSIGN_OR_RETURN(StagingDir s, StagingDir::Create(data_dir + "/member"));
      out->staging.emplace(std::move(s));
      out->target = Resolved(data_dir + "/member");
      out->member = out->staging->path();
      return Status::Ok();
    }
    case DirState::kNotDirectory:
      return Status::InvalidArgument("data-dir \"" + data_dir +
                                     "\" exists and is not a directory; give a new or empty "
                                     "directory");
    case DirState::kNotEmpty:
      break;
  }
  struct stat st {};
  if (::lstat((data_dir + "/member.part").c_str(), &st) == 0) {
    return Status::InvalidArgument("data-dir \"" + data_dir + "\" holds member.part, left by an "
                                   "interrupted restore (or another restore into it is running): "
                                   "remove " + data_dir + "/member.part and try again");
  }
  return Status::InvalidArgument("data-dir \"" + data_dir +
                                 "\" not empty or could not be read; restore into a new or "
                                 "empty directory (stop etcd and move the old one aside first)");
}

Status StageWalDir(const std::string& wal_dir, const std::string& wal_name, WalDirStage* out) {
  switch (Inspect(wal_dir)) {
    case DirState::kMissing: {
      ETCDSNAP_RETURN_IF_ERROR(out->parents.For(wal_dir));
      ETCDSNAP_ASSIGN_OR_RETURN(StagingDir s, StagingDir::Create(wal_dir));
      out->staging.emplace(std::move(s));
      out->dir = out->staging->path();
      return Status::Ok();
    }
    case DirState::kEmpty:
      out->file.emplace(wal_dir, wal_name);
      out->dir = wal_dir;
      return Status::Ok();
    case DirState::kNotDirectory:
    case DirState::kNotEmpty:
      break;
  }
  return Status::InvalidArgument("wal-dir \"" + wal_dir +
                                 "\" exists; give a new or empty directory for the WAL");
}

}  // namespace

std::string GoByteList(const uint8_t* data, size_t n) {
  std::string out = "[";
  for (size_t i = 0; i < n; ++i) out += (i ? " " : "") + std::to_string(data[i]);
  return out + "]";
}

std::string DataDirFor(const RestoreOptions& o) {
  return NormalPath(o.data_dir.empty() ? o.name + ".etcd" : o.data_dir);
}

Status CheckRestoreOptions(const RestoreOptions& o) {
  if ((o.bump_revision == 0 && o.mark_compacted) || (o.bump_revision > 0 && !o.mark_compacted)) {
    return Status::InvalidArgument(
        "--mark-compacted required if --revision-bump > 0 (give --bump-revision N and "
        "--mark-compacted together)");
  }
  if (o.bump_revision > static_cast<uint64_t>(INT64_MAX / 2)) {
    return Status::InvalidArgument("--bump-revision " + std::to_string(o.bump_revision) +
                                   " is too large for a revision");
  }
  auto advertise = etcd::ParseUrls(o.initial_advertise_peer_urls);
  if (!advertise.ok()) return advertise.status().Annotate("--initial-advertise-peer-urls");
  auto cluster = etcd::ParseInitialCluster(o.initial_cluster);
  if (!cluster.ok()) return cluster.status().Annotate("--initial-cluster");
  ETCDSNAP_RETURN_IF_ERROR(etcd::VerifyBootstrap(*cluster, o.name, *advertise));
  auto files = raft::BuildRestoreFiles(*cluster, o.name, o.initial_cluster_token, o.wal_layout);
  if (!files.ok()) return files.status();
  return Status::Ok();
}

Result<int64_t> EditRestoredDb(const std::string& db_path, const DbEdits& e,
                               spdlog::logger& log) {
  bolt::UpdateOptions options;
  options.sync = e.sync;
  ETCDSNAP_ASSIGN_OR_RETURN(std::unique_ptr<bolt::UpdateTx> tx,
                            bolt::UpdateTx::Open(db_path, options));
  ETCDSNAP_RETURN_IF_ERROR(tx->ClearBucket("members"));
  ETCDSNAP_RETURN_IF_ERROR(tx->ClearBucket("members_removed"));
  ETCDSNAP_RETURN_IF_ERROR(tx->CreateBucketIfMissing("cluster"));
  ETCDSNAP_RETURN_IF_ERROR(tx->CreateBucketIfMissing(etcd::kMetaBucket));
  int64_t bumped = 0;
  if (e.bump_revision > 0) {
    ETCDSNAP_RETURN_IF_ERROR(tx->CreateBucketIfMissing(etcd::kKeyBucket));
    ETCDSNAP_ASSIGN_OR_RETURN(std::optional<std::string> last, tx->LastKey(etcd::kKeyBucket));
    etcd::Revision latest;
    if (last.has_value()) {
      auto rev = etcd::ParseRevisionKey(
          std::span(reinterpret_cast<const uint8_t*>(last->data()), last->size()));
      if (!rev.ok()) return rev.status().Annotate("the last key of bucket key");
      latest = *rev;
    }
    const int64_t bump = static_cast<int64_t>(e.bump_revision);
    if (latest.main > INT64_MAX - bump) {
      return Status::InvalidArgument("--bump-revision " + std::to_string(bump) +
                                     " overflows the latest revision " +
                                     std::to_string(latest.main));
    }
    bumped = latest.main + bump;
    log.info("bumping latest revision latest-revision={} bump-amount={} new-latest-revision={}",
             latest.main, bump, bumped);
    ETCDSNAP_RETURN_IF_ERROR(tx->Put(etcd::kKeyBucket, RevisionKey(bumped, 0), ""));
    log.info("marking revision compacted revision={}", bumped);
    ETCDSNAP_RETURN_IF_ERROR(
        tx->Put(etcd::kMetaBucket, etcd::kScheduledCompactKey, RevisionKey(bumped, 0)));
  }
  if (e.cluster != nullptr) {
    for (const etcd::Member& m : e.cluster->members) {
      ETCDSNAP_RETURN_IF_ERROR(tx->Put("members", etcd::IdString(m.id), etcd::MemberJson(m)));
      std::string urls;
      for (const std::string& u : m.peer_urls) urls += (urls.empty() ? "" : ",") + u;
      log.info("added member cluster-id={} local-member-id=0 added-peer-id={} "
               "added-peer-peer-urls=[{}]",
               etcd::IdString(e.cluster->id), etcd::IdString(m.id), urls);
    }
  }
  ETCDSNAP_RETURN_IF_ERROR(
      tx->Put(etcd::kMetaBucket, etcd::kConsistentIndexKey, BE64(e.consistent_index)));
  ETCDSNAP_RETURN_IF_ERROR(tx->Put(etcd::kMetaBucket, "term", BE64(e.term)));
  ETCDSNAP_RETURN_IF_ERROR(tx->Commit());
  return bumped;
}

namespace {

Result<RestoreResult> RestoreUnguarded(const RestoreOptions& o, Canceller* canceller,
                                       spdlog::logger& log) {
  ETCDSNAP_RETURN_IF_ERROR(CheckRestoreOptions(o));
  auto cluster_map = etcd::ParseInitialCluster(o.initial_cluster);
  ETCDSNAP_ASSIGN_OR_RETURN(
      raft::RestoreFiles files,
      raft::BuildRestoreFiles(*cluster_map, o.name, o.initial_cluster_token, o.wal_layout));

  RestoreResult result;
  result.data_dir = DataDirFor(o);
  const bool separate_wal = !o.wal_dir.empty();
  result.wal_dir = separate_wal ? NormalPath(o.wal_dir) : result.data_dir + "/member/wal";
  result.snap_dir = result.data_dir + "/member/snap";
  result.cluster = files.cluster;
  result.member_id = files.member_id;

  // The snapshot: a regular file (a FIFO must not hang us, a device is not a snapshot).
  const std::string& src_path = o.snapshot_path;
  struct stat st {};
  if (::stat(src_path.c_str(), &st) != 0) {
    const int err = errno;
    return Status(err == ENOENT ? Code::kNotFound : Code::kIOError,
                  "snapshot file " + src_path + ": " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(src_path + (S_ISDIR(st.st_mode) ? " is a directory" : " is not a regular file") +
                                   "; give the path of a snapshot file");
  }
  UniqueFd src(::open(src_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!src.valid()) return Status::FromErrno("open " + src_path, errno);
  if (::fstat(src.get(), &st) != 0) return Status::FromErrno("stat " + src_path, errno);
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(src_path + " is not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  // A compressed snapshot (by its magic) is decompressed into the copy; its trailer and size
  // are known only then.
  const Compression compression = DetectFileCompression(src.get());
  const bool compressed = compression != Compression::kNone;
  // etcd's rule: a saved snapshot is whole pages plus the 32-byte sha256 of what precedes it.
  bool has_hash = size % 512 == kTrailerSize;
  if (!compressed && !has_hash && !o.skip_hash_check) return MissingHash(src_path, size);
  std::array<uint8_t, kTrailerSize> trailer{};
  uint64_t db_bytes = has_hash ? size - kTrailerSize : size;
  if (has_hash && !compressed) {
    ssize_t n = ::pread(src.get(), trailer.data(), trailer.size(), static_cast<off_t>(db_bytes));
    if (n != static_cast<ssize_t>(trailer.size())) {
      return Status::IOError("could not read the sha256 trailer of " + src_path);
    }
  }
  // Where it all goes; nothing exists yet that we would have to undo.
  DataDirStage data;
  WalDirStage wal;
  ETCDSNAP_RETURN_IF_ERROR(Cancelled(canceller));
  if (separate_wal) {
    // Checked before the data dir is staged, so that a refused WAL dir leaves nothing behind.
    const std::filesystem::path wal_r = Resolved(result.wal_dir);
    const std::filesystem::path data_r = Resolved(result.data_dir);
    if (IsWithin(data_r, wal_r) || wal_r == data_r / "member" ||
        IsWithin(wal_r, data_r / "member" / "snap")) {
      return Status::InvalidArgument(
          "--wal-dir " + result.wal_dir + " would hold the data dir or share a directory with "
          "its other files; give a directory of its own (outside --data-dir " + result.data_dir +
          ", or inside it other than member and member/snap)");
    }
    DirState ws = Inspect(result.wal_dir);
    if (ws == DirState::kNotEmpty || ws == DirState::kNotDirectory) {
      return Status::InvalidArgument("wal-dir \"" + result.wal_dir +
                                     "\" exists; give a new or empty directory for the WAL");
    }
  }
  ETCDSNAP_RETURN_IF_ERROR(StageDataDir(result.data_dir, &data));
  const std::string snap_dir = data.member + "/snap";
  ETCDSNAP_RETURN_IF_ERROR(MakeDir(snap_dir));
  // A --wal-dir inside what is staged (`--data-dir d --wal-dir d/wal`) is built in the staging
  // tree and moves with it; anywhere else it is staged and committed on its own.
  std::string wal_dir_staged = separate_wal ? data.Within(result.wal_dir) : data.member + "/wal";
  if (separate_wal && wal_dir_staged.empty()) {
    ETCDSNAP_RETURN_IF_ERROR(StageWalDir(result.wal_dir, files.wal_name, &wal));
    wal_dir_staged = wal.dir;
  } else {
    ETCDSNAP_RETURN_IF_ERROR(MakeDirs(wal_dir_staged));
  }
  log.info("restoring snapshot path={} wal-dir={} data-dir={} snap-dir={}", src_path,
           result.wal_dir, result.data_dir, result.snap_dir);
  for (const auto& [member, urls] : *cluster_map) {
    // etcd's rule, but more often a typo than a member with several peer URLs.
    if (urls.size() > 1) {
      log.warn("member {} has {} peer URLs: its name appears {} times in --initial-cluster (if "
               "you meant separate members, give each its own name)",
               member, urls.size(), urls.size());
    }
  }

  // 1. Copy, hashing exactly the bytes written.
  const std::string db_path = snap_dir + "/db";
  {
    UniqueFd dst(::open(db_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!dst.valid()) return Status::FromErrno("create " + db_path, errno);
    if (::fchmod(dst.get(), 0600) != 0) return Status::FromErrno("chmod " + db_path, errno);
    const auto start = std::chrono::steady_clock::now();
    Sha256Digest digest{};
    bool check_hash = has_hash && !o.skip_hash_check;
    if (compressed) {
      ETCDSNAP_ASSIGN_OR_RETURN(auto decompressor,
                                Decompressor::Create(compression, src.get(), src_path));
      ETCDSNAP_ASSIGN_OR_RETURN(
          const uint64_t raw,
          DecompressInto(*decompressor, dst.get(), db_path,
                         canceller == nullptr ? nullptr : canceller->flag(),
                         [&](uint64_t consumed) {
                           if (o.on_progress) o.on_progress(consumed, size);
                         },
                         src_path));
      ETCDSNAP_RETURN_IF_ERROR(Cancelled(canceller));
      has_hash = raw % 512 == kTrailerSize;
      if (!has_hash && !o.skip_hash_check) return MissingHash(src_path, raw);
      db_bytes = has_hash ? raw - kTrailerSize : raw;
      if (has_hash) {
        // The trailer came out with the rest: take it off the copy.
        ETCDSNAP_RETURN_IF_ERROR(ReadExactly(dst.get(), db_path, db_bytes, trailer));
        if (::ftruncate(dst.get(), static_cast<off_t>(db_bytes)) != 0) {
          return Status::FromErrno("truncate " + db_path, errno);
        }
      }
      check_hash = has_hash && !o.skip_hash_check;
      if (check_hash) {
        ETCDSNAP_ASSIGN_OR_RETURN(digest, HashPrefix(dst.get(), db_path, db_bytes, canceller));
      }
      log.info("decompressed {} snapshot path={} compressed-size={} size={}",
               CompressionName(compression), src_path, size, raw);
    } else {
      ETCDSNAP_RETURN_IF_ERROR(CopyAndHash(src.get(), src_path, dst.get(), db_path, db_bytes,
                                           check_hash ? &digest : nullptr, canceller,
                                           o.on_progress));
    }
    result.db_bytes = db_bytes;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (check_hash) {
      if (digest != trailer) {
        return Status::Corruption(
            "expected sha256 " + GoByteList(trailer.data(), trailer.size()) + ", got " +
            GoByteList(digest.data(), digest.size()) + ": " + src_path +
            " is not the file etcd saved (damaged or changed since); use another backup");
      }
      result.hash_checked = true;
      log.info("copied snapshot and verified its sha256 path={} size={} took={:.3f}s sha256={}",
               db_path, db_bytes, secs, HexString(digest));
    } else {
      log.info("copied snapshot path={} size={} took={:.3f}s sha256={}", db_path, db_bytes, secs,
               has_hash ? "not checked (--skip-hash-check)" : "absent (--skip-hash-check)");
    }
  }
  ETCDSNAP_RETURN_IF_ERROR(Cancelled(canceller));

  // 2. The copy must be a sound bbolt file with etcd's schema.
  {
    VerifyOptions vo;
    vo.path = db_path;
    vo.max_errors = 10;
    vo.cancel = canceller == nullptr ? nullptr : canceller->flag();
    auto report = Verify(vo);
    if (!report.ok()) {
      if (report.status().code() == Code::kCancelled) return Cancelled(canceller);
      // The reader names the copy; the user knows the file they gave.
      std::string why = report.status().message();
      if (why.rfind(db_path + ": ", 0) == 0) why.erase(0, db_path.size() + 2);
      return Status::Corruption(src_path + " is not a usable etcd snapshot: " + why +
                                "; nothing was restored");
    }
    if (!report->ok()) {
      return Status::Corruption(src_path + " is damaged: " +
                                std::to_string(report->problem_count()) + " problem(s) (" +
                                FirstProblems(*report) + "); `etcdsnap snapshot verify " +
                                src_path + "` lists them; nothing was restored");
    }
    result.latest_revision = report->schema.latest_revision;
    result.kubernetes_keys = report->schema.kubernetes_keys;
    log.info("verified bbolt structure and etcd schema: {} pages, {} keys, latest revision {}",
             report->bolt.reachable_pages, report->bolt.keys, report->schema.latest_revision);
  }
  ETCDSNAP_RETURN_IF_ERROR(Cancelled(canceller));

  // 3. One transaction: membership, consistent index and term, the bump.
  {
    DbEdits edits;
    edits.cluster = &files.cluster;
    edits.consistent_index = files.index;
    edits.term = files.term;
    edits.bump_revision = o.bump_revision;
    ETCDSNAP_ASSIGN_OR_RETURN(result.bumped_revision, EditRestoredDb(db_path, edits, log));
  }
  ETCDSNAP_RETURN_IF_ERROR(Cancelled(canceller));

  // 4. The WAL segment and the .snap file.
  const std::string wal_path =
      wal.file.has_value() ? wal.file->temp() : wal_dir_staged + "/" + files.wal_name;
  ETCDSNAP_RETURN_IF_ERROR(raft::WriteWalSegment(wal_path, files.wal_records));
  ETCDSNAP_RETURN_IF_ERROR(raft::WriteRestoreSnap(files, snap_dir));
  for (const std::string& d : {snap_dir, wal_dir_staged, data.member}) {
    ETCDSNAP_RETURN_IF_ERROR(FsyncDir(d));
  }
  ETCDSNAP_RETURN_IF_ERROR(Cancelled(canceller));

  // 5. Into place: the WAL dir first (when elsewhere), then member/ or the whole data dir, so
  // that etcd never finds a data dir without its WAL.
  auto revert_wal = [&] {
    if (wal.staging.has_value()) wal.staging->Revert();
    if (wal.file.has_value()) wal.file->Revert();
  };
  Status wal_committed = Status::Ok();
  if (wal.staging.has_value()) {
    wal_committed = wal.staging->Commit();
  } else if (wal.file.has_value()) {
    wal_committed = wal.file->Commit();
  }
  if (!wal_committed.ok()) {
    // Renamed but not durable, or not renamed: either way no WAL without its data dir.
    revert_wal();
    return Status::IOError("could not move the WAL into " + result.wal_dir + ": " +
                           wal_committed.message() + "; nothing was restored");
  }
  Status committed = data.staging->Commit();
  if (!data.staging->committed()) {
    revert_wal();
    return committed;
  }
  // In place. A failure from here on is reported, and what is in place stays.
  if (Status s = data.parents.Keep(); committed.ok()) committed = s;
  if (Status s = wal.parents.Keep(); committed.ok()) committed = s;
  if (!committed.ok()) {
    return Status::IOError(committed.message().rfind("restored to", 0) == 0
                               ? committed.message()
                               : "restored to " + result.data_dir + " but " +
                                     committed.message() +
                                     "; it may not survive a power loss (run sync)");
  }
  log.info("restored snapshot path={} wal-dir={} data-dir={} snap-dir={}", src_path,
           result.wal_dir, result.data_dir, result.snap_dir);
  return result;
}

}  // namespace

Result<RestoreResult> Restore(const RestoreOptions& o, Canceller* canceller, spdlog::logger& log) {
  // Nothing here throws by design, but the standard library can (a thread that cannot start,
  // memory exhausted): catching it here unwinds the staging owners, so that even then nothing
  // is left behind, and the caller gets an error rather than std::terminate.
  try {
    return RestoreUnguarded(o, canceller, log);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("restore failed: ") + e.what() +
                            "; nothing was restored");
  }
}

}  // namespace etcdsnap::snapshot
