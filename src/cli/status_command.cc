// `etcdsnap snapshot status`: placeholder until the bbolt reader lands.
#include <CLI/CLI.hpp>

#include "etcdsnap/cli/command.h"

namespace etcdsnap::cli {

void AddStatusCommand(CLI::App& snapshot, GlobalOptions& g, Runner& run) {
  auto* cmd = snapshot.add_subcommand("status", "Gets backend snapshot status of a given file");
  auto file = std::make_shared<std::vector<std::string>>();
  cmd->add_option("filename", *file, "snapshot file");
  cmd->callback([&run, file] { run = [] { return ExitWithError(kExitBadFeature, "status: not yet implemented"); }; });
}

}  // namespace etcdsnap::cli
