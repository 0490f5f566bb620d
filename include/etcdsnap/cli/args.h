// The command line as etcdctl's cobra/pflag reads it, so that every etcdctl snapshot command
// line means the same with etcdsnap:
//  - global (persistent) flags anywhere: before the command, between `snapshot` and its verb,
//    after the verb, after the file name;
//  - `--flag value` and `--flag=value`; shorthands `-w json`, `-w=json`, `-wjson`, grouped bool
//    shorthands (`-hw json`); bool flags take no separate word (`--debug`, `--debug=false`);
//  - a repeated flag: the last value wins; a repeated --endpoints appends (pflag's StringSlice);
//  - bools are Go's strconv.ParseBool, durations Go's time.ParseDuration (negative included);
//  - commands by unique prefix (`snap sav`), as etcdctl enables cobra.EnablePrefixMatching;
//  - `--` ends the flags.
// Errors (unknown flag or command, missing or bad value) are etcdctl's exit 1.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/util/status.h"

namespace etcdsnap::cli {

enum class FlagKind { kBool, kString, kStringSlice, kDuration, kUint64, kInt64 };

struct FlagSpec {
  const char* name;       // long name, without the dashes
  char shorthand;         // 0: none
  FlagKind kind;
  const char* default_value;
  const char* usage;
  // nullptr: global (and read from ETCDCTL_*); "": any command, no variable; else the command
  // it belongs to ("snapshot save"), or several, comma-separated ("snapshot save,snapshot prune").
  const char* command;
};

// One command of the tree, as help prints it.
struct CommandSpec {
  const char* path;         // full name, "snapshot save"; "" for the top level
  const char* use;          // the usage line: "etcdsnap snapshot save <filename> [flags]"
  const char* description;  // one line
};

// Every command, the top level first, parents before their children, in help's order.
const std::vector<CommandSpec>& AllCommands();
// The subcommand names of `path` ("snapshot" -> save, status, ...), in help's order.
std::vector<std::string> Subcommands(const std::string& path);

// The flags help lists for `command`: under OPTIONS (global == false) its own and those every
// command takes, under GLOBAL OPTIONS (global == true) etcdctl's global flags; in table order.
std::vector<const FlagSpec*> HelpFlags(const std::string& command, bool global);

// True when `spec` may be given to `command` ("snapshot save"). Two commands may each have a
// flag of the same name with its own default and usage (--etcd-version): each spec names its
// own commands.
bool FlagBelongsTo(const FlagSpec& spec, const std::string& command);

// Every flag etcdsnap knows: etcdctl's globals first, then each command's own.
const std::vector<FlagSpec>& AllFlags();
// The flag with this long name, or nullptr.
const FlagSpec* FindFlag(const std::string& name);

// What the command line asks for.
struct CommandLine {
  std::vector<std::string> command;  // full names: {"snapshot", "save"}, {"version"}, {}
  std::vector<std::string> args;     // positional arguments
  // Every flag given, by long name, with its values in command-line order (bools as "true" or
  // "false"). A string flag's value is the last one; a slice flag's is all of them.
  std::map<std::string, std::vector<std::string>> flags;
  bool help = false;  // -h/--help, or the `help` command

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  // The last value given, or "" when the flag is absent.
  std::string Last(const std::string& name) const;
  // The command's name as it is printed: "snapshot save".
  std::string CommandName() const;
};

// Parses argv (without the program name). kInvalidArgument with a message ready for
// `Error: ` when the command line is not one etcdctl would accept.
Result<CommandLine> ParseCommandLine(const std::vector<std::string>& argv);

// Checks a value for `spec` as pflag's Value.Set would (bools normalized to "true"/"false").
Result<std::string> CheckFlagValue(const FlagSpec& spec, const std::string& value);

// Go's strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
Result<bool> ParseGoBool(const std::string& s);
// Go's strconv.ParseUint(s, 0, 64), as pflag reads a uint64 flag: decimal, 0x hex, 0o or 0
// octal, 0b binary, underscores between digits after a prefix.
Result<uint64_t> ParseGoUint64(const std::string& s);
// Go's strconv.ParseInt(s, 0, 64), as pflag reads an int64 flag: an optional sign, then
// ParseGoUint64's forms, within int64's range.
Result<int64_t> ParseGoInt64(const std::string& s);
// Go's time.ParseDuration, negative values included.
Result<std::chrono::nanoseconds> ParseSignedGoDuration(const std::string& s);

// The help text for a command path ({} for the top level), as `etcdsnap help ...` prints it.
// Unknown paths get the top level's.
std::string HelpText(const std::vector<std::string>& command);

}  // namespace etcdsnap::cli
