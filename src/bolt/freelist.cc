#include "etcdsnap/bolt/freelist.h"

#include <vector>

namespace etcdsnap::bolt {

Result<PageHeader> ForEachFreelistId(const File& file, Pgid id,
                                     const std::function<void(Pgid)>& fn) {
  std::vector<uint8_t> buf;
  ETCDSNAP_ASSIGN_OR_RETURN(PageView page, file.ReadPage(id, &buf));
  const PageHeader& h = page.header();
  const std::string where = "page " + std::to_string(id) + ": ";
  if (h.flags != kFreelistPageFlag) {
    return Status::Corruption(where + "invalid freelist page, page type is " +
                              WrongTypeName(h.flags, "freelist"));
  }
  const Bytes bytes = page.bytes();
  uint64_t count = h.count;
  uint64_t start = kPageHeaderSize;
  if (h.count == kFreelistCountOverflow) {
    if (bytes.size() < kPageHeaderSize + 8) {
      return Status::Corruption(where + "freelist page too short for its count");
    }
    count = LoadLE64(bytes.data() + kPageHeaderSize);
    start += 8;
  }
  if (count > (bytes.size() - start) / 8) {
    return Status::Corruption(where + "freelist claims " + std::to_string(count) +
                              " ids, more than its " + std::to_string(bytes.size()) +
                              " bytes can hold");
  }
  for (uint64_t i = 0; i < count; ++i) fn(LoadLE64(bytes.data() + start + 8 * i));
  return h;
}

}  // namespace etcdsnap::bolt
