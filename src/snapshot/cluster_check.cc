#include "etcdsnap/snapshot/cluster_check.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>

#include "etcdsnap/snapshot/hashkv.h"

namespace etcdsnap::snapshot {
namespace {

std::string Hex(uint64_t id) { return fmt::format("{:x}", id); }

// One member to ask: where, and what MemberList said about it.
struct Target {
  std::string url;
  uint64_t id = 0;
  std::string name;
  std::string problem;  // set: it cannot be asked (no client URL, a URL we cannot parse)
};

// The endpoints given, or every member of their cluster.
Result<std::vector<Target>> Targets(const ClusterCheckOptions& o, Canceller* canceller,
                                    spdlog::logger& log, uint64_t* cluster_id) {
  std::vector<Target> targets;
  std::string failures;
  for (const client::Endpoint& ep : o.endpoints) {
    if (!o.whole_cluster) {
      targets.push_back({.url = ep.original});
      continue;
    }
    // The member list from the first endpoint that answers.
    auto conn = client::Connection::Open(ep, o.connection);
    if (!conn.ok()) return conn.status();
    auto probed = conn->Probe(canceller);
    if (probed.ok() && !o.user.empty()) {
      auto auth = conn->Authenticate(o.user, o.password, canceller);
      if (!auth.ok()) probed = auth.status();
    }
    Result<std::vector<client::ClusterMember>> members =
        probed.ok() ? conn->MemberList(canceller) : Result<std::vector<client::ClusterMember>>(probed.status());
    if (!members.ok()) {
      if (members.status().code() == Code::kCancelled) return members.status();
      failures += (failures.empty() ? "" : "; ") + ep.original + ": " + members.status().message();
      continue;
    }
    *cluster_id = probed->cluster_id;
    log.info("member list from {}: {} members", ep.original, members->size());
    for (const client::ClusterMember& m : *members) {
      Target t{.id = m.id, .name = m.name};
      if (m.client_urls.empty()) {
        t.url = "(member " + Hex(m.id) + ")";
        t.problem = "it has no client URL (added but never started)";
      } else {
        t.url = m.client_urls.front();
      }
      targets.push_back(std::move(t));
    }
    return targets;
  }
  if (o.whole_cluster) {
    return Status::Unavailable("cannot get the member list from any endpoint (" + failures + ")");
  }
  return targets;
}

// Asks one member; fills everything but file_hash (and the verdict of a hash).
MemberCheck Ask(const Target& t, const ClusterCheckOptions& o, int64_t revision,
                Canceller* canceller, client::HashKvAnswer* answer) {
  MemberCheck m{.endpoint = t.url, .member_id = t.id, .name = t.name};
  if (!t.problem.empty()) {
    m.reason = t.problem;
    return m;
  }
  auto ep = client::ParseEndpoint(t.url, o.connection.tls.has_value());
  if (!ep.ok()) {
    m.reason = ep.status().message();
    return m;
  }
  auto conn = client::Connection::Open(*ep, o.connection);
  if (!conn.ok()) {
    m.reason = conn.status().message();
    return m;
  }
  auto status = conn->Probe(canceller);
  if (!status.ok()) {
    m.reason = status.status().message();
    return m;
  }
  m.member_id = status->member_id;
  m.version = status->version;
  if (!o.user.empty()) {
    auto auth = conn->Authenticate(o.user, o.password, canceller);
    if (!auth.ok()) {
      m.reason = auth.status().message();
      return m;
    }
  }
  auto a = conn->HashKv(revision, o.hash_timeout, canceller);
  if (!a.ok()) {
    m.reason = a.status().message();
    return m;
  }
  *answer = *a;
  m.verdict = Verdict::kCannotCompare;
  switch (a->kind) {
    case client::HashKvAnswer::Kind::kCompacted:
      m.reason = "it has compacted past revision " + std::to_string(revision) + " (" + a->message + ")";
      return m;
    case client::HashKvAnswer::Kind::kFutureRevision:
      m.reason = "it has not reached revision " + std::to_string(revision) + " yet (" + a->message + ")";
      return m;
    case client::HashKvAnswer::Kind::kHash:
      break;
  }
  m.compact_revision = a->compact_revision;
  m.member_hash = a->hash;
  if (a->hash_revision != 0 && a->hash_revision != revision) {
    m.reason = "it hashed revision " + std::to_string(a->hash_revision) + ", not " +
               std::to_string(revision);
    return m;
  }
  m.verdict = Verdict::kMatch;  // for now: compared once the file's hash is known
  return m;
}

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kMatch: return "match";
    case Verdict::kMismatch: return "MISMATCH";
    case Verdict::kCannotCompare: return "cannot compare";
    case Verdict::kUnreachable: return "unreachable";
  }
  return "?";
}

size_t ClusterCheckReport::Count(Verdict v) const {
  return static_cast<size_t>(std::count_if(members.begin(), members.end(),
                                           [v](const MemberCheck& m) { return m.verdict == v; }));
}

Result<ClusterCheckReport> CheckCluster(const ClusterCheckOptions& o, Canceller* canceller,
                                        spdlog::logger& log) {
  ETCDSNAP_ASSIGN_OR_RETURN(const etcd::HashKvRules file_rules, etcd::HashKvRulesFor(o.etcd_version));
  ETCDSNAP_ASSIGN_OR_RETURN(std::unique_ptr<HashKvFile> file,
                            HashKvFile::Open(o.path, o.revision, file_rules, o.cancel_file));
  ClusterCheckReport report;
  report.path = o.path;
  report.revision = file->revision();
  report.compact_revision = file->store().compact;
  log.info("hashing {} at revision {} (compacted at {}), {} keys", o.path, report.revision,
           report.compact_revision, file->keys());

  ETCDSNAP_ASSIGN_OR_RETURN(std::vector<Target> targets,
                            Targets(o, canceller, log, &report.cluster_id));
  std::vector<etcd::HashRequest> requests = {
      {report.compact_revision, file_rules.skips_tombstone_at_compaction}};
  std::vector<size_t> request_of(targets.size(), 0);
  for (size_t i = 0; i < targets.size(); ++i) {
    if (canceller != nullptr) ETCDSNAP_RETURN_IF_ERROR(canceller->Check());
    client::HashKvAnswer answer;
    MemberCheck m = Ask(targets[i], o, report.revision, canceller, &answer);
    if (canceller != nullptr) ETCDSNAP_RETURN_IF_ERROR(canceller->Check());
    if (m.verdict != Verdict::kUnreachable && report.cluster_id == 0) {
      report.cluster_id = answer.cluster_id;
    }
    if (m.verdict == Verdict::kMatch && answer.cluster_id != 0 &&
        answer.cluster_id != report.cluster_id) {
      m.verdict = Verdict::kCannotCompare;
      m.reason = "it belongs to cluster " + Hex(answer.cluster_id) + ", not " +
                 Hex(report.cluster_id);
    }
    if (m.verdict == Verdict::kMatch && m.compact_revision < report.compact_revision) {
      m.verdict = Verdict::kCannotCompare;
      m.reason = "it is compacted at " + std::to_string(m.compact_revision) +
                 ", below the file's " + std::to_string(report.compact_revision) +
                 " (the file lacks what it still hashes): try again after its next compaction";
    }
    if (m.verdict == Verdict::kMatch) {
      // Compared with the member's own rules for a deletion at its compact revision.
      Result<etcd::HashKvRules> rules = etcd::HashKvRulesFor(m.version);
      const etcd::HashRequest want{m.compact_revision,
                                   rules.ok() ? rules->skips_tombstone_at_compaction : true};
      auto same = std::find_if(requests.begin(), requests.end(), [&](const etcd::HashRequest& r) {
        return r.compact_revision == want.compact_revision &&
               r.skip_tombstone_at_compaction == want.skip_tombstone_at_compaction;
      });
      request_of[i] = static_cast<size_t>(same - requests.begin());
      if (same == requests.end()) requests.push_back(want);
    }
    if (m.verdict == Verdict::kUnreachable) {
      log.warn("member {} not asked: {}", m.endpoint, m.reason);
    } else if (m.verdict == Verdict::kCannotCompare) {
      log.warn("member {} cannot be compared: {}", m.endpoint, m.reason);
    }
    report.members.push_back(std::move(m));
  }
  ETCDSNAP_ASSIGN_OR_RETURN(std::vector<uint32_t> hashes, file->Hash(requests));
  report.hash = hashes[0];
  for (size_t i = 0; i < report.members.size(); ++i) {
    MemberCheck& m = report.members[i];
    if (m.verdict != Verdict::kMatch) continue;
    m.file_hash = hashes[request_of[i]];
    if (m.file_hash != m.member_hash) m.verdict = Verdict::kMismatch;
    log.info("member {} ({}) at revision {} compacted at {}: hash {} file {} {}", m.endpoint,
             Hex(m.member_id), report.revision, m.compact_revision, m.member_hash, m.file_hash,
             VerdictName(m.verdict));
  }
  return report;
}

}  // namespace etcdsnap::snapshot
