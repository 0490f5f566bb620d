// File: a bbolt database opened read-only, read page by page with pread so that memory stays
// flat whatever the file size. Open() picks the meta page the way bbolt does (page size from
// meta 0, else a probe for meta 1; the valid meta with the higher txid) and refuses files too
// short for the meta's high-water mark. The file is never written. ReadPage() is const and uses
// only pread, so one File may serve several threads, each with its own buffer.
#pragma once

#include <cstdint>
#include <memory>
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
  };

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

  // pread of exactly out.size() bytes at `offset`.
  Status ReadAt(uint64_t offset, std::span<uint8_t> out) const;

 private:
  File(std::string path, UniqueFd fd, uint64_t size, const Options& options)
      : path_(std::move(path)), fd_(std::move(fd)), file_size_(size), options_(options) {}
  Status LoadMetas();

  std::string path_;
  UniqueFd fd_;
  uint64_t file_size_ = 0;
  Options options_;
  uint32_t page_size_ = 0;
  MetaState meta_state_;
};

}  // namespace etcdsnap::bolt
