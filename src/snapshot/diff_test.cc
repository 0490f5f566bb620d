// The diff use case on two files written from one model of etcd's store (etcd/test_history.h),
// saved at two points of its history: every kind of change, the noisy resources hidden, the
// keys listed, one resource alone; and files of two clusters, or in the wrong order, warned
// about and compared by value.
#include "etcdsnap/snapshot/diff.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "etcdsnap/snapshot/manifest.h"
#include "temp_dir.h"
#include "test_backend.h"
#include "test_kubernetes.h"

namespace etcdsnap::snapshot {
namespace {

using etcd::testing::ProtobufEnvelope;
using etcd::testing::TestHistory;

class DiffTest : public ::testing::Test {
 protected:
  // a: the history up to here; b: after more changes. Same member (one cluster).
  void SetUp() override {
    h_.Put("/registry/pods/default/p1", ProtobufEnvelope("v1", "Pod", "one"));
    h_.Put("/registry/pods/default/p2", ProtobufEnvelope("v1", "Pod", "two"));
    h_.Put("/registry/pods/team-a/p3", ProtobufEnvelope("v1", "Pod", "three"));
    h_.Put("/registry/configmaps/default/c1", ProtobufEnvelope("v1", "ConfigMap", "cm"));
    h_.Put("/registry/example.com/widgets/team-a/w1", R"({"kind":"Widget"})");
    h_.Put("/registry/events/default/e1", ProtobufEnvelope("v1", "Event", "e"));
    h_.Put("/registry/leases/kube-node-lease/n1", ProtobufEnvelope("coordination.k8s.io/v1", "Lease", "l"));
    h_.Put("compact_rev_key", "3");
    h_.Put("/registry/pods/default/gone-before", ProtobufEnvelope("v1", "Pod", "x"));
    h_.Delete("/registry/pods/default/gone-before");
    a_ = h_;
    h_.Put("/registry/pods/default/p2", ProtobufEnvelope("v1", "Pod", "two, updated"));
    h_.Delete("/registry/pods/team-a/p3");
    h_.Put("/registry/pods/team-a/p4", ProtobufEnvelope("v1", "Pod", "four"));
    h_.Delete("/registry/configmaps/default/c1");
    h_.Put("/registry/configmaps/default/c1", ProtobufEnvelope("v1", "ConfigMap", "cm"));
    h_.Put("/registry/events/default/e1", ProtobufEnvelope("v1", "Event", "e, again"));
    h_.Put("/registry/leases/kube-node-lease/n1", ProtobufEnvelope("coordination.k8s.io/v1", "Lease", "m"));
    h_.Put("compact_rev_key", "12");
    h_.Put("/other-app/x", "new");
  }

  std::string Write(const TestHistory& h, const std::string& name,
                    std::vector<uint64_t> members = {0x1111}) {
    const std::string path = tmp_.Join(name);
    std::filesystem::remove(path);
    testing::WriteBackend(path, h, {.members = std::move(members), .removed_members = {0x2222}});
    return path;
  }

  Result<DiffReport> Run(DiffOptions o) {
    if (o.a.empty()) o.a = Write(a_, "a.db");
    if (o.b.empty()) o.b = Write(h_, "b.db");
    return Diff(o);
  }

  static const ResourceDiff* Find(const DiffReport& r, const std::string& resource) {
    for (const ResourceDiff& d : r.resources) {
      if (d.resource == resource) return &d;
    }
    return nullptr;
  }

  TestHistory h_, a_;
  testing::TempDir tmp_{"etcdsnap-diff"};
};

TEST_F(DiffTest, EveryKindOfChangeWithinOneHistory) {
  Result<DiffReport> r = Run({.keys = true});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->by_value);
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.front();
  EXPECT_EQ(r->a.revision, a_.current());
  EXPECT_EQ(r->b.revision, h_.current());
  EXPECT_EQ(r->a.live_keys, 8u);
  EXPECT_EQ(r->b.live_keys, 9u);
  EXPECT_EQ(r->a.member_ids, (std::vector<uint64_t>{0x1111, 0x2222}));

  // pods: p1 unchanged, p2 modified, p3 removed, p4 added (gone-before: deleted in both).
  const ResourceDiff* pods = Find(*r, "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->added, 1u);
  EXPECT_EQ(pods->removed, 1u);
  EXPECT_EQ(pods->modified, 1u);
  EXPECT_EQ(pods->recreated, 0u);
  EXPECT_EQ(pods->unchanged, 1u);
  const uint64_t p1 = 25 + ProtobufEnvelope("v1", "Pod", "one").size();
  const uint64_t p2a = 25 + ProtobufEnvelope("v1", "Pod", "two").size();
  const uint64_t p2b = 25 + ProtobufEnvelope("v1", "Pod", "two, updated").size();
  const uint64_t p3 = 24 + ProtobufEnvelope("v1", "Pod", "three").size();
  const uint64_t p4 = 24 + ProtobufEnvelope("v1", "Pod", "four").size();
  EXPECT_EQ(pods->bytes_a, p1 + p2a + p3);
  EXPECT_EQ(pods->bytes_b, p1 + p2b + p4);
  // configmaps: c1 deleted and made again (same bytes): recreated.
  const ResourceDiff* cms = Find(*r, "configmaps");
  ASSERT_NE(cms, nullptr);
  EXPECT_EQ(cms->recreated, 1u);
  EXPECT_EQ(cms->changes(), 1u);
  const ResourceDiff* widgets = Find(*r, "widgets");
  ASSERT_NE(widgets, nullptr);
  EXPECT_EQ(widgets->group, "example.com");
  EXPECT_EQ(widgets->unchanged, 1u);
  EXPECT_EQ(widgets->changes(), 0u);
  // Events, leases and compact_rev_key changed but are hidden; /other-app/x is shown, last.
  EXPECT_EQ(Find(*r, "events"), nullptr);
  EXPECT_EQ(Find(*r, "leases"), nullptr);
  EXPECT_EQ(r->hidden, (std::vector<std::string>{"compact_rev_key", "events", "leases"}));
  EXPECT_EQ(r->hidden_changes, 3u);
  ASSERT_EQ(r->resources.size(), 4u);
  EXPECT_EQ(r->resources[0].resource, "pods");  // the most changes first
  EXPECT_EQ(r->resources.back().resource, "");   // outside the prefix
  EXPECT_EQ(r->resources.back().added, 1u);

  // The changed keys, by resource then key.
  std::vector<std::string> keys;
  for (const KeyDiff& k : r->keys) keys.push_back(std::string(ChangeName(k.change)) + " " + k.key);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "added /other-app/x", "recreated /registry/configmaps/default/c1",
                      "modified /registry/pods/default/p2", "removed /registry/pods/team-a/p3",
                      "added /registry/pods/team-a/p4"}));
  const KeyDiff& p2 = r->keys[2];
  EXPECT_EQ(p2.resource, "pods");
  EXPECT_EQ(p2.bytes_a, p2a);
  EXPECT_EQ(p2.bytes_b, p2b);
  EXPECT_LT(p2.mod_revision_a, p2.mod_revision_b);
  EXPECT_EQ(r->keys[3].bytes_b, 0u);
  EXPECT_EQ(r->keys[3].mod_revision_b, 0);
}

// diff reads each key's latest state, which a compaction never drops (it keeps every key's
// latest put): a file saved while a compaction ran (scheduledCompactRev above
// finishedCompactRev) diffs as the same history compacted.
TEST_F(DiffTest, APendingCompactionChangesNothing) {
  const int64_t c = h_.current() - 3;
  TestHistory pending = h_, compacted = h_;
  pending.set_compaction_marks(std::nullopt, c);
  compacted.Compact(c);
  ASSERT_LT(compacted.entries().size(), pending.entries().size());
  const std::string p = Write(pending, "pending.db"), f = Write(compacted, "compacted.db");
  Result<DiffReport> same = Run({.a = p, .b = f, .all = true, .keys = true});
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_TRUE(same->warnings.empty()) << same->warnings.front();
  EXPECT_EQ(same->a.compact_revision, c);
  EXPECT_EQ(same->b.compact_revision, c);
  EXPECT_EQ(same->a.live_keys, same->b.live_keys);
  EXPECT_TRUE(same->keys.empty()) << same->keys.front().key;
  ASSERT_FALSE(same->resources.empty());
  for (const ResourceDiff& d : same->resources) {
    EXPECT_EQ(d.changes(), 0u) << d.path;
    EXPECT_EQ(d.bytes_a, d.bytes_b) << d.path;
  }
  // Against the older file a, the pending one reports what the compacted one does.
  const std::string a = Write(a_, "a.db");
  Result<DiffReport> from_p = Run({.a = a, .b = p, .all = true, .keys = true});
  Result<DiffReport> from_f = Run({.a = a, .b = f, .all = true, .keys = true});
  ASSERT_TRUE(from_p.ok() && from_f.ok());
  ASSERT_EQ(from_p->keys.size(), 8u);
  ASSERT_EQ(from_p->keys.size(), from_f->keys.size());
  for (size_t i = 0; i < from_p->keys.size(); ++i) {
    EXPECT_EQ(from_p->keys[i].key, from_f->keys[i].key);
    EXPECT_EQ(from_p->keys[i].change, from_f->keys[i].change) << from_p->keys[i].key;
  }
}

// Past max_resources, the resources are summed in one (other) row, before the keys outside the
// prefixes: a file crafted with a resource per key costs no more rows than the cap.
TEST_F(DiffTest, ResourcesPastTheCapAreSummed) {
  Result<DiffReport> r = Run({.max_resources = 1});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->resources_capped);
  ASSERT_EQ(r->resources.size(), 3u);
  // The first resource met (in a's key order: pods) by name; configmaps and widgets summed.
  EXPECT_EQ(r->resources[0].resource, "pods");
  EXPECT_FALSE(r->resources[0].other);
  const ResourceDiff& other = r->resources[1];
  EXPECT_TRUE(other.other);
  EXPECT_EQ(other.resource, "(other)");
  EXPECT_EQ(other.recreated, 1u);  // c1
  EXPECT_EQ(other.unchanged, 1u);  // w1
  EXPECT_EQ(r->resources[2].resource, "");  // outside the prefix, last
  // Uncapped: each its row.
  r = Run({});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->resources_capped);
  EXPECT_EQ(r->resources.size(), 4u);
}

TEST_F(DiffTest, AllShowsTheNoisyResourcesAndAResourceAlone) {
  Result<DiffReport> r = Run({.all = true});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->hidden.empty());
  ASSERT_NE(Find(*r, "events"), nullptr);
  EXPECT_EQ(Find(*r, "events")->modified, 1u);
  EXPECT_EQ(Find(*r, "leases")->modified, 1u);
  EXPECT_EQ(r->resources.back().modified, 1u);  // compact_rev_key
  EXPECT_EQ(r->resources.back().added, 1u);     // /other-app/x
  EXPECT_TRUE(r->keys.empty());                 // not asked

  // One resource, by its name, its qualified name or its path; hidden ones too when named.
  for (const char* name : {"events", "widgets.example.com", "widgets", "example.com/widgets"}) {
    r = Run({.resource = name, .keys = true});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->resources.size(), 1u) << name;
    EXPECT_TRUE(r->hidden.empty());
    EXPECT_TRUE(r->warnings.empty());
  }
  EXPECT_EQ(r->resources[0].resource, "widgets");
  r = Run({.resource = "services"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->resources.empty());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("no key of resource \"services\""), std::string::npos);
}

TEST_F(DiffTest, FilesOfTwoClustersAreComparedByValue) {
  // b restored with new member IDs: no shared ID.
  const std::string a = Write(a_, "a.db", {0x1111});
  const std::string b = tmp_.Join("b.db");
  testing::WriteBackend(b, h_, {.members = {0x3333}});
  Result<DiffReport> r = Diff({.a = a, .b = b});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->by_value);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("share no member ID"), std::string::npos) << r->warnings[0];
  // c1 has the same bytes: unchanged by value; p2's bytes changed.
  EXPECT_EQ(Find(*r, "configmaps")->unchanged, 1u);
  EXPECT_EQ(Find(*r, "configmaps")->recreated, 0u);
  EXPECT_EQ(Find(*r, "pods")->modified, 1u);
  EXPECT_EQ(Find(*r, "pods")->unchanged, 1u);
}

// The usual recovery: restored with the same member names, peer URLs and token, so the same
// member IDs, then written to: the revision after the snapshot's holds another value in each
// file. Revisions alone would call the key unchanged.
TEST_F(DiffTest, ARestoreThatKeptTheMemberIdsIsCaughtByItsValues) {
  TestHistory before_restore = a_, after_restore = a_;
  before_restore.Put("/registry/configmaps/default/c1", ProtobufEnvelope("v1", "ConfigMap", "A"));
  after_restore.Put("/registry/configmaps/default/c1", ProtobufEnvelope("v1", "ConfigMap", "B"));
  ASSERT_EQ(before_restore.current(), after_restore.current());
  const std::string a = Write(before_restore, "a.db"), b = Write(after_restore, "b.db");
  Result<DiffReport> r = Diff({.a = a, .b = b, .keys = true});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->by_value);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("hold different values at the same revision for 1 key "
                                "(\"/registry/configmaps/default/c1\"): their histories split"),
            std::string::npos)
      << r->warnings[0];
  ASSERT_NE(Find(*r, "configmaps"), nullptr);
  EXPECT_EQ(Find(*r, "configmaps")->modified, 1u);
  EXPECT_EQ(Find(*r, "configmaps")->unchanged, 0u);
  EXPECT_EQ(Find(*r, "pods")->unchanged, 3u);
  ASSERT_EQ(r->keys.size(), 1u);
  EXPECT_EQ(r->keys[0].key, "/registry/configmaps/default/c1");
}

TEST_F(DiffTest, ManifestsOfTwoClustersAndFilesInTheWrongOrder) {
  const std::string a = Write(a_, "a.db"), b = Write(h_, "b.db");
  Manifest m;
  m.file = "a.db";
  m.cluster_id = 0xaaaa;
  ASSERT_TRUE(WriteManifest(a, m).ok());
  m.file = "b.db";
  m.cluster_id = 0xbbbb;
  ASSERT_TRUE(WriteManifest(b, m).ok());
  Result<DiffReport> r = Diff({.a = b, .b = a});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->by_value);
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_NE(r->warnings[0].find("different clusters (cluster bbbb and aaaa"), std::string::npos)
      << r->warnings[0];
  EXPECT_NE(r->warnings[1].find("is below"), std::string::npos) << r->warnings[1];
  EXPECT_EQ(r->a.cluster_id, 0xbbbbu);
  // Reversed: p4 is removed, p3 added.
  EXPECT_EQ(Find(*r, "pods")->added, 1u);
  EXPECT_EQ(Find(*r, "pods")->removed, 1u);
}

TEST_F(DiffTest, Refusals) {
  const std::string a = Write(a_, "a.db");
  auto missing = Diff({.a = a, .b = tmp_.Join("nope.db")});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.db"), std::string::npos);
  const std::string no_key = tmp_.Join("nokey.db");
  testing::WriteBackend(no_key, TestHistory(), {.with_key_bucket = false});
  auto r = Diff({.a = no_key, .b = a});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no bucket \"key\""), std::string::npos)
      << r.status().message();
  // A manifest that is not one: a warning, the diff goes on.
  testing::WriteFileOrDie(a + ".json", "{not json");
  r = Diff({.a = a, .b = a});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_NE(r->warnings[0].find(a + ".json"), std::string::npos) << r->warnings[0];
  for (const ResourceDiff& d : r->resources) EXPECT_EQ(d.changes(), 0u);
}

}  // namespace
}  // namespace etcdsnap::snapshot
