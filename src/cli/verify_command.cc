// `etcdsnap snapshot verify`: placeholder until the bbolt reader lands.
#include <CLI/CLI.hpp>

#include "etcdsnap/cli/command.h"

namespace etcdsnap::cli {

void AddVerifyCommand(CLI::App& snapshot, GlobalOptions& g, Runner& run) {
  auto* cmd = snapshot.add_subcommand("verify", "Checks a snapshot file end to end");
  auto file = std::make_shared<std::vector<std::string>>();
  cmd->add_option("filename", *file, "snapshot file");
  cmd->callback([&run, file] { run = [] { return ExitWithError(kExitBadFeature, "verify: not yet implemented"); }; });
}

}  // namespace etcdsnap::cli
