// `etcdsnap snapshot save`.
#include <CLI/CLI.hpp>

#include "etcdsnap/cli/command.h"

namespace etcdsnap::cli {

void AddSaveCommand(CLI::App& snapshot, GlobalOptions& g, Runner& run) {
  auto* cmd = snapshot.add_subcommand("save", "Stores an etcd node backend snapshot to a given file");
  auto file = std::make_shared<std::vector<std::string>>();
  cmd->add_option("filename", *file, "snapshot file");
  cmd->callback([&run, file] { run = [] { return ExitWithError(kExitBadFeature, "save: not yet implemented"); }; });
}

}  // namespace etcdsnap::cli
