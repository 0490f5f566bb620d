#include "etcdsnap/client/tls.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace etcdsnap::client {
namespace {


class TlsMaterialTest : public etcdsnap::testing::TempDirTest {
 protected:
  void SetUp() override {
    // One self-signed cert and two keys, made by the openssl CLI the tests depend on anyway.
    const std::string d = dir_.string();
    ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d +
                           "/a.key -out " + d + "/a.crt -days 1 -subj /CN=a 2>/dev/null")
                              .c_str()),
              0);
    ASSERT_EQ(std::system(("openssl genrsa -out " + d + "/b.key 2048 2>/dev/null").c_str()), 0);
    std::ofstream(dir_ / "junk.pem") << "not a pem file\n";
  }
  std::string P(const char* name) const { return (dir_ / name).string(); }
};

TEST_F(TlsMaterialTest, LoadsMatchingPair) {
  auto m = TlsMaterial::Load({P("a.crt"), P("a.crt"), P("a.key"), false});
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_NE(m->cert_pem().find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_FALSE(m->key_pem().empty());
}

TEST_F(TlsMaterialTest, MissingFileNamesFlagAndPath) {
  auto m = TlsMaterial::Load({P("nope.crt"), "", "", false});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("--cacert"), std::string::npos);
  EXPECT_NE(m.status().message().find("nope.crt"), std::string::npos);
}

TEST_F(TlsMaterialTest, NonPemIsRefused) {
  auto m = TlsMaterial::Load({P("junk.pem"), "", "", false});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("no PEM certificate"), std::string::npos);
}

TEST_F(TlsMaterialTest, MismatchedKeyIsRefused) {
  auto m = TlsMaterial::Load({"", P("a.crt"), P("b.key"), false});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("does not match"), std::string::npos);
}

TEST_F(TlsMaterialTest, CertWithoutKeyIsRefused) {
  auto m = TlsMaterial::Load({"", P("a.crt"), "", false});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("--key"), std::string::npos);
}

TEST_F(TlsMaterialTest, ErrorNeverContainsKeyMaterial) {
  auto m = TlsMaterial::Load({"", P("a.crt"), P("b.key"), false});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message().find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace etcdsnap::client
