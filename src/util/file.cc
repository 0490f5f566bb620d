#include "etcdsnap/util/file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>

#include "etcdsnap/util/cancel.h"
#include "etcdsnap/util/human.h"

namespace etcdsnap {

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status WriteAll(int fd, std::span<const uint8_t> data, const std::string& path) {
  const uint8_t* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("write " + path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string DirName(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

namespace {

// How often Create() starts over when another save renamed or removed the .part between our
// open and our lock. Each retry needs another save to finish in that window, so a few suffice.
constexpr int kLockAttempts = 8;

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

const char* Kind(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Why a .part with this stat may not receive the data, or "" when it may.
std::string WhyUnusable(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return std::string("is ") + Kind(st.st_mode);
  if (st.st_uid != ::geteuid()) {
    return "is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
           std::to_string(::geteuid()) + ")";
  }
  if (st.st_nlink != 1) {
    return "has " + std::to_string(st.st_nlink) + " hard links (another name would see the data)";
  }
  return "";
}

Status RefusePart(const std::string& part, const std::string& why) {
  return Status::InvalidArgument(part + " " + why + "; it was not written: remove it (or choose "
                                 "another file name) and try again");
}

Status FsyncDir(const std::string& path, FileHooks* hooks) {
  const std::string dir = DirName(path);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno("open directory " + dir, errno);
  if (hooks->Fsync(fd.get()) != 0 && errno != EINVAL) {
    return Status::FromErrno("fsync directory " + dir, errno);
  }
  return Status::Ok();
}

}  // namespace

ssize_t FileHooks::Pwrite(int fd, const void* buf, size_t n, off_t offset) {
  return ::pwrite(fd, buf, n, offset);
}

int FileHooks::Fsync(int fd) { return ::fsync(fd); }

FileHooks* FileHooks::Default() {
  static FileHooks hooks;
  return &hooks;
}

Status FsyncParentDir(const std::string& path) { return FsyncDir(path, FileHooks::Default()); }

namespace {

// A rename onto `target` may replace it only when it is missing or a regular file.
Status CheckTarget(const std::string& target) {
  if (target.empty()) return Status::InvalidArgument("empty file name");
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument(target + " is a directory; give a file name");
    }
    // The rename would replace a device node or a FIFO (as root, /dev/null itself).
    if (!S_ISREG(st.st_mode)) {
      return Status::InvalidArgument(target + " is " + Kind(st.st_mode) +
                                     ", not a regular file; save writes a new file and renames "
                                     "it onto the target: give the path of a regular file");
    }
  }
  return Status::Ok();
}

}  // namespace

Status PartFile::SetTarget(const std::string& target, bool replace) {
  if (DirName(target) != DirName(part_path_)) {
    return Status::InvalidArgument(target + " is not in the directory of " + part_path_ +
                                   " (a rename across directories could cross file systems)");
  }
  ETCDSNAP_RETURN_IF_ERROR(CheckTarget(target));
  target_ = target;
  replace_ = replace;
  return Status::Ok();
}

Result<UniqueFd> LockFile(const std::string& path, const std::string& busy) {
  // Read-only is enough for flock; O_NONBLOCK: a FIFO planted there fails instead of waiting.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                     0600));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ELOOP) {
      return Status::InvalidArgument(path + " is not a regular file (a symbolic link); remove "
                                     "it and try again");
    }
    return Status::FromErrno("could not open lock file " + path + " (check that its directory "
                             "exists and is writable)",
                             err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::FromErrno("stat " + path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path + " is not a regular file (" + Kind(st.st_mode) +
                                   "); remove it and try again");
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return Status::Busy(busy);
    return Status::FromErrno("lock " + path, errno);
  }
  return fd;
}

Result<PartFile> PartFile::Create(const std::string& target, const LockWait& wait,
                                  FileHooks* hooks) {
  std::optional<PartFile> made;
  ETCDSNAP_RETURN_IF_ERROR(WaitWhileBusy(wait, [&]() -> Status {
    ETCDSNAP_ASSIGN_OR_RETURN(PartFile part, Create(target, hooks));
    made.emplace(std::move(part));
    return Status::Ok();
  }));
  return std::move(*made);
}

Status WaitWhileBusy(const LockWait& wait, const std::function<Status()>& attempt) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + wait.timeout;
  std::chrono::nanoseconds pause = std::chrono::milliseconds(10);
  for (bool waited = false;; waited = true) {
    Status s = attempt();
    if (s.code() != Code::kBusy) return s;
    const auto left = deadline - Clock::now();
    if (left <= std::chrono::nanoseconds::zero()) {
      return waited ? Status::Busy(s.message() + " (still, after waiting " +
                                   FormatGoDuration(wait.timeout) + ")")
                    : s;
    }
    if (!waited && wait.on_wait) wait.on_wait(s);
    const auto step = std::min<std::chrono::nanoseconds>(pause, left);
    if (wait.canceller != nullptr) {
      ETCDSNAP_RETURN_IF_ERROR(wait.canceller->Sleep(step));
    } else {
      std::this_thread::sleep_for(step);
    }
    pause = std::min<std::chrono::nanoseconds>(pause * 2, std::chrono::milliseconds(250));
  }
}

Result<PartFile> PartFile::Create(const std::string& target, FileHooks* hooks) {
  if (hooks == nullptr) hooks = FileHooks::Default();
  ETCDSNAP_RETURN_IF_ERROR(CheckTarget(target));
  struct stat st {};
  std::string part = target + ".part";
  // The .part is locked while a save owns it. A leftover from a killed run is unlocked and is
  // reused (truncated); one that another running save holds is left alone, so two saves to one
  // target can never rename each other's partial data into place.
  for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
    // Look before opening: opening a FIFO or a device can block or act on the device.
    if (::lstat(part.c_str(), &st) == 0) {
      if (std::string why = WhyUnusable(st); !why.empty()) return RefusePart(part, why);
    }
    // O_NOFOLLOW: never write through a link planted at the .part path. O_NONBLOCK: a FIFO put
    // there after the lstat fails (ENXIO) instead of waiting for a reader.
    UniqueFd fd(::open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                       0600));
    if (!fd.valid()) {
      const int err = errno;
      if (err == ELOOP) return RefusePart(part, "is a symbolic link");
      if (err == ENXIO) return RefusePart(part, "is a FIFO");
      return Status::FromErrno("could not open " + part + " (check that directory " +
                                   DirName(target) + " exists and is writable)",
                               err);
    }
    if (::fstat(fd.get(), &st) != 0) return Status::FromErrno("stat " + part, errno);
    if (std::string why = WhyUnusable(st); !why.empty()) return RefusePart(part, why);
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
      return Status::FromErrno("fcntl " + part, errno);
    }
    hooks->BeforeLock(part);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Status::Busy("another save to " + target + " is in progress (" + part +
                            " is locked); wait for it to finish or choose another file name");
      }
      return Status::FromErrno("lock " + part, errno);
    }
    // The lock is ours, but another save may have renamed this file onto the target (or
    // removed it) between our open and our flock: then it is not the .part any more, and
    // truncating it would destroy that save's result. Start over with a fresh open.
    struct stat there {};
    if (::lstat(part.c_str(), &there) != 0 || !SameFile(st, there)) continue;
    // A hard link made before we locked.
    if (::fstat(fd.get(), &st) != 0) return Status::FromErrno("stat " + part, errno);
    if (std::string why = WhyUnusable(st); !why.empty()) return RefusePart(part, why);
    if (::ftruncate(fd.get(), 0) != 0) return Status::FromErrno("truncate " + part, errno);
    // The umask cannot widen 0600, but a reused file may have had another mode.
    if (::fchmod(fd.get(), 0600) != 0) return Status::FromErrno("chmod 0600 " + part, errno);
    return PartFile(target, std::move(part), std::move(fd), hooks);
  }
  return Status::IOError(part + " was replaced by other saves to " + target + " " +
                         std::to_string(kLockAttempts) +
                         " times while this one tried to lock it; try again");
}

PartFile::PartFile(PartFile&& o) noexcept
    : target_(std::move(o.target_)),
      part_path_(std::move(o.part_path_)),
      fd_(std::move(o.fd_)),
      hooks_(o.hooks_),
      size_(o.size_),
      done_(o.done_) {
  o.done_ = true;
}

PartFile::~PartFile() { Abandon(); }

void PartFile::Abandon() {
  if (done_) return;
  done_ = true;
  // Unlink while still holding the lock, and only if the path still names our file.
  struct stat ours {}, there {};
  if (::fstat(fd_.get(), &ours) == 0 && ::lstat(part_path_.c_str(), &there) == 0 &&
      SameFile(ours, there)) {
    ::unlink(part_path_.c_str());
  }
  fd_.Reset();
}

Status PartFile::SetMode(mode_t mode) {
  if (::fchmod(fd_.get(), mode) != 0) return Status::FromErrno("chmod " + part_path_, errno);
  return Status::Ok();
}

bool PartFile::SetDirectIO(bool on) {
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags < 0) return false;
  const int want = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
  return ::fcntl(fd_.get(), F_SETFL, want) == 0;
}

Status PartFile::Append(std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = hooks_->Pwrite(fd_.get(), data.data() + done, data.size() - done,
                                     static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      // Drop what the failed call wrote, so that the file stays size_ bytes long.
      if (::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
        return Status::FromErrno("truncate " + part_path_ + " after a failed write", errno);
      }
      return Status::FromErrno("write " + part_path_, err);
    }
    done += static_cast<size_t>(n);
  }
  size_ += data.size();
  return Status::Ok();
}

Status PartFile::Commit() {
  if (done_) return Status::Internal("commit of an abandoned " + part_path_);
  if (hooks_->Fsync(fd_.get()) != 0) return Status::FromErrno("fsync " + part_path_, errno);
  // Rename only the file this object wrote: the path must still name our (locked) inode, and
  // it must hold exactly the bytes written.
  struct stat ours {}, there {};
  if (::fstat(fd_.get(), &ours) != 0) return Status::FromErrno("stat " + part_path_, errno);
  if (static_cast<uint64_t>(ours.st_size) != size_) {
    return Status::Corruption(part_path_ + " holds " + std::to_string(ours.st_size) +
                              " bytes on disk but " + std::to_string(size_) +
                              " were written; nothing was saved");
  }
  if (::lstat(part_path_.c_str(), &there) != 0 || !SameFile(ours, there)) {
    return Status::IOError(part_path_ + " was replaced or removed by another process during the "
                           "save; nothing was saved");
  }
  if (replace_) {
    if (::rename(part_path_.c_str(), target_.c_str()) != 0) {
      return Status::FromErrno("could not rename " + part_path_ + " to " + target_, errno);
    }
  } else if (::renameat2(AT_FDCWD, part_path_.c_str(), AT_FDCWD, target_.c_str(),
                         RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) {
      return Status::InvalidArgument(target_ + " already exists (an earlier run made that name) "
                                     "and is not replaced; nothing was saved: make the names "
                                     "unique per run, e.g. with %H%M%S or {revision}");
    }
    return Status::FromErrno("could not rename " + part_path_ + " to " + target_, errno);
  }
  done_ = true;
  // From here on the target holds the new data: an error says so.
  // Closing releases the lock, now that the data has its final name.
  if (::close(fd_.Release()) != 0) {
    return Status::FromErrno("saved to " + target_ + " (its data was fsynced) but closing it failed",
                             errno);
  }
  Status s = FsyncDir(target_, hooks_);
  if (!s.ok()) {
    return Status::IOError("saved to " + target_ + " but could not " + s.message() +
                           "; the file is in place but may not survive a power loss (run sync, "
                           "then check it with etcdsnap snapshot verify)");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> ReadSmallFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::FromErrno("could not read " + path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status::Corruption(path + " is not a regular file of at most " +
                              std::to_string(max_bytes) + " bytes: remove it or move it away");
  }
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("could not read " + path, errno);
    }
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) return Status::Corruption(path + " grew while it was read");
  }
  return std::optional<std::string>(std::move(text));
}

Status WriteFileAtomically(const std::string& path, std::string_view content, mode_t mode,
                           const LockWait& wait) {
  ETCDSNAP_ASSIGN_OR_RETURN(PartFile part, PartFile::Create(path, wait));
  ETCDSNAP_RETURN_IF_ERROR(part.SetMode(mode));
  ETCDSNAP_RETURN_IF_ERROR(
      part.Append({reinterpret_cast<const uint8_t*>(content.data()), content.size()}));
  return part.Commit();
}

}  // namespace etcdsnap
