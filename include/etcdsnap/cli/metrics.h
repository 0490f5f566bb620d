// `save --metrics-file PATH`: the run's figures as a node_exporter textfile (the Prometheus text
// format), so that alerts can say "no backup for a day" and "the last run failed". A failed run
// updates the attempt figures and keeps the previous file's success figures, so the file always
// says when the last good backup was made. The file is replaced atomically (node_exporter never
// reads half of it) and under the .part's lock, so two runs cannot lose each other's update.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "etcdsnap/util/status.h"

namespace etcdsnap::cli {

struct SaveRunFigures {
  // The snapshot was saved: the success figures are this run's. The attempt succeeded only
  // when exit_code is 0 as well (a retention or metrics failure after the save is a failure).
  bool saved = false;
  int exit_code = 0;
  std::chrono::system_clock::time_point started{}, finished{};
  std::string cluster;  // hex cluster ID; "" when the run failed before reaching a member
  // When saved: the file as written.
  uint64_t size_bytes = 0;
  int64_t revision = 0;
};

// The textfile for `run`, taking the success figures from `previous` (the file's text before
// this run, possibly empty) when the run failed.
std::string RenderMetrics(const SaveRunFigures& run, std::string_view previous);

// Reads the file (if any), renders, replaces it (mode 0644: node_exporter runs as another user).
Status UpdateMetricsFile(const std::string& path, const SaveRunFigures& run);

}  // namespace etcdsnap::cli
