#include "etcdsnap/util/compression.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <vector>

#include "etcdsnap/bolt/format.h"

namespace etcdsnap {
namespace {

constexpr size_t kInBuffer = 256 * 1024;
constexpr uint8_t kZstdMagic[] = {0x28, 0xB5, 0x2F, 0xFD};
constexpr uint8_t kGzipMagic[] = {0x1F, 0x8B, 0x08};  // ID1 ID2, CM = deflate

Status ZstdError(const std::string& what, size_t rc) {
  return Status::Internal(what + ": " + ZSTD_getErrorName(rc));
}

class ZstdCompressor : public Compressor {
 public:
  ZstdCompressor(ZSTD_CCtx* ctx, Sink sink)
      : ctx_(ctx), sink_(std::move(sink)), out_(ZSTD_CStreamOutSize()) {}
  ~ZstdCompressor() override { ZSTD_freeCCtx(ctx_); }

  Status Write(std::span<const uint8_t> data) override {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (in.pos < in.size) ETCDSNAP_RETURN_IF_ERROR(Step(&in, ZSTD_e_continue));
    return Status::Ok();
  }
  Status Finish() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (true) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const size_t left = ZSTD_compressStream2(ctx_, &out, &in, ZSTD_e_end);
      if (ZSTD_isError(left)) return ZstdError("zstd compression", left);
      if (out.pos > 0) ETCDSNAP_RETURN_IF_ERROR(sink_({out_.data(), out.pos}));
      if (left == 0) return Status::Ok();
    }
  }

 private:
  Status Step(ZSTD_inBuffer* in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    const size_t rc = ZSTD_compressStream2(ctx_, &out, in, mode);
    if (ZSTD_isError(rc)) return ZstdError("zstd compression", rc);
    if (out.pos > 0) return sink_({out_.data(), out.pos});
    return Status::Ok();
  }

  ZSTD_CCtx* ctx_;
  Sink sink_;
  std::vector<uint8_t> out_;
};

class GzipCompressor : public Compressor {
 public:
  explicit GzipCompressor(Sink sink) : sink_(std::move(sink)), out_(kInBuffer) {}
  ~GzipCompressor() override {
    if (ready_) deflateEnd(&z_);
  }
  Status Init(int level) {
    // windowBits 15 + 16: a gzip wrapper (header and CRC-32/ISIZE trailer) around deflate.
    if (deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return Status::Internal("gzip: deflateInit2 failed");
    }
    ready_ = true;
    return Status::Ok();
  }
  Status Write(std::span<const uint8_t> data) override { return Run(data, Z_NO_FLUSH); }
  Status Finish() override { return Run({}, Z_FINISH); }

 private:
  Status Run(std::span<const uint8_t> data, int flush) {
    z_.next_in = const_cast<Bytef*>(data.data());
    z_.avail_in = static_cast<uInt>(data.size());
    while (true) {
      z_.next_out = out_.data();
      z_.avail_out = static_cast<uInt>(out_.size());
      const int rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return Status::Internal("gzip: deflate failed");
      const size_t produced = out_.size() - z_.avail_out;
      if (produced > 0) ETCDSNAP_RETURN_IF_ERROR(sink_({out_.data(), produced}));
      if (flush == Z_FINISH ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) {
        return Status::Ok();
      }
    }
  }

  z_stream z_{};
  bool ready_ = false;
  Sink sink_;
  std::vector<uint8_t> out_;
};

// Reads the file sequentially into a buffer the decoders consume from.
class Input {
 public:
  Input(int fd, std::string path) : fd_(fd), path_(std::move(path)), buf_(kInBuffer) {}
  // Refills when empty; false at the end of the file.
  Result<bool> Fill() {
    if (pos_ < len_) return true;
    while (true) {
      const ssize_t n = ::read(fd_, buf_.data(), buf_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::FromErrno("read " + path_, errno);
      pos_ = 0;
      len_ = static_cast<size_t>(n);
      consumed_ += len_;
      return n > 0;
    }
  }
  const uint8_t* data() const { return buf_.data() + pos_; }
  size_t size() const { return len_ - pos_; }
  void Skip(size_t n) { pos_ += n; }
  uint64_t consumed() const { return consumed_ - (len_ - pos_); }
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t consumed_ = 0;
};

class ZstdDecompressor : public Decompressor {
 public:
  ZstdDecompressor(ZSTD_DCtx* ctx, int fd, std::string path) : ctx_(ctx), in_(fd, std::move(path)) {}
  ~ZstdDecompressor() override { ZSTD_freeDCtx(ctx_); }

  Result<size_t> Read(std::span<uint8_t> out) override {
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    while (o.pos == 0) {
      // A full output buffer last time may have left output inside libzstd: drain it before
      // reading more (or declaring the end).
      if (in_.size() == 0 && !pending_) {
        ETCDSNAP_ASSIGN_OR_RETURN(const bool more, in_.Fill());
        if (!more) {
          if (!frame_done_) {
            return Status::Corruption(in_.path() + ": the zstd stream is cut short (the file "
                                      "was truncated)");
          }
          return size_t{0};
        }
      }
      ZSTD_inBuffer i{in_.data(), in_.size(), 0};
      const size_t rc = ZSTD_decompressStream(ctx_, &o, &i);
      in_.Skip(i.pos);
      if (ZSTD_isError(rc)) {
        return Status::Corruption(in_.path() + ": not a valid zstd stream (" +
                                  ZSTD_getErrorName(rc) + ")");
      }
      // rc == 0: a frame ended; another may follow (concatenated frames are one stream), and
      // it begins when more input is taken. A call that only drained output changes nothing.
      if (rc == 0) {
        frame_done_ = true;
      } else if (i.pos > 0) {
        frame_done_ = false;
      }
      pending_ = o.pos == o.size;
    }
    return o.pos;
  }
  uint64_t consumed() const override { return in_.consumed(); }

 private:
  ZSTD_DCtx* ctx_;
  Input in_;
  bool frame_done_ = false;
  bool pending_ = false;
};

class GzipDecompressor : public Decompressor {
 public:
  GzipDecompressor(int fd, std::string path) : in_(fd, std::move(path)) {}
  ~GzipDecompressor() override {
    if (ready_) inflateEnd(&z_);
  }
  Status Init() {
    // 15 + 32: gzip or zlib header, detected; members are read one after another.
    if (inflateInit2(&z_, 15 + 32) != Z_OK) return Status::Internal("gzip: inflateInit2 failed");
    ready_ = true;
    return Status::Ok();
  }

  Result<size_t> Read(std::span<uint8_t> out) override {
    z_.next_out = out.data();
    z_.avail_out = static_cast<uInt>(out.size());
    while (z_.avail_out == out.size()) {
      if (in_.size() == 0 && !pending_) {
        ETCDSNAP_ASSIGN_OR_RETURN(const bool more, in_.Fill());
        if (!more) {
          if (!member_done_) {
            return Status::Corruption(in_.path() + ": the gzip stream is cut short (the file "
                                      "was truncated)");
          }
          return size_t{0};
        }
      }
      z_.next_in = const_cast<Bytef*>(in_.data());
      z_.avail_in = static_cast<uInt>(in_.size());
      const size_t before = in_.size();
      const int rc = inflate(&z_, Z_NO_FLUSH);
      in_.Skip(before - z_.avail_in);
      if (rc == Z_STREAM_END) {
        member_done_ = true;
        // Another member may follow (concatenated gzip files are one stream).
        if (inflateReset(&z_) != Z_OK) return Status::Internal("gzip: inflateReset failed");
      } else if (rc == Z_OK || rc == Z_BUF_ERROR) {
        if (before != z_.avail_in) member_done_ = false;  // input taken: a member is under way
      } else {
        return Status::Corruption(in_.path() + ": not a valid gzip stream (" +
                                  (z_.msg != nullptr ? z_.msg : "inflate failed") + ")");
      }
      pending_ = z_.avail_out == 0;
    }
    return out.size() - z_.avail_out;
  }
  uint64_t consumed() const override { return in_.consumed(); }

 private:
  z_stream z_{};
  bool ready_ = false;
  bool member_done_ = false;
  bool pending_ = false;
  Input in_;
};

}  // namespace

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kZstd:
      return "zstd";
    case Compression::kGzip:
      return "gzip";
    case Compression::kNone:
      break;
  }
  return "none";
}

Result<CompressSpec> ParseCompressSpec(const std::string& spec) {
  auto bad = [&] {
    return Status::InvalidArgument("--compress " + spec +
                                   ": give zstd, zstd:LEVEL (1 to 19), gzip, gzip:LEVEL (1 to 9) "
                                   "or none");
  };
  const size_t colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  CompressSpec out;
  int max_level = 0;
  if (name == "zstd") {
    out.algorithm = Compression::kZstd;
    max_level = 19;
  } else if (name == "gzip") {
    out.algorithm = Compression::kGzip;
    max_level = 9;
  } else if (name == "none" && colon == std::string::npos) {
    return out;
  } else {
    return bad();
  }
  if (colon != std::string::npos) {
    const std::string level = spec.substr(colon + 1);
    if (level.empty() || level.size() > 2 ||
        level.find_first_not_of("0123456789") != std::string::npos) {
      return bad();
    }
    out.level = std::stoi(level);
    if (out.level < 1 || out.level > max_level) return bad();
  }
  return out;
}

Compression DetectCompression(std::span<const uint8_t> head) {
  auto starts = [&](std::span<const uint8_t> magic) {
    return head.size() >= magic.size() && std::equal(magic.begin(), magic.end(), head.begin());
  };
  if (starts(kZstdMagic)) return Compression::kZstd;
  // A zstd skippable frame (magic 0x184D2A50..5F, as pzstd and seekable writers put first);
  // the decoder steps over it to the data frame.
  if (head.size() >= 4 && (head[0] & 0xF0) == 0x50 && head[1] == 0x2A && head[2] == 0x4D &&
      head[3] == 0x18) {
    return Compression::kZstd;
  }
  if (starts(kGzipMagic)) return Compression::kGzip;
  return Compression::kNone;
}

Result<std::unique_ptr<Compressor>> Compressor::Create(const CompressSpec& spec, Sink sink) {
  if (spec.algorithm == Compression::kZstd) {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    if (ctx == nullptr) return Status::Internal("zstd: out of memory");
    auto c = std::make_unique<ZstdCompressor>(ctx, std::move(sink));
    const int level = spec.level == 0 ? 3 : spec.level;
    size_t rc = ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level);
    if (ZSTD_isError(rc)) return ZstdError("zstd level", rc);
    rc = ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1);
    if (ZSTD_isError(rc)) return ZstdError("zstd checksum", rc);
    if (spec.workers > 0) {
      // Fails only when libzstd was built without threads: then it compresses inline.
      (void)ZSTD_CCtx_setParameter(ctx, ZSTD_c_nbWorkers, spec.workers);
    }
    return std::unique_ptr<Compressor>(std::move(c));
  }
  if (spec.algorithm == Compression::kGzip) {
    auto c = std::make_unique<GzipCompressor>(std::move(sink));
    ETCDSNAP_RETURN_IF_ERROR(c->Init(spec.level == 0 ? 6 : spec.level));
    return std::unique_ptr<Compressor>(std::move(c));
  }
  return Status::InvalidArgument("no compression to create");
}

Result<std::unique_ptr<Decompressor>> Decompressor::Create(Compression c, int fd, std::string path) {
  if (c == Compression::kZstd) {
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    if (ctx == nullptr) return Status::Internal("zstd: out of memory");
    auto d = std::make_unique<ZstdDecompressor>(ctx, fd, std::move(path));
    const size_t rc = ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, kMaxZstdWindowLog);
    if (ZSTD_isError(rc)) return ZstdError("zstd window limit", rc);
    return std::unique_ptr<Decompressor>(std::move(d));
  }
  if (c == Compression::kGzip) {
    auto d = std::make_unique<GzipDecompressor>(fd, std::move(path));
    ETCDSNAP_RETURN_IF_ERROR(d->Init());
    return std::unique_ptr<Decompressor>(std::move(d));
  }
  return Status::InvalidArgument("no compression to read");
}

Compression DetectFileCompression(int fd) {
  uint8_t head[4] = {};
  ssize_t n;
  do {
    n = ::pread(fd, head, sizeof head, 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 ? DetectCompression({head, static_cast<size_t>(n)}) : Compression::kNone;
}

namespace {

// How large a decompressed snapshot may be, from its own bbolt meta pages: a snapshot is
// tx.WriteTo's output, meta.pgid pages of meta.pageSize bytes, plus etcd's 32-byte sha256
// trailer (plus kDbFileSlack for a member's db file). The bound is known once both meta pages are in (up to 2 × 64 KiB); until then the
// first bytes are kept here. A stream that is not bbolt, or that would go past the bound (a
// decompression bomb), is refused: nothing reads more than an honest file holds.
class SnapshotSizeBound {
 public:
  static constexpr uint64_t kTrailer = 32;
  static constexpr uint32_t kMaxPageSize = 1u << 16;
  // A member's db file (not a snapshot) is longer than pgid pages: etcd maps 10 GiB at once, so
  // bbolt grows the file 16 MiB (AllocSize) past what it needs at a time. Status and restore
  // read such copies too.
  static constexpr uint64_t kDbFileSlack = uint64_t{64} << 20;

  // The bytes written so far grew by `bytes`: an error once they cannot be a snapshot.
  Status Add(std::span<const uint8_t> bytes, uint64_t written_after, const std::string& what) {
    if (!limit_) {
      const size_t want = std::min<size_t>(bytes.size(), 2 * kMaxPageSize - head_.size());
      head_.insert(head_.end(), bytes.begin(), bytes.begin() + static_cast<long>(want));
      ETCDSNAP_RETURN_IF_ERROR(TryBound(what));
    }
    if (limit_ && written_after > *limit_) {
      return Status::Corruption(what + " decompresses to more than the " +
                                std::to_string(*limit_) + " bytes its bbolt meta pages allow "
                                "(a damaged or hostile file); stopped there");
    }
    return Status::Ok();
  }

 private:
  Status TryBound(const std::string& what) {
    constexpr size_t kPageSizeAt = bolt::kPageHeaderSize + 8, kPgidAt = bolt::kPageHeaderSize + 40;
    if (head_.size() < kPageSizeAt + 4) return Status::Ok();
    const uint32_t ps = bolt::LoadLE32(head_.data() + kPageSizeAt);
    if (bolt::LoadLE32(head_.data() + bolt::kPageHeaderSize) != bolt::kMagic || ps < 512 ||
        ps > kMaxPageSize || (ps & (ps - 1)) != 0) {
      return Status::Corruption(what + " decompresses to something that is not a bbolt "
                                "database (no valid meta page 0); it is not an etcd snapshot");
    }
    if (head_.size() < ps + kPgidAt + 8) return Status::Ok();
    // The larger high-water mark of the two metas (either may be the damaged one).
    uint64_t pgid = 0;
    for (const uint8_t* meta : {head_.data(), head_.data() + ps}) {
      if (bolt::LoadLE32(meta + bolt::kPageHeaderSize) == bolt::kMagic) {
        pgid = std::max(pgid, bolt::LoadLE64(meta + kPgidAt));
      }
    }
    if (pgid > (uint64_t{1} << 40) / ps) pgid = (uint64_t{1} << 40) / ps;  // 1 TiB: no wrap
    limit_ = std::max<uint64_t>(pgid, 2) * ps + kTrailer + kDbFileSlack;
    head_.clear();
    head_.shrink_to_fit();
    return Status::Ok();
  }

  std::vector<uint8_t> head_;
  std::optional<uint64_t> limit_;
};

}  // namespace

Result<uint64_t> DecompressInto(Decompressor& d, int out_fd, const std::string& out_path,
                                const std::atomic<bool>* cancel,
                                const std::function<void(uint64_t consumed)>& on_progress,
                                const std::string& source) {
  std::vector<uint8_t> buf(size_t{1} << 20);
  uint64_t written = 0;
  SnapshotSizeBound bound;
  while (true) {
    if (cancel != nullptr && cancel->load()) return Status::Cancelled("decompression cancelled");
    ETCDSNAP_ASSIGN_OR_RETURN(const size_t n, d.Read(buf));
    if (n == 0) return written;
    ETCDSNAP_RETURN_IF_ERROR(bound.Add(std::span<const uint8_t>(buf.data(), n), written + n,
                                       source.empty() ? out_path : source));
    size_t put = 0;
    while (put < n) {
      const ssize_t w = ::pwrite(out_fd, buf.data() + put, n - put,
                                 static_cast<off_t>(written + put));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        return w < 0 ? Status::FromErrno("write " + out_path, errno)
                     : Status::IOError("write " + out_path + ": no progress");
      }
      put += static_cast<size_t>(w);
    }
    written += n;
    if (on_progress) on_progress(d.consumed());
  }
}

Result<PlainSnapshot> PlainSnapshot::Open(const std::string& path,
                                          const std::atomic<bool>* cancel) {
  PlainSnapshot p;
  p.original_ = path;
  p.path_ = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return p;
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!in.valid()) return p;  // the caller's open reports it
  p.compression_ = DetectFileCompression(in.get());
  if (p.compression_ == Compression::kNone) return p;
  // Where the decompressed copy goes: $TMPDIR when set; else beside the snapshot (its disk
  // holds backups, while /tmp is often a tmpfs, i.e. memory), else /var/tmp, else /tmp.
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("TMPDIR"); env != nullptr && *env != '\0') {
    dirs = {env};
  } else {
    dirs = {DirName(path), "/var/tmp", "/tmp"};
  }
  UniqueFd tmp;
  std::string dir;
  int err = 0;
  for (const std::string& d : dirs) {
    tmp = UniqueFd(::open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (tmp.valid()) {
      dir = d;
      break;
    }
    if (err == 0) err = errno;
  }
  if (!tmp.valid()) {
    return Status::FromErrno("cannot create a temporary file in " + dirs.front() +
                                 " to decompress " + path +
                                 " into (set TMPDIR to a writable directory)",
                             err);
  }
  ETCDSNAP_ASSIGN_OR_RETURN(auto d, Decompressor::Create(p.compression_, in.get(), path));
  auto n = DecompressInto(*d, tmp.get(), dir + " (temporary file)", cancel, nullptr, path);
  if (!n.ok()) {
    if (n.status().code() == Code::kIOError) {
      return Status::IOError(n.status().message() + ": decompressing " + path + " needs room "
                             "for the whole snapshot there (set TMPDIR elsewhere)");
    }
    return n.status();
  }
  p.path_ = "/proc/self/fd/" + std::to_string(tmp.get());
  p.fd_ = std::move(tmp);
  return p;
}

std::string PlainSnapshot::Explain(std::string message) const {
  if (path_ == original_) return message;
  for (size_t at = message.find(path_); at != std::string::npos;
       at = message.find(path_, at + original_.size())) {
    message.replace(at, path_.size(), original_);
  }
  return message;
}

}  // namespace etcdsnap
