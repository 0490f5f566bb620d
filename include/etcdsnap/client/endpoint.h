// Endpoint strings as etcdctl 3.5 reads them (client/v3/internal/endpoint): "https://h:p" needs
// TLS, "http://h:p" is plaintext even when TLS files are given, a bare "h:p" uses TLS iff a TLS
// configuration exists, and "unix://path" / "unixs://path" name a Unix socket.
#pragma once

#include <string>
#include <string_view>

#include "etcdsnap/util/status.h"

namespace etcdsnap::client {

struct Endpoint {
  std::string original;  // as the user wrote it, for messages
  std::string target;    // what gRPC dials: "host:port" or "unix:/path"
  bool tls = false;
};

// `tls_configured`: the user gave --cacert/--cert/--key, --insecure-transport=false or
// --insecure-skip-tls-verify.
Result<Endpoint> ParseEndpoint(std::string_view s, bool tls_configured);

}  // namespace etcdsnap::client
