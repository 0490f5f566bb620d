// A 128-bit non-cryptographic hash of a byte string (MurmurHash3's x64 128-bit variant): for
// keying large in-memory tables by a fixed-size digest instead of the bytes themselves. Two
// distinct strings share a digest with probability about 2^-128 (n^2 / 2^129 among n strings),
// unless someone crafts them to. Pure function, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace etcdsnap {

struct Hash128 {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const Hash128&) const = default;
};

Hash128 HashBytes128(const void* data, size_t n, uint64_t seed = 0);
inline Hash128 HashBytes128(std::string_view s, uint64_t seed = 0) {
  return HashBytes128(s.data(), s.size(), seed);
}

}  // namespace etcdsnap
