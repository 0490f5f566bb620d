// `etcdsnap snapshot status <file>`: etcdctl 3.4's output, byte for byte, in its four formats
// (simple, table, json, fields), or etcdutl 3.6's layout with --etcd-version 3.6.
#include <nlohmann/json.hpp>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/snapshot/status.h"
#include "etcdsnap/util/human.h"

namespace etcdsnap::cli {
namespace {

struct StatusFlags {
  std::vector<std::string> files;
  std::string etcd_version = "3.4";
};

// olekukonko/tablewriter as etcdctl configures it: upper-cased headers centred, every cell
// right-aligned, one space of padding.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> titles;
  std::vector<size_t> width;
  for (const std::string& h : header) {
    std::string t;
    for (char c : h) t.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    titles.push_back(t);
    width.push_back(t.size());
  }
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::string line = "+";
  for (size_t w : width) line += std::string(w + 2, '-') + "+";
  line += "\n";
  std::string out = line + "|";
  for (size_t i = 0; i < titles.size(); ++i) {
    const size_t gap = width[i] - titles[i].size();
    out += " " + std::string(gap / 2, ' ') + titles[i] + std::string(gap - gap / 2, ' ') + " |";
  }
  out += "\n" + line;
  for (const auto& row : rows) {
    out += "|";
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      out += " " + std::string(width[i] - cell.size(), ' ') + cell + " |";
    }
    out += "\n";
  }
  return out + line;
}

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
