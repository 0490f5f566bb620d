#include "cluster_check_command.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <cstdio>

#include "connection_flags.h"
#include "etcdsnap/cli/log.h"
#include "etcdsnap/cli/table.h"
#include "etcdsnap/snapshot/cluster_check.h"

namespace etcdsnap::cli {
namespace {

std::string Hex(uint64_t id) { return id == 0 ? std::string() : fmt::format("{:x}", id); }

// The machine-readable verdict.
const char* ResultName(snapshot::Verdict v) {
  switch (v) {
    case snapshot::Verdict::kMatch: return "match";
    case snapshot::Verdict::kMismatch: return "mismatch";
    case snapshot::Verdict::kCannotCompare: return "cannot-compare";
    case snapshot::Verdict::kUnreachable: return "unreachable";
  }
  return "?";
}

bool Hashed(const snapshot::MemberCheck& m) {
  return m.verdict == snapshot::Verdict::kMatch || m.verdict == snapshot::Verdict::kMismatch;
}

}  // namespace

std::string FormatClusterCheck(const snapshot::ClusterCheckReport& r, const std::string& format) {
  if (format == "json") {
    nlohmann::ordered_json members = nlohmann::ordered_json::array();
    for (const snapshot::MemberCheck& m : r.members) {
      nlohmann::ordered_json j = {{"endpoint", m.endpoint},
                                  {"memberId", Hex(m.member_id)},
                                  {"name", m.name},
                                  {"version", m.version},
                                  {"result", ResultName(m.verdict)}};
      if (Hashed(m)) {
        j["compactRevision"] = m.compact_revision;
        j["hash"] = m.member_hash;
        j["fileHash"] = m.file_hash;
      }
      if (!m.reason.empty()) j["reason"] = m.reason;
      members.push_back(std::move(j));
    }
    nlohmann::ordered_json j = {{"path", r.path},
                                {"hash", r.hash},
                                {"revision", r.revision},
                                {"hashRevision", r.revision},
                                {"compactRevision", r.compact_revision},
                                {"cluster", Hex(r.cluster_id)},
                                {"members", members}};
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const snapshot::MemberCheck& m : r.members) {
    rows.push_back({m.endpoint, Hex(m.member_id), Hashed(m) ? std::to_string(m.compact_revision) : "",
                    Hashed(m) ? std::to_string(m.member_hash) : "",
                    Hashed(m) ? std::to_string(m.file_hash) : "", snapshot::VerdictName(m.verdict)});
  }
  if (format == "table") {
    return RenderTable({"endpoint", "member", "compact revision", "member hash", "file hash",
                        "result"},
                       rows);
  }
  if (format == "fields") {
    std::string out = "\"Path\" : \"" + r.path + "\"\n\"Hash\" : " + std::to_string(r.hash) +
                      "\n\"HashRevision\" : " + std::to_string(r.revision) +
                      "\n\"CompactRevision\" : " + std::to_string(r.compact_revision) + "\n\n";
    for (const snapshot::MemberCheck& m : r.members) {
      out += "\"Endpoint\" : \"" + m.endpoint + "\"\n\"MemberID\" : \"" + Hex(m.member_id) +
             "\"\n\"Result\" : \"" + ResultName(m.verdict) + "\"\n";
      if (Hashed(m)) {
        out += "\"CompactRevision\" : " + std::to_string(m.compact_revision) +
               "\n\"Hash\" : " + std::to_string(m.member_hash) +
               "\n\"FileHash\" : " + std::to_string(m.file_hash) + "\n";
      }
      out += "\n";
    }
    return out;
  }
  std::string out = r.path + ", " + std::to_string(r.hash) + "\n";
  for (const auto& row : rows) {
    std::string line;
    for (const std::string& cell : row) line += (line.empty() ? "" : ", ") + cell;
    out += line + "\n";
  }
  return out;
}

std::string MismatchMessage(const snapshot::ClusterCheckReport& r, bool kept) {
  std::string who;
  for (const snapshot::MemberCheck& m : r.members) {
    if (m.verdict != snapshot::Verdict::kMismatch) continue;
    who += (who.empty() ? "" : ", ") + m.endpoint + " (member " + Hex(m.member_id) +
           ", compacted at " + std::to_string(m.compact_revision) + ")";
  }
  if (who.empty()) return "";
  return "the HashKV of " + who + " at revision " + std::to_string(r.revision) +
         " differs from " + r.path + "'s: that member's history is not the snapshot's" +
         (kept ? " (the snapshot is kept: it is what the server sent)" : "") +
         "; compare the members (etcdctl endpoint hashkv --cluster --rev " +
         std::to_string(r.revision) + ") and see docs/hashkv.md";
}

int RunHashKvCluster(GlobalOptions& g, const HashKvRequest& request) {
  if (int rc = ApplyEnvironment(g); rc != kExitSuccess) return rc;
  ConnectionFlags c;
  if (int rc = BuildConnectionFlags(g, "hashkv", c); rc != kExitSuccess) return rc;
  auto log = MakeStderrLogger(g.debug);
  client::RouteGrpcLogs(log);
  snapshot::ClusterCheckOptions o;
  o.path = request.path;
  o.revision = request.revision;
  o.endpoints = c.endpoints;
  o.whole_cluster = request.whole_cluster;
  o.connection = c.connection;
  o.user = c.user;
  o.password = c.password;
  if (c.command_timeout) o.hash_timeout = *c.command_timeout;
  o.etcd_version = request.etcd_version == "latest" ? "" : request.etcd_version;
  Result<snapshot::ClusterCheckReport> r = snapshot::CheckCluster(o, nullptr, *log);
  if (!r.ok()) {
    return ExitWithError(r.status().code() == Code::kUnavailable ? kExitBadConnection : kExitError,
                         r.status().message());
  }
  const std::string out = FormatClusterCheck(*r, g.write_out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (std::fflush(stdout) != 0) return kExitIO;
  if (const std::string m = MismatchMessage(*r, false); !m.empty()) {
    return ExitWithError(kExitMismatch, m);
  }
  if (r->Count(snapshot::Verdict::kUnreachable) == r->members.size()) {
    return ExitWithError(kExitBadConnection, "no member answered: nothing was compared");
  }
  return kExitSuccess;
}

}  // namespace etcdsnap::cli
