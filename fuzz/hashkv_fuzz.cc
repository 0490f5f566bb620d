// libFuzzer target over `snapshot hashkv`'s path on an untrusted file: meta's compaction marks,
// both walks of bucket `key` (KeyValue decoding, the per-key table), at the default revisions
// and at a revision and compact revision taken from the input, with 3.4.23's rules and the
// newest. Besides crashes and leaks it traps when the same file and revisions hash differently
// from one call to the next (the table must not depend on anything but the file).
#include <cstddef>
#include <cstdint>
#include <string>

#include "etcdsnap/snapshot/hashkv.h"
#include "mem_file.h"

namespace {

using namespace etcdsnap;  // NOLINT(build/namespaces): a fuzz driver

void HashFile(const std::string& path, const uint8_t* data, size_t size) {
  const int64_t rev = size > 0 ? data[size - 1] % 64 : 0;
  const int64_t compact = size > 1 ? data[size - 2] % 64 : 0;
  for (const char* version : {"3.4.23", ""}) {
    const etcd::HashKvRules rules = *etcd::HashKvRulesFor(version);
    for (int64_t r : {int64_t{0}, rev}) {
      snapshot::HashKvOptions o{.path = path, .revision = r, .rules = rules};
      if (compact > 0) o.compact_revision = compact;
      auto a = snapshot::ComputeHashKv(o);
      auto b = snapshot::ComputeHashKv(o);
      if (a.ok() != b.ok() || (a.ok() && a->hash != b->hash)) __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::WithMemFile(data, size, [&](const std::string& path) { HashFile(path, data, size); });
  return 0;
}
