// Everything a command writes on stderr: log lines, warnings, errors. stdout carries only
// results, so scripts can parse it while operators read stderr.
//
// Log lines follow one convention: "<message> key=value key=value ...", the message first, then
// the fields (a value may hold spaces: it runs to the next " key="; a value that starts with a
// double quote runs to the closing one). As text (the default), a line is printed as it is,
// after a UTC timestamp and the level. With --log-format json, every stderr line becomes one JSON
// object with etcdctl's (zap's) field names: "level", "ts" (Unix seconds, as etcdctl 3.4's
// snapshot logger), "msg", then the fields as strings; errors and warnings too. So call sites
// (and the modules below cli/, which only see an spdlog::logger) write plain text, and the
// structure is read back from the convention in one place, SplitLogLine.
//
// --quiet keeps errors only. The password prompt and --debug's settings dump stay plain text.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spdlog {
class logger;
}

namespace etcdsnap::cli {

enum class LogFormat { kText, kJson };

struct StderrOptions {
  LogFormat format = LogFormat::kText;
  bool quiet = false;
};

// Set once by main() from --log-format and --quiet, before anything is printed.
void ConfigureStderr(const StderrOptions& options);
const StderrOptions& StderrConfig();

// True when stderr is a terminal and its lines are for a person (text, not --quiet): where a
// progress line may be drawn.
bool InteractiveStderr();

// The process logger: spdlog on stderr, in the configured format; debug level with --debug,
// errors only with --quiet.
std::shared_ptr<spdlog::logger> MakeStderrLogger(bool debug);

// One stderr line at `level` ("debug", "info", "warn", "error"): `text` as it is, or a JSON
// object whose "msg" is all of `text` (errors and warnings are sentences, not the key=value
// convention: "set ETCDCTL_API=3" is no field). Nothing but errors with --quiet.
void PrintLine(std::string_view level, const std::string& text);
// "Error: <message>" (or {"level":"error",...,"msg":"<message>"}).
void PrintError(const std::string& message);
// "warning: <message>" (or {"level":"warn",...}).
void PrintWarning(const std::string& message);

struct LogLine {
  std::string msg;
  std::vector<std::pair<std::string, std::string>> fields;
};
// Reads the convention above: the message (a trailing ':' dropped) and the fields in order.
LogLine SplitLogLine(std::string_view text);
// {"level":<level>,"ts":<t as Unix seconds>,"msg":...,<fields>...}, no newline; with
// `split` false, "msg" is the whole text and there are no fields.
std::string JsonLogLine(std::string_view level, std::chrono::system_clock::time_point t,
                        std::string_view text, bool split = true);

}  // namespace etcdsnap::cli
