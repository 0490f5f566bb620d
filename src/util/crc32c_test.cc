#include "etcdsnap/util/crc32c.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace etcdsnap::crc32c {
namespace {

// `n` bytes of xorshift64 from `seed`: arbitrary, the same on every run.
std::string Xorshift(size_t n, uint64_t seed) {
  std::string buf;
  for (size_t i = 0; i < n; ++i) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    buf.push_back(static_cast<char>(seed));
  }
  return buf;
}

TEST(Crc32cTest, StandardCheckValue) { EXPECT_EQ(Value("123456789"), 0xe3069283u); }

TEST(Crc32cTest, EmptyIsZero) { EXPECT_EQ(Value(""), 0u); }

TEST(Crc32cTest, ExtendEqualsWhole) {
  const std::string a = "hello, ", b = "world and some more bytes to pass eight";
  EXPECT_EQ(Extend(Extend(0, a), b), Value(a + b));
}

TEST(Crc32cTest, HardwareMatchesPortableAtEveryLengthAndAlignment) {
  std::string buf;
  for (int i = 0; i < 300; ++i) buf.push_back(static_cast<char>(i * 37 + 11));
  for (size_t off = 0; off < 9; ++off) {
    for (size_t len = 0; off + len <= buf.size(); len += 7) {
      EXPECT_EQ(Extend(5, buf.data() + off, len), ExtendPortable(5, buf.data() + off, len))
          << off << "/" << len;
    }
  }
}

// The three-chain path: lengths around multiples of both block sizes (3 x 256, 3 x 8192), at
// every alignment, against the table-driven CRC; and a long buffer cut at random places.
TEST(Crc32cTest, InterleavedChainsMatchPortableAroundTheirBlockSizes) {
  const std::string buf = Xorshift(100000, 0x9e3779b97f4a7c15ull);
  for (size_t base : {size_t{768}, size_t{1536}, size_t{24576}, size_t{49152 + 768}}) {
    for (size_t len = base - 9; len <= base + 9; ++len) {
      for (size_t off = 0; off < 8; ++off) {
        ASSERT_EQ(Extend(0xdeadbeef, buf.data() + off, len),
                  ExtendPortable(0xdeadbeef, buf.data() + off, len))
            << off << "/" << len;
      }
    }
  }
  EXPECT_EQ(Extend(0, buf.data(), buf.size()), ExtendPortable(0, buf.data(), buf.size()));
  uint32_t pieces = 0;
  for (size_t at = 0, step = 1; at < buf.size(); at += step, step = step * 7 % 40009 + 1) {
    pieces = Extend(pieces, buf.data() + at, std::min(step, buf.size() - at));
  }
  EXPECT_EQ(pieces, Value(buf));
}

// What the parallel status walk relies on: the CRC of a concatenation from the CRCs of its two
// parts, at every split of a buffer up to 300 bytes (lengths 0 included on both sides), at
// lengths around the powers of two the squaring visits, and over a long second part.
TEST(Crc32cTest, CombineEqualsTheCrcOfTheConcatenation) {
  const std::string buf = Xorshift(70000, 0x2545f4914f6cdd1dull);
  for (size_t total : {size_t{0}, size_t{1}, size_t{9}, size_t{300}}) {
    for (size_t cut = 0; cut <= total; ++cut) {
      const std::string a = buf.substr(0, cut), b = buf.substr(cut, total - cut);
      ASSERT_EQ(Combine(Value(a), Value(b), b.size()), Value(a + b)) << cut << "/" << total;
    }
  }
  for (size_t p = 1; p < 65536; p *= 2) {
    for (size_t len : {p - 1, p, p + 1}) {
      const std::string a = buf.substr(0, 5), b = buf.substr(7, len);
      ASSERT_EQ(Combine(Value(a), Value(b), len), Value(a + b)) << len;
    }
  }
  EXPECT_EQ(Combine(0x12345678, 0, 0), 0x12345678u);  // nothing appended: unchanged
  EXPECT_EQ(Combine(Value(buf.substr(0, 3)), Value(buf.substr(3)), buf.size() - 3), Value(buf));
}

}  // namespace
}  // namespace etcdsnap::crc32c
