// `snapshot save` in a build without gRPC (-DETCDSNAP_WITH_GRPC=OFF): the command exists, so
// that scripts get a clear error and etcdctl's "bad feature" exit code instead of a parse error.
#include "etcdsnap/cli/command.h"

namespace etcdsnap::cli {

int RunSave(GlobalOptions& g, const CommandLine& cl) {
  return ExitWithError(kExitBadFeature,
                       "this etcdsnap was built without gRPC (-DETCDSNAP_WITH_GRPC=OFF) and "
                       "cannot save; build it with gRPC for snapshot save");
}

}  // namespace etcdsnap::cli
