// SipHash-2-4 (Aumasson and Bernstein), a keyed 64-bit hash for hash tables whose keys come from
// an untrusted file: without the key, inputs cannot be crafted to collide, which unkeyed or
// merely seeded hashes (MurmurHash3, std::hash) do not give. `ProcessSipKey()` is one random key
// per process, for tables that need no stable order. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace etcdsnap {

struct SipKey {
  uint64_t k0 = 0, k1 = 0;
};

uint64_t SipHash24(const SipKey& key, const void* data, size_t n);
inline uint64_t SipHash24(const SipKey& key, std::string_view s) {
  return SipHash24(key, s.data(), s.size());
}

// A key drawn from getrandom() once per process.
const SipKey& ProcessSipKey();

// A transparent hasher for unordered containers of strings keyed by ProcessSipKey().
struct SipStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return SipHash24(ProcessSipKey(), s); }
};

}  // namespace etcdsnap
