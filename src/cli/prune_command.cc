// `etcdsnap snapshot prune <name template> --keep-... [--dry-run]`: retention without a save
// (snapshot/retention.h), for a directory whose saves run elsewhere or after a policy change.
// Every {cluster}/{member} series in the directory is pruned on its own. stdout lists what was
// removed ("Removed <path>", or "Would remove <path>" with --dry-run), or with -w json one object.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/keep_flags.h"
#include "etcdsnap/cli/log.h"
#include "etcdsnap/snapshot/retention.h"

namespace etcdsnap::cli {

KeepFlags ReadKeepFlags(const CommandLine& cl) {
  KeepFlags k;
  const std::pair<const char*, uint64_t*> counts[] = {
      {"keep-last", &k.keep.last},       {"keep-hourly", &k.keep.hourly},
      {"keep-daily", &k.keep.daily},     {"keep-weekly", &k.keep.weekly},
      {"keep-monthly", &k.keep.monthly},
  };
  for (const auto& [flag, out] : counts) {
    if (cl.Has(flag)) *out = std::stoull(cl.Last(flag));
  }
  k.dry_run = cl.Last("dry-run") == "true";
  return k;
}

int RunPrune(const GlobalOptions& g, const CommandLine& cl) {
  if (cl.args.size() != 1) {
    return ExitWithError(kExitBadArgs, "snapshot prune requires exactly one argument (the name "
                                       "template the snapshots were saved with, quoted)");
  }
  if (g.write_out != "simple" && g.write_out != "json") {
    if (int rc = ValidateOutputFormat(g.write_out, false); rc != kExitSuccess) return rc;
    return ExitWithError(kExitBadFeature,
                         g.write_out + " not supported as output format (use simple or json)");
  }
  const KeepFlags flags = ReadKeepFlags(cl);
  const snapshot::KeepPolicy& keep = flags.keep;
  const bool dry_run = flags.dry_run;
  if (!keep.any()) {
    return ExitWithError(kExitBadArgs, "snapshot prune needs a policy: give at least one of "
                                       "--keep-last, --keep-hourly, --keep-daily, --keep-weekly, "
                                       "--keep-monthly");
  }
  auto t = snapshot::NameTemplate::Parse(cl.args[0]);
  if (!t.ok()) return ExitWithError(kExitBadArgs, t.status().message());
  if (Status s = snapshot::CheckPolicyFits(*t, keep); !s.ok()) {
    return ExitWithError(kExitBadArgs, s.message());
  }
  auto r = snapshot::Prune(*t, {.keep = keep, .dry_run = dry_run});
  if (!r.ok()) return ExitWithError(kExitError, r.status().message());
  std::string out;
  if (g.write_out == "json") {
    const nlohmann::ordered_json j = {
        {"dryRun", dry_run}, {"removed", r->removed}, {"kept", r->kept}};
    out = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  } else if (!StderrConfig().quiet) {
    for (const std::string& path : r->removed) {
      out += (dry_run ? "Would remove " : "Removed ") + path + "\n";
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitSuccess : kExitIO;
}

}  // namespace etcdsnap::cli
