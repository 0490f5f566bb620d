// `etcdsnap snapshot save <file>`: etcdctl's flags and environment in, the save use case, its
// result as etcdctl prints it. SIGINT/SIGTERM/SIGHUP/SIGQUIT cancel the save cleanly up to the rename;
// a second one exits at once.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "cluster_check_command.h"
#include "connection_flags.h"
#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/log.h"
#include "etcdsnap/cli/metrics.h"
#include "etcdsnap/cli/progress.h"
#include "etcdsnap/snapshot/cluster_check.h"
#include "etcdsnap/snapshot/save.h"
#include "etcdsnap/util/cpus.h"
#include "etcdsnap/util/human.h"
#include "etcdsnap/util/secret.h"
#include "etcdsnap/util/signals.h"
#include "save_schedule.h"

namespace etcdsnap::cli {
namespace {

struct SaveFlags {
  std::vector<std::string> args;
  std::string idle_timeout = "30s";
  bool verify = false;
  bool check_cluster = false;
  std::string compress = "none";
};


// Prints the effective settings the way etcdctl --debug does, secrets redacted.
void PrintDebugFlags(const GlobalOptions& g, const SaveFlags& f) {
  auto line = [](const char* k, const std::string& v) {
    std::fprintf(stderr, "ETCDCTL_%s=%s\n", k, v.c_str());
  };
  std::string eps;
  for (const auto& e : g.endpoints) eps += (eps.empty() ? "" : ",") + e;
  line("CACERT", g.cacert);
  line("CERT", g.cert);
  line("COMMAND_TIMEOUT", g.command_timeout);
  line("DEBUG", "true");
  line("DIAL_TIMEOUT", g.dial_timeout);
  line("ENDPOINTS", "[" + eps + "]");
  line("INSECURE_SKIP_TLS_VERIFY", g.insecure_skip_tls_verify ? "true" : "false");
  line("INSECURE_TRANSPORT", g.insecure_transport ? "true" : "false");
  line("KEEPALIVE_TIME", g.keepalive_time);
  line("KEEPALIVE_TIMEOUT", g.keepalive_timeout);
  line("KEY", g.key);
  line("PASSWORD", g.password.empty() ? "" : "[redacted]");
  const auto colon = g.user.find(':');
  line("USER", colon == std::string::npos ? g.user : g.user.substr(0, colon) + ":[redacted]");
  line("WRITE_OUT", g.write_out);
  std::fprintf(stderr, "idle-timeout=%s\n", f.idle_timeout.c_str());
}

// Converts flags into SaveOptions. Returns an exit code (non-zero) after printing on error.
int BuildOptions(const GlobalOptions& g, const SaveFlags& f, snapshot::SaveOptions& o) {
  ConnectionFlags c;
  if (int rc = BuildConnectionFlags(g, "save", c); rc != kExitSuccess) return rc;
  auto idle = ParseSignedGoDuration(f.idle_timeout);
  if (!idle.ok()) return ExitWithError(kExitError, "--idle-timeout: " + idle.status().message());
  // etcdctl bounds a save by --command-timeout only when it is given: large snapshots take
  // minutes. The idle timeout is what keeps a stalled stream from hanging forever.
  if (c.command_timeout) o.stream.deadline = *c.command_timeout;
  if (idle->count() <= 0) {
    return ExitWithError(kExitBadArgs, "--idle-timeout must be positive (e.g. 30s)");
  }
  o.stream.idle_timeout = *idle;
  o.endpoints = std::move(c.endpoints);
  o.connection = std::move(c.connection);
  o.user = std::move(c.user);
  o.password = std::move(c.password);
  ClearSecret(c.password);
  return kExitSuccess;
}

// Overwrites the passwords in the flags and options when the save is over, however it ends.
struct ClearPasswords {
  GlobalOptions& g;
  snapshot::SaveOptions& o;
  ~ClearPasswords() {
    ClearSecret(g.user);  // name:password
    ClearSecret(g.password);
    ClearSecret(o.password);
  }
};

// What a run tells --metrics-file, filled in as the save goes; `die_of` is the signal the
// process must die of once the metrics are written (0: none).
struct RunOutcome {
  SaveRunFigures figures;
  int die_of = 0;
};

int DoSave(GlobalOptions& g, const SaveFlags& f, const CommandLine& cl, RunOutcome& outcome) {
  snapshot::SaveOptions o;
  const ClearPasswords clear{g, o};
  if (int rc = ApplyEnvironment(g); rc != kExitSuccess) return rc;
  if (f.args.size() != 1) return ExitWithError(kExitBadArgs, "snapshot save expects one argument");
  if (int rc = ValidateOutputFormat(g.write_out, true); rc != kExitSuccess) return rc;
  if (g.debug) PrintDebugFlags(g, f);

  o.path = f.args[0];
  o.verify = f.verify;
  auto compress = ParseCompressSpec(f.compress);
  if (!compress.ok()) return ExitWithError(kExitBadArgs, compress.status().message());
  o.compress = *compress;
  if (o.compress.algorithm == Compression::kZstd) {
    // One zstd worker per CPU we may use but the one the stream runs on: compression keeps up
    // with the network without taking the machine (nor more than a pod's CPU limit).
    const int cpus = UsableCpus();
    o.compress.workers = std::clamp(cpus > 1 ? cpus - 1 : 1, 1, 4);
  }
  if (o.path == "-") {
    if (isatty(STDOUT_FILENO)) {
      return ExitWithError(kExitBadArgs, "refusing to write a snapshot to a terminal: redirect "
                                         "stdout to a file or a pipe (snapshot save - | ...)");
    }
    if (o.verify) {
      return ExitWithError(kExitBadArgs, "--verify needs a file to read back; with `-` the "
                                         "snapshot only passes through (verify it where it lands)");
    }
    if (f.check_cluster) {
      return ExitWithError(kExitBadArgs, "--check-cluster needs a file to hash; with `-` the "
                                         "snapshot only passes through (run etcdsnap snapshot "
                                         "hashkv <file> --cluster where it lands)");
    }
  }
  auto flags = ReadScheduleFlags(cl, g.write_out);
  if (!flags.ok()) return ExitWithError(kExitBadArgs, flags.status().message());
  auto schedule = SaveSchedule::Prepare(o.path, *flags);
  if (!schedule.ok()) return ExitWithError(kExitBadArgs, schedule.status().message());
  if (int rc = BuildOptions(g, f, o); rc != kExitSuccess) return rc;

  // Before any thread starts (gRPC's included), so that every thread has the signals blocked.
  Canceller canceller;
  auto signals = SignalCanceller::Start(
      &canceller, {.reason_suffix = "; nothing was saved",
                   .second_message = "exiting at once; " + o.path +
                                     ".part may be left behind (the next save replaces it)"});
  if (!signals.ok()) return ExitWithError(kExitError, signals.status().message());
  auto log = MakeStderrLogger(g.debug);
  client::RouteGrpcLogs(log);
  schedule->Configure(o, *log);
  ProgressLine progress(InteractiveStderr());
  o.on_progress = [&progress](uint64_t done, uint64_t total) { progress.Update(done, total); };

  auto r = schedule->SaveWaiting(o, &canceller, *log);
  const int signal = (*signals)->received_signal();
  // The outcome is settled: a signal from now on stays pending, so no second Error line.
  signals->reset();
  progress.Finish();
  if (!r.ok()) {
    const Status& s = r.status();
    if (signal != 0) {
      // Cleaned up: now end as the signal would have (exit status 128+n, as etcdctl's).
      ExitWithError(kExitInterrupted, s.message());
      outcome.die_of = signal;
      return 128 + signal;
    }
    if (s.code() == Code::kBusy) return ExitWithError(schedule->BusyExitCode(), s.message());
    // Not reaching any member (refused, TLS handshake failure, dial timeout: Save reports all
    // of them as kUnavailable) is etcdctl's ExitBadConnection; everything after that is a
    // runtime failure.
    return ExitWithError(s.code() == Code::kUnavailable ? kExitBadConnection : kExitInterrupted,
                         s.message());
  }
  outcome.figures.saved = true;
  outcome.figures.cluster = fmt::format("{:x}", r->member.cluster_id);
  outcome.figures.size_bytes = r->file_size;
  outcome.figures.revision = r->revision;
  // --check-cluster: the saved file against every member's HashKV, before retention (a
  // mismatch keeps the old snapshots).
  std::optional<snapshot::ClusterCheckReport> check;
  if (f.check_cluster) {
    snapshot::ClusterCheckOptions c;
    c.path = r->path;
    c.endpoints = o.endpoints;
    c.whole_cluster = true;
    c.connection = o.connection;
    c.user = o.user;
    c.password = o.password;
    if (o.stream.deadline) c.hash_timeout = *o.stream.deadline;
    auto checked = snapshot::CheckCluster(c, nullptr, *log);
    ClearSecret(c.password);
    if (checked.ok()) {
      check = std::move(checked).value();
    } else {
      PrintWarning("saved to " + r->path + ", but the cluster check could not run: " +
                   checked.status().message());
    }
  }
  const std::string mismatch = check ? MismatchMessage(*check, true) : "";
  if (!mismatch.empty()) log->warn("old snapshots are not pruned after a cluster check mismatch");
  auto pruned = schedule->AfterSave(*r, *log, /*prune=*/mismatch.empty());
  if (!pruned.ok()) return ExitWithError(kExitInterrupted, pruned.status().message());
  if (o.path == "-") {  // stdout carried the snapshot itself
    std::fflush(stdout);
    return kExitSuccess;
  }
  if (schedule->flags().json_summary) {
    // etcdctl prints the "saved at" line whatever -w says; -w json is etcdsnap's summary
    // (docs/compat.md).
    const std::string json =
        schedule->SummaryJson(*r, *pruned, check ? FormatClusterCheck(*check, "json") : "");
    std::fwrite(json.data(), 1, json.size(), stdout);
  } else if (!StderrConfig().quiet) {
    std::printf("Snapshot saved at %s\n", r->path.c_str());
    if (check) {
      const std::string table =
          FormatClusterCheck(*check, g.write_out == "table" ? "table" : "simple");
      std::fwrite(table.data(), 1, table.size(), stdout);
    }
  }
  std::fflush(stdout);
  if (!mismatch.empty()) return ExitWithError(kExitMismatch, mismatch);
  return kExitSuccess;
}

}  // namespace

int RunSave(GlobalOptions& g, const CommandLine& cl) {
  SaveFlags f;
  f.args = cl.args;
  if (cl.Has("idle-timeout")) f.idle_timeout = cl.Last("idle-timeout");
  f.verify = cl.Last("verify") == "true";
  f.check_cluster = cl.Last("check-cluster") == "true";
  if (cl.Has("compress")) f.compress = cl.Last("compress");
  RunOutcome outcome;
  outcome.figures.started = std::chrono::system_clock::now();
  int rc = DoSave(g, f, cl, outcome);
  if (const std::string metrics = cl.Last("metrics-file"); !metrics.empty()) {
    // Every run leaves its figures, a failed one included (that is what the alert is for).
    outcome.figures.exit_code = rc;
    outcome.figures.finished = std::chrono::system_clock::now();
    Status s = UpdateMetricsFile(metrics, outcome.figures);
    if (!s.ok()) {
      PrintError(s.message());
      if (rc == kExitSuccess) rc = kExitInterrupted;
    }
  }
  if (outcome.die_of != 0) DieOfSignal(outcome.die_of);
  return rc;
}

}  // namespace etcdsnap::cli
