// TLS material for client connections: reads --cacert/--cert/--key, checks them with OpenSSL
// before any connection (so that a wrong key, an expired certificate or a non-PEM file is named
// in a clear error instead of a handshake failure), and builds gRPC channel credentials.
// Key contents never leave this module except inside the credentials object.
#pragma once

#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "etcdsnap/util/status.h"

namespace etcdsnap::client {

struct TlsFiles {
  std::string cacert;  // empty: system roots
  std::string cert;
  std::string key;
  bool skip_verify = false;  // --insecure-skip-tls-verify
};

// Loaded and checked PEM material.
class TlsMaterial {
 public:
  // Errors are kInvalidArgument and name the flag and file.
  static Result<TlsMaterial> Load(const TlsFiles& files);

  std::shared_ptr<grpc::ChannelCredentials> Credentials() const;

 private:
  std::string root_pem_;
  std::string cert_pem_;
  std::string key_pem_;
  bool skip_verify_ = false;
};

}  // namespace etcdsnap::client
