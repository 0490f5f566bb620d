#include "etcdsnap/util/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace etcdsnap::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82f63b78;  // reflected Castagnoli

struct Tables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};
constexpr Tables kTables;

// Shifting a CRC register over n zero bytes is linear over GF(2): a 32x32 bit matrix, kept as
// the images of the 32 basis vectors (ShiftTable applies one through four 256-entry tables).
using Matrix = std::array<uint32_t, 32>;

uint32_t Apply(const Matrix& m, uint32_t v) {
  uint32_t sum = 0;
  for (int i = 0; v != 0; ++i, v >>= 1) {
    if (v & 1) sum ^= m[i];
  }
  return sum;
}

Matrix Compose(const Matrix& a, const Matrix& b) {  // a after b
  Matrix r;
  for (int i = 0; i < 32; ++i) r[i] = Apply(a, b[i]);
  return r;
}

// The operator shifting the register over `zero_bytes` zero bytes (by squaring: log2(n) steps).
Matrix ZeroBytesOperator(uint64_t zero_bytes) {
  Matrix bit;  // one zero bit: the reflected register shifts right, the polynomial comes in
  bit[0] = kPoly;
  for (int i = 1; i < 32; ++i) bit[i] = 1u << (i - 1);
  Matrix byte = Compose(bit, bit);
  byte = Compose(byte, byte);
  byte = Compose(byte, byte);
  Matrix op;  // identity, then byte^zero_bytes
  for (int i = 0; i < 32; ++i) op[i] = 1u << i;
  for (Matrix base = byte; zero_bytes != 0; zero_bytes >>= 1, base = Compose(base, base)) {
    if (zero_bytes & 1) op = Compose(base, op);
  }
  return op;
}

#if defined(__x86_64__)
struct ShiftTable {
  std::array<std::array<uint32_t, 256>, 4> t;
  explicit ShiftTable(size_t zero_bytes) {
    const Matrix op = ZeroBytesOperator(zero_bytes);
    for (int k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) t[k][b] = Apply(op, b << (8 * k));
    }
  }
  uint32_t Shift(uint32_t c) const {
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^ t[3][c >> 24];
  }
};

// The crc32 instruction has a latency of three cycles and a throughput of one: one dependent
// chain uses a third of it. Three chains over three adjacent blocks run at once, and are then
// joined: crc(r, A|B|C) = shift(shift(crc(r, A)) ^ crc(0, B)) ^ crc(0, C) over the register
// values, each shift being over one block of zeros. Long blocks for long buffers, short ones
// for what is left (a 4 KiB value, say); below three short blocks, one chain.
constexpr size_t kLongBlock = 8192;
constexpr size_t kShortBlock = 256;

__attribute__((target("sse4.2"))) uint64_t ThreeChains(uint64_t c0, const uint8_t*& p, size_t& n,
                                                       size_t block, const ShiftTable& shift) {
  while (n >= 3 * block) {
    uint64_t c1 = 0, c2 = 0;
    for (const uint8_t* end = p + block; p < end; p += 8) {
      uint64_t w0, w1, w2;
      std::memcpy(&w0, p, 8);
      std::memcpy(&w1, p + block, 8);
      std::memcpy(&w2, p + 2 * block, 8);
      c0 = _mm_crc32_u64(c0, w0);
      c1 = _mm_crc32_u64(c1, w1);
      c2 = _mm_crc32_u64(c2, w2);
    }
    c0 = shift.Shift(static_cast<uint32_t>(c0)) ^ c1;
    c0 = shift.Shift(static_cast<uint32_t>(c0)) ^ c2;
    p += 2 * block;
    n -= 3 * block;
  }
  return c0;
}

__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const uint8_t* p,
                                                            size_t n) {
  uint64_t c = ~crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --n;
  }
  if (n >= 3 * kShortBlock) {  // keys and small values skip the tables' guard
    static const ShiftTable long_shift(kLongBlock), short_shift(kShortBlock);
    c = ThreeChains(c, p, n, kLongBlock, long_shift);
    c = ThreeChains(c, p, n, kShortBlock, short_shift);
  }
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --n;
  }
  return ~static_cast<uint32_t>(c);
}

bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  const auto& t = kTables.t;
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

uint32_t Extend(uint32_t crc, const void* data, size_t n) {
#if defined(__x86_64__)
  if (HaveSse42()) return ExtendHardware(crc, static_cast<const uint8_t*>(data), n);
#endif
  return ExtendPortable(crc, data, n);
}

// Extend(c, B) = ~R(~c, B) with R the raw register update, and R(r, B) = shift_len(B)(r) ^
// R(0, B) (linear in r). The inversions cancel: Extend(c, B) = shift(c) ^ Extend(0, B).
uint32_t Combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
  if (len_b == 0) return crc_a;
  return Apply(ZeroBytesOperator(len_b), crc_a) ^ crc_b;
}

}  // namespace etcdsnap::crc32c
