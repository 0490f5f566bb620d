// SipHash-2-4 against the reference implementation's vectors (key 00 01 .. 0f, messages
// 00 01 .. n-1; as `openssl mac -macopt hexkey:000102030405060708090a0b0c0d0e0f SIPHASH` gives
// them), over every tail length; the process key differs from zero and is stable.
#include "etcdsnap/util/siphash.h"

#include <gtest/gtest.h>

#include <string>

namespace etcdsnap {
namespace {

TEST(SipHashTest, ReferenceVectors) {
  const SipKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  std::string msg;
  for (int i = 0; i < 64; ++i) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash24(key, msg.substr(0, 0)), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(SipHash24(key, msg.substr(0, 1)), 0x74f839c593dc67fdULL);
  EXPECT_EQ(SipHash24(key, msg.substr(0, 2)), 0x0d6c8009d9a94f5aULL);
  EXPECT_EQ(SipHash24(key, msg.substr(0, 15)), 0xa129ca6149be45e5ULL);
  EXPECT_EQ(SipHash24(key, msg.substr(0, 18)), 0x4bc1b3f0968dd39cULL);
}

TEST(SipHashTest, KeyedAndStable) {
  const SipKey& k = ProcessSipKey();
  EXPECT_EQ(&k, &ProcessSipKey());
  EXPECT_FALSE(k.k0 == 0 && k.k1 == 0);
  EXPECT_EQ(SipStringHash{}("pods"), SipHash24(k, "pods"));
  EXPECT_NE(SipHash24(SipKey{1, 2}, "pods"), SipHash24(SipKey{1, 3}, "pods"));
}

}  // namespace
}  // namespace etcdsnap
