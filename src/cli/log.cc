#include "etcdsnap/cli/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace etcdsnap::cli {

std::shared_ptr<spdlog::logger> MakeStderrLogger(bool debug) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto log = std::make_shared<spdlog::logger>("etcdsnap", sink);
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  log->set_level(debug ? spdlog::level::debug : spdlog::level::info);
  log->flush_on(spdlog::level::debug);
  return log;
}

}  // namespace etcdsnap::cli
