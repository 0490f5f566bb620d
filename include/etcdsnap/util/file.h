// Files: an owning fd, a ".part" file that becomes its target atomically or vanishes, and fsync
// helpers. Every function returns a Status naming the path it failed on.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "etcdsnap/util/status.h"

namespace etcdsnap {

class Canceller;

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.Release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.Release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
Status WriteAll(int fd, std::span<const uint8_t> data, const std::string& path);

// fsyncs the directory holding `path` (so that a rename or create in it is durable).
Status FsyncParentDir(const std::string& path);

// The directory part of a path ("." when there is none).
std::string DirName(const std::string& path);

// The system calls PartFile makes where another process or the disk can get in its way, so
// that a test can interpose at exactly that point (leveldb's Env, in small). The defaults do
// nothing and make the real system calls.
class FileHooks {
 public:
  virtual ~FileHooks() = default;
  // Called after the .part is opened and before it is locked.
  virtual void BeforeLock(const std::string& part_path) { (void)part_path; }
  // pwrite(2): may write fewer bytes than asked, or fail after writing some of them.
  virtual ssize_t Pwrite(int fd, const void* buf, size_t n, off_t offset);
  // fsync(2), of the .part and then of its directory.
  virtual int Fsync(int fd);
  // The hooks used when none are given.
  static FileHooks* Default();
};

// How long to wait for a lock another process holds (a save's .part). By default, not at all.
// flock has no timeout of its own, and a blocking flock could only be cut short by a signal,
// which this process reads on a thread instead (util/signals.h): so the waiter tries again
// with LOCK_NB, more slowly as time passes (10 ms, doubling up to 250 ms between tries). A
// try never takes a lock it does not keep, so waiting cannot make another save fail.
struct LockWait {
  std::chrono::nanoseconds timeout{0};
  // A cancel (a signal) ends the wait with kCancelled.
  const Canceller* canceller = nullptr;
  // Called once, with the first kBusy, when the wait begins (a log line).
  std::function<void(const Status& busy)> on_wait;
};

// Calls `attempt` until it returns anything but kBusy, or `wait.timeout` has passed (then the
// last kBusy, saying how long it waited). For an attempt that is cheap to repeat: creating a
// PartFile, or a whole save (Save creates its .part before anything else).
Status WaitWhileBusy(const LockWait& wait, const std::function<Status()>& attempt);

// A temporary file at "<target>.part" with mode 0600. Commit() fsyncs it, checks its size,
// renames it onto the target and fsyncs the directory; until the rename, destruction (or
// Abandon()) removes it, so the target is either left as it was or replaced whole.
//
// The .part is locked (flock) while a save owns it; after locking, Create() checks that the path
// still names the locked file and starts over if another save renamed or removed it meanwhile.
// It refuses a .part (or target) that is not a regular file, a symlink, a .part owned by another
// user or with more than one link: none of them is ever opened for writing, truncated or written.
class PartFile {
 public:
  // `hooks` (not owned) must outlive the PartFile; nullptr means FileHooks::Default().
  // A .part another process holds is kBusy ("another save to <target> is in progress"), at
  // once or, with a LockWait, once its timeout has passed.
  static Result<PartFile> Create(const std::string& target, FileHooks* hooks = nullptr);
  static Result<PartFile> Create(const std::string& target, const LockWait& wait,
                                 FileHooks* hooks = nullptr);
  ~PartFile();
  PartFile(PartFile&& o) noexcept;
  PartFile& operator=(PartFile&&) = delete;
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  // Writes `data` at offset size() (never at the fd's file position), so a write that failed
  // part-way can be retried: the retry overwrites the partial bytes. On failure the file is cut
  // back to size() and size() is unchanged.
  Status Append(std::span<const uint8_t> data);
  // Switches O_DIRECT on or off for later appends. Returns false when the file system refuses
  // it (tmpfs, some overlays); the file is then written through the page cache as before.
  // With it on, Append() needs a 4096-aligned buffer, length and file offset.
  bool SetDirectIO(bool on);
  // The mode the file gets (0600 unless changed): for files others must read, such as a
  // metrics file a node_exporter running as another user collects.
  Status SetMode(mode_t mode);
  uint64_t size() const { return size_; }
  const std::string& path() const { return part_path_; }
  // Renames onto `target` instead at Commit(): a name known only once the data is written (a
  // template with the revision). It must be in the .part's directory and, if it exists, be a
  // regular file. With `replace` false, Commit() never replaces a file of that name: when one
  // exists by then it fails with kInvalidArgument ("<target> already exists") and the .part goes.
  Status SetTarget(const std::string& target, bool replace = true);
  const std::string& target() const { return target_; }
  // Before the rename, any failure leaves the target as it was and removes the .part (kIOError,
  // or kCorruption when the file on disk is not size() bytes). After the rename the target
  // holds the new data; a failure to fsync the directory then is kIOError with a message that
  // starts "saved to <target> but" and says what is at risk.
  Status Commit();
  // Removes the .part now; safe to call more than once.
  void Abandon();

 private:
  PartFile(std::string target, std::string part, UniqueFd fd, FileHooks* hooks)
      : target_(std::move(target)),
        part_path_(std::move(part)),
        fd_(std::move(fd)),
        hooks_(hooks) {}
  std::string target_;
  std::string part_path_;
  UniqueFd fd_;
  FileHooks* hooks_;
  uint64_t size_ = 0;
  bool done_ = false;
  bool replace_ = true;
};

// An exclusive lock (flock) on `path`, held until the returned fd is closed: one run of a
// scheduled save at a time, from before its .part exists until its manifest and retention are
// done. The file is created empty (0600) if missing and is never renamed or removed (removing
// a lock file lets a third process lock a new inode while the second still waits on the old
// one). kBusy with `busy` as the message when another process holds it; a path that is not a
// regular file (a symlink, a FIFO) is refused without blocking.
Result<UniqueFd> LockFile(const std::string& path, const std::string& busy);

// The content of a small file we wrote ourselves (a manifest, a metrics file); nullopt when it
// does not exist. kCorruption when it is not a regular file or is larger than `max_bytes`
// (opened without blocking, so a FIFO put there cannot hang the reader).
Result<std::optional<std::string>> ReadSmallFile(const std::string& path, size_t max_bytes);

// Replaces `path` with `content` as one step (a PartFile: written, fsynced, renamed, directory
// fsynced), with `mode`. `wait` applies to another process writing the same file.
Status WriteFileAtomically(const std::string& path, std::string_view content, mode_t mode,
                           const LockWait& wait = {});

}  // namespace etcdsnap
