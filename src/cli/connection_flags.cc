#include "connection_flags.h"

#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iterator>
#include <span>

#include "etcdsnap/cli/log.h"
#include "etcdsnap/client/discovery.h"
#include "etcdsnap/client/tls.h"
#include "etcdsnap/util/secret.h"
#include "etcdsnap/util/signals.h"

namespace etcdsnap::cli {
namespace {

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

}  // namespace

ConnectionFlags::~ConnectionFlags() { ClearSecret(password); }

int BuildConnectionFlags(const GlobalOptions& g, const std::string& verb, ConnectionFlags& o) {
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
  const DurationFlag durations[] = {
      {"dial-timeout", g.dial_timeout, &o.connection.dial_timeout},
      {"command-timeout", g.command_timeout, &command_timeout},
      {"keepalive-time", g.keepalive_time, &o.connection.keepalive_time},
      {"keepalive-timeout", g.keepalive_timeout, &o.connection.keepalive_timeout},
  };
  for (const auto& d : durations) {
    auto r = ParseSignedGoDuration(d.value);
    if (!r.ok()) return ExitWithError(kExitError, "--" + std::string(d.name) + ": " + r.status().message());
    *d.out = *r;
  }
  // etcdctl's dial never ends with a zero or negative --dial-timeout; ours is the bound on the
  // probe, so such a value means the default.
  if (o.connection.dial_timeout.count() <= 0) o.connection.dial_timeout = std::chrono::seconds(2);
  if (g.WasSet("command-timeout")) {
    if (command_timeout.count() <= 0) {
      // etcdctl's context expires at once and the save fails (exit 5) after connecting.
      return ExitWithError(kExitInterrupted,
                           "--command-timeout=" + g.command_timeout + " expires before the " +
                               verb + " can start; give a positive bound (e.g. 10m) or leave "
                               "it unset for none");
    }
    o.command_timeout = command_timeout;
  }

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
    return ExitWithError(kExitInterrupted, "no endpoint to " + verb + " from: --endpoints is empty "
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

}  // namespace etcdsnap::cli
