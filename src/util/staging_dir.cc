#include "etcdsnap/util/staging_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace etcdsnap {
namespace {

// Removes everything in the directory open at `dir` (on device `dev`), depth first, through
// file descriptors: a symlink is removed, never followed, and a directory on another file
// system (a mount point) is left alone, so a failure there leaves the rmdir to fail too.
void RemoveContents(int dir, dev_t dev) {
  const int dup_fd = ::dup(dir);
  if (dup_fd < 0) return;
  DIR* d = ::fdopendir(dup_fd);
  if (d == nullptr) {
    ::close(dup_fd);
    return;
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  for (const auto& name : names) {
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) continue;
      UniqueFd sub(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) continue;
      RemoveContents(sub.get(), dev);
      ::unlinkat(dir, name.c_str(), AT_REMOVEDIR);
    } else {
      ::unlinkat(dir, name.c_str(), 0);
    }
  }
}

std::string StripTrailingSlashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

Result<StagingDir> StagingDir::Create(const std::string& target_arg) {
  const std::string target = StripTrailingSlashes(target_arg);
  if (target.empty()) return Status::InvalidArgument("empty directory name");
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0) {
    return Status::InvalidArgument(target + " exists; restore does not overwrite a directory: "
                                   "remove it or choose another one");
  }
  std::string path = target + ".part";
  if (::mkdir(path.c_str(), 0700) != 0) {
    const int err = errno;
    if (err == EEXIST) {
      return Status::InvalidArgument(
          path + " exists (left by an interrupted restore, or another restore to " + target +
          " is running); remove it and try again");
    }
    return Status::FromErrno("could not create " + path + " (check that directory " +
                                 DirName(target) + " exists and is writable)",
                             err);
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    ::rmdir(path.c_str());
    return Status::FromErrno("open " + path, err);
  }
  if (::fstat(fd.get(), &st) != 0) return Status::FromErrno("stat " + path, errno);
  return StagingDir(target, std::move(path), std::move(fd), st.st_dev, st.st_ino);
}

StagingDir::StagingDir(StagingDir&& o) noexcept
    : target_(std::move(o.target_)),
      path_(std::move(o.path_)),
      fd_(std::move(o.fd_)),
      dev_(o.dev_),
      ino_(o.ino_),
      done_(o.done_),
      committed_(o.committed_) {
  o.done_ = true;
  o.committed_ = false;
}

StagingDir::~StagingDir() { Abandon(); }

namespace {

// Removes the directory open at `fd` (device `dev`, inode `ino`), known as `path`: its contents
// through the fd, then the name, only if the name still leads to that inode.
void RemoveOwnedDir(int fd, const std::string& path, dev_t dev, ino_t ino) {
  RemoveContents(fd, dev);
  struct stat there {};
  if (::lstat(path.c_str(), &there) == 0 && there.st_dev == dev && there.st_ino == ino) {
    ::rmdir(path.c_str());
  }
}

}  // namespace

void StagingDir::Abandon() {
  if (done_) return;
  done_ = true;
  RemoveOwnedDir(fd_.get(), path_, dev_, ino_);
  fd_.Reset();
}

void StagingDir::Revert() {
  if (!committed_) return;
  committed_ = false;
  RemoveOwnedDir(fd_.get(), target_, dev_, ino_);
  fd_.Reset();
  (void)FsyncParentDir(target_);
}

Status StagingDir::Commit() {
  if (done_) return Status::Internal("commit of an abandoned " + path_);
  if (::fsync(fd_.get()) != 0) return Status::FromErrno("fsync " + path_, errno);
  struct stat there {};
  if (::lstat(path_.c_str(), &there) != 0 || there.st_dev != dev_ || there.st_ino != ino_) {
    return Status::IOError(path_ + " was replaced or removed by another process during the "
                           "restore; nothing was restored");
  }
  // RENAME_NOREPLACE: a target created meanwhile, even an empty directory, is never replaced.
  if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    if (err == EEXIST) {
      return Status::InvalidArgument(target_ + " was created by another process during the "
                                     "restore; it was left as it is and nothing was restored");
    }
    return Status::FromErrno("could not rename " + path_ + " to " + target_, err);
  }
  done_ = true;
  committed_ = true;
  Status s = FsyncParentDir(target_);
  if (!s.ok()) {
    return Status::IOError("restored to " + target_ + " but could not " + s.message() +
                           "; the directory is in place but may not survive a power loss (run "
                           "sync)");
  }
  return Status::Ok();
}

}  // namespace etcdsnap
