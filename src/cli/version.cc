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

// Appends only: GCC 12 warns (-Warray-bounds, a false positive) on chains of `+` over literals.
std::string VersionText() {
  std::string text = "etcdsnap version: ";
  text += ETCDSNAP_VERSION;
  text += "\nAPI version: 3.4\nGit SHA: ";
  text += GitSha();
#if ETCDSNAP_WITH_GRPC
  text += "\ngRPC version: ";
  text += client::GrpcVersion();
#endif
  text += "\nOpenSSL version: ";
  text += OpenSSL_version(OPENSSL_VERSION);
  text += '\n';
  return text;
}

std::string ToolName() {
  std::string name = "etcdsnap ";
  name += ETCDSNAP_VERSION;
  if (std::strcmp(GitSha(), "unknown") != 0) {
    name += " (";
    name += GitSha();
    name += ')';
  }
  return name;
}

}  // namespace etcdsnap::cli
