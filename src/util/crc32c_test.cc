#include "etcdsnap/util/crc32c.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace etcdsnap::crc32c
