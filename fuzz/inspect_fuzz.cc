// libFuzzer target over `snapshot inspect`'s path on an untrusted file: the Check() walk with
// the report's visitor (KeyValue and lease decoding, the per-key table, Kubernetes key and value
// parsing), the summary, with the default prefix and with one taken from the input; and the
// value and key readers on the raw input. Besides crashes, leaks and timeouts it traps when two
// runs over the same file disagree (the report must depend on nothing but the file).
#include <cstddef>
#include <cstdint>
#include <string>

#include "etcdsnap/etcd/kubernetes.h"
#include "etcdsnap/snapshot/inspect.h"
#include "mem_file.h"

namespace {

using namespace etcdsnap;  // NOLINT(build/namespaces): a fuzz driver

uint64_t Fingerprint(const snapshot::InspectReport& r) {
  uint64_t h = r.keys * 31 + r.live_keys;
  h = h * 31 + r.revisions;
  h = h * 31 + r.user_bytes;
  h = h * 31 + r.free_pages;
  for (const auto& res : r.resources) h = h * 31 + res.bytes_all_revisions + res.objects;
  for (const auto& k : r.largest) h = h * 31 + k.key.size() + k.bytes;
  for (const auto& n : r.namespaces) h = h * 31 + n.objects;
  return h;
}

void InspectFile(const std::string& path, const uint8_t* data, size_t size) {
  std::string prefix = "/registry";
  if (size > 4 && data[size - 1] < 8) {
    prefix = "/" + std::string(reinterpret_cast<const char*>(data + size - 4), 3);
  }
  for (const std::vector<std::string>& prefixes :
       {std::vector<std::string>{"/registry"}, std::vector<std::string>{prefix, ""}}) {
    snapshot::InspectOptions o{.path = path, .prefixes = prefixes, .top = 3};
    auto a = snapshot::Inspect(o);
    auto b = snapshot::Inspect(o);
    if (a.ok() != b.ok() || (a.ok() && Fingerprint(*a) != Fingerprint(*b))) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const etcd::ValueType t = etcd::DetectValueType(raw);
  if (t.api_version.size() > etcd::kMaxTypeNameSize || t.kind.size() > etcd::kMaxTypeNameSize) {
    __builtin_trap();
  }
  (void)etcd::ParseRegistryKey(raw, {"/registry", ""});
  fuzz::WithMemFile(data, size, [&](const std::string& path) { InspectFile(path, data, size); });
  return 0;
}
