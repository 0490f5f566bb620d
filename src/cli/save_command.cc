// `etcdsnap snapshot save <file>`: etcdctl's flags and environment in, the save use case, its
// result as etcdctl prints it. SIGINT/SIGTERM/SIGHUP/SIGQUIT cancel the save cleanly up to the rename;
// a second one exits at once.
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <cerrno>
#include <cstdio>
#include <iterator>
#include <span>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/log.h"
#include "etcdsnap/cli/metrics.h"
#include "etcdsnap/cli/progress.h"
#include "etcdsnap/client/discovery.h"
#include "etcdsnap/snapshot/save.h"
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
  std::string compress = "none";
};

// What arrived while the password prompt was up. The handlers only note the signal; the prompt
// acts on it once the terminal is back to what it was.
volatile sig_atomic_t g_prompt_signal[NSIG];

void NoteSignal(int sig) { g_prompt_signal[sig] = 1; }

// The signals that end or stop a process while it has echo turned off: each one restores the
// terminal first, as OpenSSH's readpassphrase() and sudo do. INT, TERM, HUP and QUIT then kill
// the process as they would have; TSTP, TTIN and TTOU stop it, and on SIGCONT echo goes off
// again and the prompt starts over (what was typed before the stop is discarded).
constexpr int kPromptSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};

bool IsStopSignal(int sig) { return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

bool AnySignalNoted() {
  return std::any_of(std::begin(g_prompt_signal), std::end(g_prompt_signal),
                     [](sig_atomic_t s) { return s != 0; });
}

// Reads a password from the terminal without echo. Only called when stdin is a terminal, before
// any thread starts. Echo goes off before the prompt is shown and with TCSANOW (not TCSAFLUSH),
// so that a password typed as soon as the prompt appears is neither echoed nor discarded. The
// signals stay blocked except inside ppoll(), so one that arrives just before the wait cannot
// be noted and then leave the read blocked. A signal ignored at start gets no handler: it stays
// ignored, instead of ending the prompt with what was typed so far (under `nohup`, a SIGHUP
// would have sent half a password).
std::string PromptPassword() {
  int watched[std::size(kPromptSignals)];
  size_t watched_count = 0;
  for (int sig : kPromptSignals) {
    if (!SignalIgnored(sig)) watched[watched_count++] = sig;
  }
  const std::span<const int> signals(watched, watched_count);
  std::string pw;
  while (true) {
    for (auto& noted : g_prompt_signal) noted = 0;
    sigset_t prompt_set, outside;
    sigemptyset(&prompt_set);
    for (int sig : signals) sigaddset(&prompt_set, sig);
    sigprocmask(SIG_BLOCK, &prompt_set, &outside);
    struct sigaction sa {}, old[std::size(kPromptSignals)];
    sa.sa_handler = NoteSignal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < signals.size(); ++i) sigaction(signals[i], &sa, &old[i]);
    termios saved{};
    if (tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      quiet.c_lflag |= ECHONL;
      tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
      std::fprintf(stderr, "Password: ");
      std::fflush(stderr);
      ClearSecret(pw);
      char c = 0;
      while (!AnySignalNoted()) {
        pollfd in{STDIN_FILENO, POLLIN, 0};
        if (::ppoll(&in, 1, nullptr, &outside) < 0) {
          if (errno == EINTR) continue;  // a handler ran: the loop condition says which
          break;
        }
        if (::read(STDIN_FILENO, &c, 1) != 1 || c == '\n') break;  // EOF, error or the end
        pw.push_back(c);
      }
      ClearSecretBytes(&c, 1);
      tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    }
    for (size_t i = 0; i < signals.size(); ++i) sigaction(signals[i], &old[i], nullptr);
    sigprocmask(SIG_SETMASK, &outside, nullptr);
    // Resend what arrived, now with the previous actions and the terminal restored.
    bool restart = false;
    for (int sig : signals) {
      if (g_prompt_signal[sig] == 0) continue;
      ::kill(::getpid(), sig);
      restart = restart || IsStopSignal(sig);
    }
    if (!restart) return pw;
  }
}

// Strips leading and trailing whitespace in place, as etcdctl (speakeasy) does to a password.
void TrimSpace(std::string& s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  size_t b = 0, e = s.size();
  while (b < e && space(s[b])) ++b;
  while (e > b && space(s[e - 1])) --e;
  std::string t = s.substr(b, e - b);
  ClearSecret(s);
  s = std::move(t);
}

// The first line of a stdin that is not a terminal, read a byte at a time so that nothing after
// it is consumed: a pipe or a file. EOF at once gives an empty password, as with etcdctl.
Result<std::string> ReadPasswordLine() {
  std::string pw;
  char c = 0;
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ClearSecret(pw);
      return Status::FromErrno("reading the password for --user from stdin", err);
    }
    if (n == 0 || c == '\n') break;
    pw.push_back(c);
  }
  ClearSecretBytes(&c, 1);
  TrimSpace(pw);
  return pw;
}

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
  const std::pair<const char*, const std::string*> tls_files[] = {
      {"cert", &g.cert}, {"key", &g.key}, {"cacert", &g.cacert}};
  for (const auto& [flag, value] : tls_files) {
    if (g.WasSet(flag) && value->empty()) {
      return ExitWithError(kExitBadArgs, std::string("empty string is passed to --") + flag +
                                             " option");
    }
  }
  struct DurationFlag {
    const char* name;
    const std::string& value;
    std::chrono::nanoseconds* out;
  };
  std::chrono::nanoseconds command_timeout{};
  std::chrono::nanoseconds idle{};
  const DurationFlag durations[] = {
      {"dial-timeout", g.dial_timeout, &o.connection.dial_timeout},
      {"command-timeout", g.command_timeout, &command_timeout},
      {"keepalive-time", g.keepalive_time, &o.connection.keepalive_time},
      {"keepalive-timeout", g.keepalive_timeout, &o.connection.keepalive_timeout},
      {"idle-timeout", f.idle_timeout, &idle},
  };
  for (const auto& d : durations) {
    auto r = ParseSignedGoDuration(d.value);
    if (!r.ok()) return ExitWithError(kExitError, "--" + std::string(d.name) + ": " + r.status().message());
    *d.out = *r;
  }
  // etcdctl's dial never ends with a zero or negative --dial-timeout; ours is the bound on the
  // probe, so such a value means the default.
  if (o.connection.dial_timeout.count() <= 0) o.connection.dial_timeout = std::chrono::seconds(2);
  // etcdctl bounds a save by --command-timeout only when it is given: large snapshots take
  // minutes. The idle timeout is what keeps a stalled stream from hanging forever.
  if (g.WasSet("command-timeout")) {
    if (command_timeout.count() <= 0) {
      // etcdctl's context expires at once and the save fails (exit 5) after connecting.
      return ExitWithError(kExitInterrupted,
                           "--command-timeout=" + g.command_timeout +
                               " expires before the save can start; give a positive bound "
                               "(e.g. 10m) or leave it unset for none");
    }
    o.stream.deadline = command_timeout;
  }
  if (idle.count() <= 0) {
    return ExitWithError(kExitBadArgs, "--idle-timeout must be positive (e.g. 30s)");
  }
  o.stream.idle_timeout = idle;

  // etcdctl: with --discovery-srv and --insecure-discovery=false the domain becomes the TLS
  // server name, which also turns TLS on for bare host:port endpoints.
  const bool discovery_name = !g.discovery_srv.empty() && !g.insecure_discovery;
  if (discovery_name) o.connection.tls_server_name = g.discovery_srv;
  const bool tls_wanted = !g.cacert.empty() || !g.cert.empty() || !g.key.empty() ||
                          !g.insecure_transport || g.insecure_skip_tls_verify || discovery_name;
  if (tls_wanted) {
    auto tls = client::TlsMaterial::Load(
        {g.cacert, g.cert, g.key, g.insecure_skip_tls_verify});
    if (!tls.ok()) return ExitWithError(kExitBadArgs, tls.status().message());
    o.connection.tls = std::move(tls).value();
  }
  std::vector<std::string> endpoints = g.endpoints;
  if (!g.discovery_srv.empty()) {
    // etcdctl: the SRV records' endpoints replace --endpoints; with --insecure-discovery=false
    // the http:// ones are dropped, and when none is left --endpoints is used after all.
    auto found = client::DiscoverEndpoints(g.discovery_srv, g.discovery_srv_name);
    if (!found.ok()) return ExitWithError(kExitError, found.status().message());
    std::vector<std::string> kept;
    for (const std::string& ep : *found) {
      if (!g.insecure_discovery && ep.rfind("http://", 0) == 0) {
        PrintLine("warn", "ignoring discovered insecure endpoint \"" + ep + "\"");
        continue;
      }
      kept.push_back(ep);
    }
    if (!kept.empty()) endpoints = std::move(kept);
  }
  if (endpoints.empty()) {
    // etcdctl: "snapshot must be requested to one selected node, not multiple []", exit 5.
    return ExitWithError(kExitInterrupted, "no endpoint to save from: --endpoints is empty "
                                           "(give host:port or https://host:port)");
  }
  for (const auto& e : endpoints) {
    auto ep = client::ParseEndpoint(e, tls_wanted);
    if (!ep.ok()) return ExitWithError(kExitBadArgs, ep.status().message());
    o.endpoints.push_back(std::move(ep).value());
  }

  if (!g.user.empty()) {
    o.user = g.user;
    if (!g.password.empty()) {
      o.password = g.password;  // with --password, --user is taken literally
    } else if (auto colon = g.user.find(':'); colon != std::string::npos) {
      o.user = g.user.substr(0, colon);
      o.password = g.user.substr(colon + 1);
    } else if (isatty(STDIN_FILENO)) {
      o.password = PromptPassword();
      TrimSpace(o.password);
    } else {
      // As etcdctl: the password is the first line of stdin (`printf 'pw\n' | etcdsnap ...`),
      // without the prompt (stdout carries only the result).
      auto pw = ReadPasswordLine();
      if (!pw.ok()) return ExitWithError(kExitBadArgs, pw.status().message());
      o.password = std::move(pw).value();
    }
    if (o.user.empty()) return ExitWithError(kExitBadArgs, "--user has an empty user name");
  } else if (!g.password.empty()) {
    // etcdctl ignores a password without a user; say so.
    PrintWarning("--password is ignored without --user");
  }
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
    // One zstd worker per core but the one the stream runs on: compression keeps up with the
    // network without taking the machine.
    const unsigned cores = std::thread::hardware_concurrency();
    o.compress.workers = static_cast<int>(std::clamp(cores > 1 ? cores - 1 : 1u, 1u, 4u));
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
  auto pruned = schedule->AfterSave(*r, *log);
  if (!pruned.ok()) return ExitWithError(kExitInterrupted, pruned.status().message());
  if (o.path == "-") {  // stdout carried the snapshot itself
    std::fflush(stdout);
    return kExitSuccess;
  }
  if (schedule->flags().json_summary) {
    // etcdctl prints the "saved at" line whatever -w says; -w json is etcdsnap's summary
    // (docs/compat.md).
    const std::string json = schedule->SummaryJson(*r, *pruned);
    std::fwrite(json.data(), 1, json.size(), stdout);
  } else if (!StderrConfig().quiet) {
    std::printf("Snapshot saved at %s\n", r->path.c_str());
  }
  std::fflush(stdout);
  return kExitSuccess;
}

}  // namespace

int RunSave(GlobalOptions& g, const CommandLine& cl) {
  SaveFlags f;
  f.args = cl.args;
  if (cl.Has("idle-timeout")) f.idle_timeout = cl.Last("idle-timeout");
  f.verify = cl.Last("verify") == "true";
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
