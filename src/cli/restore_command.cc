// `etcdsnap snapshot restore <file>`: etcdutl 3.5's flags, defaults, log messages and exit codes
// (128 for a wrong argument count or --bump-revision without --mark-compacted, 1 for every other
// error). Nothing is printed on stdout. SIGINT/SIGTERM/SIGHUP/SIGQUIT cancel it (SIGPIPE is ignored); everything it made is
// removed before the process dies of the signal.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/log.h"
#include "etcdsnap/cli/progress.h"
#include "etcdsnap/snapshot/restore.h"
#include "etcdsnap/util/signals.h"

namespace etcdsnap::cli {
namespace {

// The Kubernetes documentation's advice for a restore under a running control plane: revisions
// that go backwards confuse the watch caches of kube-apiserver and every controller.
void WarnAboutKubernetesRevisions(const snapshot::RestoreResult& r) {
  PrintWarning(fmt::format(
      "the snapshot holds Kubernetes data ({} keys under /registry/) and was restored without "
      "--bump-revision: its revision {} is older than what kube-apiserver and controllers have "
      "already seen, so their watches may miss changes until they restart. Unless every API "
      "server and controller is restarted after the restore, restore again with "
      "--bump-revision 1000000000 --mark-compacted (as the Kubernetes documentation recommends)",
      r.kubernetes_keys, r.latest_revision));
}

}  // namespace

int RunRestore(const GlobalOptions& g, const CommandLine& cl) {
  if (cl.args.size() != 1) {
    return ExitWithError(kExitBadArgs, "snapshot restore requires exactly one argument");
  }
  snapshot::RestoreOptions o;
  o.snapshot_path = cl.args[0];
  auto string_flag = [&](const char* name, std::string* out) {
    if (cl.Has(name)) *out = cl.Last(name);
  };
  string_flag("name", &o.name);
  string_flag("data-dir", &o.data_dir);
  string_flag("wal-dir", &o.wal_dir);
  string_flag("initial-cluster", &o.initial_cluster);
  string_flag("initial-cluster-token", &o.initial_cluster_token);
  string_flag("initial-advertise-peer-urls", &o.initial_advertise_peer_urls);
  o.skip_hash_check = cl.Last("skip-hash-check") == "true";
  o.mark_compacted = cl.Last("mark-compacted") == "true";
  if (cl.Has("bump-revision")) o.bump_revision = std::stoull(cl.Last("bump-revision"));
  // etcdutl: the pair is checked before anything else, and is a usage error.
  if ((o.bump_revision == 0 && o.mark_compacted) || (o.bump_revision > 0 && !o.mark_compacted)) {
    return ExitWithError(kExitBadArgs,
                         "--mark-compacted required if --revision-bump > 0 (give --bump-revision "
                         "N and --mark-compacted together)");
  }
  WarnIfManifestMismatch(o.snapshot_path, "; restoring it anyway (the restore checks the "
                                          "snapshot's own sha256 and structure)");
  Canceller canceller;
  const std::string data_dir = snapshot::DataDirFor(o);
  auto signals = SignalCanceller::Start(
      &canceller,
      {.reason_suffix = "; nothing was restored",
       .second_message = "exiting at once; " + data_dir +
                         ".part (or member.part inside it) may be left behind: remove it"});
  if (!signals.ok()) return ExitWithError(kExitError, signals.status().message());
  auto log = MakeStderrLogger(g.debug);
  ProgressLine progress(InteractiveStderr());
  o.on_progress = [&progress](uint64_t done, uint64_t total) {
    progress.Update(done, total);
    if (done >= total) progress.Finish();
  };

  auto r = snapshot::Restore(o, &canceller, *log);
  const int signal = (*signals)->received_signal();
  signals->reset();
  progress.Finish();
  if (!r.ok()) {
    ExitWithError(kExitError, r.status().message());
    if (signal != 0) DieOfSignal(signal);
    return kExitError;
  }
  if (r->kubernetes_keys > 0 && o.bump_revision == 0) WarnAboutKubernetesRevisions(*r);
  return kExitSuccess;
}

}  // namespace etcdsnap::cli
