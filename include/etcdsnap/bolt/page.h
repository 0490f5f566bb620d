// PageView: a bounds-checked view of one logical bbolt page (a page and its overflow pages, or
// an inline bucket's page image). Borrows its bytes; the owner keeps them alive. Construct with
// Parse(), which proves every element's key and value lie inside the bytes, so the accessors
// need no further checks. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>

#include "etcdsnap/bolt/format.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::bolt {

class PageView {
 public:
  PageView() = default;

  // Checks the header and, for leaf and branch pages, every element. Other page types (and
  // flags that are not exactly one type, such as 0x03) are accepted with no element check: the
  // caller decides whether their type is wanted.
  static Result<PageView> Parse(Bytes bytes);

  const PageHeader& header() const { return header_; }
  Bytes bytes() const { return bytes_; }
  uint16_t count() const { return header_.count; }
  // Exactly one type: bbolt's cursor takes 0x03 for a leaf and its Check() for a branch, so a
  // page with mixed flags is neither.
  bool is_leaf() const { return header_.flags == kLeafPageFlag; }
  bool is_branch() const { return header_.flags == kBranchPageFlag; }

  LeafElement leaf(uint16_t i) const;
  BranchElement branch(uint16_t i) const;

 private:
  PageView(Bytes bytes, PageHeader header) : bytes_(bytes), header_(header) {}
  Status CheckElements() const;

  Bytes bytes_;
  PageHeader header_;
};

}  // namespace etcdsnap::bolt
