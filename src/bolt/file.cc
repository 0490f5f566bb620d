#include "etcdsnap/bolt/file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

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

// A read-only shared mapping of the whole file, registered for the SIGBUS handler while it lives.
struct File::Mapping {
  const uint8_t* base = nullptr;
  uint64_t length = 0;
  std::atomic<bool> faulted{false};
  std::atomic<uint64_t> since_drop{0};  // bytes viewed since the last MADV_DONTNEED
};

namespace {

// The live mappings, for the SIGBUS handler (which may only read lock-free atomics).
constexpr size_t kMaxMappings = 64;
std::array<std::atomic<File::Mapping*>, kMaxMappings> g_mappings{};
struct sigaction g_previous_sigbus;
std::once_flag g_sigbus_once;

// A SIGBUS at an address inside one of our mappings is the file having shrunk under it: a zero
// page goes over the missing one (the access is retried and reads zeros), and the mapping is
// marked. Any other SIGBUS goes to the handler from before, or, with none, ends the process as
// it would have (the default action is restored and the access, retried, raises it again).
void OnSigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (std::atomic<File::Mapping*>& slot : g_mappings) {
    File::Mapping* m = slot.load(std::memory_order_acquire);
    if (m == nullptr) continue;
    const auto base = reinterpret_cast<uintptr_t>(m->base);
    if (addr < base || addr - base >= m->length) continue;
    const uintptr_t page = addr & ~(static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE)) - 1);
    if (::mmap(reinterpret_cast<void*>(page), static_cast<size_t>(::sysconf(_SC_PAGESIZE)),
               PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
      m->faulted.store(true, std::memory_order_release);
      return;
    }
  }
  if ((g_previous_sigbus.sa_flags & SA_SIGINFO) != 0 && g_previous_sigbus.sa_sigaction != nullptr) {
    g_previous_sigbus.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous_sigbus.sa_handler != SIG_DFL && g_previous_sigbus.sa_handler != SIG_IGN &&
      g_previous_sigbus.sa_handler != nullptr) {
    g_previous_sigbus.sa_handler(sig);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);
}

bool Register(File::Mapping* m) {
  std::call_once(g_sigbus_once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous_sigbus);
  });
  for (std::atomic<File::Mapping*>& slot : g_mappings) {
    File::Mapping* expected = nullptr;
    if (slot.compare_exchange_strong(expected, m, std::memory_order_acq_rel)) return true;
  }
  return false;  // too many files open at once: the caller reads with pread
}

void Unregister(File::Mapping* m) {
  for (std::atomic<File::Mapping*>& slot : g_mappings) {
    File::Mapping* expected = m;
    if (slot.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) return;
  }
}

}  // namespace

File::File(std::string path, UniqueFd fd, uint64_t size, const Options& options)
    : path_(std::move(path)), fd_(std::move(fd)), file_size_(size), options_(options) {}

File::~File() {
  if (map_ == nullptr) return;
  Unregister(map_.get());
  ::munmap(const_cast<uint8_t*>(map_->base), map_->length);
}

void File::Map() {
  void* p = ::mmap(nullptr, file_size_, PROT_READ, MAP_SHARED, fd_.get(), 0);
  if (p == MAP_FAILED) return;  // pread it is
  auto m = std::make_unique<Mapping>();
  m->base = static_cast<const uint8_t*>(p);
  m->length = file_size_;
  if (!Register(m.get())) {
    ::munmap(p, file_size_);
    return;
  }
  map_ = std::move(m);
}

bool File::changed_while_mapped() const {
  return map_ != nullptr && map_->faulted.load(std::memory_order_acquire);
}

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
  if (options.map) f->Map();
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

Result<uint64_t> File::CheckedPageLength(Pgid id, Bytes first_page, PageHeader* out) const {
  const Pgid hwm = high_water();
  auto where = [&] { return "page " + std::to_string(id) + ": "; };
  const PageHeader h = DecodePageHeader(first_page);
  if (h.id != id) {
    return Status::Corruption(where() + "header says it is page " + std::to_string(h.id));
  }
  const uint64_t pages = uint64_t{h.overflow} + 1;
  if (h.overflow > 0) {
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
  }
  *out = h;
  return pages * page_size_;
}

Result<PageHeader> File::ReadPageBytes(Pgid id, std::vector<uint8_t>* buf) const {
  if (id >= high_water()) {
    return Status::Corruption("page " + std::to_string(id) + ": out of bounds: " +
                              std::to_string(high_water()));
  }
  buf->resize(page_size_);
  ETCDSNAP_RETURN_IF_ERROR(ReadAt(id * page_size_, *buf));
  PageHeader h;
  ETCDSNAP_ASSIGN_OR_RETURN(const uint64_t length, CheckedPageLength(id, *buf, &h));
  if (length > page_size_) {
    buf->resize(length);
    ETCDSNAP_RETURN_IF_ERROR(
        ReadAt((id + 1) * page_size_, std::span<uint8_t>(*buf).subspan(page_size_)));
  }
  return h;
}

Result<PageHeader> File::PageBytes(Pgid id, std::vector<uint8_t>* scratch, Bytes* out) const {
  if (map_ == nullptr) {
    ETCDSNAP_ASSIGN_OR_RETURN(const PageHeader h, ReadPageBytes(id, scratch));
    *out = *scratch;
    return h;
  }
  if (id >= high_water()) {
    return Status::Corruption("page " + std::to_string(id) + ": out of bounds: " +
                              std::to_string(high_water()));
  }
  // Open() checked that the file holds every page below the high-water mark.
  const uint8_t* at = map_->base + id * page_size_;
  PageHeader h;
  ETCDSNAP_ASSIGN_OR_RETURN(const uint64_t length,
                            CheckedPageLength(id, Bytes(at, page_size_), &h));
  *out = Bytes(at, length);
  const uint64_t before = map_->since_drop.fetch_add(length, std::memory_order_relaxed);
  if (before < kMappedWindow && before + length >= kMappedWindow) {
    // Every view stays valid: the next access maps the page again from the page cache.
    ::madvise(const_cast<uint8_t*>(map_->base), map_->length, MADV_DONTNEED);
    map_->since_drop.store(0, std::memory_order_relaxed);
  }
  return h;
}

}  // namespace etcdsnap::bolt
