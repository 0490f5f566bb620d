// The program but for its process-wide settings (main.cc): the command line, ETCDCTL_API and
// --log-format, help and version, then the selected command. A library function so that tests
// can run it in a forked child of the test process, which costs a fork instead of starting the
// (sanitized, dynamically linked) binary.
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <string>
#include <vector>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/log.h"
#include "etcdsnap/cli/version.h"
#include "etcdsnap/util/secret.h"

namespace etcdsnap::cli {
namespace {

// Overwrites a value in the process's own argv memory, which is what /proc/<pid>/cmdline (and
// so `ps`) shows every local user for as long as the process runs. The length stays visible.
void Blank(char* p) {
  for (; *p != '\0'; ++p) *p = 'x';
}

// Blanks the password in `--password pw`, `--password=pw`, `--user name:pw` and
// `--user=name:pw` (the name stays readable), wherever they are on the command line. Call once
// the arguments are copied for parsing.
void ScrubPasswordsFromArgv(int argc, char** argv) {
  auto password_of_user = [](char* v) {
    if (char* colon = std::strchr(v, ':'); colon != nullptr) Blank(colon + 1);
  };
  for (int i = 1; i < argc; ++i) {
    char* a = argv[i];
    if (std::strcmp(a, "--") == 0) break;
    if (std::strcmp(a, "--password") == 0 || std::strcmp(a, "--user") == 0) {
      if (i + 1 >= argc) break;
      if (a[2] == 'p') {
        Blank(argv[i + 1]);
      } else {
        password_of_user(argv[i + 1]);
      }
      ++i;
    } else if (std::strncmp(a, "--password=", 11) == 0) {
      Blank(a + 11);
    } else if (std::strncmp(a, "--user=", 7) == 0) {
      password_of_user(a + 7);
    }
  }
}

void ClearParsedPasswords(CommandLine& cl) {
  for (const char* name : {"password", "user"}) {
    auto it = cl.flags.find(name);
    if (it == cl.flags.end()) continue;
    for (std::string& v : it->second) ClearSecret(v);
  }
}

}  // namespace

int Main(int argc, char** argv) {
  // Errors found before the command line is parsed (ETCDCTL_API, an unknown flag) follow
  // --log-format too, when it is spelled out plainly.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--log-format=json") == 0 ||
        (std::strcmp(argv[i], "--log-format") == 0 && i + 1 < argc &&
         std::strcmp(argv[i + 1], "json") == 0)) {
      ConfigureStderr({.format = LogFormat::kJson});
    }
  }
  // etcdctl consumes ETCDCTL_API before parsing flags: empty or 3 selects v3, 2 selects its v2
  // front end (which has no snapshot command: exit 3), anything else exits 1.
  if (const char* api = std::getenv("ETCDCTL_API"); api != nullptr && *api != '\0') {
    if (std::strcmp(api, "3") != 0) {
      return ExitWithError(std::strcmp(api, "2") == 0 ? kExitInvalidInput
                                                      : kExitError,
                           std::string("unsupported API version ") + api +
                               " (etcdsnap speaks the v3 API only: set ETCDCTL_API=3 or unset it)");
    }
  }

  std::vector<std::string> args(argv + 1, argv + argc);
  ScrubPasswordsFromArgv(argc, argv);  // `args` holds the copies to parse
  auto parsed = ParseCommandLine(args);
  for (std::string& a : args) ClearSecret(a);
  if (!parsed.ok()) return ExitWithError(kExitError, parsed.status().message());
  CommandLine& cl = *parsed;
  struct ClearOnExit {
    CommandLine& cl;
    ~ClearOnExit() { ClearParsedPasswords(cl); }
  } clear_on_exit{cl};
  // Before anything else is printed: every later stderr line follows --log-format and --quiet.
  const std::string log_format = cl.Has("log-format") ? cl.Last("log-format") : "text";
  if (log_format != "text" && log_format != "json") {
    return ExitWithError(kExitError,
                         "--log-format " + log_format + " is not one of text, json");
  }
  ConfigureStderr(
      {.format = log_format == "json" ? LogFormat::kJson
                                      : LogFormat::kText,
       .quiet = cl.Last("quiet") == "true"});
  const std::string command = cl.CommandName();
  if (!cl.help && (command == "version" || cl.Last("version") == "true")) {
    const std::string text = VersionText();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitSuccess : kExitIO;
  }
  // As cobra: help, and a command that only groups others (the top level, `snapshot`), print
  // the help on stdout and exit 0.
  if (cl.help || command.empty() || command == "snapshot") {
    const std::string help = HelpText(cl.command);
    std::fwrite(help.data(), 1, help.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitSuccess : kExitIO;
  }
  GlobalOptions g;
  ApplyCommandLine(cl, g);
  if (command == "snapshot save" || command == "snapshot restore") {
    // These two leave files half-made while they work: a reader of stderr that goes away
    // (`... 2>&1 | grep -m1 saved`) must not kill the process before it cleans up or finishes.
    // Writes to the closed pipe fail instead, and the logger ignores that.
    std::signal(SIGPIPE, SIG_IGN);
  }
  if (command == "snapshot save") return RunSave(g, cl);
  if (command == "snapshot status") return RunStatus(g, cl);
  if (command == "snapshot verify") return RunVerify(g, cl);
  if (command == "snapshot restore") return RunRestore(g, cl);
  if (command == "snapshot prune") return RunPrune(g, cl);
  if (command == "snapshot hashkv") return RunHashKv(g, cl);
  if (command == "snapshot inspect") return RunInspect(g, cl);
  if (command == "snapshot diff") return RunDiff(g, cl);
  // Not reached: the parser accepts only the commands above.
  return ExitWithError(kExitError, "unknown command \"" + command + "\"");
}

}  // namespace etcdsnap::cli
