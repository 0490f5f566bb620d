// `snapshot save` in a build without gRPC (-DETCDSNAP_WITH_GRPC=OFF): the command exists, so
// that scripts get a clear error and etcdctl's "bad feature" exit code instead of a parse error.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "etcdsnap/cli/command.h"

namespace etcdsnap::cli {

void AddSaveCommand(CLI::App& snapshot, GlobalOptions& g, Runner& run) {
  auto* cmd = snapshot.add_subcommand("save", "Stores an etcd node backend snapshot to a given file "
                                              "(not in this build: it has no gRPC)");
  auto args = std::make_shared<std::vector<std::string>>();
  cmd->add_option("filename", *args, "where to write the snapshot");
  cmd->allow_extras();
  cmd->callback([&run, args] {
    run = [] {
      return ExitWithError(kExitBadFeature,
                           "this etcdsnap was built without gRPC (-DETCDSNAP_WITH_GRPC=OFF) and "
                           "cannot save; build it with gRPC for snapshot save");
    };
  });
}

}  // namespace etcdsnap::cli
