// `snapshot save` (and hashkv's cross-check with members) in a build without gRPC
// (-DETCDSNAP_WITH_GRPC=OFF): the command exists, so
// that scripts get a clear error and etcdctl's "bad feature" exit code instead of a parse error.
#include "cluster_check_command.h"
#include "etcdsnap/cli/command.h"

namespace etcdsnap::cli {

int RunSave(GlobalOptions& g, const CommandLine& cl) {
  return ExitWithError(kExitBadFeature,
                       "this etcdsnap was built without gRPC (-DETCDSNAP_WITH_GRPC=OFF) and "
                       "cannot save; build it with gRPC for snapshot save");
}

}  // namespace etcdsnap::cli

namespace etcdsnap::cli {

int RunHashKvCluster(GlobalOptions& g, const HashKvRequest& request) {
  return ExitWithError(kExitBadFeature,
                       "this etcdsnap was built without gRPC (-DETCDSNAP_WITH_GRPC=OFF) and "
                       "cannot ask members; drop --endpoints/--cluster to hash the file alone");
}

}  // namespace etcdsnap::cli
