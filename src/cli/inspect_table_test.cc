// inspect's ENCRYPTION AT REST table: a row per key, so that long KMS v2 key IDs (ARNs, URLs)
// are printed whole however many keys a rotation leaves.
#include <gtest/gtest.h>

#include <string>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/snapshot/inspect.h"

namespace etcdsnap::cli {
namespace {

using snapshot::EncryptionCount;
using snapshot::InspectReport;
using snapshot::ResourceReport;

TEST(InspectTableTest, EveryKmsV2KeyIdOfARotationIsPrintedWhole) {
  const std::string arn1 = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const std::string arn2 = "arn:aws:kms:us-east-1:123456789012:key/9876fedc-98fe-76dc-54ba-0987654321fe";
  InspectReport r;
  ResourceReport secrets;
  secrets.resource = secrets.path = "secrets";
  secrets.objects = 8000;
  secrets.plain = 1;
  secrets.encryption = {EncryptionCount{"kms", "v2", "aws-encryption-provider", arn2, 5120},
                        EncryptionCount{"kms", "v2", "aws-encryption-provider", arn1, 2879}};
  ResourceReport pods;
  pods.resource = pods.path = "pods";
  pods.objects = 3;
  pods.plain = 3;
  r.resources = {secrets, pods};
  const std::string t = EncryptionSection(r, false);
  EXPECT_NE(t.find("|  secrets |    8000 |     1 |      7999 | kms:v2:aws-encryption-provider[" +
                   arn2 + "] |     5120 |"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("|  secrets |         |       |           | kms:v2:aws-encryption-provider[" +
                   arn1 + "] |     2879 |"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("|     pods |       3 |     3 |         0 |"), std::string::npos) << t;
  EXPECT_EQ(t.find("..."), std::string::npos) << t;  // nothing cut
}

TEST(InspectTableTest, NothingEncryptedIsOneLine) {
  InspectReport r;
  ResourceReport pods;
  pods.resource = pods.path = "pods";
  pods.objects = 3;
  pods.plain = 3;
  r.resources = {pods};
  EXPECT_EQ(EncryptionSection(r, false), "\nENCRYPTION AT REST: no object is encrypted\n");
}

}  // namespace
}  // namespace etcdsnap::cli
