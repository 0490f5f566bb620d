// `etcdsnap snapshot hashkv <file>`: the value `etcdctl endpoint hashkv [--rev R]` prints for the
// server the file came from, computed from the file (snapshot/hashkv.h); with --endpoints (or
// --cluster, --discovery-srv), compared with what the members answer (cluster_check_command.cc).
#include <nlohmann/json.hpp>
#include <cstdio>
#include <string>

#include "cluster_check_command.h"
#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/table.h"
#include "etcdsnap/snapshot/hashkv.h"

namespace etcdsnap::cli {
namespace {

std::string Print(const std::string& path, const snapshot::HashKvResult& r,
                  const std::string& format) {
  const std::string hash = std::to_string(r.hash);
  if (format == "json") {
    // etcdutl 3.6's `hashkv` fields, plus the file and R under etcdsnap's own name.
    nlohmann::ordered_json j = {{"path", path},
                                {"hash", r.hash},
                                {"revision", r.revision},
                                {"hashRevision", r.revision},
                                {"compactRevision", r.compact_revision}};
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  }
  if (format == "table") {
    return RenderTable({"file", "hash", "hash revision", "compact revision"},
                       {{path, hash, std::to_string(r.revision),
                         std::to_string(r.compact_revision)}});
  }
  if (format == "fields") {
    return "\"Path\" : \"" + path + "\"\n\"Hash\" : " + hash + "\n\"HashRevision\" : " +
           std::to_string(r.revision) + "\n\"CompactRevision\" : " +
           std::to_string(r.compact_revision) + "\n";
  }
  // etcdctl endpoint hashkv's simple line, with the file where it has the endpoint.
  return path + ", " + hash + "\n";
}

}  // namespace

int RunHashKv(GlobalOptions& g, const CommandLine& cl) {
  if (cl.args.size() != 1) {
    return ExitWithError(kExitBadArgs, "snapshot hashkv requires exactly one argument");
  }
  if (g.write_out == "protobuf") return ValidateOutputFormat(g.write_out, false);
  if (int rc = ValidateOutputFormat(g.write_out, false); rc != kExitSuccess) return rc;
  HashKvRequest request;
  request.path = cl.args[0];
  request.etcd_version = cl.Has("etcd-version") ? cl.Last("etcd-version") : "latest";
  auto rules = etcd::HashKvRulesFor(request.etcd_version);
  if (!rules.ok()) return ExitWithError(kExitBadArgs, "--etcd-version: " + rules.status().message());
  if (cl.Has("rev")) {
    auto rev = ParseGoInt64(cl.Last("rev"));
    if (!rev.ok() || *rev < 0) {
      return ExitWithError(kExitBadArgs, "--rev must be a revision (0 or more; 0: the latest)");
    }
    request.revision = *rev;
  }
  std::optional<int64_t> compact;
  if (cl.Has("compact-rev") && cl.Last("compact-rev") != "0") {
    auto c = ParseGoInt64(cl.Last("compact-rev"));
    if (!c.ok() || *c < 1) {
      return ExitWithError(kExitBadArgs,
                           "--compact-rev must be a revision (1 or more; 0: the file's own)");
    }
    compact = *c;
  }
  request.whole_cluster = cl.Last("cluster") == "true";
  // The members are asked only when the command line names them: ETCDCTL_ENDPOINTS alone does
  // not turn a file command into a network one.
  const bool cross_check =
      cl.Has("endpoints") || cl.Has("discovery-srv") || request.whole_cluster;
  if (cross_check) {
    if (compact) {
      return ExitWithError(kExitBadArgs, "--compact-rev cannot be given with --endpoints or "
                                         "--cluster: each member is compared at its own compact "
                                         "revision");
    }
    return RunHashKvCluster(g, request);
  }
  snapshot::HashKvOptions options{.path = request.path,
                                  .revision = request.revision,
                                  .compact_revision = compact,
                                  .rules = *rules};
  Result<snapshot::HashKvResult> r = snapshot::ComputeHashKv(options);
  if (!r.ok()) return ExitWithError(kExitError, r.status().message());
  const std::string out = Print(request.path, *r, g.write_out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitSuccess : kExitIO;
}

}  // namespace etcdsnap::cli
