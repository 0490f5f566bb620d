// The command-line layer: etcdctl's global flags, exit codes, and the hook through which each
// `snapshot <verb>` command plugs into the CLI11 app. A command file (save_command.cc,
// status_command.cc, ...) adds its subcommand and, when CLI11 selects it, sets the Runner that
// main() calls after parsing. Commands print results on stdout and errors via ExitWithError.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace etcdsnap::cli {

// etcdctl's exit codes (pkg/cobrautl/error.go).
enum ExitCode : int {
  kExitSuccess = 0,
  kExitError = 1,
  kExitBadConnection = 2,
  kExitInvalidInput = 3,
  kExitBadFeature = 4,
  kExitInterrupted = 5,
  kExitIO = 6,
  kExitBadArgs = 128,
};

// etcdctl's global (persistent) flags, with etcdctl's defaults. Durations stay strings until a
// command parses them, so that a bad value is reported by the command that uses it.
struct GlobalOptions {
  std::vector<std::string> endpoints{"127.0.0.1:2379"};
  bool debug = false;
  std::string write_out = "simple";
  bool hex = false;
  std::string dial_timeout = "2s";
  std::string command_timeout = "5s";
  std::string keepalive_time = "2s";
  std::string keepalive_timeout = "6s";
  bool insecure_transport = true;
  bool insecure_discovery = true;
  bool insecure_skip_tls_verify = false;
  std::string cert, key, cacert;
  std::string user, password;
  std::string discovery_srv, discovery_srv_name;

  CLI::App* app = nullptr;  // the root app, to ask which flags were given
  std::vector<std::string> env_flags;  // flags (long names) that ApplyEnvironment filled in
  // True when the flag (long name, no dashes) was given on the command line or, once
  // ApplyEnvironment ran, through its ETCDCTL_* variable.
  bool WasSet(const std::string& flag) const;
};

using Runner = std::function<int()>;

// Registers `snapshot save|status|verify`. Each sets *run when selected.
void AddSaveCommand(CLI::App& snapshot, GlobalOptions& g, Runner& run);
void AddStatusCommand(CLI::App& snapshot, GlobalOptions& g, Runner& run);
void AddVerifyCommand(CLI::App& snapshot, GlobalOptions& g, Runner& run);

// Reads ETCDCTL_* variables into unset global flags, with etcdctl's rules: empty values are
// ignored, a variable that shadows a flag given on the command line is an error, unknown
// ETCDCTL_* names are warned about. etcdctl applies them for `save` only (status and restore
// ignore them); commands that want them call this first. Returns kExitSuccess or an exit code
// after printing the error.
int ApplyEnvironment(GlobalOptions& g);

// Prints "Error: <message>" on stderr and returns `code`.
int ExitWithError(int code, const std::string& message);

// etcdctl validates -w for every command: "simple", "json", "table", "fields" (and "protobuf"
// where a command supports it). Returns kExitSuccess or prints etcdctl's error and returns 4.
int ValidateOutputFormat(const std::string& format, bool protobuf_ok);

}  // namespace etcdsnap::cli
