#include "etcdsnap/cli/progress.h"

#include <cstdio>
#include <string>

#include "etcdsnap/util/human.h"

namespace etcdsnap::cli {

ProgressLine::ProgressLine(bool enabled)
    : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() { Finish(); }

void ProgressLine::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done < total) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  constexpr int kWidth = 30;
  std::string bar;
  std::string line;
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const int fill = static_cast<int>(frac * kWidth);
    bar = "[" + std::string(fill, '=') + (fill < kWidth ? ">" : "") +
          std::string(kWidth - fill - (fill < kWidth ? 1 : 0), ' ') + "]";
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(frac * 100));
    std::string eta = "--";
    if (rate > 0 && total > done) {
      eta = FormatGoDuration(std::chrono::seconds(
          static_cast<int64_t>(static_cast<double>(total - done) / rate + 0.5)));
    } else if (total <= done) {
      eta = "0s";
    }
    line = bar + " " + pct + " " + HumanizeBytes(done) + " / " + HumanizeBytes(total) + "  " +
           HumanizeBytes(static_cast<uint64_t>(rate)) + "/s  ETA " + eta;
  } else {
    line = HumanizeBytes(done) + "  " + HumanizeBytes(static_cast<uint64_t>(rate)) + "/s";
  }
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::Finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace etcdsnap::cli
