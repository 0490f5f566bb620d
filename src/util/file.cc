#include "etcdsnap/util/file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

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

Status FsyncParentDir(const std::string& path) {
  const std::string dir = DirName(path);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno("open directory " + dir, errno);
  if (::fsync(fd.get()) != 0 && errno != EINVAL) {
    return Status::FromErrno("fsync directory " + dir, errno);
  }
  return Status::Ok();
}

Result<PartFile> PartFile::Create(const std::string& target) {
  if (target.empty()) return Status::InvalidArgument("empty file name");
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(target + " is a directory; give a file name");
  }
  std::string part = target + ".part";
  // The .part is locked while a save owns it. A leftover from a killed run is unlocked and is
  // reused (truncated); one that another running save holds is left alone, so two saves to one
  // target can never rename each other's partial data into place. O_NOFOLLOW: never write
  // through a link planted at the .part path.
  UniqueFd fd(::open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    return Status::FromErrno("could not open " + part + " (check that directory " +
                                 DirName(target) + " exists and is writable)",
                             errno);
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::IOError("another save to " + target + " is in progress (" + part +
                             " is locked); wait for it to finish or choose another file name");
    }
    return Status::FromErrno("lock " + part, errno);
  }
  if (::ftruncate(fd.get(), 0) != 0) return Status::FromErrno("truncate " + part, errno);
  // The umask cannot widen 0600, but a reused file may have had another mode.
  ::fchmod(fd.get(), 0600);
  return PartFile(target, std::move(part), std::move(fd));
}

PartFile::PartFile(PartFile&& o) noexcept
    : target_(std::move(o.target_)),
      part_path_(std::move(o.part_path_)),
      fd_(std::move(o.fd_)),
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
  if (::fstat(fd_.get(), &ours) == 0 && ::stat(part_path_.c_str(), &there) == 0 &&
      ours.st_dev == there.st_dev && ours.st_ino == there.st_ino) {
    ::unlink(part_path_.c_str());
  }
  fd_.Reset();
}

bool PartFile::SetDirectIO(bool on) {
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags < 0) return false;
  const int want = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
  return ::fcntl(fd_.get(), F_SETFL, want) == 0;
}

Status PartFile::Append(std::span<const uint8_t> data) {
  ETCDSNAP_RETURN_IF_ERROR(WriteAll(fd_.get(), data, part_path_));
  size_ += data.size();
  return Status::Ok();
}

Status PartFile::Commit() {
  if (done_) return Status::Internal("commit of an abandoned " + part_path_);
  if (::fsync(fd_.get()) != 0) return Status::FromErrno("fsync " + part_path_, errno);
  // Rename only the file this object wrote: the path must still name our (locked) inode.
  struct stat ours {}, there {};
  if (::fstat(fd_.get(), &ours) != 0 || ::stat(part_path_.c_str(), &there) != 0 ||
      ours.st_dev != there.st_dev || ours.st_ino != there.st_ino) {
    return Status::IOError(part_path_ + " was replaced or removed by another process during the "
                           "save; nothing was saved");
  }
  if (::rename(part_path_.c_str(), target_.c_str()) != 0) {
    return Status::FromErrno("could not rename " + part_path_ + " to " + target_, errno);
  }
  done_ = true;
  // Closing releases the lock, now that the data has its final name.
  if (::close(fd_.Release()) != 0) return Status::FromErrno("close " + target_, errno);
  return FsyncParentDir(target_);
}
}  // namespace etcdsnap
