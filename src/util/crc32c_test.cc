#include "etcdsnap/util/crc32c.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace etcdsnap::crc32c {
namespace {

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
  std::string buf;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 100000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    buf.push_back(static_cast<char>(x));
  }
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

}  // namespace
}  // namespace etcdsnap::crc32c
