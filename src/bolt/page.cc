#include "etcdsnap/bolt/page.h"

namespace etcdsnap::bolt {

Result<PageView> PageView::Parse(Bytes bytes) {
  if (bytes.size() < kPageHeaderSize) {
    return Status::Corruption("page of " + std::to_string(bytes.size()) +
                              " bytes is shorter than a page header");
  }
  PageView v(bytes, DecodePageHeader(bytes));
  if (v.is_leaf() || v.is_branch()) ETCDSNAP_RETURN_IF_ERROR(v.CheckElements());
  return v;
}

Status PageView::CheckElements() const {
  const uint64_t size = bytes_.size();
  const uint64_t elements_end = kPageHeaderSize + uint64_t{kElementSize} * header_.count;
  if (elements_end > size) {
    return Status::Corruption(std::to_string(header_.count) + " elements need " +
                              std::to_string(elements_end) + " bytes but the " +
                              PageTypeName(header_.flags) + " page has " + std::to_string(size));
  }
  for (uint32_t i = 0; i < header_.count; ++i) {
    const uint64_t at = kPageHeaderSize + uint64_t{kElementSize} * i;
    const uint8_t* e = bytes_.data() + at;
    uint64_t pos, ksize, vsize = 0;
    if (is_leaf()) {
      pos = LoadLE32(e + 4);
      ksize = LoadLE32(e + 8);
      vsize = LoadLE32(e + 12);
    } else {
      pos = LoadLE32(e);
      ksize = LoadLE32(e + 4);
    }
    const uint64_t end = at + pos + ksize + vsize;  // at most 2^34 + 2^33: no overflow
    if (end > size) {
      return Status::Corruption("element " + std::to_string(i) + " points at bytes up to " +
                                std::to_string(end) + ", past the end of its " +
                                std::to_string(size) + "-byte page");
    }
  }
  return Status::Ok();
}

LeafElement PageView::leaf(uint16_t i) const {
  const size_t at = kPageHeaderSize + size_t{kElementSize} * i;
  const uint8_t* e = bytes_.data() + at;
  const size_t pos = LoadLE32(e + 4), ksize = LoadLE32(e + 8), vsize = LoadLE32(e + 12);
  LeafElement el;
  el.flags = LoadLE32(e);
  el.key = bytes_.subspan(at + pos, ksize);
  el.value = bytes_.subspan(at + pos + ksize, vsize);
  return el;
}

BranchElement PageView::branch(uint16_t i) const {
  const size_t at = kPageHeaderSize + size_t{kElementSize} * i;
  const uint8_t* e = bytes_.data() + at;
  const size_t pos = LoadLE32(e), ksize = LoadLE32(e + 4);
  BranchElement el;
  el.key = bytes_.subspan(at + pos, ksize);
  el.child = LoadLE64(e + 8);
  return el;
}

}  // namespace etcdsnap::bolt
