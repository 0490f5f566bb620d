// `etcdsnap snapshot diff` on two snapshots of a real etcd 3.4.23 between which the test makes
// every kind of change to Kubernetes-shaped objects (added, removed, recreated, modified,
// unchanged; noisy events, node leases, endpoints and compact_rev_key among them), checked
// against the test's own record of each key's state at each save; then a snapshot of a cluster
// restored from the second one (new member IDs) against it and against the first: the
// warnings, and the comparison by value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "live_etcd.h"
#include "test_kubernetes.h"

namespace etcdsnap::testing {
namespace {

using etcd::testing::Encrypted;
using etcd::testing::ProtobufEnvelope;
using Json = nlohmann::json;

class DiffLiveTest : public LiveEtcdTest {
 protected:
  struct State {
    std::string resource;  // qualified name; "" outside /registry
    bool noisy = false;
    bool live = false;
    uint64_t bytes = 0;
    int64_t create = 0, mod = 0;
  };

  void Put(const std::string& key, const std::string& value, const std::string& resource,
           bool noisy = false, int64_t lease = 0) {
    PutRaw(key, value, lease);
    State& s = now_[key];
    if (!s.live) s.create = rev_;
    s = {resource, noisy, true, key.size() + value.size(), s.create, rev_};
  }
  void Delete(const std::string& key) {
    DeleteRaw(key);
    now_[key].live = false;
  }
  std::string Pod(size_t size) { return ProtobufEnvelope("v1", "Pod", std::string(size, 'p')); }
  std::string Widget(const std::string& spec) {
    return R"({"apiVersion":"example.com/v1","kind":"Widget","spec":")" + spec + "\"}";
  }

  // What the diff must say, per resource, from the states at the two saves.
  Json Expected(const std::map<std::string, State>& a, const std::map<std::string, State>& b,
                bool all) {
    Json out = Json::object();
    std::set<std::string> keys;
    for (const auto& [k, s] : a) keys.insert(k);
    for (const auto& [k, s] : b) keys.insert(k);
    for (const std::string& k : keys) {
      const State sa = a.count(k) ? a.at(k) : State{}, sb = b.count(k) ? b.at(k) : State{};
      if (!sa.live && !sb.live) continue;
      const State& s = sb.live ? sb : sa;
      const std::string change = !sa.live                 ? "added"
                                 : !sb.live               ? "removed"
                                 : sa.create != sb.create ? "recreated"
                                 : sa.mod != sb.mod       ? "modified"
                                                          : "unchanged";
      if (s.noisy && !all) continue;
      Json& r = out[s.resource];
      if (r.is_null()) {
        r = {{"added", 0}, {"removed", 0}, {"recreated", 0}, {"modified", 0},
             {"unchanged", 0}, {"bytesA", 0}, {"bytesB", 0}};
      }
      r[change] = r[change].get<int>() + 1;
      r["bytesA"] = r["bytesA"].get<uint64_t>() + (sa.live ? sa.bytes : 0);
      r["bytesB"] = r["bytesB"].get<uint64_t>() + (sb.live ? sb.bytes : 0);
    }
    return out;
  }

  static Json Got(const Json& report) {
    Json out = Json::object();
    for (const Json& r : report["resources"]) {
      std::string name = r["resource"].get<std::string>();
      if (!r["group"].get<std::string>().empty()) name += "." + r["group"].get<std::string>();
      out[name] = {{"added", r["added"]},         {"removed", r["removed"]},
                   {"recreated", r["recreated"]}, {"modified", r["modified"]},
                   {"unchanged", r["unchanged"]}, {"bytesA", r["bytesA"]},
                   {"bytesB", r["bytesB"]}};
    }
    return out;
  }

  CommandResult Diff(std::vector<std::string> args) {
    args.insert(args.begin(), {"snapshot", "diff"});
    return Etcdsnap(args);
  }
  Json DiffJson(std::vector<std::string> args) {
    args.insert(args.end(), {"-w", "json"});
    CommandResult r = Diff(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    last_err_ = r.err;
    return j;
  }

  // Two saves with every kind of change between them.
  void TwoSaves() {
    int64_t lease = 0;
    ASSERT_TRUE(cluster_->Client().LeaseGrant(3660, &lease).ok());
    for (int i = 1; i <= 5; ++i) {
      Put("/registry/pods/" + std::string(i % 2 ? "default" : "team-a") + "/p" +
              std::to_string(i),
          Pod(300 + 10 * i), "pods");
    }
    Put("/registry/configmaps/default/c1", ProtobufEnvelope("v1", "ConfigMap", "one"), "configmaps");
    Put("/registry/configmaps/default/c2", ProtobufEnvelope("v1", "ConfigMap", "two"), "configmaps");
    Put("/registry/example.com/widgets/team-a/w1", Widget("small"), "widgets.example.com");
    Put("/registry/secrets/default/s1", Encrypted("aescbc", "key1", std::string(64, '\x9c')),
        "secrets");
    Put("/registry/services/endpoints/default/kubernetes",
        ProtobufEnvelope("v1", "Endpoints", "10.0.0.1"), "endpoints", true);
    for (int i = 1; i <= 3; ++i) {
      Put("/registry/events/default/e" + std::to_string(i),
          ProtobufEnvelope("v1", "Event", "event"), "events", true, lease);
    }
    Put("/registry/leases/kube-node-lease/n1",
        ProtobufEnvelope("coordination.k8s.io/v1", "Lease", "t1"), "leases", true);
    Put("compact_rev_key", std::to_string(rev_), "", true);
    a_ = now_;
    path_a_ = Save("a.db");

    Put("/registry/pods/default/p1", Pod(400), "pods");
    Put("/registry/pods/default/p1", Pod(420), "pods");
    Delete("/registry/pods/team-a/p2");
    Put("/registry/pods/team-a/p6", Pod(500), "pods");
    Delete("/registry/configmaps/default/c1");
    Put("/registry/configmaps/default/c1", ProtobufEnvelope("v1", "ConfigMap", "one"), "configmaps");
    Put("/registry/example.com/widgets/team-a/w1", Widget("a little larger"), "widgets.example.com");
    Put("/registry/example.com/widgets/team-a/w2", Widget("new"), "widgets.example.com");
    Put("/registry/secrets/default/s1", Encrypted("aescbc", "key2", std::string(64, '\xa1')),
        "secrets");
    Put("/registry/services/endpoints/default/kubernetes",
        ProtobufEnvelope("v1", "Endpoints", "10.0.0.2"), "endpoints", true);
    Delete("/registry/events/default/e1");
    Put("/registry/events/default/e4", ProtobufEnvelope("v1", "Event", "event"), "events", true,
        lease);
    Put("/registry/leases/kube-node-lease/n1",
        ProtobufEnvelope("coordination.k8s.io/v1", "Lease", "t2"), "leases", true);
    Put("compact_rev_key", std::to_string(rev_), "", true);
    Put("/other-app/flag", "on", "");
    b_ = now_;
    path_b_ = Save("b.db");
    ExpectRevisionCounted();
  }

  std::map<std::string, State> now_, a_, b_;
  std::string path_a_, path_b_, last_err_;
};

TEST_F(DiffLiveTest, EveryChangeBetweenTwoSavesOfOneCluster) {
  TwoSaves();
  Json j = DiffJson({path_a_, path_b_, "--keys"});
  EXPECT_EQ(j["comparedByValue"], false);
  EXPECT_EQ(j["warnings"], Json::array());
  EXPECT_TRUE(last_err_.empty()) << last_err_;
  EXPECT_EQ(j["a"]["path"], path_a_);
  EXPECT_EQ(j["b"]["revision"], rev_);
  EXPECT_EQ(j["a"]["members"], j["b"]["members"]);
  EXPECT_EQ(j["a"]["members"].size(), 1u);
  // Outside the prefix: /other-app/flag added (compact_rev_key is hidden).
  EXPECT_EQ(Got(j), Expected(a_, b_, false));
  EXPECT_EQ(j["hidden"], Json::parse(R"(["compact_rev_key","endpoints","events","leases"])"));
  // endpoints 1, events 2 (e1 removed, e4 added), leases 1, compact_rev_key 1.
  EXPECT_EQ(j["hiddenChanges"], 5);
  // The most changed first: pods (3 changes), then widgets (2), then 1 each.
  EXPECT_EQ(j["resources"][0]["resource"], "pods");
  EXPECT_EQ(j["resources"][1]["resource"], "widgets");

  std::vector<std::string> keys;
  for (const Json& k : j["keys"]) {
    keys.push_back(k["change"].get<std::string>() + " " + k["key"].get<std::string>());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "added /other-app/flag", "recreated /registry/configmaps/default/c1",
                      "modified /registry/pods/default/p1", "removed /registry/pods/team-a/p2",
                      "added /registry/pods/team-a/p6", "modified /registry/secrets/default/s1",
                      "modified /registry/example.com/widgets/team-a/w1",
                      "added /registry/example.com/widgets/team-a/w2"}));
  for (const Json& k : j["keys"]) {
    const std::string key = k["key"];
    EXPECT_EQ(k["modRevisionB"], b_.at(key).live ? b_.at(key).mod : 0) << key;
    EXPECT_EQ(k["bytesA"], a_.count(key) && a_.at(key).live ? a_.at(key).bytes : 0) << key;
  }

  // --all: the noisy ones too; --resource: one, hidden or not.
  Json all = DiffJson({path_a_, path_b_, "--all"});
  EXPECT_EQ(Got(all), Expected(a_, b_, true));
  EXPECT_EQ(all["hidden"], Json::array());
  EXPECT_FALSE(all.contains("keys"));
  Json events = DiffJson({path_a_, path_b_, "--resource", "events"});
  ASSERT_EQ(events["resources"].size(), 1u);
  EXPECT_EQ(Got(events)["events"], Expected(a_, b_, true)["events"]);
  Json widgets = DiffJson({path_a_, path_b_, "--resource=widgets.example.com"});
  ASSERT_EQ(widgets["resources"].size(), 1u);
  EXPECT_EQ(widgets["resources"][0]["added"], 1);
  EXPECT_EQ(widgets["resources"][0]["modified"], 1);

  // The table.
  CommandResult t = Diff({path_a_, path_b_, "--keys"});
  ASSERT_EQ(t.exit_code, 0) << t.Describe();
  EXPECT_NE(t.out.find("a: " + path_a_ + ", revision "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("hidden: compact_rev_key, endpoints, events, leases (5 changed objects"),
            std::string::npos)
      << t.out;
  EXPECT_NE(t.out.find("CHANGED KEYS"), std::string::npos) << t.out;
  EXPECT_TRUE(HasLine(t.out, {" recreated |", " /registry/configmaps/default/c1 |"})) << t.out;
  EXPECT_EQ(Diff({path_a_, path_b_, "-w", "table"}).out, Diff({path_a_, path_b_}).out);
}

TEST_F(DiffLiveTest, ARestoredClusterIsComparedByValueWithWarnings) {
  TwoSaves();
  // A cluster restored from b: the same data and revisions, new member IDs.
  EtcdOptions o{.tls = false};
  o.prepare = [&](const EtcdServer& m, const std::string& cluster, const std::string& token) {
    CommandResult r = Etcdsnap({"snapshot", "restore", path_b_, "--name", m.name(), "--data-dir",
                                m.DataDir(), "--initial-cluster", cluster,
                                "--initial-cluster-token", token, "--initial-advertise-peer-urls",
                                m.PeerUrl()});
    if (r.exit_code != 0) return ::testing::AssertionFailure() << r.Describe();
    return ::testing::AssertionSuccess();
  };
  EtcdCluster restored(o, nullptr);
  ASSERT_TRUE(restored.Start());
  const std::string path_c = tmp_.Join("c.db");
  CommandResult saved = Etcdsnap({"--endpoints", restored.member(0).Endpoint(), "snapshot", "save",
                                  path_c});
  ASSERT_EQ(saved.exit_code, 0) << saved.Describe();

  Json j = DiffJson({path_b_, path_c, "--all"});
  EXPECT_EQ(j["comparedByValue"], true);
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_NE(j["warnings"][0].get<std::string>().find("share no member ID"), std::string::npos);
  EXPECT_NE(last_err_.find("warning: " + path_b_ + " and " + path_c + " share no member ID"),
            std::string::npos)
      << last_err_;
  EXPECT_NE(j["a"]["members"], j["b"]["members"]);
  // Same data: nothing changed, by value (in every resource; there are some).
  ASSERT_FALSE(j["resources"].empty()) << j;
  for (const Json& r : j["resources"]) {
    EXPECT_EQ(r["added"].get<int>() + r["removed"].get<int>() + r["modified"].get<int>() +
                  r["recreated"].get<int>(),
              0)
        << r;
  }
  // c against a, the wrong way round: b's revision below a's, and no common member.
  j = DiffJson({path_c, path_a_});
  ASSERT_EQ(j["warnings"].size(), 2u);
  EXPECT_NE(j["warnings"][1].get<std::string>().find("is below"), std::string::npos) << j;
  // By value, c1 (recreated with the same bytes) is unchanged; p1 is modified. Both rows must
  // be there: a missing one fails rather than checking nothing.
  auto row = [&j](const std::string& resource) {
    const Json* found = nullptr;
    for (const Json& r : j["resources"]) {
      if (r["resource"] == resource) found = &r;
    }
    return found;
  };
  const Json* configmaps = row("configmaps");
  ASSERT_NE(configmaps, nullptr) << j;
  EXPECT_EQ((*configmaps)["unchanged"], 2);
  EXPECT_EQ((*configmaps)["recreated"], 0);
  const Json* pods = row("pods");
  ASSERT_NE(pods, nullptr) << j;
  EXPECT_EQ((*pods)["modified"], 1);
  EXPECT_EQ((*pods)["added"], 1);    // p2, back in a
  EXPECT_EQ((*pods)["removed"], 1);  // p6, not yet in a
}

TEST_F(DiffLiveTest, Errors) {
  PutRaw("/registry/pods/default/p", ProtobufEnvelope("v1", "Pod", "x"));
  const std::string a = Save("a.db");
  struct Case {
    std::vector<std::string> args;
    int exit;
    std::string err;
  };
  for (const Case& c : std::vector<Case>{
           {{a}, 128, "requires exactly two arguments"},
           {{a, a, a}, 128, "requires exactly two arguments"},
           {{a, tmp_.Join("missing.db")}, 1, "missing.db"},
           {{a, a, "-w", "fields"}, 4, "-w table (the default) or -w json"},
           {{a, a, "-w", "protobuf"}, 4, "protobuf not supported"},
           {{a, a, "--prefix", ","}, 128, "empty prefix"},
           {{a, a, "--top", "3"}, 1, "unknown flag: --top"},
       }) {
    CommandResult r = Diff(c.args);
    EXPECT_EQ(r.exit_code, c.exit) << r.Describe();
    EXPECT_NE(r.err.find(c.err), std::string::npos) << r.Describe();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.Describe();
    EXPECT_TRUE(r.out.empty()) << r.Describe();
  }
  // A resource neither file has: a warning, exit 0, no rows.
  CommandResult none = Diff({a, a, "--resource", "nodes"});
  EXPECT_EQ(none.exit_code, 0) << none.Describe();
  EXPECT_NE(none.err.find("warning: no key of resource \"nodes\""), std::string::npos)
      << none.Describe();
}

}  // namespace
}  // namespace etcdsnap::testing
