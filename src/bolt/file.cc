#include "etcdsnap/bolt/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace etcdsnap::bolt {
namespace {

constexpr uint32_t kMinPageSize = 1024;
constexpr uint32_t kMaxPageSize = 1u << 24;
constexpr size_t kMetaPageBytes = kPageHeaderSize + kMetaSize;

bool PlausiblePageSize(uint32_t ps) {
  return ps >= kMinPageSize && ps <= kMaxPageSize && (ps & (ps - 1)) == 0;
}

Status NotARegularFile(const std::string& path, mode_t mode) {
  const char* kind = S_ISFIFO(mode)   ? "a FIFO"
                     : S_ISSOCK(mode) ? "a socket"
                     : S_ISCHR(mode)  ? "a character device"
                     : S_ISBLK(mode)  ? "a block device"
                                      : "not a regular file";
  return Status::InvalidArgument(path + " is " + kind +
                                 ", not a snapshot file; give the path of a saved snapshot (a "
                                 "regular file)");
}

}  // namespace

Result<std::unique_ptr<File>> File::Open(const std::string& path, const Options& options) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    std::string why = std::strerror(err);  // lower-cased, as Go prints it (and etcdctl)
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return Status(err == ENOENT ? Code::kNotFound : Code::kIOError, "stat " + path + ": " + why);
  }
  if (S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(path + " is a directory, not a snapshot file");
  }
  // Refuse before opening: opening a FIFO waits for a writer, a device may act on the open.
  if (!S_ISREG(st.st_mode)) return NotARegularFile(path, st.st_mode);
  // O_NONBLOCK: should a FIFO replace the file after the stat, the open does not wait.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return Status::FromErrno("open " + path, errno);
  if (::fstat(fd.get(), &st) != 0) return Status::FromErrno("stat " + path, errno);
  if (!S_ISREG(st.st_mode)) return NotARegularFile(path, st.st_mode);
  if (const int flags = ::fcntl(fd.get(), F_GETFL);
      flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return Status::FromErrno("fcntl " + path, errno);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) return Status::Corruption(path + " is empty (0 bytes), not a bbolt database");
  std::unique_ptr<File> f(new File(path, std::move(fd), size, options));
  Status s = f->LoadMetas();
  if (!s.ok()) return Status(s.code(), path + ": " + s.message());
  ::posix_fadvise(f->fd_.get(), 0, 0, POSIX_FADV_WILLNEED);
  return f;
}

Status File::ReadAt(uint64_t offset, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd_.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("read " + path_ + " at offset " + std::to_string(offset + done),
                               errno);
    }
    if (n == 0) {
      return Status::Corruption("unexpected end of file at offset " +
                                std::to_string(offset + done) + " (file is truncated)");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status File::LoadMetas() {
  if (file_size_ < kMetaPageBytes) {
    return Status::Corruption("file is " + std::to_string(file_size_) +
                              " bytes, too small to be a bbolt database");
  }
  uint8_t buf[kMetaPageBytes];
  auto read_meta = [&](uint64_t offset, int slot) -> Status {
    ETCDSNAP_RETURN_IF_ERROR(ReadAt(offset, buf));
    Bytes raw(buf + kPageHeaderSize, kMetaSize);
    meta_state_.header[slot] = DecodePageHeader(Bytes(buf, kPageHeaderSize));
    meta_state_.meta[slot] = DecodeMeta(raw);
    Status v = ValidateMeta(meta_state_.meta[slot], raw);
    meta_state_.valid[slot] = v.ok();
    meta_state_.error[slot] = v.message();
    return Status::Ok();
  };

  // Page size from meta 0, else the first valid meta 1 among the probes (bbolt >= 1.3.7).
  ETCDSNAP_RETURN_IF_ERROR(read_meta(0, 0));
  if (meta_state_.meta[0].magic == kSwappedMagic) {
    return Status::Unsupported(
        "a big-endian bbolt file (made on s390x or ppc64?) cannot be read on this machine");
  }
  if (meta_state_.valid[0]) {
    page_size_ = meta_state_.meta[0].page_size;
  } else {
    for (int i = 0; i <= 14; ++i) {
      const uint64_t pos = uint64_t{1024} << i;
      if (pos + kMetaPageBytes > file_size_) break;
      ETCDSNAP_RETURN_IF_ERROR(read_meta(pos, 1));
      if (meta_state_.valid[1] && meta_state_.meta[1].page_size == pos) {
        page_size_ = static_cast<uint32_t>(pos);
        break;
      }
    }
    if (page_size_ == 0) {
      if (meta_state_.meta[0].magic != kMagic) {
        return Status::Corruption(
            "not a bbolt database (no valid meta page found): expected an etcd snapshot or a "
            "member/snap/db file");
      }
      return Status::Corruption("both meta pages are invalid (meta 0: " + meta_state_.error[0] +
                                "; no valid meta 1 found)");
    }
  }
  if (!PlausiblePageSize(page_size_)) {
    return Status::Corruption("unsupported page size " + std::to_string(page_size_) +
                              " in the meta page (expected a power of two from 1 KiB to 16 MiB)");
  }
  if (file_size_ < uint64_t{2} * page_size_) {
    return Status::Corruption("file size too small: " + std::to_string(file_size_) +
                              " bytes, less than two " + std::to_string(page_size_) +
                              "-byte meta pages (truncated?)");
  }
  ETCDSNAP_RETURN_IF_ERROR(read_meta(page_size_, 1));
  if (!meta_state_.valid[0] && !meta_state_.valid[1]) {
    return Status::Corruption("both meta pages are invalid (meta 0: " + meta_state_.error[0] +
                              ", meta 1: " + meta_state_.error[1] +
                              "): the file is damaged beyond repair, use another backup");
  }
  // bbolt's db.meta(): the higher txid, unless it fails validation.
  int chosen = meta_state_.meta[1].txid > meta_state_.meta[0].txid ? 1 : 0;
  if (!meta_state_.valid[chosen]) chosen = 1 - chosen;
  meta_state_.chosen = chosen;

  const Meta& m = meta();
  if (m.page_size != page_size_) {
    return Status::Corruption("meta page " + std::to_string(chosen) + " says page size " +
                              std::to_string(m.page_size) + ", meta 0 says " +
                              std::to_string(page_size_));
  }
  if (m.pgid < 2 || m.root < 2 || m.root >= m.pgid ||
      (m.freelist != kNoFreelist && (m.freelist < 2 || m.freelist >= m.pgid))) {
    return Status::Corruption("meta page " + std::to_string(chosen) + " is inconsistent (root " +
                              std::to_string(m.root) + ", freelist " +
                              std::to_string(static_cast<int64_t>(m.freelist)) +
                              ", high-water mark " + std::to_string(m.pgid) + ")");
  }
  if (m.pgid > file_size_ / page_size_) {
    return Status::Corruption("file is truncated: " + std::to_string(file_size_) +
                              " bytes, but the meta page says " + std::to_string(m.pgid) +
                              " pages of " + std::to_string(page_size_) + " bytes (" +
                              std::to_string(m.pgid * page_size_) +
                              " bytes): an incomplete copy, take the snapshot again");
  }
  return Status::Ok();
}

Result<PageView> File::ReadPage(Pgid id, std::vector<uint8_t>* buf) const {
  ETCDSNAP_RETURN_IF_ERROR(ReadPageBytes(id, buf).status());
  Result<PageView> v = PageView::Parse(*buf);
  if (!v.ok()) return v.status().Annotate("page " + std::to_string(id));
  return v;
}

Result<PageHeader> File::ReadPageBytes(Pgid id, std::vector<uint8_t>* buf) const {
  const Pgid hwm = high_water();
  auto where = [&] { return "page " + std::to_string(id) + ": "; };
  if (id >= hwm) {
    return Status::Corruption(where() + "out of bounds: " + std::to_string(hwm));
  }
  buf->resize(page_size_);
  ETCDSNAP_RETURN_IF_ERROR(ReadAt(id * page_size_, *buf));
  const PageHeader h = DecodePageHeader(*buf);
  if (h.id != id) {
    return Status::Corruption(where() + "header says it is page " + std::to_string(h.id));
  }
  if (h.overflow > 0) {
    const uint64_t pages = uint64_t{h.overflow} + 1;
    if (id + h.overflow >= hwm) {
      return Status::Corruption(where() + "its " + std::to_string(h.overflow) +
                                " overflow pages run past the high-water mark " +
                                std::to_string(hwm));
    }
    if (pages * page_size_ > options_.max_page_bytes) {
      return Status::Unsupported(
          where() + "spans " + std::to_string(pages * page_size_) + " bytes, more than the " +
          std::to_string(options_.max_page_bytes) + " bytes this reader accepts for one page");
    }
    buf->resize(pages * page_size_);
    ETCDSNAP_RETURN_IF_ERROR(
        ReadAt((id + 1) * page_size_, std::span<uint8_t>(*buf).subspan(page_size_)));
  }
  return h;
}

}  // namespace etcdsnap::bolt
