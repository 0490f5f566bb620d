#include "etcdsnap/util/hash128.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

namespace etcdsnap {
namespace {

// MurmurHash3_x64_128's published values (its first 8 bytes are h1, little-endian).
TEST(Hash128Test, KnownValues) {
  EXPECT_EQ(HashBytes128(""), (Hash128{0, 0}));
  const Hash128 fox = HashBytes128("The quick brown fox jumps over the lazy dog");
  EXPECT_EQ(fox.lo, 0xe34bbc7bbc071b6cULL);
  EXPECT_EQ(fox.hi, 0x7a433ca9c49a9347ULL);
}

TEST(Hash128Test, EveryTailLengthAndSeedMatter) {
  std::set<std::pair<uint64_t, uint64_t>> seen;
  std::string s;
  for (int n = 0; n < 64; ++n) {
    const Hash128 h = HashBytes128(s);
    EXPECT_TRUE(seen.insert({h.lo, h.hi}).second) << n;
    EXPECT_NE(HashBytes128(s, 1), h) << n;
    s.push_back(static_cast<char>('a' + n % 26));
  }
}

TEST(Hash128Test, NoCollisionsAmongManySimilarKeys) {
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (int i = 0; i < 200000; ++i) {
    const Hash128 h = HashBytes128("/registry/pods/default/pod-" + std::to_string(i));
    ASSERT_TRUE(seen.insert({h.lo, h.hi}).second) << i;
  }
}

}  // namespace
}  // namespace etcdsnap
