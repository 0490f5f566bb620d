// A one-line progress display on stderr for terminals (bytes, percent, rate, ETA), redrawn in
// place at most ten times a second, in the manner of ninja's LinePrinter. Nothing is drawn when
// stderr is not a terminal, so cron mail and log files stay clean.
#pragma once

#include <chrono>
#include <cstdint>

namespace etcdsnap::cli {

class ProgressLine {
 public:
  // Draws only when `enabled` (normally isatty(2)).
  explicit ProgressLine(bool enabled);
  ~ProgressLine();
  void Update(uint64_t done, uint64_t total);
  // Erases the line so that the next log line starts clean.
  void Finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace etcdsnap::cli
