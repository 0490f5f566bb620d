// `etcdsnap snapshot inspect` on snapshots of a real etcd 3.4.23 that the test fills with
// Kubernetes-shaped data, written as kube-apiserver writes it: protobuf envelopes for built-ins
// (pods, deployments in two storage versions, events, node leases, a service under
// services/specs), JSON for a custom resource and its CRD, secrets encrypted at rest with two
// aescbc keys and one left plain, events on etcd leases, several revisions, deletions, a
// compaction (compact_rev_key as the apiserver writes it) and keys outside /registry. Every
// figure of the report is checked against a model of what the test wrote; the model names each
// key's resource and namespace itself, so the key parsing is checked, not reused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "live_etcd.h"
#include "test_kubernetes.h"

namespace etcdsnap::testing {
namespace {

using etcd::testing::Encrypted;
using etcd::testing::ProtobufEnvelope;
using Json = nlohmann::json;

// What the test wrote, as etcd keeps it: per key, its entries (revision, key + value bytes,
// deletion) and its resource and namespace as the test declared them.
class Model {
 public:
  struct Entry {
    int64_t rev;
    uint64_t bytes;  // key + value (a deletion: the key)
    bool deletion;
    int64_t lease;
    std::string type;  // "protobuf v1 Pod", "json example.com/v1 Widget", "enc aescbc:v1:key1", "other"
  };
  struct Key {
    std::string resource;  // "" for a key outside /registry
    std::string group;
    std::string ns;        // "" for cluster-scoped objects
    std::vector<Entry> entries;
    bool live() const { return !entries.empty() && !entries.back().deletion; }
    uint64_t bytes() const { return live() ? entries.back().bytes : 0; }
    uint64_t bytes_all() const {
      uint64_t n = 0;
      for (const Entry& e : entries) n += e.bytes;
      return n;
    }
  };

  void Put(const std::string& key, uint64_t value_size, int64_t rev, const std::string& resource,
           const std::string& group, const std::string& ns, const std::string& type,
           int64_t lease) {
    Key& k = keys_[key];
    k.resource = resource;
    k.group = group;
    k.ns = ns;
    k.entries.push_back({rev, key.size() + value_size, false, lease, type});
  }
  void Delete(const std::string& key, int64_t rev) {
    keys_.at(key).entries.push_back({rev, key.size(), true, 0, ""});
  }
  // etcd 3.4.23's compaction at `c`: every entry <= c goes but each key's latest one <= c,
  // and that one too when it is a deletion.
  void Compact(int64_t c) {
    for (auto& [name, k] : keys_) {
      std::vector<Entry> kept;
      const Entry* latest = nullptr;
      for (const Entry& e : k.entries) {
        if (e.rev <= c) latest = &e;
      }
      for (const Entry& e : k.entries) {
        if (e.rev > c || (&e == latest && !e.deletion)) kept.push_back(e);
      }
      k.entries = kept;
    }
    std::erase_if(keys_, [](const auto& kv) { return kv.second.entries.empty(); });
  }
  const std::map<std::string, Key>& keys() const { return keys_; }

 private:
  std::map<std::string, Key> keys_;
};

class InspectLiveTest : public LiveEtcdTest {
 protected:
  // One apiserver write: a put of `value` at the next revision, in the model too.
  void Put(const std::string& key, const std::string& value, const std::string& resource,
           const std::string& group, const std::string& ns, const std::string& type,
           int64_t lease = 0) {
    PutRaw(key, value, lease);
    model_.Put(key, value.size(), rev_, resource, group, ns, type, lease);
  }
  void Pod(const std::string& ns, const std::string& name, size_t size) {
    Put("/registry/pods/" + ns + "/" + name, ProtobufEnvelope("v1", "Pod", std::string(size, 'p')),
        "pods", "", ns, "protobuf v1 Pod");
  }
  void Delete(const std::string& key) {
    DeleteRaw(key);
    model_.Delete(key, rev_);
  }

  // A cluster's worth of objects, then churn, a compaction, and more after it.
  void FillLikeKubernetes() {
    int64_t events_lease = 0, short_lease = 0, unused_lease = 0;
    ASSERT_TRUE(cluster_->Client().LeaseGrant(3660, &events_lease).ok());
    ASSERT_TRUE(cluster_->Client().LeaseGrant(600, &short_lease).ok());
    ASSERT_TRUE(cluster_->Client().LeaseGrant(120, &unused_lease).ok());
    Put("/registry/namespaces/default", ProtobufEnvelope("v1", "Namespace", "ns"), "namespaces",
        "", "", "protobuf v1 Namespace");
    Put("/registry/namespaces/team-a", ProtobufEnvelope("v1", "Namespace", "ns-a"), "namespaces",
        "", "", "protobuf v1 Namespace");
    Pod("default", "web-0", 900);
    Pod("default", "web-1", 950);
    Pod("kube-system", "coredns", 700);
    Pod("team-a", "batch", 300);
    Put("/registry/deployments/default/web",
        ProtobufEnvelope("apps/v1", "Deployment", std::string(1200, 'd')), "deployments", "",
        "default", "protobuf apps/v1 Deployment");
    Put("/registry/deployments/kube-system/coredns",
        ProtobufEnvelope("apps/v1", "Deployment", std::string(1100, 'd')), "deployments", "",
        "kube-system", "protobuf apps/v1 Deployment");
    Put("/registry/deployments/team-a/legacy",
        ProtobufEnvelope("extensions/v1beta1", "Deployment", std::string(800, 'd')),
        "deployments", "", "team-a", "protobuf extensions/v1beta1 Deployment");
    Put("/registry/services/specs/default/kubernetes",
        ProtobufEnvelope("v1", "Service", std::string(150, 's')), "services", "", "default",
        "protobuf v1 Service");
    Put("/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com",
        R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",)"
        R"("metadata":{"name":"widgets.example.com"},"spec":{"group":"example.com"}})",
        "customresourcedefinitions", "apiextensions.k8s.io", "",
        "json apiextensions.k8s.io/v1 CustomResourceDefinition");
    for (const char* w : {"w1", "w2", "w3"}) {
      Put(std::string("/registry/example.com/widgets/team-a/") + w,
          std::string(R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":")") +
              w + R"("},"spec":{"size":)" + std::string(40, '7') + "}}",
          "widgets", "example.com", "team-a", "json example.com/v1 Widget");
    }
    Put("/registry/secrets/default/db", Encrypted("aescbc", "key1", std::string(96, '\x9c')),
        "secrets", "", "default", "enc aescbc:v1:key1");
    Put("/registry/secrets/team-a/token", Encrypted("aescbc", "key1", std::string(112, '\xa1')),
        "secrets", "", "team-a", "enc aescbc:v1:key1");
    Put("/registry/secrets/kube-system/bootstrap",
        Encrypted("aescbc", "key2", std::string(80, '\xb7')), "secrets", "", "kube-system",
        "enc aescbc:v1:key2");
    Put("/registry/secrets/default/plain", ProtobufEnvelope("v1", "Secret", "written before encryption"),
        "secrets", "", "default", "protobuf v1 Secret");
    Put("/registry/configmaps/kube-system/big",
        ProtobufEnvelope("v1", "ConfigMap", std::string(100000, 'c')), "configmaps", "",
        "kube-system", "protobuf v1 ConfigMap");
    // Events, on etcd leases as the apiserver attaches them (one lease reused for several).
    for (int i = 0; i < 3; ++i) {
      Put("/registry/events/default/web-0.17a" + std::to_string(i),
          ProtobufEnvelope("v1", "Event", std::string(250 + 10 * i, 'e')), "events", "",
          "default", "protobuf v1 Event", events_lease);
    }
    Put("/registry/events/kube-system/coredns.17b",
        ProtobufEnvelope("v1", "Event", std::string(260, 'e')), "events", "", "kube-system",
        "protobuf v1 Event", short_lease);
    // Churn: a node's lease renewed, a pod updated and one deleted, a deployment rolled.
    for (int i = 0; i < 4; ++i) {
      Put("/registry/leases/kube-node-lease/node-1",
          ProtobufEnvelope("coordination.k8s.io/v1", "Lease", std::string(120 + i, 'l')),
          "leases", "", "kube-node-lease", "protobuf coordination.k8s.io/v1 Lease");
    }
    Pod("default", "web-0", 920);
    Delete("/registry/pods/team-a/batch");
    // The apiserver's compaction: compact_rev_key holds the revision, then etcd compacts at it.
    const int64_t c = rev_ + 1;
    Put("compact_rev_key", std::to_string(c), "", "", "", "other");
    ASSERT_TRUE(cluster_->Client().Compact(c).ok());
    model_.Compact(c);
    compacted_ = c;
    // After the compaction: more renewals, a pod updated twice, a deletion and a recreation.
    for (int i = 0; i < 3; ++i) {
      Put("/registry/leases/kube-node-lease/node-1",
          ProtobufEnvelope("coordination.k8s.io/v1", "Lease", std::string(130 + i, 'l')),
          "leases", "", "kube-node-lease", "protobuf coordination.k8s.io/v1 Lease");
    }
    Pod("default", "web-1", 980);
    Pod("default", "web-1", 990);
    Delete("/registry/pods/kube-system/coredns");
    Pod("kube-system", "coredns", 710);
    Put("/registry/deployments/default/web",
        ProtobufEnvelope("apps/v1", "Deployment", std::string(1250, 'd')), "deployments", "",
        "default", "protobuf apps/v1 Deployment");
    Put("/other-app/config", "plain text, not Kubernetes", "", "", "", "other");
    leases_ = {{events_lease, 3660}, {short_lease, 600}, {unused_lease, 120}};
    ExpectRevisionCounted();
  }

  CommandResult Inspect(std::vector<std::string> args) {
    args.insert(args.begin(), {"snapshot", "inspect"});
    return Etcdsnap(args);
  }

  Json InspectJson(const std::string& path, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {path, "-w", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = Inspect(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  int64_t compacted_ = 0;
  Model model_;
  std::map<int64_t, int64_t> leases_;  // id -> TTL
};

// The report's resources as {resource.group -> figures} and the model's, in the same shape.
Json ResourcesByName(const Json& report) {
  Json out = Json::object();
  for (const Json& r : report["resources"]) {
    const std::string name = r["resource"].get<std::string>() +
                             (r["group"].get<std::string>().empty() ? "" : "." + r["group"].get<std::string>());
    Json types = Json::object();
    for (const Json& t : r["storageVersions"]) {
      types[t["encoding"].get<std::string>() + " " + t["apiVersion"].get<std::string>() + " " +
            t["kind"].get<std::string>()] = t["objects"];
    }
    for (const Json& k : r["encryption"]["keys"]) {
      types["enc " + k["provider"].get<std::string>() + ":" + k["version"].get<std::string>() +
            ":" + k["keyName"].get<std::string>()] = k["objects"];
    }
    out[name] = {{"objects", r["objects"]},
                 {"bytes", r["bytes"]},
                 {"bytesAllRevisions", r["bytesAllRevisions"]},
                 {"revisions", r["revisions"]},
                 {"deletes", r["deletes"]},
                 {"withLease", r["withLease"]},
                 {"plain", r["encryption"]["plain"]},
                 {"types", types}};
  }
  return out;
}

Json ExpectedResources(const Model& m) {
  Json out = Json::object();
  for (const auto& [key, k] : m.keys()) {
    if (k.resource.empty()) continue;
    const std::string name = k.resource + (k.group.empty() ? "" : "." + k.group);
    if (!out.contains(name)) {
      out[name] = {{"objects", 0}, {"bytes", 0}, {"bytesAllRevisions", 0}, {"revisions", 0},
                   {"deletes", 0}, {"withLease", 0}, {"plain", 0}, {"types", Json::object()}};
    }
    Json& r = out[name];
    r["bytesAllRevisions"] = r["bytesAllRevisions"].get<uint64_t>() + k.bytes_all();
    r["revisions"] = r["revisions"].get<uint64_t>() + k.entries.size();
    for (const auto& e : k.entries) r["deletes"] = r["deletes"].get<uint64_t>() + e.deletion;
    if (!k.live()) continue;
    const Model::Entry& last = k.entries.back();
    r["objects"] = r["objects"].get<uint64_t>() + 1;
    r["bytes"] = r["bytes"].get<uint64_t>() + k.bytes();
    r["withLease"] = r["withLease"].get<uint64_t>() + (last.lease != 0);
    r["plain"] = r["plain"].get<uint64_t>() + !last.type.starts_with("enc ");
    r["types"][last.type] = r["types"].value(last.type, 0) + 1;
  }
  return out;
}

TEST_F(InspectLiveTest, EveryFigureMatchesWhatTheTestWrote) {
  FillLikeKubernetes();
  const std::string path = Save("k8s.db");
  const Json j = InspectJson(path);
  const Model& m = model_;

  EXPECT_EQ(j["path"], path);
  EXPECT_EQ(j["compression"], "none");
  EXPECT_EQ(j["revision"], rev_);
  EXPECT_EQ(j["compactRevision"], compacted_);
  EXPECT_EQ(j["compactRevKey"], compacted_);

  // Per resource: objects, bytes now and over the kept history, revisions, deletions, leases,
  // storage versions and encryption keys.
  EXPECT_EQ(ResourcesByName(j), ExpectedResources(m));
  // Ordered by bytes over all revisions; the configmap holding 100 kB leads.
  ASSERT_FALSE(j["resources"].empty());
  EXPECT_EQ(j["resources"][0]["resource"], "configmaps");
  for (size_t i = 1; i < j["resources"].size(); ++i) {
    EXPECT_GE(j["resources"][i - 1]["bytesAllRevisions"].get<uint64_t>(),
              j["resources"][i]["bytesAllRevisions"].get<uint64_t>());
  }
  // Both renamed paths are checked: a missing row fails instead of checking nothing.
  int paths_checked = 0;
  for (const Json& r : j["resources"]) {
    if (r["resource"] == "services") {
      EXPECT_EQ(r["path"], "services/specs");
      ++paths_checked;
    }
    if (r["resource"] == "widgets") {
      EXPECT_EQ(r["path"], "example.com/widgets");
      ++paths_checked;
    }
    EXPECT_EQ(r["prefix"], "/registry");
  }
  EXPECT_EQ(paths_checked, 2);

  // The key bucket as a whole.
  uint64_t live = 0, entries = 0, deletes = 0, bytes_all = 0;
  for (const auto& [key, k] : m.keys()) {
    live += k.live();
    entries += k.entries.size();
    bytes_all += k.bytes_all();
    for (const auto& e : k.entries) deletes += e.deletion;
  }
  EXPECT_EQ(j["keys"]["distinct"], m.keys().size());
  EXPECT_EQ(j["keys"]["live"], live);
  EXPECT_EQ(j["keys"]["revisions"], entries);
  EXPECT_EQ(j["keys"]["deletes"], deletes);
  EXPECT_EQ(j["keys"]["bytesAllRevisions"], bytes_all);

  // Top lists: the model sorted by the documented order.
  std::vector<std::string> by_size, by_churn;
  for (const auto& [key, k] : m.keys()) {
    if (k.live()) by_size.push_back(key);
    if (k.entries.size() > 1) by_churn.push_back(key);
  }
  std::sort(by_size.begin(), by_size.end(), [&](const std::string& a, const std::string& b) {
    const uint64_t x = m.keys().at(a).bytes(), y = m.keys().at(b).bytes();
    return x != y ? x > y : a < b;
  });
  std::sort(by_churn.begin(), by_churn.end(), [&](const std::string& a, const std::string& b) {
    const auto &x = m.keys().at(a), &y = m.keys().at(b);
    if (x.entries.size() != y.entries.size()) return x.entries.size() > y.entries.size();
    if (x.bytes_all() != y.bytes_all()) return x.bytes_all() > y.bytes_all();
    return a < b;
  });
  ASSERT_EQ(j["largest"].size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(j["largest"][i]["key"], by_size[i]) << i;
    EXPECT_EQ(j["largest"][i]["bytes"], m.keys().at(by_size[i]).bytes()) << i;
    EXPECT_EQ(j["largest"][i]["revisions"], m.keys().at(by_size[i]).entries.size()) << i;
  }
  EXPECT_EQ(j["largest"][0]["key"], "/registry/configmaps/kube-system/big");
  ASSERT_EQ(j["mostRevised"].size(), std::min<size_t>(10, by_churn.size()));
  ASSERT_GE(by_churn.size(), 4u);
  for (size_t i = 0; i < j["mostRevised"].size(); ++i) {
    const auto& k = m.keys().at(by_churn[i]);
    EXPECT_EQ(j["mostRevised"][i]["key"], by_churn[i]) << i;
    EXPECT_EQ(j["mostRevised"][i]["revisions"], k.entries.size()) << i;
    EXPECT_EQ(j["mostRevised"][i]["bytesAllRevisions"], k.bytes_all()) << i;
    EXPECT_EQ(j["mostRevised"][i]["live"], k.live()) << i;
  }
  // 1 kept at the compaction + 3 after.
  EXPECT_EQ(j["mostRevised"][0]["key"], "/registry/leases/kube-node-lease/node-1");
  EXPECT_EQ(j["mostRevised"][0]["revisions"], 4);

  // Namespaces (live objects) and cluster-scoped ones.
  Json namespaces = Json::object(), expected_ns = Json::object();
  uint64_t cluster_objects = 0, cluster_bytes = 0;
  for (const auto& [key, k] : m.keys()) {
    if (!k.live() || k.resource.empty()) continue;
    if (k.ns.empty()) {
      ++cluster_objects;
      cluster_bytes += k.bytes();
      continue;
    }
    Json& n = expected_ns[k.ns];
    if (n.is_null()) n = Json::object();
    n["objects"] = n.value("objects", 0) + 1;
    n["bytes"] = n.value("bytes", uint64_t{0}) + k.bytes();
  }
  for (const Json& n : j["namespaces"]) {
    namespaces[n["namespace"].get<std::string>()] = {{"bytes", n["bytes"]}, {"objects", n["objects"]}};
  }
  EXPECT_EQ(namespaces, expected_ns);
  EXPECT_EQ(j["namespaces"][0]["namespace"], "kube-system");  // the big configmap
  EXPECT_EQ(j["clusterScoped"]["objects"], cluster_objects);
  EXPECT_EQ(j["clusterScoped"]["bytes"], cluster_bytes);

  // Keys outside /registry: compact_rev_key and /other-app/config.
  const auto& crk = m.keys().at("compact_rev_key");
  const auto& other = m.keys().at("/other-app/config");
  EXPECT_EQ(j["outside"]["objects"], 2);
  EXPECT_EQ(j["outside"]["bytes"], crk.bytes() + other.bytes());
  EXPECT_EQ(j["outside"]["bytesAllRevisions"], crk.bytes_all() + other.bytes_all());
  EXPECT_EQ(j["outside"]["revisions"], crk.entries.size() + other.entries.size());
  ASSERT_EQ(j["outside"]["largest"].size(), 2u);
  EXPECT_EQ(j["outside"]["largest"][0]["key"], "/other-app/config");
  EXPECT_EQ(j["outside"]["largest"][1]["key"], "compact_rev_key");

  // Leases: three granted; four events on two of them.
  EXPECT_EQ(j["leases"]["leases"], 3);
  EXPECT_EQ(j["leases"]["keys"], 4);
  EXPECT_EQ(j["leases"]["keysOnMissingLeases"], 0);
  const Json expected_ttls = Json::parse(R"([{"ttl":3660,"leases":1,"keys":3},)"
                                         R"({"ttl":600,"leases":1,"keys":1},)"
                                         R"({"ttl":120,"leases":1,"keys":0}])");
  EXPECT_EQ(j["leases"]["ttls"], expected_ttls);

  // The file: bbolt's size is what etcdctl reports; pages in use and free add up to it.
  CommandResult status = RunCommand({FindExecutable("etcdctl"), "snapshot", "status", path, "-w",
                                     "json"},
                                    {}, std::chrono::seconds(60));
  ASSERT_EQ(status.exit_code, 0) << status.Describe();
  const Json st = Json::parse(status.out);
  EXPECT_EQ(j["file"]["dbSize"], st["totalSize"]);
  EXPECT_EQ(j["file"]["size"], FileSize(path));
  EXPECT_EQ(j["file"]["pages"].get<uint64_t>() * j["file"]["pageSize"].get<uint64_t>(),
            j["file"]["dbSize"].get<uint64_t>());
  EXPECT_EQ(j["file"]["inUse"].get<uint64_t>() + j["file"]["free"].get<uint64_t>(),
            j["file"]["dbSize"].get<uint64_t>());
  EXPECT_EQ(j["file"]["free"].get<uint64_t>(),
            j["file"]["freePages"].get<uint64_t>() * j["file"]["pageSize"].get<uint64_t>());
}

TEST_F(InspectLiveTest, FreePagesShrinkWithADefragmentation) {
  // 4 MB written and deleted, then compacted: etcd keeps the pages, free.
  for (int i = 0; i < 40; ++i) {
    Put("/registry/configmaps/tmp/cm-" + std::to_string(i),
        ProtobufEnvelope("v1", "ConfigMap", std::string(100000, 'x')), "configmaps", "", "tmp",
        "protobuf v1 ConfigMap");
  }
  for (int i = 0; i < 40; ++i) Delete("/registry/configmaps/tmp/cm-" + std::to_string(i));
  Put("/registry/namespaces/default", ProtobufEnvelope("v1", "Namespace", "ns"), "namespaces", "",
      "", "protobuf v1 Namespace");
  ASSERT_TRUE(cluster_->Client().Compact(rev_).ok());
  // A compaction frees its pages in the next backend commit: give it one write.
  Put("/registry/namespaces/team-a", ProtobufEnvelope("v1", "Namespace", "ns"), "namespaces", "",
      "", "protobuf v1 Namespace");
  const Json before = InspectJson(Save("before.db"));
  CommandResult defrag = RunCommand({FindExecutable("etcdctl"), "--endpoints", endpoint_, "defrag"},
                                    {}, std::chrono::seconds(60));
  ASSERT_EQ(defrag.exit_code, 0) << defrag.Describe();
  const Json after = InspectJson(Save("after.db"));
  // The 4 MB of values are free pages before; a defragmentation gives them back.
  EXPECT_GT(before["file"]["free"].get<uint64_t>(), uint64_t{4000000});
  EXPECT_LT(after["file"]["free"].get<uint64_t>(), uint64_t{200000});
  EXPECT_LT(after["file"]["dbSize"].get<uint64_t>(),
            before["file"]["dbSize"].get<uint64_t>() - 4000000);
  // The data is the same: two live namespaces, the configmaps' history compacted away.
  for (const Json* j : {&before, &after}) {
    EXPECT_EQ((*j)["keys"]["live"], 2);
    EXPECT_EQ((*j)["keys"]["distinct"], 2);
    EXPECT_EQ((*j)["resources"].size(), 1u);
  }
}

TEST_F(InspectLiveTest, TableCompressedFilesAndErrors) {
  FillLikeKubernetes();
  const std::string path = Save("k8s.db");
  const std::string zst = Save("k8s.db.zst", {"--compress", "zstd"});

  // The compressed file reports the same, but its own size and compression.
  Json plain = InspectJson(path), z = InspectJson(zst);
  EXPECT_EQ(z["compression"], "zstd");
  EXPECT_EQ(z["file"]["size"], FileSize(zst));
  for (Json* j : {&plain, &z}) {
    j->erase("path");
    j->erase("compression");
    (*j)["file"].erase("size");
  }
  EXPECT_EQ(z, plain);

  // -w table is the default (and simple prints it too): the resource rows with their bars, the
  // storage versions, the encryption keys per resource, the leases.
  CommandResult table = Inspect({path});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  EXPECT_EQ(Inspect({path, "-w", "table"}).out, table.out);
  EXPECT_EQ(Inspect({path, "-w", "simple"}).out, table.out);
  const std::string& t = table.out;
  // The largest resource has a full bar.
  EXPECT_TRUE(HasLine(t, {" configmaps |", "| #################### "})) << t;
  EXPECT_TRUE(HasLine(t, {" widgets.example.com |", " 3 |"})) << t;
  EXPECT_TRUE(HasLine(t, {" deployments |", " protobuf |", " extensions/v1beta1 |", " Deployment |",
                          " 1 |"}))
      << t;
  // A row per key: the resource's counts on the first.
  EXPECT_TRUE(HasLine(t, {" secrets |", " 4 |", " 1 |", " 3 |", " aescbc:v1:key1 |", " 2 |"})) << t;
  EXPECT_TRUE(HasLine(t, {" secrets |", " aescbc:v1:key2 |", " 1 |"})) << t;
  EXPECT_TRUE(HasLine(t, {"LEASES: 3 in the file, 4 live keys attached"})) << t;
  EXPECT_TRUE(HasLine(t, {" 3660s |", " 1 |", " 3 |"})) << t;
  EXPECT_TRUE(HasLine(t, {"compacted at " + std::to_string(compacted_)})) << t;
  EXPECT_TRUE(HasLine(t, {"(outside /registry/) |"})) << t;
  EXPECT_TRUE(HasLine(t, {" /other-app/config |"})) << t;

  // --top bounds the lists; --prefix moves keys in and out.
  Json top2 = InspectJson(path, {"--top", "2"});
  EXPECT_EQ(top2["largest"].size(), 2u);
  EXPECT_EQ(top2["mostRevised"].size(), 2u);
  Json other = InspectJson(path, {"--prefix", "/registry,other-app/"});
  ASSERT_EQ(other["outside"]["objects"], 1);
  EXPECT_EQ(other["outside"]["largest"][0]["key"], "compact_rev_key");
  EXPECT_EQ(other["resources"].size(), plain["resources"].size() + 1);

  // Errors: one line on stderr and the documented exit code.
  struct Case {
    std::vector<std::string> args;
    int exit;
    std::string err;
  };
  for (const Case& c : std::vector<Case>{
           {{tmp_.Join("missing.db")}, 1, "missing.db"},
           {{path, "-w", "fields"}, 4, "-w table (the default) or -w json"},
           {{path, "-w", "protobuf"}, 4, "protobuf not supported"},
           {{path, "-w", "yaml"}, 4, "unsupported output format"},
           {{}, 128, "requires exactly one argument"},
           {{path, path}, 128, "requires exactly one argument"},
           {{path, "--top", "-1"}, 1, "invalid argument"},
           {{path, "--prefix", ""}, 128, "empty prefix"},
       }) {
    CommandResult r = Inspect(c.args);
    EXPECT_EQ(r.exit_code, c.exit) << r.Describe();
    EXPECT_NE(r.err.find(c.err), std::string::npos) << r.Describe();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.Describe();
    EXPECT_TRUE(r.out.empty()) << r.Describe();
  }
  // Not an etcd backend; a damaged page.
  WriteFileOrDie(tmp_.Join("text.db"), std::string(16384, 'x'));
  CommandResult text = Inspect({tmp_.Join("text.db")});
  EXPECT_EQ(text.exit_code, 1) << text.Describe();
  std::string bytes = ReadFileOrEmpty(path);
  ASSERT_GT(bytes.size(), 4096u * 8);
  for (size_t page = 2; page * 4096 + 16 < bytes.size(); ++page) bytes[page * 4096 + 8] = '\x7f';
  WriteFileOrDie(tmp_.Join("damaged.db"), bytes);
  CommandResult damaged = Inspect({tmp_.Join("damaged.db")});
  EXPECT_EQ(damaged.exit_code, 1) << damaged.Describe();
  EXPECT_NE(damaged.err.find("integrity check failed"), std::string::npos) << damaged.Describe();
  EXPECT_EQ(std::count(damaged.err.begin(), damaged.err.end(), '\n'), 1) << damaged.Describe();
}

// A save while etcd 3.4.23 is still compacting. With --experimental-compaction-batch-limit 1
// the server deletes one revision per batch, each batch committed and followed by a 10 ms pause,
// so compacting ~300 revisions takes seconds, and a save taken meanwhile holds meta's
// scheduledCompactRev above its finishedCompactRev with entries the compaction has not removed
// yet. inspect must report for it what it reports for a save taken once the compaction is done
// (the member restored from the first file finishes the same compaction).
class PendingCompactionLiveTest : public LiveEtcdTest {
 protected:
  void SetUp() override {
    ETCDSNAP_REQUIRE_OR_SKIP(!EtcdBinary().empty(), "etcd not installed");
    EtcdOptions options{.tls = false};
    options.extra_args = [](const EtcdServer&) {
      return std::vector<std::string>{"--experimental-compaction-batch-limit", "1"};
    };
    cluster_ = std::make_unique<EtcdCluster>(options, nullptr);
    ASSERT_TRUE(cluster_->Start());
    endpoint_ = cluster_->member(0).Endpoint();
    ASSERT_TRUE(cluster_->Client().Revision(&rev_).ok());
  }

  Json InspectJson(const std::string& path) {
    CommandResult r = Etcdsnap({"snapshot", "inspect", path, "-w", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
  uint64_t TotalKeys(const std::string& path) {
    CommandResult r = Etcdsnap({"snapshot", "status", path, "-w", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return Json::parse(r.out)["totalKey"].get<uint64_t>();
  }
};

TEST_F(PendingCompactionLiveTest, ASaveDuringACompactionReportsWhatItKeeps) {
  for (int i = 0; i < 300; ++i) {
    PutRaw("/registry/configmaps/default/cm-" + std::to_string(i % 20),
           ProtobufEnvelope("v1", "ConfigMap", std::string(100 + i % 50, 'c')));
  }
  DeleteRaw("/registry/configmaps/default/cm-13");  // dropped whole by the compaction
  const int64_t c = rev_;
  for (int i = 0; i < 5; ++i) {
    PutRaw("/registry/configmaps/default/cm-" + std::to_string(i), "after the compaction");
  }
  // A physical compaction: the call returns once the compaction has finished.
  grpc::Status compacted;
  std::jthread compactor([&] { compacted = cluster_->Client().Compact(c); });
  // Saves until one shows the compaction running (it is scheduled, and so in meta, at its
  // first committed batch), observed in the saved files themselves.
  Json pending;
  uint64_t pending_total = 0;
  for (int i = 0; i < 40 && pending.is_null(); ++i) {
    const std::string path = Save("pending.db");
    Json j = InspectJson(path);
    if (j["compactionPending"] == true) {
      pending = j;
      pending_total = TotalKeys(path);
    }
  }
  compactor.join();
  ASSERT_TRUE(compacted.ok()) << compacted.error_message();
  ASSERT_FALSE(pending.is_null()) << "no save showed the compaction running";
  EXPECT_EQ(pending["compactRevision"], c);

  const std::string done_path = Save("done.db");
  const Json done = InspectJson(done_path);
  EXPECT_EQ(done["compactionPending"], false);
  EXPECT_EQ(done["compactRevision"], c);
  // The pending file still holds entries the compaction removes, which inspect leaves out: the
  // figures are those of the compacted file. 19 configmaps keep their latest entry at or below
  // c, 5 of them one more above it; cm-13 is gone.
  EXPECT_GT(pending_total, TotalKeys(done_path));
  EXPECT_EQ(done["keys"]["revisions"], 19 + 5);
  EXPECT_EQ(done["keys"]["distinct"], 19);
  EXPECT_EQ(pending["keys"], done["keys"]);
  EXPECT_EQ(pending["resources"], done["resources"]);
  EXPECT_EQ(pending["mostRevised"], done["mostRevised"]);
  EXPECT_EQ(pending["namespaces"], done["namespaces"]);
}

}  // namespace
}  // namespace etcdsnap::testing
