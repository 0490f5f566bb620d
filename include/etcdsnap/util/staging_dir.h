// A directory that becomes its target whole or vanishes, for restore: the data dir is built in
// "<target>.part" and renamed onto <target> once complete.
#pragma once

#include <sys/types.h>

#include <string>

#include "etcdsnap/util/file.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap {

// Owns "<target>.part", a directory it creates with mode 0700. Commit() fsyncs it and renames
// it onto <target>, which must not exist (etcd's restore refuses an existing data dir, even an
// empty one); until then, destruction (or Abandon()) removes it and everything in it, without
// following symlinks or leaving its file system. Nothing else is ever removed: if the path no
// longer names the directory Create() made, only that directory's contents are.
//
// A leftover "<target>.part" (an interrupted restore, or one still running) is refused, not
// removed: its contents are not ours to delete.
class StagingDir {
 public:
  static Result<StagingDir> Create(const std::string& target);
  ~StagingDir();
  StagingDir(StagingDir&& o) noexcept;
  StagingDir& operator=(StagingDir&&) = delete;
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  const std::string& path() const { return path_; }
  // True once Commit() renamed the directory onto the target (even if its fsync then failed).
  bool committed() const { return committed_; }
  const std::string& target() const { return target_; }

  // Before the rename, a failure leaves <target> as it was (the staging dir is removed on
  // destruction). After it, a failure to fsync the parent directory is kIOError with a message
  // that starts "restored to <target> but".
  Status Commit();
  // Removes the staging directory and its contents now; safe to call more than once.
  void Abandon();
  // After a successful Commit(): removes the committed directory (found by the inode it had,
  // not by name) and everything in it again, for a restore whose next step failed (the data
  // dir's rename after the WAL dir's). A no-op otherwise.
  void Revert();

 private:
  StagingDir(std::string target, std::string path, UniqueFd fd, dev_t dev, ino_t ino)
      : target_(std::move(target)), path_(std::move(path)), fd_(std::move(fd)), dev_(dev),
        ino_(ino) {}
  std::string target_;
  std::string path_;
  UniqueFd fd_;  // the directory we created, wherever it is now
  dev_t dev_;
  ino_t ino_;
  bool done_ = false;
  bool committed_ = false;  // fd_ stays open after Commit(), for Revert()
};

}  // namespace etcdsnap
