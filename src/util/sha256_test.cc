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

// With only OpenSSL's null provider loaded no SHA-256 exists: the hasher must report that as
// a Status from Finish(), not throw or hash nothing. Runs in a fresh process (the threadsafe
// death-test style re-executes the binary), where no provider has been loaded yet.
TEST(Sha256DeathTest, OpenSslFailureIsAStatusNotAnException) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        if (OSSL_PROVIDER_load(nullptr, "null") == nullptr) std::_Exit(2);
        Sha256 h;
        h.Update("abc", 3);
        auto d = h.Finish();
        std::_Exit(!d.ok() && d.status().code() == Code::kInternal &&
                           d.status().message().rfind("OpenSSL: cannot initialise SHA-256", 0) == 0
                       ? 0
                       : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace etcdsnap
