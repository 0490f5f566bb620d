// TestDb: builds small bbolt files byte by byte for tests and fuzz seeds. Test-only; it trusts
// its caller (no validation) so that tests can build broken files on purpose.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "etcdsnap/bolt/format.h"

namespace etcdsnap::bolt::testing {

struct Item {
  std::string key;
  std::string value;
  uint32_t flags = 0;
};

class TestDb {
 public:
  explicit TestDb(uint32_t page_size = 4096) : page_size_(page_size) {
    pages_.resize(2 * page_size_);  // meta pages, filled by Finish()
  }

  uint32_t page_size() const { return page_size_; }

  // The image of a leaf page holding `items` (used for pages and for inline buckets).
  static std::string LeafImage(const std::vector<Item>& items, uint64_t id = 0) {
    std::string p(kPageHeaderSize + kElementSize * items.size(), '\0');
    PutHeader(p, id, kLeafPageFlag, static_cast<uint16_t>(items.size()), 0);
    for (size_t i = 0; i < items.size(); ++i) {
      const size_t at = kPageHeaderSize + kElementSize * i;
      Put32(p, at, items[i].flags);
      Put32(p, at + 4, static_cast<uint32_t>(p.size() - at));
      Put32(p, at + 8, static_cast<uint32_t>(items[i].key.size()));
      Put32(p, at + 12, static_cast<uint32_t>(items[i].value.size()));
      p += items[i].key + items[i].value;
    }
    return p;
  }

  Pgid AddLeaf(const std::vector<Item>& items) { return AddPage(LeafImage(items, Next())); }

  Pgid AddBranch(const std::vector<std::pair<std::string, Pgid>>& children) {
    std::string p(kPageHeaderSize + kElementSize * children.size(), '\0');
    PutHeader(p, Next(), kBranchPageFlag, static_cast<uint16_t>(children.size()), 0);
    for (size_t i = 0; i < children.size(); ++i) {
      const size_t at = kPageHeaderSize + kElementSize * i;
      Put32(p, at, static_cast<uint32_t>(p.size() - at));
      Put32(p, at + 4, static_cast<uint32_t>(children[i].first.size()));
      Put64(p, at + 8, children[i].second);
      p += children[i].first;
    }
    return AddPage(p);
  }

  // `wide` writes the count as bbolt does past 0xFFFE ids: 0xFFFF, then a uint64 count.
  Pgid AddFreelist(const std::vector<Pgid>& ids, bool wide = false) {
    std::string p(kPageHeaderSize, '\0');
    PutHeader(p, Next(), kFreelistPageFlag,
              wide ? kFreelistCountOverflow : static_cast<uint16_t>(ids.size()), 0);
    if (wide) {
      std::string n(8, '\0');
      Put64(n, 0, ids.size());
      p += n;
    }
    for (Pgid id : ids) {
      std::string b(8, '\0');
      Put64(b, 0, id);
      p += b;
    }
    return AddPage(p);
  }

  // An unused (zeroed) page, e.g. one to list as free.
  Pgid AddEmpty() {
    std::string p(kPageHeaderSize, '\0');
    PutHeader(p, Next(), 0, 0, 0);
    return AddPage(p);
  }

  static std::string BucketValue(Pgid root) {
    std::string v(kBucketHeaderSize, '\0');
    Put64(v, 0, root);
    return v;
  }
  static std::string InlineBucket(const std::vector<Item>& items) {
    return BucketValue(0) + LeafImage(items);
  }
  static Item Bucket(std::string name, std::string value) {
    return Item{std::move(name), std::move(value), kBucketLeafFlag};
  }

  // Writes both meta pages and returns the whole file (high-water mark = pages so far).
  std::string Finish(Pgid root, Pgid freelist = kNoFreelist, uint64_t txid = 3) {
    const Pgid hwm = pages_.size() / page_size_;
    for (int m = 0; m < 2; ++m) {
      std::string page(page_size_, '\0');
      PutHeader(page, static_cast<uint64_t>(m), kMetaPageFlag, 0, 0);
      std::string meta(kMetaSize, '\0');
      Put32(meta, 0, kMagic);
      Put32(meta, 4, kVersion);
      Put32(meta, 8, page_size_);
      Put64(meta, 16, root);
      Put64(meta, 32, freelist);
      Put64(meta, 40, hwm);
      Put64(meta, 48, txid - static_cast<uint64_t>(m));
      Put64(meta, 56, MetaChecksum(Bytes(reinterpret_cast<const uint8_t*>(meta.data()), 56)));
      page.replace(kPageHeaderSize, kMetaSize, meta);
      pages_.replace(static_cast<size_t>(m) * page_size_, page_size_, page);
    }
    return pages_;
  }

  static void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }

  static void Put32(std::string& s, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
  }
  static void Put64(std::string& s, size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
  }

 private:
  Pgid Next() const { return pages_.size() / page_size_; }

  static void PutHeader(std::string& p, uint64_t id, uint16_t flags, uint16_t count,
                        uint32_t overflow) {
    Put64(p, 0, id);
    p[8] = static_cast<char>(flags);
    p[9] = static_cast<char>(flags >> 8);
    p[10] = static_cast<char>(count);
    p[11] = static_cast<char>(count >> 8);
    Put32(p, 12, overflow);
  }

  Pgid AddPage(std::string p) {
    const Pgid id = Next();
    const size_t pages = (p.size() + page_size_ - 1) / page_size_;
    Put32(p, 12, static_cast<uint32_t>(pages - 1));
    p.resize(pages * page_size_, '\0');
    pages_ += p;
    return id;
  }

  uint32_t page_size_;
  std::string pages_;
};

}  // namespace etcdsnap::bolt::testing
