#include "etcdsnap/cli/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace etcdsnap::cli {
namespace {

StderrOptions g_options;

bool IsKeyChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

// The length of "key=" at `pos` (`pos` at the start or after a space), 0 when there is none.
size_t KeyAt(std::string_view s, size_t pos) {
  if (pos >= s.size() || !IsKeyChar(s[pos], true)) return 0;
  size_t i = pos + 1;
  while (i < s.size() && IsKeyChar(s[i], false)) ++i;
  return i < s.size() && s[i] == '=' ? i + 1 - pos : 0;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// spdlog's formatter for --log-format json: one JSON line per record.
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view level;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: level = "debug"; break;
      case spdlog::level::info: level = "info"; break;
      case spdlog::level::warn: level = "warn"; break;
      default: level = "error"; break;
    }
    const std::string line =
        JsonLogLine(level, msg.time, std::string_view(msg.payload.data(), msg.payload.size())) +
        "\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

void ConfigureStderr(const StderrOptions& options) { g_options = options; }
const StderrOptions& StderrConfig() { return g_options; }

bool InteractiveStderr() {
  return ::isatty(STDERR_FILENO) != 0 && g_options.format == LogFormat::kText && !g_options.quiet;
}

std::shared_ptr<spdlog::logger> MakeStderrLogger(bool debug) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto log = std::make_shared<spdlog::logger>("etcdsnap", sink);
  if (g_options.format == LogFormat::kJson) {
    log->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    log->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  log->set_level(g_options.quiet ? spdlog::level::err
                 : debug         ? spdlog::level::debug
                                 : spdlog::level::info);
  log->flush_on(spdlog::level::debug);
  return log;
}

void PrintLine(std::string_view level, const std::string& text) {
  if (g_options.quiet && level != "error") return;
  std::fflush(stdout);
  if (g_options.format == LogFormat::kJson) {
    const std::string line =
        JsonLogLine(level, std::chrono::system_clock::now(), text, /*split=*/false);
    std::fprintf(stderr, "%s\n", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

void PrintError(const std::string& message) {
  PrintLine("error", g_options.format == LogFormat::kJson ? message : "Error: " + message);
}

void PrintWarning(const std::string& message) {
  PrintLine("warn", g_options.format == LogFormat::kJson ? message : "warning: " + message);
}

LogLine SplitLogLine(std::string_view s) {
  LogLine out;
  // Where each " key=" starts: the message ends at the first, each value at the next.
  std::vector<size_t> keys;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((i == 0 || s[i - 1] == ' ') && KeyAt(s, i) > 0) {
      keys.push_back(i);
      const size_t value = i + KeyAt(s, i);
      if (value < s.size() && s[value] == '"') {
        // A quoted value: skip to its closing quote, so that " x=" inside it is no key.
        size_t j = value + 1;
        while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
        i = j;
      }
    }
  }
  std::string msg = Trim(s.substr(0, keys.empty() ? s.size() : keys.front()));
  if (!msg.empty() && msg.back() == ':') msg.pop_back();
  out.msg = std::move(msg);
  for (size_t k = 0; k < keys.size(); ++k) {
    const size_t eq = keys[k] + KeyAt(s, keys[k]);
    const size_t end = k + 1 < keys.size() ? keys[k + 1] : s.size();
    std::string value = Trim(s.substr(eq, end - eq));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      const auto unquoted = nlohmann::json::parse(value, nullptr, false);
      if (unquoted.is_string()) value = unquoted.get<std::string>();
    }
    out.fields.emplace_back(std::string(s.substr(keys[k], eq - keys[k] - 1)), std::move(value));
  }
  return out;
}

std::string JsonLogLine(std::string_view level, std::chrono::system_clock::time_point t,
                        std::string_view text, bool split) {
  const LogLine line = split ? SplitLogLine(text) : LogLine{std::string(text), {}};
  // Whole seconds plus microseconds, so that the double prints as etcdctl's do (1796300710.25,
  // not the nearest binary fraction of the nanosecond count).
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  const double ts = static_cast<double>(us.count() / 1000000) +
                    static_cast<double>(us.count() % 1000000) / 1e6;
  nlohmann::ordered_json j = {
      {"level", level},
      {"ts", ts},
      {"msg", line.msg},
  };
  for (const auto& [key, value] : line.fields) {
    // zap's own keys stay zap's: a field of the same name gets a prefix.
    j[key == "level" || key == "ts" || key == "msg" ? "field-" + key : key] = value;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace etcdsnap::cli
