// `etcdsnap snapshot status <file>`: etcdctl 3.4's output, byte for byte, in its four formats
// (simple, table, json, fields), or etcdutl 3.6's layout with --etcd-version 3.6.
#include <nlohmann/json.hpp>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/table.h"
#include "etcdsnap/snapshot/status.h"
#include "etcdsnap/util/human.h"

namespace etcdsnap::cli {
namespace {

struct StatusFlags {
  std::vector<std::string> files;
  std::string etcd_version = "3.4";
};

std::string Print(const etcd::BackendStatus& s, const std::string& format, bool v36) {
  char hash[16];
  std::snprintf(hash, sizeof hash, "%x", s.hash);
  std::vector<std::string> header = {"hash", "revision", "total keys", "total size"};
  std::vector<std::string> row = {hash, std::to_string(s.revision), std::to_string(s.total_key),
                                  HumanizeBytes(s.total_size)};
  if (v36) {
    header.push_back("version");
    row.push_back(s.version);
  }
  if (format == "table") return RenderTable(header, {row});
  if (format == "json") {
    // etcdctl prints json.Marshal of its status struct: compact, fields in declaration order.
    nlohmann::ordered_json j = {{"hash", s.hash},
                                {"revision", s.revision},
                                {"totalKey", s.total_key},
                                {"totalSize", s.total_size}};
    if (v36) j["version"] = s.version;
    return j.dump() + "\n";
  }
  if (format == "fields") {
    std::string out = "\"Hash\" : " + std::to_string(s.hash) + "\n" +
                      "\"Revision\" : " + std::to_string(s.revision) + "\n" +
                      "\"Keys\" : " + std::to_string(s.total_key) + "\n" +
                      "\"Size\" : " + std::to_string(s.total_size) + "\n";
    if (v36) out += "\"Version\" : " + s.version + "\n";
    return out;
  }
  std::string out;
  for (size_t i = 0; i < row.size(); ++i) out += (i ? ", " : "") + row[i];
  return out + "\n";
}

int DoStatus(const GlobalOptions& g, const StatusFlags& flags) {
  // etcdctl checks the argument count, then the output format, then reads the file; a
  // protobuf request fails only once the status is known.
  if (flags.files.size() != 1) {
    return ExitWithError(kExitBadArgs, "snapshot status requires exactly one argument");
  }
  if (g.write_out != "protobuf") {
    if (int rc = ValidateOutputFormat(g.write_out, false); rc != kExitSuccess) return rc;
  }
  snapshot::StatusOptions options;
  options.path = flags.files[0];
  if (flags.etcd_version == "3.6") {
    options.layout = etcd::StatusLayout::kEtcd36;
  } else if (flags.etcd_version != "3.4" && flags.etcd_version != "3.5") {
    return ExitWithError(kExitBadArgs,
                         "--etcd-version " + flags.etcd_version + " is not one of 3.4, 3.5, 3.6");
  }
  Result<etcd::BackendStatus> status = snapshot::GetStatus(options);
  if (!status.ok()) return ExitWithError(kExitError, status.status().message());
  // A `save --manifest` file: a mismatch is said on stderr; stdout and the exit code stay
  // etcdctl's.
  WarnIfManifestMismatch(options.path, "");
  if (g.write_out == "protobuf") return ValidateOutputFormat(g.write_out, false);
  const std::string out =
      Print(*status, g.write_out, options.layout == etcd::StatusLayout::kEtcd36);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitSuccess : kExitIO;
}

}  // namespace

int RunStatus(const GlobalOptions& g, const CommandLine& cl) {
  StatusFlags flags;
  flags.files = cl.args;
  if (cl.Has("etcd-version")) flags.etcd_version = cl.Last("etcd-version");
  return DoStatus(g, flags);
}

}  // namespace etcdsnap::cli
