// --keep-last/hourly/daily/weekly/monthly and --dry-run, as `snapshot save` and `snapshot prune`
// read them (the parser has checked each count as a uint64).
#pragma once

#include "etcdsnap/cli/args.h"
#include "etcdsnap/snapshot/retention.h"

namespace etcdsnap::cli {

struct KeepFlags {
  snapshot::KeepPolicy keep;
  bool dry_run = false;
};
KeepFlags ReadKeepFlags(const CommandLine& cl);

}  // namespace etcdsnap::cli
