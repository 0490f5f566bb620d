// libFuzzer target over the decompressors that status, verify and restore run on a snapshot
// file told compressed by its magic: any input, zstd or gzip (the fuzzer finds both magics from
// the seeds), read to its end or to its first error. Output is capped so that a small bomb
// costs time, not the run.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/file.h"
#include "mem_file.h"

namespace {

using namespace etcdsnap;  // NOLINT(build/namespaces): a fuzz driver

constexpr uint64_t kMaxOutput = uint64_t{64} << 20;

void ReadAll(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return;
  const Compression c = DetectFileCompression(fd.get());
  if (c == Compression::kNone) return;
  auto d = Decompressor::Create(c, fd.get(), path);
  if (!d.ok()) return;
  std::vector<uint8_t> buf(1 << 16);
  uint64_t total = 0;
  while (total < kMaxOutput) {
    auto n = (*d)->Read(buf);
    if (!n.ok() || *n == 0) return;
    if (*n > buf.size()) __builtin_trap();
    total += *n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::WithMemFile(data, size, ReadAll);
  return 0;
}
