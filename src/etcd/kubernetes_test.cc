// Kubernetes keys and values read without a scheme: every path shape the apiserver writes
// (built-ins, renamed built-ins, groups, namespaced and cluster-scoped, other prefixes) and every
// value encoding, with damaged and hostile values.
#include "etcdsnap/etcd/kubernetes.h"

#include <gtest/gtest.h>

#include "test_kubernetes.h"

namespace etcdsnap::etcd {
namespace {

using namespace std::string_literals;
using testing::Encrypted;
using testing::ProtobufEnvelope;

const std::vector<std::string> kDefault = {"/registry"};

struct Parsed {
  std::string group, path, resource, ns, name;
  bool operator==(const Parsed&) const = default;
};
std::ostream& operator<<(std::ostream& o, const Parsed& p) {
  return o << "{" << p.group << "|" << p.path << "|" << p.resource << "|" << p.ns << "|"
           << p.name << "}";
}

std::optional<Parsed> Parse(std::string_view key, const std::vector<std::string>& prefixes = kDefault) {
  auto k = ParseRegistryKey(key, prefixes);
  if (!k) return std::nullopt;
  return Parsed{std::string(k->group), std::string(k->path), std::string(k->resource),
                std::string(k->ns), std::string(k->name)};
}

TEST(ParseRegistryKeyTest, BuiltInsHaveNoGroupInTheirPath) {
  EXPECT_EQ(Parse("/registry/pods/default/web-0"), (Parsed{"", "pods", "pods", "default", "web-0"}));
  EXPECT_EQ(Parse("/registry/deployments/kube-system/coredns"),
            (Parsed{"", "deployments", "deployments", "kube-system", "coredns"}));
  EXPECT_EQ(Parse("/registry/clusterroles/admin"),
            (Parsed{"", "clusterroles", "clusterroles", "", "admin"}));
  EXPECT_EQ(Parse("/registry/leases/kube-node-lease/node-1"),
            (Parsed{"", "leases", "leases", "kube-node-lease", "node-1"}));
  EXPECT_EQ(Parse("/registry/ranges/serviceips"),
            (Parsed{"", "ranges", "ranges", "", "serviceips"}));
  EXPECT_EQ(Parse("/registry/masterleases/10.0.0.1"),
            (Parsed{"", "masterleases", "masterleases", "", "10.0.0.1"}));
}

TEST(ParseRegistryKeyTest, RenamedBuiltInsGetTheirApiResource) {
  EXPECT_EQ(Parse("/registry/services/specs/default/kubernetes"),
            (Parsed{"", "services/specs", "services", "default", "kubernetes"}));
  EXPECT_EQ(Parse("/registry/services/endpoints/default/kubernetes"),
            (Parsed{"", "services/endpoints", "endpoints", "default", "kubernetes"}));
  EXPECT_EQ(Parse("/registry/minions/node-1"), (Parsed{"", "minions", "nodes", "", "node-1"}));
  EXPECT_EQ(Parse("/registry/controllers/default/rc"),
            (Parsed{"", "controllers", "replicationcontrollers", "default", "rc"}));
  EXPECT_EQ(Parse("/registry/ingress/default/web"),
            (Parsed{"", "ingress", "ingresses", "default", "web"}));
  EXPECT_EQ(Parse("/registry/podsecuritypolicy/restricted"),
            (Parsed{"", "podsecuritypolicy", "podsecuritypolicies", "", "restricted"}));
}

TEST(ParseRegistryKeyTest, AFirstSegmentWithADotIsAGroup) {
  EXPECT_EQ(Parse("/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com"),
            (Parsed{"apiextensions.k8s.io", "apiextensions.k8s.io/customresourcedefinitions",
                    "customresourcedefinitions", "", "widgets.example.com"}));
  EXPECT_EQ(Parse("/registry/apiregistration.k8s.io/apiservices/v1.apps"),
            (Parsed{"apiregistration.k8s.io", "apiregistration.k8s.io/apiservices", "apiservices",
                    "", "v1.apps"}));
  EXPECT_EQ(Parse("/registry/example.com/widgets/team-a/w1"),
            (Parsed{"example.com", "example.com/widgets", "widgets", "team-a", "w1"}));
  EXPECT_EQ(Parse("/registry/config.openshift.io/clusteroperators/dns"),
            (Parsed{"config.openshift.io", "config.openshift.io/clusteroperators",
                    "clusteroperators", "", "dns"}));
}

TEST(ParseRegistryKeyTest, OtherPrefixesAndKeysOutside) {
  const std::vector<std::string> openshift = {"/kubernetes.io", "/openshift.io"};
  EXPECT_EQ(Parse("/openshift.io/routes/default/web", openshift),
            (Parsed{"", "routes", "routes", "default", "web"}));
  EXPECT_EQ(Parse("/kubernetes.io/pods/a/b", openshift), (Parsed{"", "pods", "pods", "a", "b"}));
  EXPECT_EQ(Parse("/registry/pods/a/b", openshift), std::nullopt);
  auto k = ParseRegistryKey("/openshift.io/routes/default/web", openshift);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->prefix, "/openshift.io");
  EXPECT_EQ(Parse("compact_rev_key"), std::nullopt);
  EXPECT_EQ(Parse("/registry"), std::nullopt);
  EXPECT_EQ(Parse("/registry/"), std::nullopt);
  EXPECT_EQ(Parse("/registry//x"), std::nullopt);
  EXPECT_EQ(Parse("/registryx/pods/a/b"), std::nullopt);
  EXPECT_EQ(Parse("/registry/example.com"), std::nullopt);  // a group and no resource
  EXPECT_EQ(Parse("/other/pods/a"), std::nullopt);
}

TEST(ParseRegistryKeyTest, OddShapesStillGetAResource) {
  // More segments than a name needs: the first is the namespace, the rest the name.
  EXPECT_EQ(Parse("/registry/pods/a/b/c"), (Parsed{"", "pods", "pods", "a", "b/c"}));
  EXPECT_EQ(Parse("/registry/pods"), (Parsed{"", "pods", "pods", "", ""}));
  EXPECT_EQ(Parse("/registry/services/specs"),
            (Parsed{"", "services/specs", "services", "", ""}));
  EXPECT_EQ(Parse("/registry/services/other/x"),
            (Parsed{"", "services", "services", "other", "x"}));
}

TEST(QualifiedResourceTest, ResourceDotGroupAsKubectlWritesIt) {
  EXPECT_EQ(QualifiedResource("pods", ""), "pods");
  EXPECT_EQ(QualifiedResource("widgets", "example.com"), "widgets.example.com");
}

TEST(DetectValueTypeTest, ProtobufEnvelopeAsTheApiserverWritesIt) {
  // A v1 Pod as kube-apiserver stores it (gogo's field order; raw shortened).
  const std::string pod =
      "k8s\x00\x0a\x09\x0a\x02v1\x12\x03Pod\x12\x04\x0a\x02\x0a\x00\x1a\x00\x22\x00"s;
  ValueType t = DetectValueType(pod);
  EXPECT_EQ(t.encoding, ValueEncoding::kProtobuf);
  EXPECT_EQ(t.api_version, "v1");
  EXPECT_EQ(t.kind, "Pod");
  // The views point into the value: keep it.
  const std::string deployment = ProtobufEnvelope("apps/v1", "Deployment", std::string(3000, 'x'));
  t = DetectValueType(deployment);
  EXPECT_EQ(t.api_version, "apps/v1");
  EXPECT_EQ(t.kind, "Deployment");
  EXPECT_EQ(std::string(ValueEncodingName(t.encoding)), "protobuf");
}

TEST(DetectValueTypeTest, DamagedEnvelopesKeepTheEncodingOnly) {
  const std::string good = ProtobufEnvelope("batch/v1", "Job", "raw");
  for (size_t cut = 4; cut < 12; ++cut) {
    const ValueType t = DetectValueType(good.substr(0, cut));
    EXPECT_EQ(t.encoding, ValueEncoding::kProtobuf) << cut;
    EXPECT_TRUE(t.kind.empty()) << cut;
  }
  // An overlong varint, a length past the end, a group wire type.
  for (const std::string& body : {std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
                                 std::string("\x0a\x7f\x0a\x02v1"), std::string("\x0b\x0a")}) {
    const ValueType t = DetectValueType(std::string("k8s\0", 4) + body);
    EXPECT_EQ(t.encoding, ValueEncoding::kProtobuf);
    EXPECT_TRUE(t.api_version.empty());
  }
  // An apiVersion longer than any Kubernetes name is not taken.
  const std::string long_version = ProtobufEnvelope(std::string(400, 'v'), "Pod", "");
  const ValueType t = DetectValueType(long_version);
  EXPECT_TRUE(t.api_version.empty());
  EXPECT_EQ(t.kind, "Pod");
}

TEST(DetectValueTypeTest, JsonTopLevelFieldsOnly) {
  ValueType t = DetectValueType(
      R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"}})");
  EXPECT_EQ(t.encoding, ValueEncoding::kJson);
  EXPECT_EQ(t.api_version, "example.com/v1");
  EXPECT_EQ(t.kind, "Widget");
  // Nested apiVersion/kind (ownerReferences, managedFields) are not the object's.
  t = DetectValueType(
      R"( {"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet"}],)"
      R"("note":"a \"quoted\" } brace"},"spec":[1,2,{"kind":"x"}],"n":-1.5e3,"b":true,)"
      "\n\t\"kind\" : \"Gadget\" , \"apiVersion\": \"example.com/v2\"}");
  EXPECT_EQ(t.encoding, ValueEncoding::kJson);
  EXPECT_EQ(t.api_version, "example.com/v2");
  EXPECT_EQ(t.kind, "Gadget");
  // Damaged or absent: the encoding alone.
  for (const char* v : {"{", R"({"kind")", R"({"kind":)", R"({"kind":"Wid)", R"({"a":[1,2)",
                        R"({"kind":42})", "{}", R"({"a":"\)"}) {
    t = DetectValueType(v);
    EXPECT_EQ(t.encoding, ValueEncoding::kJson) << v;
    EXPECT_TRUE(t.kind.empty()) << v;
  }
}

TEST(DetectValueTypeTest, EncryptionPrefixes) {
  const std::string aescbc = Encrypted("aescbc", "key1", std::string(48, '\x9c'));
  ValueType t = DetectValueType(aescbc);
  EXPECT_EQ(t.encoding, ValueEncoding::kEncrypted);
  EXPECT_EQ(t.provider, "aescbc");
  EXPECT_EQ(t.provider_version, "v1");
  EXPECT_EQ(t.key_name, "key1");
  EXPECT_TRUE(t.kind.empty());
  const std::string kms = Encrypted("kms", "vault-plugin", "\x0a\x03" "abc", "v2");
  t = DetectValueType(kms);
  EXPECT_EQ(t.provider, "kms");
  EXPECT_EQ(t.provider_version, "v2");
  EXPECT_EQ(t.key_name, "vault-plugin");
  // A prefix cut short names nothing.
  for (const char* v : {"k8s:enc:", "k8s:enc:aescbc", "k8s:enc:aescbc:v1:key1", "k8s:enc::v1:k:"}) {
    t = DetectValueType(v);
    EXPECT_EQ(t.encoding, ValueEncoding::kEncrypted) << v;
    EXPECT_TRUE(t.key_name.empty()) << v;
  }
}

// KMS v2: the key ID from the EncryptedObject after the prefix, past a ciphertext of any size
// (its length is skipped, not read), whatever the annotations; nothing from a damaged object.
TEST(DetectValueTypeTest, KmsV2KeyId) {
  for (size_t size : {size_t{1}, size_t{200}, size_t{70000}}) {
    const std::string v = testing::KmsV2("vault", "arn:aws:kms:eu-west-1:1:key/k-2026",
                                         std::string(size, '\xe1'), {{"version.azure.akv.io", "1"}});
    const ValueType t = DetectValueType(v);
    EXPECT_EQ(t.encoding, ValueEncoding::kEncrypted);
    EXPECT_EQ(t.provider, "kms");
    EXPECT_EQ(t.provider_version, "v2");
    EXPECT_EQ(t.key_name, "vault");
    EXPECT_EQ(t.key_id, "arn:aws:kms:eu-west-1:1:key/k-2026") << size;
  }
  // Two keys of one plugin tell apart; kms v1 and the other providers have no key ID.
  EXPECT_EQ(DetectValueType(testing::KmsV2("p", "key-1", "c")).key_id, "key-1");
  EXPECT_EQ(DetectValueType(testing::KmsV2("p", "key-2", "c")).key_id, "key-2");
  EXPECT_TRUE(DetectValueType(Encrypted("kms", "p", "\x0a\x01" "c\x12\x01k", "v1")).key_id.empty());
  EXPECT_TRUE(DetectValueType(Encrypted("aesgcm", "k", "\x0a\x01" "c\x12\x01k")).key_id.empty());
  const std::string good = testing::KmsV2("p", "key-1", std::string(300, 'c'));
  const size_t object = std::string_view("k8s:enc:kms:v2:p:").size();
  for (const std::string& bad : {
           good.substr(0, object + 10),                       // ciphertext cut short
           good.substr(0, good.find("key-1") + 3),            // key ID cut short
           good.substr(0, object) + "\x0a\xff\xff\xff\xff\x0f",  // a length past the end
           good.substr(0, object) + "\x0b\x01",              // a group (wire type 3)
           good.substr(0, object) + "\x12" + testing::Varint(kMaxKmsKeyIdSize + 1) +
               std::string(kMaxKmsKeyIdSize + 1, 'k'),        // longer than the apiserver allows
           good.substr(0, object) + "\x12\x00",              // empty
       }) {
    const ValueType t = DetectValueType(bad);
    EXPECT_EQ(t.encoding, ValueEncoding::kEncrypted);
    EXPECT_EQ(t.key_name, "p");
    EXPECT_TRUE(t.key_id.empty()) << bad.size();
  }
  // The largest ID the apiserver accepts is read.
  const std::string longest(kMaxKmsKeyIdSize, 'k');
  EXPECT_EQ(DetectValueType(testing::KmsV2("p", longest, "c")).key_id, longest);
}

TEST(DetectValueTypeTest, CborAndOther) {
  EXPECT_EQ(DetectValueType("\xd9\xd9\xf7\xa2" "abc").encoding, ValueEncoding::kCbor);
  EXPECT_EQ(DetectValueType("12345").encoding, ValueEncoding::kOther);
  EXPECT_EQ(DetectValueType("").encoding, ValueEncoding::kOther);
  EXPECT_EQ(DetectValueType(std::string("k8s", 3)).encoding, ValueEncoding::kOther);
  EXPECT_EQ(std::string(ValueEncodingName(ValueEncoding::kOther)), "other");
  EXPECT_EQ(std::string(ValueEncodingName(ValueEncoding::kCbor)), "cbor");
  EXPECT_EQ(std::string(ValueEncodingName(ValueEncoding::kJson)), "json");
  EXPECT_EQ(std::string(ValueEncodingName(ValueEncoding::kEncrypted)), "encrypted");
}

}  // namespace
}  // namespace etcdsnap::etcd
