// Streaming compression for snapshots: zstd (libzstd, multithreaded) and gzip (zlib), and the
// matching streaming decompression for reading a compressed snapshot back. A compressed snapshot
// is the whole raw snapshot (the bbolt image and etcd's sha256 trailer) in one zstd or gzip
// stream; readers recognise it by its magic number, never by its file name.
//
// Memory is bounded whatever the input: the compressor holds what libzstd's workers need for
// the level (a few MiB per worker at the default level), the decompressor one window (refusing
// zstd windows over kMaxZstdWindowLog) and fixed buffers. Neither is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "etcdsnap/util/file.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap {

enum class Compression { kNone, kZstd, kGzip };

const char* CompressionName(Compression c);  // "none", "zstd", "gzip"

// What --compress asked for: an algorithm and its level.
struct CompressSpec {
  Compression algorithm = Compression::kNone;
  int level = 0;  // 0: the algorithm's default (zstd 3, gzip 6)
  // zstd workers besides the calling thread (ZSTD_c_nbWorkers); 0 compresses inline.
  int workers = 0;
};

// "zstd", "zstd:19", "gzip", "gzip:9", "none". kInvalidArgument naming the valid forms.
Result<CompressSpec> ParseCompressSpec(const std::string& spec);

// The compression the first bytes of a file announce (zstd frame or gzip member magic), or
// kNone (a bbolt file starts with page 0's id, eight zero bytes).
Compression DetectCompression(std::span<const uint8_t> head);

// Compresses a stream; output goes to `sink` as it is produced.
class Compressor {
 public:
  using Sink = std::function<Status(std::span<const uint8_t>)>;
  static Result<std::unique_ptr<Compressor>> Create(const CompressSpec& spec, Sink sink);
  virtual ~Compressor() = default;
  virtual Status Write(std::span<const uint8_t> data) = 0;
  // Ends the stream (frame epilogue, gzip trailer). No Write() afterwards.
  virtual Status Finish() = 0;
};

// Reads a compressed stream from a file descriptor (from its current position) and returns
// the decompressed bytes. Read() returns 0 at the end; a truncated or damaged stream, or bytes
// after its end, is kCorruption naming `path`.
class Decompressor {
 public:
  static constexpr int kMaxZstdWindowLog = 27;  // 128 MiB, libzstd's default limit
  static Result<std::unique_ptr<Decompressor>> Create(Compression c, int fd, std::string path);
  virtual ~Decompressor() = default;
  virtual Result<size_t> Read(std::span<uint8_t> out) = 0;
  // Compressed bytes consumed so far (for progress against the file size).
  virtual uint64_t consumed() const = 0;
};

// Reads the first bytes of `fd` (with pread; the file position is left alone) and says what
// compression they announce. A short or unreadable file is kNone.
Compression DetectFileCompression(int fd);

// Decompresses everything `d` yields (an etcd snapshot) into `out_fd` from offset 0. Checks
// `cancel` (may be null) every chunk. Returns the number of bytes written; `on_progress` (may
// be null) gets the compressed bytes consumed so far after each chunk. The output is bounded by
// the snapshot's own bbolt meta pages (pgid × page size + the 32-byte trailer, + 64 MiB for a
// member's db file, which bbolt grows past its pages): a stream that is
// not bbolt, or longer than that (a decompression bomb), is kCorruption naming `source` (the
// compressed file; `out_path` when empty), having written at most that bound.
Result<uint64_t> DecompressInto(Decompressor& d, int out_fd, const std::string& out_path,
                                const std::atomic<bool>* cancel,
                                const std::function<void(uint64_t consumed)>& on_progress,
                                const std::string& source = "");

// A snapshot file as the bbolt reader needs it: the file itself when it is not compressed, or
// its decompressed bytes in an unlinked temporary file (in $TMPDIR when set, else beside the
// snapshot, else /var/tmp, else /tmp: not in memory on a tmpfs /tmp if avoidable) that lives as
// long as this object, named through /proc/self/fd. Memory stays flat; the disk holds the
// decompressed snapshot meanwhile. A path that is missing or not a regular file is passed
// through untouched, for the caller's own checks to report.
class PlainSnapshot {
 public:
  static Result<PlainSnapshot> Open(const std::string& path,
                                    const std::atomic<bool>* cancel = nullptr);
  const std::string& path() const { return path_; }
  Compression compression() const { return compression_; }
  // Replaces the temporary file's name in `message` with the user's path.
  std::string Explain(std::string message) const;

 private:
  std::string original_;
  std::string path_;
  UniqueFd fd_;
  Compression compression_ = Compression::kNone;
};

}  // namespace etcdsnap
