// Kubernetes-shaped values for tests, written the way the apiserver writes them: the protobuf
// envelope ("k8s\0" + runtime.Unknown as gogo marshals it), the encryption-at-rest prefix.
// Test-only.
#pragma once

#include <map>
#include <string>

#include "test_history.h"

namespace etcdsnap::etcd::testing {

// "k8s\0" + Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding "", contentType ""}.
inline std::string ProtobufEnvelope(const std::string& api_version, const std::string& kind,
                                    const std::string& raw) {
  auto bytes = [](int field, const std::string& v) {
    return std::string(1, static_cast<char>(field << 3 | 2)) + Varint(v.size()) + v;
  };
  const std::string type_meta = bytes(1, api_version) + bytes(2, kind);
  return std::string("k8s\0", 4) + bytes(1, type_meta) + bytes(2, raw) + bytes(3, "") +
         bytes(4, "");
}

// What an encryption provider stores: "k8s:enc:<provider>:v1:<key name>:" + ciphertext.
inline std::string Encrypted(const std::string& provider, const std::string& key_name,
                             const std::string& ciphertext, const std::string& version = "v1") {
  return "k8s:enc:" + provider + ":" + version + ":" + key_name + ":" + ciphertext;
}

// What the KMS v2 provider stores: "k8s:enc:kms:v2:<plugin>:" + EncryptedObject{encryptedData=1,
// keyID=2, encryptedDEKSource=3, annotations=4 (map entries), encryptedDEKSourceType=5} as Go's
// protobuf marshals it (fields in order, empty ones left out).
inline std::string KmsV2(const std::string& plugin, const std::string& key_id,
                         const std::string& ciphertext,
                         const std::map<std::string, std::string>& annotations = {}) {
  auto bytes = [](int field, const std::string& v) {
    return v.empty() ? std::string()
                     : std::string(1, static_cast<char>(field << 3 | 2)) + Varint(v.size()) + v;
  };
  std::string object = bytes(1, ciphertext) + bytes(2, key_id) + bytes(3, std::string(32, '\x5a'));
  for (const auto& [k, v] : annotations) object += bytes(4, bytes(1, k) + bytes(2, v));
  object += "\x28\x02";  // encryptedDEKSourceType: HKDF_SHA256_XNONCE_AES_GCM_SEED
  return "k8s:enc:kms:v2:" + plugin + ":" + object;
}

}  // namespace etcdsnap::etcd::testing
