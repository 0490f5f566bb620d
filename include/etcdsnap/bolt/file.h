// File: a bbolt database opened read-only. Open() picks the meta page the way bbolt does (page
// size from meta 0, else a probe for meta 1; the valid meta with the higher txid) and refuses
// files too short for the meta's high-water mark. The file is never written through it.
//
// Pages are read in place from a read-only shared mapping of the file (PageBytes), or with pread
// into a caller's buffer (ReadPage, and PageBytes when the file could not be mapped). The
// mapping saves copying every page out of the page cache, the largest cost of a warm walk. Memory
// stays flat whatever the file size: the page-table entries of what was read are dropped every
// kMappedWindow bytes (MADV_DONTNEED; the page cache keeps the data, the views stay valid). A
// file that shrinks under the mapping cannot crash the reader: a SIGBUS inside a mapping of ours
// maps a zero page over the missing one and marks the File (changed_while_mapped()); the walk
// then meets damage and Check() says why. All reads are const and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "etcdsnap/bolt/format.h"
#include "etcdsnap/bolt/page.h"
#include "etcdsnap/util/file.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::bolt {

// What Open() learnt about the two meta pages, for reports.
struct MetaState {
  bool valid[2] = {false, false};
  std::string error[2];  // why a meta page is invalid ("checksum error", ...)
  Meta meta[2];
  PageHeader header[2];  // the page headers of pages 0 and 1 (bbolt reads neither)
  int chosen = 0;        // which meta page the database is read through
};

class File {
 public:
  // Limits that protect the reader from hostile files.
  struct Options {
    // Logical pages (a page plus its overflow) larger than this are refused rather than read
    // into memory: a hostile header cannot make us allocate the whole file.
    uint64_t max_page_bytes = uint64_t{64} << 20;
    // Read pages in place from a mapping of the file; false: always pread (tests, and writers
    // that want copies).
    bool map = true;
  };
  // The mapped bytes read between two drops of their page-table entries: what a walk of a
  // mapped file adds to the resident set, at most.
  static constexpr uint64_t kMappedWindow = uint64_t{16} << 20;

  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  static Result<std::unique_ptr<File>> Open(const std::string& path, const Options& options);
  static Result<std::unique_ptr<File>> Open(const std::string& path) { return Open(path, {}); }

  const std::string& path() const { return path_; }
  const Meta& meta() const { return meta_state_.meta[meta_state_.chosen]; }
  const MetaState& meta_state() const { return meta_state_; }
  uint32_t page_size() const { return page_size_; }
  Pgid high_water() const { return meta().pgid; }
  uint64_t file_size() const { return file_size_; }
  uint64_t max_page_bytes() const { return options_.max_page_bytes; }
  // bbolt's tx.Size(): the database's size, high-water mark times page size.
  uint64_t db_size() const { return meta().pgid * page_size_; }

  // Reads logical page `id` (with its overflow pages) into *buf and returns a view of it. Fails
  // when the page or its overflow lies at or past the high-water mark, when its header names
  // another page id, or when it is larger than Options::max_page_bytes. Leaf and branch
  // elements are bounds-checked (PageView::Parse).
  Result<PageView> ReadPage(Pgid id, std::vector<uint8_t>* buf) const;
  // ReadPage's first half: the same checks and reads, but the elements are not checked yet.
  Result<PageHeader> ReadPageBytes(Pgid id, std::vector<uint8_t>* buf) const;

  // ReadPageBytes without the copy when the file is mapped: *out views the logical page in the
  // mapping (valid while the File lives), else the bytes read into *scratch (valid until
  // *scratch changes). The same checks as ReadPageBytes.
  Result<PageHeader> PageBytes(Pgid id, std::vector<uint8_t>* scratch, Bytes* out) const;

  // pread of exactly out.size() bytes at `offset`.
  Status ReadAt(uint64_t offset, std::span<uint8_t> out) const;

  bool mapped() const { return map_ != nullptr; }
  struct Mapping;  // (file.cc's; public for its signal handler)
  // True when part of the mapping vanished (the file shrank after Open): what was read there
  // was zeros, and any result from this File is void.
  bool changed_while_mapped() const;

 private:
  File(std::string path, UniqueFd fd, uint64_t size, const Options& options);
  Status LoadMetas();
  void Map();
  // The checks ReadPageBytes and PageBytes share, on the first page's bytes: the header's id and
  // overflow against the high-water mark and max_page_bytes. Returns the logical page's length.
  Result<uint64_t> CheckedPageLength(Pgid id, Bytes first_page, PageHeader* h) const;

  std::string path_;
  UniqueFd fd_;
  uint64_t file_size_ = 0;
  Options options_;
  uint32_t page_size_ = 0;
  MetaState meta_state_;
  std::unique_ptr<Mapping> map_;
};

}  // namespace etcdsnap::bolt
