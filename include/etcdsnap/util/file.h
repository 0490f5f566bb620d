// Files: an owning fd, a ".part" file that becomes its target atomically or vanishes, and fsync
// helpers. Every function returns a Status naming the path it failed on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "etcdsnap/util/status.h"

namespace etcdsnap {

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

// A temporary file at "<target>.part", created exclusively with mode 0600. Commit() fsyncs it,
// renames it onto the target and fsyncs the directory; until then, destruction (or Abandon())
// removes it, so the target is either left as it was or replaced whole.
class PartFile {
 public:
  static Result<PartFile> Create(const std::string& target);
  ~PartFile();
  PartFile(PartFile&& o) noexcept;
  PartFile& operator=(PartFile&&) = delete;
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  Status Append(std::span<const uint8_t> data);
  // Switches O_DIRECT on or off for later appends. Returns false when the file system refuses
  // it (tmpfs, some overlays); the file is then written through the page cache as before.
  // With it on, Append() needs a 4096-aligned buffer, length and file offset.
  bool SetDirectIO(bool on);
  uint64_t size() const { return size_; }
  const std::string& path() const { return part_path_; }
  const std::string& target() const { return target_; }
  Status Commit();
  // Removes the .part now; safe to call more than once.
  void Abandon();

 private:
  PartFile(std::string target, std::string part, UniqueFd fd)
      : target_(std::move(target)), part_path_(std::move(part)), fd_(std::move(fd)) {}
  std::string target_;
  std::string part_path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  bool done_ = false;
};

}  // namespace etcdsnap
