// Human-readable figures, formatted exactly as etcdctl's Go libraries do.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "etcdsnap/util/status.h"

namespace etcdsnap {

// go-humanize Bytes(): SI units (1000), "%d B" below 10, one decimal below 10 units
// ("2.1 MB"), none otherwise ("25 kB").
std::string HumanizeBytes(uint64_t n);

// Go's time.ParseDuration: "300ms", "2s", "1m30s", "1.5h", "0". Negative values are refused.
Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view s);

// Go's Duration.String(): "2s", "1m30s", "500ms", "0s".
std::string FormatGoDuration(std::chrono::nanoseconds d);

}  // namespace etcdsnap
