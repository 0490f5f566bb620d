#include "etcdsnap/bolt/format.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace etcdsnap::bolt {

PageHeader DecodePageHeader(Bytes b) {
  assert(b.size() >= kPageHeaderSize);
  PageHeader h;
  h.id = LoadLE64(b.data());
  h.flags = LoadLE16(b.data() + 8);
  h.count = LoadLE16(b.data() + 10);
  h.overflow = LoadLE32(b.data() + 12);
  return h;
}

std::string Quote(std::string_view s, size_t limit) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s.substr(0, limit)) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > limit) out += "...";
  return out + "\"";
}

std::string PageTypeName(uint16_t flags) {
  if (flags & kBranchPageFlag) return "branch";
  if (flags & kLeafPageFlag) return "leaf";
  if (flags & kMetaPageFlag) return "meta";
  if (flags & kFreelistPageFlag) return "freelist";
  char buf[32];
  std::snprintf(buf, sizeof buf, "unknown<%02x>", flags);
  return buf;
}

std::string WrongTypeName(uint16_t flags, const char* want) {
  for (uint16_t one : {kBranchPageFlag, kLeafPageFlag, kMetaPageFlag, kFreelistPageFlag}) {
    if (flags == one) return PageTypeName(flags);
  }
  if ((flags & (kBranchPageFlag | kLeafPageFlag | kMetaPageFlag | kFreelistPageFlag)) == 0) {
    return PageTypeName(flags);
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "flags 0x%02x", flags);
  return std::string(buf) + ", not exactly " + want;
}

Meta DecodeMeta(Bytes b) {
  assert(b.size() >= kMetaSize);
  const uint8_t* p = b.data();
  Meta m;
  m.magic = LoadLE32(p);
  m.version = LoadLE32(p + 4);
  m.page_size = LoadLE32(p + 8);
  m.flags = LoadLE32(p + 12);
  m.root = LoadLE64(p + 16);
  m.sequence = LoadLE64(p + 24);
  m.freelist = LoadLE64(p + 32);
  m.pgid = LoadLE64(p + 40);
  m.txid = LoadLE64(p + 48);
  m.checksum = LoadLE64(p + 56);
  return m;
}

uint64_t MetaChecksum(Bytes b) {
  assert(b.size() >= 56);
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < 56; ++i) {
    h ^= b[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

Status ValidateMeta(const Meta& m, Bytes raw) {
  if (m.magic != kMagic) return Status::Corruption("invalid database");
  if (m.version != kVersion) return Status::Corruption("version mismatch");
  if (m.checksum != MetaChecksum(raw)) return Status::Corruption("checksum error");
  return Status::Ok();
}

Result<BucketHeader> DecodeBucketHeader(Bytes value) {
  if (value.size() < kBucketHeaderSize) {
    return Status::Corruption("bucket value is " + std::to_string(value.size()) +
                              " bytes, shorter than the 16-byte bucket header");
  }
  BucketHeader h;
  h.root = LoadLE64(value.data());
  h.sequence = LoadLE64(value.data() + 8);
  if (h.root == 0) {
    h.inline_page = value.subspan(kBucketHeaderSize);
    if (h.inline_page.size() < kPageHeaderSize) {
      return Status::Corruption("inline bucket value is " + std::to_string(value.size()) +
                                " bytes, too short to hold its page header");
    }
  }
  return h;
}

}  // namespace etcdsnap::bolt
