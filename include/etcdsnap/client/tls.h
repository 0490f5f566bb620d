// TLS material for client connections: reads --cacert/--cert/--key, checks them with OpenSSL
// before any connection (so that a wrong key, an expired certificate or a non-PEM file is named
// in a clear error instead of a handshake failure). client.cc turns the material into gRPC
// channel credentials; this header stays free of gRPC types. Key contents never leave the
// client module except inside the credentials object, and every copy of them we hold is wiped
// (util/secret.h) when it is let go.
#pragma once

#include <string>

#include "etcdsnap/util/status.h"

namespace etcdsnap::client {

struct TlsFiles {
  std::string cacert;  // empty: system roots
  std::string cert;
  std::string key;
  bool skip_verify = false;  // --insecure-skip-tls-verify
};

// Loaded and checked PEM material. The private key is overwritten (ClearSecret) when the object
// is destroyed or assigned over, and a moved-from object keeps none of its bytes.
class TlsMaterial {
 public:
  // Errors are kInvalidArgument and name the flag and file.
  static Result<TlsMaterial> Load(const TlsFiles& files);

  TlsMaterial() = default;
  ~TlsMaterial();
  TlsMaterial(const TlsMaterial& other);
  TlsMaterial& operator=(const TlsMaterial& other);
  TlsMaterial(TlsMaterial&& other) noexcept;
  TlsMaterial& operator=(TlsMaterial&& other) noexcept;

  const std::string& root_pem() const { return root_pem_; }  // empty: system roots
  const std::string& cert_pem() const { return cert_pem_; }  // empty: no client certificate
  const std::string& key_pem() const { return key_pem_; }
  bool skip_verify() const { return skip_verify_; }
  // The client certificate's subject CN ("" without one): the user etcd authenticates a
  // client as when its --client-cert-auth is on and no --user is given.
  const std::string& cert_common_name() const { return cert_cn_; }

 private:
  std::string root_pem_;
  std::string cert_cn_;
  std::string cert_pem_;
  std::string key_pem_;
  bool skip_verify_ = false;
};

}  // namespace etcdsnap::client
