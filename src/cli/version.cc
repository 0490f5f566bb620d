// The only source that includes the generated git_sha.h, so a new commit recompiles this file
// alone (and relinks).
#include "etcdsnap/cli/version.h"

#include <openssl/crypto.h>

#include <cstring>

#include "git_sha.h"
#if ETCDSNAP_WITH_GRPC
#include "etcdsnap/client/client.h"
#endif

namespace etcdsnap::cli {

const char* GitSha() { return ETCDSNAP_GIT_SHA; }

std::string VersionText() {
  std::string text = std::string("etcdsnap version: ") + ETCDSNAP_VERSION + "\n";
  text += "API version: 3.4\n";
  text += std::string("Git SHA: ") + GitSha() + "\n";
#if ETCDSNAP_WITH_GRPC
  text += "gRPC version: " + client::GrpcVersion() + "\n";
#endif
  text += std::string("OpenSSL version: ") + OpenSSL_version(OPENSSL_VERSION) + "\n";
  return text;
}

std::string ToolName() {
  std::string name = std::string("etcdsnap ") + ETCDSNAP_VERSION;
  if (std::strcmp(GitSha(), "unknown") != 0) name += std::string(" (") + GitSha() + ")";
  return name;
}

}  // namespace etcdsnap::cli
