// libFuzzer target over the bare bolt::Cursor, the way a restore walks an untrusted file: no
// observer (so no Check() deduplication), every bucket opened, nested and inline ones included,
// with the File's default page limit. Besides crashes and leaks it traps when a cursor held
// more page bytes than its cap allows (the cap plus the one page being read).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "etcdsnap/bolt/cursor.h"
#include "etcdsnap/bolt/file.h"
#include "mem_file.h"

namespace {

using namespace etcdsnap;  // NOLINT(build/namespaces): a fuzz driver

constexpr size_t kMaxBucketDepth = 16;
constexpr uint64_t kMaxSteps = 200000;

void CheckBound(const bolt::Cursor& c, const bolt::File& f) {
  if (c.peak_held_bytes() > c.max_held_bytes() + f.file_size()) __builtin_trap();
}

void WalkFile(const std::string& path) {
  auto file = bolt::File::Open(path);
  if (!file.ok()) return;
  const bolt::File& f = **file;
  struct Level {
    std::unique_ptr<bolt::Cursor> cursor;
    bool started = false;
  };
  std::vector<Level> stack;
  stack.push_back({std::make_unique<bolt::Cursor>(f, f.meta().root)});
  for (uint64_t steps = 0; !stack.empty() && steps < kMaxSteps; ++steps) {
    Level& level = stack.back();
    bolt::Cursor& c = *level.cursor;
    const Status s = level.started ? c.Next() : c.First();
    level.started = true;
    CheckBound(c, f);
    if (!s.ok() || !c.Valid()) {
      stack.pop_back();
      continue;
    }
    if (!c.IsBucket() || stack.size() >= kMaxBucketDepth) continue;
    Result<bolt::BucketHeader> h = bolt::DecodeBucketHeader(c.value());
    if (!h.ok()) continue;
    if (h->root != 0) {
      stack.push_back({std::make_unique<bolt::Cursor>(f, h->root)});
    } else {
      stack.push_back({std::make_unique<bolt::Cursor>(f, h->inline_page, "inline")});
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::WithMemFile(data, size, WalkFile);
  return 0;
}
