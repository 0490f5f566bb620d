// Kubernetes data in etcd, read without a Kubernetes scheme: what an apiserver's key says
// (group, resource, namespace, name) and what its value is (protobuf envelope, JSON, CBOR, or
// encrypted at rest, with the apiVersion/kind or the provider and key name it names). Enough to
// tell what fills an etcd, which storage versions it holds and how much of it is encrypted with
// which key, for any resource, custom ones included. See docs/inspect.md for the rules and
// where they come from (kube-apiserver's storage factory, apimachinery's serializers).
//
// Pure functions over borrowed bytes: the views returned point into the arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace etcdsnap::etcd {

// The apiserver's default --etcd-prefix.
inline constexpr std::string_view kRegistryPrefix = "/registry";
// The apiserver's compaction bookkeeping key (outside the prefix): the decimal revision of its
// last compaction request.
inline constexpr std::string_view kCompactRevKey = "compact_rev_key";

// A key under an apiserver's prefix, split as the apiserver builds it:
// <prefix>/<resource path>/[<namespace>/]<name>, where the resource path is the resource
// (built-ins, lower-cased, some renamed: `minions` for nodes, `services/specs` for services), or
// <group>/<resource> for custom resources, CRDs and APIServices (a first segment holding a dot
// is a group: CRD groups must have one, built-in paths and namespaces cannot).
struct RegistryKey {
  std::string_view prefix;    // the prefix it matched, without the trailing '/'
  std::string_view group;     // the group in the path; "" for built-ins (not in their path)
  std::string_view path;      // the resource's path: "pods", "services/specs", "example.com/widgets"
  std::string_view resource;  // the API resource: the path's rename undone ("nodes", "services")
  std::string_view ns;        // "" for a cluster-scoped object
  std::string_view name;
};

// Splits `key` if it lies under one of `prefixes` ("/registry", no trailing '/'); nullopt for a
// key under none of them, or with no resource segment after the prefix.
std::optional<RegistryKey> ParseRegistryKey(std::string_view key,
                                            const std::vector<std::string>& prefixes);

// kubectl's name for a resource: "pods", "widgets.example.com" (resource.group).
std::string QualifiedResource(std::string_view resource, std::string_view group);

// How a value is stored (apimachinery's serializers and the encryption-at-rest transformers).
enum class ValueEncoding {
  kProtobuf,   // "k8s\0" + runtime.Unknown: built-in types
  kJson,       // '{': custom resources, CRDs, APIServices (or --storage-media-type=json)
  kCbor,       // self-described CBOR (d9 d9 f7): custom resources with CBORServingAndStorage
  kEncrypted,  // "k8s:enc:<provider>:<version>:<key name>:" + ciphertext
  kOther,      // anything else: plain strings such as compact_rev_key, non-Kubernetes data
};
const char* ValueEncodingName(ValueEncoding e);  // "protobuf", "json", "cbor", "encrypted", "other"

// What a value's first bytes say. apiVersion and kind come from the protobuf envelope's
// TypeMeta or the JSON object's top-level fields (empty when absent or unreadable; a JSON string
// with escapes is given as written); encrypted values name the provider (aescbc, aesgcm,
// secretbox, kms), its format version (v1, v2) and the key (for kms, the KMS plugin's name;
// for kms v2 also the plugin's key ID, from the EncryptedObject that follows the prefix).
// Names longer than kMaxTypeNameSize are not read (no Kubernetes name is that long).
struct ValueType {
  ValueEncoding encoding = ValueEncoding::kOther;
  std::string_view api_version;
  std::string_view kind;
  std::string_view provider;
  std::string_view provider_version;
  std::string_view key_name;
  // KMS v2 ("k8s:enc:kms:v2:<plugin>:" + a protobuf EncryptedObject): the keyID the plugin
  // reported for the key encryption key (field 2; at most kMaxKmsKeyIdSize bytes, as the
  // apiserver validates it); "" for other providers, or when unreadable.
  std::string_view key_id;
};
inline constexpr size_t kMaxTypeNameSize = 320;
inline constexpr size_t kMaxKmsKeyIdSize = 1024;

// Reads the type of a value: a bounded look at its first bytes (protobuf: the envelope's first
// field; JSON: top-level fields up to apiVersion and kind), never a full decode.
ValueType DetectValueType(std::string_view value);

}  // namespace etcdsnap::etcd
