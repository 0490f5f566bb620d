// What the binary is: `etcdsnap version` and `--version`, and the manifest's `tool` field.
#pragma once

#include <string>

namespace etcdsnap::cli {

// The commit the binary was built from, as etcd's --version names it ("Git SHA"): the short
// SHA, with "-dirty" when tracked files differed from it, or "unknown" for a build from a
// tarball. Read from git at build time (src/cli/git_sha.cmake).
const char* GitSha();

// The version report, one "name: value" line each. The first two lines are etcdctl's, byte for
// byte but for the name and number (scripts parse them): "etcdsnap version: X",
// "API version: 3.4". Then "Git SHA: <GitSha()>", "gRPC version: <grpc::Version()>" in builds
// with gRPC, and "OpenSSL version: <OpenSSL_version(OPENSSL_VERSION)>": the libraries found at
// run time, which can differ from the headers the binary was compiled with.
std::string VersionText();

// "etcdsnap X (SHA)", or "etcdsnap X" when the commit is unknown: who wrote a manifest.
std::string ToolName();

}  // namespace etcdsnap::cli
