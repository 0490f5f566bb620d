// The command-line layer: etcdctl's global flags, exit codes, and the commands. Main() parses
// the command line (args.h), fills GlobalOptions from it and calls the selected command's Run*
// function. Commands print results on stdout and errors via ExitWithError.
#pragma once

#include <string>
#include <vector>

#include "etcdsnap/cli/args.h"

namespace etcdsnap::snapshot {
struct InspectReport;
}  // namespace etcdsnap::snapshot

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
  // etcdsnap's own: another save to the same file or name template holds its .part (and
  // --lock-timeout, if given, passed). sysexits.h's EX_TEMPFAIL: try again later.
  kExitBusy = 75,
  // etcdsnap's own: a member's HashKV differs from the snapshot file's at the same revision and
  // compact revision (`snapshot hashkv --endpoints`, `save --check-cluster`; the saved file is
  // kept). sysexits.h's EX_DATAERR.
  kExitMismatch = 65,
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

  std::vector<std::string> cli_flags;  // flags (long names) given on the command line
  std::vector<std::string> env_flags;  // flags (long names) that ApplyEnvironment filled in
  // True when the flag (long name, no dashes) was given on the command line or, once
  // ApplyEnvironment ran, through its ETCDCTL_* variable.
  bool WasSet(const std::string& flag) const;
};

// Sets one global flag from a value CheckFlagValue accepted, as pflag's Set does: the last value
// wins, except --endpoints, whose first value replaces the default and later ones append.
void SetGlobalFlag(GlobalOptions& g, const FlagSpec& spec, const std::string& value);
// Fills `g` with the global flags of a parsed command line.
void ApplyCommandLine(const CommandLine& cl, GlobalOptions& g);

// The whole program but for main()'s process-wide settings (src/cli/entry.cc): parses argv,
// runs the selected command and returns the process's exit code. Blanks passwords in argv.
int Main(int argc, char** argv);

// The commands: each returns the process's exit code.
int RunSave(GlobalOptions& g, const CommandLine& cl);
int RunStatus(const GlobalOptions& g, const CommandLine& cl);
int RunVerify(const GlobalOptions& g, const CommandLine& cl);
int RunRestore(const GlobalOptions& g, const CommandLine& cl);
int RunPrune(const GlobalOptions& g, const CommandLine& cl);
int RunHashKv(GlobalOptions& g, const CommandLine& cl);
int RunInspect(const GlobalOptions& g, const CommandLine& cl);
int RunDiff(const GlobalOptions& g, const CommandLine& cl);

// inspect's ENCRYPTION AT REST section of -w table, from its blank line to its table's end.
std::string EncryptionSection(const snapshot::InspectReport& r, bool show_prefix);

// inspect's and diff's --prefix: every value, comma-separated lists split, each made
// "/<prefix>" without a trailing '/' ("/" becomes ""); the default /registry when absent.
// kInvalidArgument for an empty one.
Result<std::vector<std::string>> PrefixFlag(const CommandLine& cl);

// Reads ETCDCTL_* variables into unset global flags, with etcdctl's rules: empty values are
// ignored, a variable that shadows a flag given on the command line is an error, unknown
// ETCDCTL_* names are warned about. etcdctl applies them for `save` only (status and restore
// ignore them); commands that want them call this first. Returns kExitSuccess or an exit code
// after printing the error.
int ApplyEnvironment(GlobalOptions& g);

// When `path` has a manifest (<path>.json, from `save --manifest`) and the file does not match
// it, or the manifest cannot be read: a warning on stderr, ending with `consequence`, and false.
// Reads the whole file (its sha256) when there is a manifest; nothing otherwise.
bool WarnIfManifestMismatch(const std::string& path, const std::string& consequence);

// Prints "Error: <message>" on stderr and returns `code`.
int ExitWithError(int code, const std::string& message);

// etcdctl validates -w for every command: "simple", "json", "table", "fields" (and "protobuf"
// where a command supports it). Returns kExitSuccess or prints etcdctl's error and returns 4.
int ValidateOutputFormat(const std::string& format, bool protobuf_ok);

}  // namespace etcdsnap::cli
