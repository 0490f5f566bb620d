// The inspect use case on bbolt files written from a model of etcd's store (etcd/test_history.h)
// holding Kubernetes-shaped values (etcd/test_kubernetes.h): every figure of the report against
// what the test wrote, compressed files, and every refusal.
#include "etcdsnap/snapshot/inspect.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "etcdsnap/bolt/builder.h"
#include "etcdsnap/etcd/buckets.h"
#include "etcdsnap/util/compression.h"
#include "etcdsnap/snapshot/diff.h"
#include "temp_dir.h"
#include "test_collisions.h"
#include "test_history.h"
#include "test_backend.h"
#include "test_kubernetes.h"

namespace etcdsnap::snapshot {
namespace {

using etcd::testing::Encrypted;
using etcd::testing::ProtobufEnvelope;
using etcd::testing::RevisionKey;
using etcd::testing::TestHistory;
using testing::BigEndian64;

class InspectTest : public ::testing::Test {
 protected:
  // Writes `h` as an etcd backend: buckets key, lease (`leases`: id -> TTL), members and meta.
  std::string Write(const TestHistory& h, const std::map<int64_t, int64_t>& leases,
                    const std::string& name = "snap.db", bool with_key_bucket = true) {
    const std::string path = tmp_.Join(name);
    testing::WriteBackend(path, h,
                          {.leases = leases, .members = {1}, .with_key_bucket = with_key_bucket});
    return path;
  }

  Result<InspectReport> Run(const std::string& path, size_t top = 10,
                            std::vector<std::string> prefixes = {"/registry"}) {
    return Inspect({.path = path, .prefixes = std::move(prefixes), .top = top});
  }

  // A resource's encryption rows as "provider:version:key[key ID] objects", in report order.
  static std::vector<std::string> EncryptionRows(const ResourceReport& res) {
    std::vector<std::string> rows;
    for (const EncryptionCount& e : res.encryption) {
      rows.push_back(e.provider + ":" + e.version + ":" + e.key_name +
                     (e.key_id.empty() ? "" : "[" + e.key_id + "]") + " " +
                     std::to_string(e.objects));
    }
    return rows;
  }

  static const ResourceReport* Find(const InspectReport& r, const std::string& resource) {
    for (const ResourceReport& res : r.resources) {
      if (res.resource == resource) return &res;
    }
    return nullptr;
  }

  testing::TempDir tmp_{"etcdsnap-inspect"};
};

// A small cluster's worth of objects; each value's size is known to the test.
struct Cluster {
  TestHistory h;
  std::map<std::string, std::string> latest;  // live key -> value
  std::map<std::string, uint64_t> all;        // key -> key+value bytes over all entries
  std::map<std::string, uint64_t> revisions;  // key -> entries

  void Put(const std::string& k, const std::string& v, int64_t lease = 0) {
    h.Put(k, v, lease);
    latest[k] = v;
    all[k] += k.size() + v.size();
    ++revisions[k];
  }
  void Delete(const std::string& k) {
    h.Delete(k);
    latest.erase(k);
    all[k] += k.size();
    ++revisions[k];
  }
  uint64_t Bytes(const std::string& k) const { return k.size() + latest.at(k).size(); }
};

Cluster KubernetesCluster() {
  Cluster c;
  const std::string pod = "/registry/pods/default/web-0";
  c.Put(pod, ProtobufEnvelope("v1", "Pod", std::string(500, 'p')));
  c.Put(pod, ProtobufEnvelope("v1", "Pod", std::string(600, 'p')));
  c.Put(pod, ProtobufEnvelope("v1", "Pod", std::string(700, 'p')));
  c.Put("/registry/pods/kube-system/dns", ProtobufEnvelope("v1", "Pod", std::string(300, 'q')));
  c.Put("/registry/pods/default/gone", ProtobufEnvelope("v1", "Pod", std::string(50, 'g')));
  c.Delete("/registry/pods/default/gone");
  c.Put("/registry/deployments/default/web",
        ProtobufEnvelope("apps/v1", "Deployment", std::string(400, 'd')));
  c.Put("/registry/deployments/default/old",
        ProtobufEnvelope("extensions/v1beta1", "Deployment", std::string(100, 'd')));
  c.Put("/registry/secrets/default/s1", Encrypted("aescbc", "key1", std::string(64, 's')));
  c.Put("/registry/secrets/default/s2", Encrypted("aescbc", "key1", std::string(80, 's')));
  c.Put("/registry/secrets/kube-system/s3", Encrypted("aescbc", "key2", std::string(96, 's')));
  c.Put("/registry/secrets/default/plain", ProtobufEnvelope("v1", "Secret", "x"));
  c.Put("/registry/example.com/widgets/team-a/w1",
        R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"}})");
  c.Put("/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com",
        R"({"kind":"CustomResourceDefinition","apiVersion":"apiextensions.k8s.io/v1"})");
  c.Put("/registry/events/default/e1", ProtobufEnvelope("v1", "Event", std::string(200, 'e')), 100);
  c.Put("/registry/events/default/e2", ProtobufEnvelope("v1", "Event", std::string(210, 'e')), 100);
  c.Put("/registry/events/kube-system/e3", ProtobufEnvelope("v1", "Event", std::string(220, 'e')),
        101);
  c.Put("/registry/namespaces/default", ProtobufEnvelope("v1", "Namespace", "n"));
  c.Put("/registry/services/specs/default/kubernetes", ProtobufEnvelope("v1", "Service", "svc"));
  c.Put("compact_rev_key", "7");
  c.Put("compact_rev_key", "12");
  c.Put("/other-app/config", "hello");
  return c;
}

TEST_F(InspectTest, EveryFigureMatchesWhatWasWritten) {
  const Cluster c = KubernetesCluster();
  // Lease 101 is not in the bucket (expired after the keys were written); 102 has no keys.
  const std::string path = Write(c.h, {{100, 3660}, {102, 15}});
  Result<InspectReport> r = Run(path);
  ASSERT_TRUE(r.ok()) << r.status().message();

  EXPECT_EQ(r->revision, c.h.current());
  EXPECT_EQ(r->compact_revision, -1);
  ASSERT_TRUE(r->compact_rev_key.has_value());
  EXPECT_EQ(*r->compact_rev_key, 12);
  EXPECT_EQ(r->keys, c.all.size());
  EXPECT_EQ(r->live_keys, c.latest.size());
  EXPECT_EQ(r->revisions, c.h.entries().size());
  EXPECT_EQ(r->deletes, 1u);
  uint64_t stored = 0, user = 0;
  for (const auto& [k, v] : c.h.entries()) stored += k.size() + v.size();
  for (const auto& [k, bytes] : c.all) user += bytes;
  EXPECT_EQ(r->stored_bytes, stored);
  EXPECT_EQ(r->user_bytes, user);
  EXPECT_EQ(r->compression, Compression::kNone);
  EXPECT_EQ(r->page_size, 4096u);
  EXPECT_EQ(r->db_size, r->pages * 4096);
  EXPECT_EQ(r->in_use_bytes + r->free_bytes, r->db_size);
  EXPECT_EQ(r->free_pages, 0u);  // the builder leaves nothing free
  EXPECT_EQ(r->file_size, r->db_size);

  // Resources: pods, deployments, secrets, widgets, CRDs, events, namespaces, services.
  ASSERT_EQ(r->resources.size(), 8u);
  const ResourceReport* pods = Find(*r, "pods");
  ASSERT_NE(pods, nullptr);
  const std::string web0 = "/registry/pods/default/web-0", dns = "/registry/pods/kube-system/dns",
                    gone = "/registry/pods/default/gone";
  EXPECT_EQ(pods->objects, 2u);
  EXPECT_EQ(pods->bytes, c.Bytes(web0) + c.Bytes(dns));
  EXPECT_EQ(pods->bytes_all_revisions, c.all.at(web0) + c.all.at(dns) + c.all.at(gone));
  EXPECT_EQ(pods->revisions, 3u + 1 + 2);
  EXPECT_EQ(pods->deletes, 1u);
  EXPECT_EQ(pods->group, "");
  EXPECT_EQ(pods->path, "pods");
  EXPECT_EQ(pods->prefix, "/registry");
  EXPECT_EQ(pods->plain, 2u);
  ASSERT_EQ(pods->types.size(), 1u);
  EXPECT_EQ(pods->types[0].encoding, "protobuf");
  EXPECT_EQ(pods->types[0].api_version, "v1");
  EXPECT_EQ(pods->types[0].kind, "Pod");
  EXPECT_EQ(pods->types[0].objects, 2u);
  EXPECT_TRUE(pods->encryption.empty());

  const ResourceReport* deployments = Find(*r, "deployments");
  ASSERT_NE(deployments, nullptr);
  ASSERT_EQ(deployments->types.size(), 2u);  // half still in extensions/v1beta1
  std::map<std::string, uint64_t> versions;
  for (const TypeCount& t : deployments->types) versions[t.api_version + " " + t.kind] = t.objects;
  EXPECT_EQ(versions, (std::map<std::string, uint64_t>{{"apps/v1 Deployment", 1},
                                                       {"extensions/v1beta1 Deployment", 1}}));

  const ResourceReport* secrets = Find(*r, "secrets");
  ASSERT_NE(secrets, nullptr);
  EXPECT_EQ(secrets->objects, 4u);
  EXPECT_EQ(secrets->plain, 1u);
  EXPECT_EQ(EncryptionRows(*secrets),
            (std::vector<std::string>{"aescbc:v1:key1 2", "aescbc:v1:key2 1"}));

  const ResourceReport* widgets = Find(*r, "widgets");
  ASSERT_NE(widgets, nullptr);
  EXPECT_EQ(widgets->group, "example.com");
  EXPECT_EQ(widgets->path, "example.com/widgets");
  ASSERT_EQ(widgets->types.size(), 1u);
  EXPECT_EQ(widgets->types[0].encoding, "json");
  EXPECT_EQ(widgets->types[0].api_version, "example.com/v1");
  EXPECT_EQ(widgets->types[0].kind, "Widget");
  const ResourceReport* crds = Find(*r, "customresourcedefinitions");
  ASSERT_NE(crds, nullptr);
  EXPECT_EQ(crds->group, "apiextensions.k8s.io");
  EXPECT_EQ(crds->types.at(0).kind, "CustomResourceDefinition");

  const ResourceReport* events = Find(*r, "events");
  ASSERT_NE(events, nullptr);
  EXPECT_EQ(events->objects, 3u);
  EXPECT_EQ(events->with_lease, 3u);
  const ResourceReport* services = Find(*r, "services");
  ASSERT_NE(services, nullptr);
  EXPECT_EQ(services->path, "services/specs");

  // Sorted by bytes over all revisions, then name; the sums add up to the registry's keys.
  uint64_t registry_all = 0;
  for (size_t i = 0; i < r->resources.size(); ++i) {
    registry_all += r->resources[i].bytes_all_revisions;
    if (i > 0) {
      EXPECT_GE(r->resources[i - 1].bytes_all_revisions, r->resources[i].bytes_all_revisions);
    }
  }
  EXPECT_EQ(r->resources.front().resource, "pods");
  EXPECT_EQ(registry_all + r->outside.bytes_all_revisions, r->user_bytes);

  // Outside the prefix: compact_rev_key (2 revisions) and /other-app/config.
  EXPECT_EQ(r->outside.objects, 2u);
  EXPECT_EQ(r->outside.revisions, 3u);
  EXPECT_EQ(r->outside.bytes, c.Bytes("compact_rev_key") + c.Bytes("/other-app/config"));
  EXPECT_EQ(r->outside.bytes_all_revisions, c.all.at("compact_rev_key") + c.all.at("/other-app/config"));
  ASSERT_EQ(r->outside.largest.size(), 2u);
  EXPECT_EQ(r->outside.largest[0].key, "/other-app/config");
  EXPECT_EQ(r->outside.largest[1].key, "compact_rev_key");

  // Largest live objects, and the most revised keys (2+ revisions only).
  ASSERT_EQ(r->largest.size(), 10u);
  EXPECT_EQ(r->largest[0].key, web0);
  EXPECT_EQ(r->largest[0].bytes, c.Bytes(web0));
  EXPECT_EQ(r->largest[0].revisions, 3u);
  EXPECT_EQ(r->largest[0].bytes_all_revisions, c.all.at(web0));
  EXPECT_EQ(r->largest[1].key, "/registry/deployments/default/web");
  ASSERT_EQ(r->most_revised.size(), 3u);
  EXPECT_EQ(r->most_revised[0].key, web0);
  EXPECT_EQ(r->most_revised[0].revisions, 3u);
  // gone and compact_rev_key both have 2; gone's history is larger.
  EXPECT_EQ(r->most_revised[1].key, gone);
  EXPECT_FALSE(r->most_revised[1].live);
  EXPECT_EQ(r->most_revised[1].bytes, 0u);
  EXPECT_EQ(r->most_revised[1].bytes_all_revisions, c.all.at(gone));
  EXPECT_EQ(r->most_revised[2].key, "compact_rev_key");

  // Namespaces: default, kube-system, team-a; the namespace object and the CRD are cluster-scoped.
  const std::map<std::string, std::vector<std::string>> members = {
      {"default",
       {web0, "/registry/deployments/default/web", "/registry/deployments/default/old",
        "/registry/secrets/default/s1", "/registry/secrets/default/s2",
        "/registry/secrets/default/plain", "/registry/events/default/e1",
        "/registry/events/default/e2", "/registry/services/specs/default/kubernetes"}},
      {"kube-system", {dns, "/registry/secrets/kube-system/s3", "/registry/events/kube-system/e3"}},
      {"team-a", {"/registry/example.com/widgets/team-a/w1"}},
      {"", {"/registry/namespaces/default",
            "/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com"}}};
  std::map<std::string, std::pair<uint64_t, uint64_t>> ns_expected;
  for (const auto& [ns, keys] : members) {
    for (const std::string& k : keys) {
      ++ns_expected[ns].first;
      ns_expected[ns].second += c.Bytes(k);
    }
  }
  const auto cluster_scoped = ns_expected[""];
  ns_expected.erase("");
  std::map<std::string, std::pair<uint64_t, uint64_t>> ns_got;
  for (const NamespaceReport& n : r->namespaces) ns_got[n.name] = {n.objects, n.bytes};
  EXPECT_EQ(ns_got, ns_expected);
  EXPECT_EQ(ns_got.size(), 3u);
  EXPECT_EQ(r->namespaces.front().name, "default");
  EXPECT_EQ(r->cluster_scoped.objects, cluster_scoped.first);
  EXPECT_EQ(r->cluster_scoped.bytes, cluster_scoped.second);

  // Leases: 2 in the bucket; 3 keys on leases, 1 of them on one the file lacks.
  EXPECT_EQ(r->leases.leases, 2u);
  EXPECT_EQ(r->leases.keys, 3u);
  EXPECT_EQ(r->leases.keys_on_missing, 1u);
  ASSERT_EQ(r->leases.ttls.size(), 2u);
  EXPECT_EQ(r->leases.ttls[0].ttl, 3660);
  EXPECT_EQ(r->leases.ttls[0].leases, 1u);
  EXPECT_EQ(r->leases.ttls[0].keys, 2u);
  EXPECT_EQ(r->leases.ttls[1].ttl, 15);
  EXPECT_EQ(r->leases.ttls[1].keys, 0u);
}

TEST_F(InspectTest, TopNAndPrefixes) {
  const Cluster c = KubernetesCluster();
  const std::string path = Write(c.h, {});
  Result<InspectReport> r = Run(path, 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->largest.size(), 1u);
  EXPECT_EQ(r->most_revised.size(), 1u);
  EXPECT_EQ(r->outside.largest.size(), 1u);
  // No top lists at all.
  r = Run(path, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->largest.empty());
  // Another prefix: every /registry key is then outside.
  r = Run(path, 10, {"/other-app"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->resources.size(), 1u);
  EXPECT_EQ(r->resources[0].prefix, "/other-app");
  EXPECT_EQ(r->resources[0].resource, "config");
  EXPECT_EQ(r->outside.objects, c.latest.size() - 1);
  // Several prefixes at once.
  r = Run(path, 10, {"/other-app", "/registry"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->resources.size(), 9u);
  EXPECT_EQ(r->outside.objects, 1u);
}

TEST_F(InspectTest, CompactedHistory) {
  TestHistory h;
  for (int i = 0; i < 20; ++i) h.Put("/registry/leases/kube-node-lease/n" + std::to_string(i % 4), "x");
  h.Put("/registry/pods/a/p", "y");  // 22
  h.Delete("/registry/pods/a/p");    // 23
  h.Compact(22);
  h.Put("/registry/leases/kube-node-lease/n0", "z");  // 24
  Result<InspectReport> r = Run(Write(h, {}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->revision, 24);
  EXPECT_EQ(r->compact_revision, 22);
  const ResourceReport* leases = Find(*r, "leases");
  ASSERT_NE(leases, nullptr);
  EXPECT_EQ(leases->objects, 4u);
  EXPECT_EQ(leases->revisions, 5u);  // one kept per node, one more for n0
  const ResourceReport* pods = Find(*r, "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->objects, 0u);
  // The put at 22 (the pod's latest revision at the compaction) and the deletion after it.
  EXPECT_EQ(pods->revisions, 2u);
  EXPECT_EQ(pods->deletes, 1u);
  EXPECT_FALSE(r->compact_rev_key.has_value());
}

// A file saved while a compaction ran (meta's scheduledCompactRev above finishedCompactRev)
// still holds what the member opening it removes; the report counts what the compaction keeps,
// so it equals the report on the same history compacted.
TEST_F(InspectTest, PendingCompactionCountsWhatItKeeps) {
  TestHistory h;
  for (int i = 0; i < 12; ++i) {
    h.Put("/registry/leases/kube-node-lease/n" + std::to_string(i % 3), std::string(10 + i, 'l'));
  }                                                                       // 2..13
  h.Put("/registry/pods/a/gone", std::string(40, 'g'));                   // 14
  h.Delete("/registry/pods/a/gone");                                      // 15: dropped whole
  h.Put("/registry/pods/a/kept", std::string(30, 'k'));                   // 16
  h.Put("/registry/pods/a/kept", std::string(31, 'k'));                   // 17: kept
  h.Put("/registry/pods/a/back", "1");                                    // 18
  h.Delete("/registry/pods/a/back");                                      // 19
  h.Compact(5);  // an earlier, finished compaction
  const int64_t c = 20;
  h.Put("/registry/pods/a/back", "22");                                   // 20: the compaction's
  h.Put("/registry/pods/a/kept", std::string(32, 'k'));                   // 21: above it
  h.Delete("/registry/pods/a/back");                                      // 22
  h.Put("/registry/leases/kube-node-lease/n0", "z");                      // 23
  TestHistory pending = h;
  pending.set_compaction_marks(5, c);
  TestHistory compacted = h;
  compacted.Compact(c);

  Result<InspectReport> p = Run(Write(pending, {}, "pending.db"));
  ASSERT_TRUE(p.ok()) << p.status().message();
  Result<InspectReport> f = Run(Write(compacted, {}, "compacted.db"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_LT(compacted.entries().size(), pending.entries().size());
  EXPECT_EQ(p->compact_revision, c);
  EXPECT_EQ(p->revision, 23);
  // What the compaction keeps: per node lease its latest put at or below 20 (3) and n0's at 23;
  // kept at 17 and 21; back's put at 20 and its deletion at 22. gone is dropped whole.
  EXPECT_EQ(p->revisions, 8u);
  EXPECT_EQ(p->deletes, 1u);
  EXPECT_EQ(p->keys, 5u);
  // Keys of 35 (leases) and 21 bytes (pods); the leases' kept values are 19, 20, 21 and 1 bytes.
  EXPECT_EQ(p->user_bytes, (4 * 35 + 19 + 20 + 21 + 1) + (21 + 31) + (21 + 32) + (21 + 2) + 21);
  const ResourceReport* pods = Find(*p, "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->revisions, 4u);
  EXPECT_EQ(pods->deletes, 1u);
  EXPECT_EQ(pods->bytes_all_revisions, (21 + 31) + (21 + 32) + (21 + 2) + 21);
  // Two revisions each now (n0, kept, back); kept's are the largest.
  ASSERT_EQ(p->most_revised.size(), 3u);
  EXPECT_EQ(p->most_revised[0].key, "/registry/pods/a/kept");
  EXPECT_EQ(p->most_revised[0].revisions, 2u);
  EXPECT_EQ(p->most_revised[0].bytes_all_revisions, (21 + 31) + (21 + 32));
  // Every figure of the keys the same as after the compaction; only the file differs.
  EXPECT_EQ(p->revisions, f->revisions);
  EXPECT_EQ(p->deletes, f->deletes);
  EXPECT_EQ(p->keys, f->keys);
  EXPECT_EQ(p->live_keys, f->live_keys);
  EXPECT_EQ(p->user_bytes, f->user_bytes);
  EXPECT_EQ(p->stored_bytes, f->stored_bytes);
  EXPECT_EQ(p->compact_revision, f->compact_revision);
  ASSERT_EQ(p->resources.size(), f->resources.size());
  for (size_t i = 0; i < p->resources.size(); ++i) {
    const ResourceReport &x = p->resources[i], &y = f->resources[i];
    EXPECT_EQ(x.path, y.path);
    EXPECT_EQ(x.objects, y.objects) << x.path;
    EXPECT_EQ(x.bytes, y.bytes) << x.path;
    EXPECT_EQ(x.bytes_all_revisions, y.bytes_all_revisions) << x.path;
    EXPECT_EQ(x.revisions, y.revisions) << x.path;
    EXPECT_EQ(x.deletes, y.deletes) << x.path;
  }
  ASSERT_EQ(p->most_revised.size(), f->most_revised.size());
  for (size_t i = 0; i < p->most_revised.size(); ++i) {
    EXPECT_EQ(p->most_revised[i].key, f->most_revised[i].key);
    EXPECT_EQ(p->most_revised[i].revisions, f->most_revised[i].revisions);
    EXPECT_EQ(p->most_revised[i].bytes_all_revisions, f->most_revised[i].bytes_all_revisions);
  }
}

// A resource whose every key the pending compaction drops has no row, as after the compaction
// (its row was made when its first key was read, before the keep rule took the history back).
TEST_F(InspectTest, PendingCompactionDropsTheRowOfAResourceItDropsWhole) {
  TestHistory h;
  h.Put("/registry/pods/a/p", std::string(40, 'p'));        // 2
  h.Delete("/registry/pods/a/p");                           // 3: the compaction drops pods
  h.Put("/registry/configmaps/a/c", std::string(20, 'c'));  // 4
  TestHistory pending = h;
  pending.set_compaction_marks(std::nullopt, 3);
  TestHistory compacted = h;
  compacted.Compact(3);
  Result<InspectReport> p = Run(Write(pending, {}, "pending.db"));
  ASSERT_TRUE(p.ok()) << p.status().message();
  Result<InspectReport> f = Run(Write(compacted, {}, "compacted.db"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(Find(*f, "pods"), nullptr);
  EXPECT_EQ(Find(*p, "pods"), nullptr);
  ASSERT_EQ(p->resources.size(), 1u);
  EXPECT_EQ(p->resources[0].path, "configmaps");
  EXPECT_EQ(p->resources[0].revisions, 1u);
  ASSERT_EQ(f->resources.size(), 1u);
}

// KMS v2 values name their key encryption key by key ID; a rotation shows as two rows of one
// plugin, counted by the latest value of each object.
TEST_F(InspectTest, KmsV2KeyIdsPerResource) {
  TestHistory h;
  using etcd::testing::KmsV2;
  h.Put("/registry/secrets/a/s1", KmsV2("vault", "kek-1", std::string(100, 'c')));
  h.Put("/registry/secrets/a/s2", KmsV2("vault", "kek-1", std::string(100, 'c')));
  h.Put("/registry/secrets/a/s3", KmsV2("vault", "kek-1", std::string(100, 'c')));
  h.Put("/registry/secrets/a/s1", KmsV2("vault", "kek-2", std::string(100, 'c')));  // rewritten
  h.Put("/registry/secrets/a/s4", Encrypted("kms", "legacy", std::string(50, 'c')));
  Result<InspectReport> r = Run(Write(h, {}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  const ResourceReport* secrets = Find(*r, "secrets");
  ASSERT_NE(secrets, nullptr);
  EXPECT_EQ(secrets->plain, 0u);
  EXPECT_EQ(EncryptionRows(*secrets),
            (std::vector<std::string>{"kms:v2:vault[kek-1] 2", "kms:v2:vault[kek-2] 1",
                                      "kms:v1:legacy 1"}));
}

// Past the caps, resources and namespaces are summed in one "(other)" row each: a file with a
// resource or a namespace per key costs no more than the caps.
TEST_F(InspectTest, ResourcesAndNamespacesPastTheCapsAreSummed) {
  TestHistory h;
  for (int i = 0; i < 6; ++i) {
    const std::string n = std::to_string(i);
    h.Put("/registry/res" + n + "/ns" + n + "/obj", std::string(10 + i, 'v'));
  }
  h.Put("/registry/res4/ns0/obj2", "v");  // an (other) resource, a namespace shown by name
  h.Put("/registry/res0/ns5/obj2", "v");  // a known resource, an (other) namespace
  const std::string path = Write(h, {});
  Result<InspectReport> r =
      Inspect({.path = path, .max_resources = 3, .max_namespaces = 4});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->resources.size(), 4u);
  EXPECT_TRUE(r->resources_capped);
  const ResourceReport& other = r->resources.back();
  EXPECT_TRUE(other.other);
  EXPECT_EQ(other.resource, "(other)");
  EXPECT_EQ(other.objects, 4u);  // res3, res4 (twice), res5
  EXPECT_EQ(other.revisions, 4u);
  const uint64_t key = 22;  // "/registry/resN/nsN/obj"
  EXPECT_EQ(other.bytes, (key + 13) + (key + 14) + (key + 1 + 1) + (key + 15));
  for (size_t i = 0; i + 1 < r->resources.size(); ++i) EXPECT_FALSE(r->resources[i].other);
  EXPECT_EQ(Find(*r, "res0")->objects, 2u);
  // ns0..ns3 by name (the first seen), ns4 and ns5 summed.
  ASSERT_EQ(r->namespaces.size(), 4u);
  EXPECT_EQ(r->other_namespaces.objects, 3u);
  EXPECT_EQ(r->other_namespaces.bytes, (key + 14) + (key + 15) + (key + 1 + 1));
  uint64_t named = 0;
  for (const NamespaceReport& ns : r->namespaces) named += ns.objects;
  EXPECT_EQ(named + r->other_namespaces.objects, r->live_keys);

  // Under the default caps every resource and namespace has its row.
  r = Run(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->resources.size(), 6u);
  EXPECT_FALSE(r->resources_capped);
  EXPECT_EQ(r->namespaces.size(), 6u);
  EXPECT_EQ(r->other_namespaces.objects, 0u);
}

// A crafted file with a namespace per key, a million of them: the report holds the default cap
// of namespaces by name and sums the rest, and the walk finishes (a keyed hash: the names
// cannot be made to collide).
TEST_F(InspectTest, AMillionNamespacesAreCapped) {
  const std::string path = tmp_.Join("namespaces.db");
  constexpr int kKeys = 1000000;
  {
    auto b = bolt::Builder::Create(path, {.persist_freelist = false, .sync = false});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->BeginBucket(etcd::kKeyBucket).ok());
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = "/registry/configmaps/ns-" + std::to_string(i) + "/c";
      ASSERT_TRUE((*b)->Put(RevisionKey(i + 2, 0, false),
                            etcd::testing::MarshalKeyValue(key, i + 2, i + 2, 1, "v"))
                      .ok());
    }
    ASSERT_TRUE((*b)->EndBucket().ok());
    ASSERT_TRUE((*b)->BeginBucket(etcd::kMetaBucket).ok());
    ASSERT_TRUE((*b)->Put("consistent_index", std::string(8, '\1')).ok());
    ASSERT_TRUE((*b)->EndBucket().ok());
    ASSERT_TRUE((*b)->Finish().ok());
  }
  Result<InspectReport> r = Run(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const InspectOptions defaults;
  EXPECT_EQ(r->live_keys, static_cast<uint64_t>(kKeys));
  EXPECT_EQ(r->namespaces.size(), defaults.max_namespaces);
  EXPECT_EQ(r->other_namespaces.objects, kKeys - defaults.max_namespaces);
  ASSERT_EQ(r->resources.size(), 1u);
  EXPECT_EQ(r->resources[0].objects, static_cast<uint64_t>(kKeys));
}

TEST_F(InspectTest, CompressedFileReportsAsThePlainOne) {
  const std::string plain = Write(KubernetesCluster().h, {{100, 3660}});
  std::ifstream in(plain, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (Compression algorithm : {Compression::kZstd, Compression::kGzip}) {
    std::string z;
    auto c = Compressor::Create({.algorithm = algorithm}, [&](std::span<const uint8_t> d) {
      z.append(reinterpret_cast<const char*>(d.data()), d.size());
      return Status::Ok();
    });
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}).ok());
    ASSERT_TRUE((*c)->Finish().ok());
    const std::string path = tmp_.Join(std::string("snap.db.") + CompressionName(algorithm));
    testing::WriteFileOrDie(path, z);
    Result<InspectReport> r = Run(path), p = Run(plain);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(r->compression, algorithm);
    EXPECT_EQ(r->file_size, z.size());
    EXPECT_EQ(r->db_size, p->db_size);
    EXPECT_EQ(r->resources.size(), p->resources.size());
    EXPECT_EQ(r->user_bytes, p->user_bytes);
    EXPECT_EQ(r->largest.front().key, p->largest.front().key);
  }
}

TEST_F(InspectTest, Refusals) {
  auto missing = Run(tmp_.Join("nope.db"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.db"), std::string::npos);
  testing::WriteFileOrDie(tmp_.Join("text"), std::string(8192, 'x'));
  EXPECT_FALSE(Run(tmp_.Join("text")).ok());

  auto no_key = Run(Write(TestHistory(), {}, "nokey.db", false));
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.status().code(), Code::kCorruption);
  EXPECT_NE(no_key.status().message().find("no bucket \"key\""), std::string::npos)
      << no_key.status().message();

  // An entry of `key` whose value is not a KeyValue; a lease that is not a Lease.
  {
    const std::string path = tmp_.Join("badkv.db");
    auto b = bolt::Builder::Create(path, {.persist_freelist = false, .sync = false});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->BeginBucket(etcd::kKeyBucket).ok());
    ASSERT_TRUE((*b)->Put(RevisionKey(2, 0, false), "\x0a\x7f" "abc").ok());
    ASSERT_TRUE((*b)->EndBucket().ok());
    ASSERT_TRUE((*b)->Finish().ok());
    auto r = Run(path);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kCorruption);
    EXPECT_NE(r.status().message().find("revision 2"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(path), std::string::npos);
  }
  {
    const std::string path = tmp_.Join("badrev.db");
    auto b = bolt::Builder::Create(path, {.persist_freelist = false, .sync = false});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->BeginBucket(etcd::kKeyBucket).ok());
    ASSERT_TRUE((*b)->Put("not-a-revision", "").ok());
    ASSERT_TRUE((*b)->EndBucket().ok());
    ASSERT_TRUE((*b)->Finish().ok());
    auto r = Run(path);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("not-a-revision"), std::string::npos)
        << r.status().message();
  }
  {
    const std::string path = tmp_.Join("badlease.db");
    auto b = bolt::Builder::Create(path, {.persist_freelist = false, .sync = false});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->BeginBucket(etcd::kKeyBucket).ok());
    ASSERT_TRUE((*b)->EndBucket().ok());
    ASSERT_TRUE((*b)->BeginBucket(etcd::kLeaseBucket).ok());
    ASSERT_TRUE((*b)->Put(BigEndian64(5), "\x08").ok());
    ASSERT_TRUE((*b)->EndBucket().ok());
    ASSERT_TRUE((*b)->Finish().ok());
    auto r = Run(path);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("bucket \"lease\""), std::string::npos)
        << r.status().message();
  }
}

// Keys crafted to share a hash in the key table (etcd/test_collisions.h): inspect and diff both
// refuse the file with the documented error, naming it, instead of probing on.
TEST_F(InspectTest, TooManyKeysShareAHash) {
  TestHistory h;
  for (const std::string& k : etcd::testing::TooManyCollidingKeys()) h.Put(k, "v");
  const std::string path = Write(h, {}, "collide.db");
  const std::string expected = path + ": bucket \"key\": too many keys share a hash (a crafted file?)";
  Result<InspectReport> r = Run(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  EXPECT_EQ(r.status().message(), expected);
  Result<DiffReport> d = Diff({.a = path, .b = path});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kCorruption);
  EXPECT_EQ(d.status().message(), expected);
  // One key fewer is read whole.
  TestHistory fewer;
  std::vector<std::string> keys = etcd::testing::TooManyCollidingKeys();
  keys.pop_back();
  for (const std::string& k : keys) fewer.Put(k, "v");
  r = Run(Write(fewer, {}, "fewer.db"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->live_keys, keys.size());
}

TEST_F(InspectTest, DamagedPagesFailTheIntegrityCheckInOneLine) {
  TestHistory h;
  for (int i = 0; i < 400; ++i) {
    h.Put("/registry/configmaps/ns/cm-" + std::to_string(i), std::string(100, 'c'));
  }
  const std::string path = Write(h, {});
  // Point a leaf page's header at another page id: the tree walk refuses it.
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(4096 * 3);
  const char bogus[8] = {0x7f, 0, 0, 0, 0, 0, 0, 0};
  f.write(bogus, sizeof bogus);
  f.close();
  auto r = Run(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  const std::string m = r.status().message();
  EXPECT_NE(m.find("integrity check failed"), std::string::npos) << m;
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

}  // namespace
}  // namespace etcdsnap::snapshot
