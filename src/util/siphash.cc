#include "etcdsnap/util/siphash.h"

#include <sys/random.h>

#include <chrono>
#include <cstring>

namespace etcdsnap {
namespace {

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct State {
  uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
  void Compress(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

uint64_t LoadLittle64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

uint64_t SipHash24(const SipKey& key, const void* data, size_t n) {
  State s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
          key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
  const auto* p = static_cast<const unsigned char*>(data);
  const size_t whole = n - n % 8;
  for (size_t i = 0; i < whole; i += 8) s.Compress(LoadLittle64(p + i));
  // The last block: the remaining bytes, the length's low byte at the top.
  uint64_t last = static_cast<uint64_t>(n) << 56;
  for (size_t i = 0; i < n % 8; ++i) last |= static_cast<uint64_t>(p[whole + i]) << (8 * i);
  s.Compress(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

const SipKey& ProcessSipKey() {
  static const SipKey key = [] {
    SipKey k;
    if (::getrandom(&k, sizeof k, 0) != static_cast<ssize_t>(sizeof k)) {
      // No entropy source (a very early boot): the clock's bits still differ per process.
      const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
      k.k0 = static_cast<uint64_t>(now) * 0x9e3779b97f4a7c15ULL;
      k.k1 = reinterpret_cast<uintptr_t>(&k) ^ static_cast<uint64_t>(now);
    }
    return k;
  }();
  return key;
}

}  // namespace etcdsnap
