#include "etcdsnap/cli/metrics.h"

#include <fmt/format.h>

#include <map>

#include "etcdsnap/util/file.h"

namespace etcdsnap::cli {
namespace {

constexpr std::string_view kPrefix = "etcdsnap_snapshot_";

struct Metric {
  const char* name;  // after kPrefix
  const char* help;
  bool success_figure;  // kept from the previous file by a failed run
};

constexpr Metric kMetrics[] = {
    {"last_success_timestamp_seconds", "Unix time the last successful save finished.", true},
    {"last_success_duration_seconds", "How long the last successful save took.", true},
    {"last_success_size_bytes", "Size of the file the last successful save wrote.", true},
    {"last_success_revision", "Latest etcd revision in the last successful snapshot.", true},
    {"last_attempt_timestamp_seconds", "Unix time the last save attempt ended.", false},
    {"last_attempt_success", "1 if the last save attempt succeeded, 0 if it failed.", false},
    {"last_attempt_exit_code", "Exit code of the last save attempt (75: another save held the lock).", false},
    {"last_attempt_duration_seconds", "How long the last save attempt took.", false},
};

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// A label value in the text format: backslash, double quote and newline escaped.
std::string EscapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

struct Sample {
  std::string labels;  // as written, e.g. {cluster="abc"}
  std::string value;
};

// Our own samples in a previous file, by metric name (after kPrefix). Lines of another shape
// are ignored: the file is ours, and a damaged one must not stop a backup's figures.
std::map<std::string, Sample> ReadSamples(std::string_view text) {
  std::map<std::string, Sample> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.substr(0, kPrefix.size()) != kPrefix) continue;
    line.remove_prefix(kPrefix.size());
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string_view::npos) continue;
    Sample s;
    std::string_view rest = line.substr(name_end);
    if (rest.front() == '{') {
      const size_t close = rest.rfind('}');
      if (close == std::string_view::npos) continue;
      s.labels = std::string(rest.substr(0, close + 1));
      rest.remove_prefix(close + 1);
    }
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) continue;
    s.value = std::string(rest.substr(0, rest.find(' ')));
    out[std::string(line.substr(0, name_end))] = std::move(s);
  }
  return out;
}

}  // namespace

std::string RenderMetrics(const SaveRunFigures& run, std::string_view previous) {
  const auto old = ReadSamples(previous);
  // A failed run that never reached a member says which cluster the job backs up, as far as
  // it knows: the one its last success was from (that label is copied as written, escaped).
  std::string labels = "{cluster=\"" + EscapeLabel(run.cluster) + "\"}";
  if (run.cluster.empty()) {
    if (auto it = old.find("last_success_timestamp_seconds"); it != old.end()) {
      labels = it->second.labels;
    }
  }
  const double took = std::chrono::duration<double>(run.finished - run.started).count();
  std::map<std::string, std::string> now = {
      {"last_attempt_timestamp_seconds", fmt::format("{:.3f}", Seconds(run.finished))},
      {"last_attempt_success", run.exit_code == 0 ? "1" : "0"},
      {"last_attempt_exit_code", std::to_string(run.exit_code)},
      {"last_attempt_duration_seconds", fmt::format("{:.3f}", took)},
  };
  if (run.saved) {
    now["last_success_timestamp_seconds"] = now["last_attempt_timestamp_seconds"];
    now["last_success_duration_seconds"] = now["last_attempt_duration_seconds"];
    now["last_success_size_bytes"] = std::to_string(run.size_bytes);
    now["last_success_revision"] = std::to_string(run.revision);
  }
  std::string out;
  for (const Metric& m : kMetrics) {
    Sample s;
    if (auto it = now.find(m.name); it != now.end()) {
      s = {labels, it->second};
    } else if (auto kept = old.find(m.name); m.success_figure && kept != old.end()) {
      s = kept->second;  // a failed run keeps the last success's figures as they were
    } else {
      continue;  // no success yet
    }
    out += fmt::format("# HELP {0}{1} {2}\n# TYPE {0}{1} gauge\n{0}{1}{3} {4}\n", kPrefix, m.name,
                       m.help, s.labels, s.value);
  }
  return out;
}

Status UpdateMetricsFile(const std::string& path, const SaveRunFigures& run) {
  // The .part's lock covers the read of the previous figures and the rename of the new ones.
  ETCDSNAP_ASSIGN_OR_RETURN(PartFile part,
                            PartFile::Create(path, LockWait{.timeout = std::chrono::seconds(10)}));
  // A file that is not ours (too large, not a regular file) is replaced: its figures would not
  // be found in it anyway.
  auto previous = ReadSmallFile(path, 1 << 20);
  const std::string text =
      RenderMetrics(run, previous.ok() && previous->has_value() ? **previous : std::string());
  ETCDSNAP_RETURN_IF_ERROR(part.SetMode(0644));
  ETCDSNAP_RETURN_IF_ERROR(
      part.Append({reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
  return part.Commit().Annotate("writing the metrics file " + path);
}

}  // namespace etcdsnap::cli
