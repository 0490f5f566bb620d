#include "etcdsnap/util/sha256.h"

#include <gtest/gtest.h>
#include <openssl/provider.h>

#include <cstdlib>

namespace etcdsnap {
namespace {

TEST(Sha256Test, KnownVector) {
  Sha256 h;
  h.Update("ab", 2);
  h.Update("c", 1);
  auto d = h.Finish();
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(HexString(*d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, SecondFinishIsAnError) {
  Sha256 h;
  ASSERT_TRUE(h.Finish().ok());
  auto again = h.Finish();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kInternal);
}

// The hasher uses no OpenSSL provider (EVP's first fetch would load and initialise one: over a
// megabyte of code for save, status, verify and restore). With only the null provider loaded,
// where EVP finds no SHA-256 at all, it still hashes. Runs in a fresh process (the threadsafe
// death-test style re-executes the binary), where no provider has been loaded yet.
TEST(Sha256DeathTest, NeedsNoOpenSslProvider) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        if (OSSL_PROVIDER_load(nullptr, "null") == nullptr) std::_Exit(2);
        Sha256 h;
        h.Update("abc", 3);
        auto d = h.Finish();
        constexpr const char* kAbc =
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        std::_Exit(d.ok() && HexString(*d) == kAbc ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace etcdsnap
