#include "page_encoder.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace etcdsnap::bolt {

size_t NodeSize(const std::vector<Inode>& inodes, bool leaf) {
  return NodeSize(inodes, 0, inodes.size(), leaf);
}

std::vector<uint8_t> EncodeNode(const std::vector<Inode>& inodes, size_t begin, size_t end,
                                bool leaf, Pgid id, uint32_t page_size) {
  const size_t size = NodeSize(inodes, begin, end, leaf);
  const size_t pages = page_size == 0 ? 0 : (size + page_size - 1) / page_size;
  std::vector<uint8_t> out(page_size == 0 ? size : pages * page_size, 0);
  uint8_t* p = out.data();
  StoreLE64(p, id);
  StoreLE16(p + 8, leaf ? kLeafPageFlag : kBranchPageFlag);
  StoreLE16(p + 10, static_cast<uint16_t>(end - begin));
  StoreLE32(p + 12, pages == 0 ? 0 : static_cast<uint32_t>(pages - 1));
  size_t data = kPageHeaderSize + kElementSize * (end - begin);
  for (size_t i = begin; i < end; ++i) {
    const Inode& in = inodes[i];
    const size_t at = kPageHeaderSize + kElementSize * (i - begin);
    const uint32_t pos = static_cast<uint32_t>(data - at);
    if (leaf) {
      StoreLE32(p + at, in.flags);
      StoreLE32(p + at + 4, pos);
      StoreLE32(p + at + 8, static_cast<uint32_t>(in.key.size()));
      StoreLE32(p + at + 12, static_cast<uint32_t>(in.value.size()));
    } else {
      StoreLE32(p + at, pos);
      StoreLE32(p + at + 4, static_cast<uint32_t>(in.key.size()));
      StoreLE64(p + at + 8, in.child);
    }
    std::memcpy(p + data, in.key.data(), in.key.size());
    data += in.key.size();
    if (leaf) {
      std::memcpy(p + data, in.value.data(), in.value.size());
      data += in.value.size();
    }
  }
  return out;
}

size_t FreelistBytes(size_t count) {
  return kPageHeaderSize + 8 * (count >= kFreelistCountOverflow ? count + 1 : count);
}

std::vector<uint8_t> EncodeFreelist(const std::vector<Pgid>& ids, Pgid id, uint64_t pages,
                                    uint32_t page_size) {
  std::vector<uint8_t> out(pages * page_size, 0);
  uint8_t* p = out.data();
  StoreLE64(p, id);
  StoreLE16(p + 8, kFreelistPageFlag);
  StoreLE32(p + 12, static_cast<uint32_t>(pages - 1));
  size_t at = kPageHeaderSize;
  if (ids.size() >= kFreelistCountOverflow) {
    StoreLE16(p + 10, kFreelistCountOverflow);
    StoreLE64(p + at, ids.size());
    at += 8;
  } else {
    StoreLE16(p + 10, static_cast<uint16_t>(ids.size()));
  }
  for (Pgid f : ids) {
    StoreLE64(p + at, f);
    at += 8;
  }
  return out;
}

std::vector<uint8_t> EncodeMetaPage(const Meta& m, Pgid slot, uint32_t page_size) {
  std::vector<uint8_t> out(page_size, 0);
  uint8_t* p = out.data();
  StoreLE64(p, slot);
  StoreLE16(p + 8, kMetaPageFlag);
  uint8_t* q = p + kPageHeaderSize;
  StoreLE32(q, m.magic);
  StoreLE32(q + 4, m.version);
  StoreLE32(q + 8, m.page_size);
  StoreLE32(q + 12, m.flags);
  StoreLE64(q + 16, m.root);
  StoreLE64(q + 24, m.sequence);
  StoreLE64(q + 32, m.freelist);
  StoreLE64(q + 40, m.pgid);
  StoreLE64(q + 48, m.txid);
  StoreLE64(q + 56, MetaChecksum(Bytes(q, kMetaSize)));
  return out;
}

std::string EncodeBucketValue(Pgid root, uint64_t sequence,
                              const std::vector<uint8_t>& inline_page) {
  std::string v(kBucketHeaderSize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(v.data());
  StoreLE64(p, root);
  StoreLE64(p + 8, sequence);
  v.append(reinterpret_cast<const char*>(inline_page.data()), inline_page.size());
  return v;
}

Status PwriteAll(int fd, uint64_t offset, const std::vector<uint8_t>& bytes,
                 const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::FromErrno("write " + path, n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status CheckKeyValue(std::string_view key, uint64_t value_size) {
  if (key.empty()) return Status::InvalidArgument("key required (bbolt keys are non-empty)");
  if (key.size() > kMaxKeySize) {
    return Status::InvalidArgument("key too large: " + std::to_string(key.size()) +
                                   " bytes (bbolt allows " + std::to_string(kMaxKeySize) + ")");
  }
  if (value_size > kMaxValueSize) {
    return Status::InvalidArgument("value too large: " + std::to_string(value_size) + " bytes");
  }
  return Status::Ok();
}

}  // namespace etcdsnap::bolt
