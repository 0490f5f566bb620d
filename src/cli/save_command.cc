// `etcdsnap snapshot save <file>`: etcdctl's flags and environment in, the save use case, its
// result as etcdctl prints it. SIGINT/SIGTERM/SIGHUP cancel the transfer cleanly.
#include <CLI/CLI.hpp>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/log.h"
#include "etcdsnap/cli/progress.h"
#include "etcdsnap/snapshot/save.h"
#include "etcdsnap/util/human.h"

namespace etcdsnap::cli {
namespace {

struct SaveFlags {
  std::vector<std::string> args;
  std::string idle_timeout = "30s";
  bool verify = false;
};

termios g_saved_termios;

// Restores the terminal's echo if the user interrupts the prompt, then dies of the signal.
void RestoreTerminalAndDie(int sig) {
  tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  signal(sig, SIG_DFL);
  raise(sig);
}

// Reads a password from the terminal without echo. Only called when stdin is a terminal.
// Echo goes off before the prompt is shown and with TCSANOW (not TCSAFLUSH), so that a password
// typed as soon as the prompt appears is neither echoed nor discarded.
std::string PromptPassword() {
  const bool have_tty = tcgetattr(STDIN_FILENO, &g_saved_termios) == 0;
  struct sigaction old_int {}, old_term {}, sa {};
  if (have_tty) {
    sa.sa_handler = RestoreTerminalAndDie;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    termios quiet = g_saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::fprintf(stderr, "Password: ");
  std::fflush(stderr);
  std::string pw;
  std::getline(std::cin, pw);
  if (have_tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  } else {
    std::fprintf(stderr, "\n");
  }
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
    auto r = ParseGoDuration(d.value);
    if (!r.ok()) return ExitWithError(kExitBadArgs, "--" + std::string(d.name) + ": " + r.status().message());
    *d.out = *r;
  }
  if (o.connection.dial_timeout.count() == 0) o.connection.dial_timeout = std::chrono::seconds(2);
  // etcdctl bounds a save by --command-timeout only when it is given: large snapshots take
  // minutes. The idle timeout is what keeps a stalled stream from hanging forever.
  if (g.WasSet("command-timeout") && command_timeout.count() > 0) o.stream.deadline = command_timeout;
  if (idle.count() == 0) {
    return ExitWithError(kExitBadArgs, "--idle-timeout must be positive (e.g. 30s)");
  }
  o.stream.idle_timeout = idle;

  const bool tls_wanted = !g.cacert.empty() || !g.cert.empty() || !g.key.empty() ||
                          !g.insecure_transport || g.insecure_skip_tls_verify;
  if (tls_wanted) {
    auto tls = client::TlsMaterial::Load(
        {g.cacert, g.cert, g.key, g.insecure_skip_tls_verify});
    if (!tls.ok()) return ExitWithError(kExitBadArgs, tls.status().message());
    o.connection.tls = std::move(tls).value();
  }
  if (g.endpoints.empty()) return ExitWithError(kExitBadArgs, "--endpoints is empty");
  for (const auto& e : g.endpoints) {
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
    } else {
      return ExitWithError(kExitBadArgs,
                           "no password for user " + g.user +
                               ": give --password, ETCDCTL_PASSWORD or --user " + g.user +
                               ":<password> (stdin is not a terminal to prompt on)");
    }
    if (o.user.empty()) return ExitWithError(kExitBadArgs, "--user has an empty user name");
  } else if (!g.password.empty()) {
    return ExitWithError(kExitBadArgs, "--password given without --user");
  }
  return kExitSuccess;
}

// Blocks the termination signals in every thread (call before any thread starts) and cancels
// the save from a dedicated thread when one arrives. A second signal exits at once, after
// removing the .part.
void StartSignalThread(client::Canceller* canceller, const std::string& part_path) {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([canceller, part_path] {
    int sig = 0;
    sigwait(&set, &sig);
    canceller->Cancel(std::string("interrupted by ") + sigabbrev_np(sig) + "; nothing was saved");
    sigwait(&set, &sig);
    ::unlink(part_path.c_str());
    std::fprintf(stderr, "Error: interrupted twice; removed %s\n", part_path.c_str());
    _exit(kExitInterrupted);
  }).detach();
}

int RunSave(GlobalOptions& g, const SaveFlags& f) {
  if (int rc = ApplyEnvironment(g); rc != kExitSuccess) return rc;
  if (f.args.size() != 1) return ExitWithError(kExitBadArgs, "snapshot save expects one argument");
  if (int rc = ValidateOutputFormat(g.write_out, true); rc != kExitSuccess) return rc;
  if (g.debug) PrintDebugFlags(g, f);

  snapshot::SaveOptions o;
  o.path = f.args[0];
  o.verify = f.verify;
  if (int rc = BuildOptions(g, f, o); rc != kExitSuccess) return rc;

  client::Canceller canceller;
  StartSignalThread(&canceller, o.path + ".part");
  auto log = MakeStderrLogger(g.debug);
  client::RouteGrpcLogs(log);
  ProgressLine progress(isatty(STDERR_FILENO) != 0);
  o.on_progress = [&progress](uint64_t done, uint64_t total) { progress.Update(done, total); };

  auto r = snapshot::Save(o, &canceller, *log);
  progress.Finish();
  if (!r.ok()) {
    const Status& s = r.status();
    // Not reaching any member (refused, TLS handshake failure, dial timeout: Save reports all
    // of them as kUnavailable) is etcdctl's ExitBadConnection; everything after that is a
    // runtime failure.
    return ExitWithError(s.code() == Code::kUnavailable ? kExitBadConnection : kExitInterrupted,
                         s.message());
  }
  std::printf("Snapshot saved at %s\n", r->path.c_str());
  std::fflush(stdout);
  return kExitSuccess;
}

}  // namespace

void AddSaveCommand(CLI::App& snapshot, GlobalOptions& g, Runner& run) {
  auto flags = std::make_shared<SaveFlags>();
  auto* cmd = snapshot.add_subcommand("save", "Stores an etcd node backend snapshot to a given file");
  cmd->add_option("filename", flags->args, "where to write the snapshot");
  cmd->add_option("--idle-timeout", flags->idle_timeout,
                  "abort when the server sends no data for this long (etcdsnap only)")
      ->default_str("30s");
  cmd->add_flag("--verify", flags->verify,
                "before keeping the file, check its bbolt structure and etcd schema as "
                "`snapshot verify` does (etcdsnap only; the sha256 is always checked)");
  cmd->callback([&run, &g, flags] { run = [&g, flags] { return RunSave(g, *flags); }; });
}

}  // namespace etcdsnap::cli
