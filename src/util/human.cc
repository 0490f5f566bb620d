#include "etcdsnap/util/human.h"

#include <cmath>
#include <cstdio>

namespace etcdsnap {

std::string HumanizeBytes(uint64_t n) {
  static constexpr const char* kSizes[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  char buf[64];
  if (n < 10) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
    return buf;
  }
  const double base = 1000;
  const double e = std::floor(std::log(static_cast<double>(n)) / std::log(base));
  const double val = std::floor(static_cast<double>(n) / std::pow(base, e) * 10 + 0.5) / 10;
  std::snprintf(buf, sizeof buf, val < 10 ? "%.1f %s" : "%.0f %s", val, kSizes[static_cast<int>(e)]);
  return buf;
}

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view s) {
  const std::string orig(s);
  auto bad = [&] {
    return Status::InvalidArgument("invalid duration \"" + orig +
                                   "\" (use a number with a unit, e.g. 2s, 500ms, 1m30s)");
  };
  if (s.empty()) return bad();
  if (s[0] == '-') return Status::InvalidArgument("negative duration \"" + orig + "\"");
  if (s[0] == '+') s.remove_prefix(1);
  if (s == "0") return std::chrono::nanoseconds(0);
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double num = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      num = num * 10 + (s[i] - '0');
      ++i;
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        num += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
        digits = true;
      }
    }
    if (!digits) return bad();
    size_t j = i;
    while (j < s.size() && !(s[j] >= '0' && s[j] <= '9') && s[j] != '.') ++j;
    const std::string_view unit = s.substr(i, j - i);
    long double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") mult = 1e3L;
    else if (unit == "ms") mult = 1e6L;
    else if (unit == "s") mult = 1e9L;
    else if (unit == "m") mult = 60e9L;
    else if (unit == "h") mult = 3600e9L;
    else if (unit.empty()) return Status::InvalidArgument("missing unit in duration \"" + orig + "\"");
    else return Status::InvalidArgument("unknown unit \"" + std::string(unit) + "\" in duration \"" + orig + "\"");
    total += num * mult;
    if (total > 9.2e18L) return bad();
    s.remove_prefix(j);
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(total + 0.5L));
}

std::string FormatGoDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  char buf[64];
  if (u < 1000) {
    std::snprintf(buf, sizeof buf, "%s%lluns", sign.c_str(), static_cast<unsigned long long>(u));
    return buf;
  }
  auto trim = [](std::string x) {
    if (x.find('.') != std::string::npos) {
      while (x.back() == '0') x.pop_back();
      if (x.back() == '.') x.pop_back();
    }
    return x;
  };
  if (u < 1000000) {
    std::snprintf(buf, sizeof buf, "%.3f", u / 1e3);
    return sign + trim(buf) + "\xc2\xb5s";
  }
  if (u < 1000000000) {
    std::snprintf(buf, sizeof buf, "%.6f", u / 1e6);
    return sign + trim(buf) + "ms";
  }
  uint64_t secs = u / 1000000000, frac = u % 1000000000;
  uint64_t h = secs / 3600, m = (secs / 60) % 60, s = secs % 60;
  std::string out = sign;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  std::snprintf(buf, sizeof buf, "%llu.%09llu", static_cast<unsigned long long>(s),
                static_cast<unsigned long long>(frac));
  return out + trim(buf) + "s";
}

}  // namespace etcdsnap
