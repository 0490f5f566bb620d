// The process logger: spdlog to stderr, one line per step, UTC timestamps, "key=value" fields.
// stdout carries only results, so scripts can parse it while operators read stderr.
#pragma once

#include <memory>

namespace spdlog {
class logger;
}

namespace etcdsnap::cli {

std::shared_ptr<spdlog::logger> MakeStderrLogger(bool debug);

}  // namespace etcdsnap::cli
