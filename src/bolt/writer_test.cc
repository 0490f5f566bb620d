// The bbolt writers (Builder, UpdateTx) checked through the reader: what they write reads back
// as the model says, Check() finds nothing wrong (sorted keys, no page referenced twice, the
// freelist exact), and the pages a transaction did not change are untouched.
//
// ETCDSNAP_KEEP_TEST_FILES=<dir> writes the databases into <dir> and keeps them (to run bbolt's
// own check on them by hand).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "etcdsnap/bolt/builder.h"
#include "etcdsnap/bolt/check.h"
#include "etcdsnap/bolt/cursor.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/bolt/update_tx.h"
#include "bolt_dump.h"
#include "temp_dir.h"
#include "test_db.h"

namespace etcdsnap::bolt {
namespace {

using Model = std::map<std::string, std::map<std::string, std::string>>;

using etcdsnap::testing::ReadFileOrEmpty;

std::string Be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

// etcd's revision key: 8-byte big-endian main, '_', 8-byte big-endian sub.
std::string Rev(uint64_t main, uint64_t sub = 0) { return Be64(main) + "_" + Be64(sub); }

std::string Str(Bytes b) { return etcdsnap::testing::BytesString(b); }

Model Dump(const std::string& path, std::map<std::string, uint64_t>* sequences = nullptr) {
  return etcdsnap::testing::DumpBuckets(path, sequences);
}

CheckResult CheckFile(const std::string& path) {
  auto f = File::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().message();
  if (!f.ok()) return {};
  CheckResult r = Check(**f);
  for (size_t i = 0; i < std::min<size_t>(r.errors.size(), 5); ++i) ADD_FAILURE() << r.errors[i];
  return r;
}

// Shape rules bbolt relies on beyond Check: every branch page has at least two children, and
// (for the builder) every leaf page of a tree with several leaves has at least two elements.
// Returns the depth of the deepest tree.
size_t CheckShape(const std::string& path, bool leaves_have_two) {
  auto f = File::Open(path);
  EXPECT_TRUE(f.ok());
  if (!f.ok()) return 0;
  size_t max_depth = 0;
  std::vector<uint8_t> buf;
  std::vector<std::pair<Pgid, size_t>> stack{{(*f)->meta().root, 1}};
  std::set<Pgid> roots{(*f)->meta().root};
  while (!stack.empty()) {
    auto [id, depth] = stack.back();
    stack.pop_back();
    max_depth = std::max(max_depth, depth);
    auto v = (*f)->ReadPage(id, &buf);
    EXPECT_TRUE(v.ok()) << v.status().message();
    if (!v.ok()) return 0;
    const bool is_root = roots.count(id) != 0;
    if (v->is_branch()) {
      EXPECT_GE(v->count(), 2) << "branch page " << id;
      for (uint16_t i = 0; i < v->count(); ++i) stack.emplace_back(v->branch(i).child, depth + 1);
      continue;
    }
    if (leaves_have_two && !is_root) {
      EXPECT_GE(v->count(), 2) << "leaf page " << id;
    }
    for (uint16_t i = 0; i < v->count(); ++i) {
      LeafElement e = v->leaf(i);
      if (!e.is_bucket()) continue;
      auto h = DecodeBucketHeader(e.value);
      if (h.ok() && h->root != 0) {
        roots.insert(h->root);
        stack.emplace_back(h->root, 1);
      }
    }
  }
  return max_depth;
}

class WriterTest : public etcdsnap::testing::TempDirTest {
 protected:
  void SetUp() override {
    if (const char* keep = std::getenv("ETCDSNAP_KEEP_TEST_FILES"); keep && *keep) {
      out_ = keep;
      std::filesystem::create_directories(out_);
    }
  }

  // A fresh path named after the test.
  std::string Path(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string p = out_ + "/" + info->name() + "-" + name;
    std::filesystem::remove(p);
    return p;
  }

  static void Build(const std::string& path, const Model& m, BuildOptions o = {}) {
    o.sync = false;
    auto b = Builder::Create(path, o);
    ASSERT_TRUE(b.ok()) << b.status().message();
    for (const auto& [name, kvs] : m) {
      ASSERT_TRUE((*b)->BeginBucket(name).ok());
      for (const auto& [k, v] : kvs) ASSERT_TRUE((*b)->Put(k, v).ok());
      ASSERT_TRUE((*b)->EndBucket().ok());
    }
    Status s = (*b)->Finish();
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // A copy of a tests/data file, without the last `strip` bytes (a snapshot's sha256).
  std::string CopyData(const std::string& name, size_t strip) {
    std::string bytes = ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/" + name);
    EXPECT_GT(bytes.size(), strip);
    bytes.resize(bytes.size() - strip);
    std::string p = Path(name);
    testing::TestDb::WriteFile(p, bytes);
    return p;
  }

  // The test's TempDir, or the ETCDSNAP_KEEP_TEST_FILES directory (not removed).
  std::string out_ = dir_.string();
};

// An etcd-like model: the ten buckets, `key` holding n revisions.
Model EtcdModel(size_t n) {
  Model m;
  for (const char* b : {"alarm", "auth", "authRoles", "authUsers", "cluster", "lease", "members",
                        "members_removed", "meta"}) {
    m[b];
  }
  m["cluster"]["clusterVersion"] = "3.4.0";
  m["members"]["2c902495a3d372c7"] =
      R"({"id":3211315212563640007,"peerURLs":["http://localhost:2380"],"name":"default"})";
  m["meta"]["consistent_index"] = Be64(12345);
  auto& key = m["key"];
  for (size_t i = 1; i <= n; ++i) {
    key[Rev(i + 1)] = "\x0a\x08/registry" + std::to_string(i) + std::string(20 + i % 40, 'v');
  }
  return m;
}

// The header of top-level bucket `name`'s root page (a zero header for an inline bucket).
PageHeader BucketRootHeader(const std::string& path, const std::string& name) {
  auto f = File::Open(path);
  EXPECT_TRUE(f.ok());
  if (!f.ok()) return {};
  Cursor c(**f, (*f)->meta().root);
  for (Status s = c.First(); s.ok() && c.Valid(); s = c.Next()) {
    if (Str(c.key()) != name) continue;
    auto h = DecodeBucketHeader(c.value());
    if (!h.ok() || h->root == 0) return {};
    std::vector<uint8_t> buf;
    auto v = (*f)->ReadPageBytes(h->root, &buf);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : PageHeader{};
  }
  ADD_FAILURE() << "no bucket " << name;
  return {};
}

// --- Builder -------------------------------------------------------------------------------

TEST_F(WriterTest, BuilderRoundTripsManyBuckets) {
  Model m;
  for (int b = 0; b < 300; ++b) {
    char name[16];
    std::snprintf(name, sizeof name, "bucket%04d", b);
    auto& kvs = m[name];
    for (int k = 0; k < b * 3; ++k) kvs["k" + std::to_string(k)] = std::string(k % 13, 'x');
  }
  const std::string p = Path("db");
  auto b = Builder::Create(p, {});
  ASSERT_TRUE(b.ok());
  for (const auto& [name, kvs] : m) {
    ASSERT_TRUE((*b)->BeginBucket(name, name.size() + 7).ok());
    for (const auto& [k, v] : kvs) ASSERT_TRUE((*b)->Put(k, v).ok());
    ASSERT_TRUE((*b)->EndBucket().ok());
  }
  ASSERT_TRUE((*b)->Finish().ok());
  std::map<std::string, uint64_t> seqs;
  EXPECT_EQ(Dump(p, &seqs), m);
  for (const auto& [name, seq] : seqs) EXPECT_EQ(seq, name.size() + 7) << name;
  CheckResult r = CheckFile(p);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.buckets, 301u);
  EXPECT_EQ(r.inline_buckets, (*b)->stats().inline_buckets);
  EXPECT_GT(r.inline_buckets, 10u);   // the small ones
  EXPECT_LT(r.inline_buckets, 100u);  // the big ones have their own pages
  EXPECT_TRUE(r.freelist_persisted);
  EXPECT_EQ(r.free_pages, 0u);
  EXPECT_GE(CheckShape(p, true), 2u);  // the root bucket itself needs a branch page
  EXPECT_EQ(std::filesystem::file_size(p), r.high_water * 4096);
}

TEST_F(WriterTest, BuilderWritesOverflowValues) {
  Model m;
  auto& big = m["big"];
  for (int i = 0; i < 40; ++i) {
    const size_t size = i % 5 == 0 ? (size_t{1} << (12 + i % 9)) + 3 : 10;  // 4 KiB .. 1 MiB
    big["k" + std::to_string(100 + i)] = std::string(size, static_cast<char>('a' + i % 26));
  }
  m["huge"]["only"] = std::string(3 << 20, 'h');  // a bucket of one leaf spanning 769 pages
  m["small"]["a"] = "1";
  const std::string p = Path("db");
  Build(p, m);
  EXPECT_EQ(Dump(p), m);
  CheckResult r = CheckFile(p);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.inline_buckets, 1u);
  CheckShape(p, true);
}

TEST_F(WriterTest, BuilderFillsLeavesAndBuildsDeepTrees) {
  Model m = EtcdModel(60000);
  const std::string p = Path("db");
  auto b = Builder::Create(p, {});
  ASSERT_TRUE(b.ok());
  uint64_t leaf_bytes = 0;
  for (const auto& [name, kvs] : m) {
    ASSERT_TRUE((*b)->BeginBucket(name).ok());
    for (const auto& [k, v] : kvs) {
      ASSERT_TRUE((*b)->Put(k, v).ok());
      if (name == "key") leaf_bytes += 16 + k.size() + v.size();
    }
    ASSERT_TRUE((*b)->EndBucket().ok());
  }
  ASSERT_TRUE((*b)->Finish().ok());
  EXPECT_EQ(Dump(p), m);
  CheckResult r = CheckFile(p);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.keys, 60000u + 3u);
  EXPECT_EQ(r.inline_buckets, 9u);     // everything but `key`
  EXPECT_EQ(CheckShape(p, true), 3u);  // key: branch, branch, leaf
  // FillPercent 1.0: the key bucket's leaves are full but for less than one element each.
  const BuildStats& st = (*b)->stats();
  const uint64_t key_leaves = st.leaf_pages - 1;  // minus the root bucket's leaf
  EXPECT_LE(key_leaves * (4096 - 16 - 100), leaf_bytes);
  EXPECT_GE(key_leaves * (4096 - 16), leaf_bytes);
}

TEST_F(WriterTest, BuilderInlinesExactlyUpToAQuarterPage) {
  // A leaf of 16 + (16 + 1 + v) bytes: v = 1024 - 33 is exactly page_size/4.
  Model m;
  m["a"]["k"] = std::string(1024 - 33, 'a');
  m["b"]["k"] = std::string(1024 - 32, 'b');
  const std::string p = Path("db");
  Build(p, m);
  auto f = File::Open(p);
  ASSERT_TRUE(f.ok());
  Cursor c(**f, (*f)->meta().root);
  ASSERT_TRUE(c.First().ok());
  EXPECT_EQ(DecodeBucketHeader(c.value())->root, 0u);  // "a": inline
  ASSERT_TRUE(c.Next().ok());
  EXPECT_NE(DecodeBucketHeader(c.value())->root, 0u);  // "b": its own page
  EXPECT_EQ(Dump(p), m);
  EXPECT_TRUE(CheckFile(p).ok());
}

TEST_F(WriterTest, BuilderNeverLeavesALoneElementInAPage) {
  // 1500-byte values: two per 4 KiB page, so odd counts end a level with one element.
  for (int n = 1; n <= 41; ++n) {
    Model m;
    for (int i = 0; i < n; ++i) m["b"]["k" + std::to_string(1000 + i)] = std::string(1500, 'v');
    for (int i = 0; i < n * 40; ++i) m["c"][Rev(i)] = std::string(80, 'w');
    const std::string p = Path("db" + std::to_string(n));
    Build(p, m);
    EXPECT_EQ(Dump(p), m) << n;
    EXPECT_TRUE(CheckFile(p).ok()) << n;
    CheckShape(p, true);
  }
}

TEST_F(WriterTest, BuilderWithoutFreelistIsLikeEtcd) {
  const std::string p = Path("db");
  BuildOptions o;
  o.persist_freelist = false;
  Build(p, EtcdModel(500), o);
  auto f = File::Open(p);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->meta().freelist, kNoFreelist);
  CheckResult r = CheckFile(p);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.free_pages, 0u);
  EXPECT_EQ(Dump(p), EtcdModel(500));
}

TEST_F(WriterTest, BuilderRefusesBadInputAndLeavesNoFile) {
  const std::string p = Path("db");
  {
    auto b = Builder::Create(p, {});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->BeginBucket("b").ok());
    ASSERT_TRUE((*b)->Put("k2", "v").ok());
    Status s = (*b)->Put("k1", "v");
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_NE(s.message().find("\"k1\" does not sort after \"k2\""), std::string::npos)
        << s.message();
    EXPECT_FALSE(std::filesystem::exists(p));
    EXPECT_EQ((*b)->Finish().code(), Code::kInvalidArgument);  // stays failed
  }
  {
    auto b = Builder::Create(p, {});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->BeginBucket("b").ok());
    ASSERT_TRUE((*b)->EndBucket().ok());
    EXPECT_EQ((*b)->BeginBucket("a").code(), Code::kInvalidArgument);
    EXPECT_FALSE(std::filesystem::exists(p));
  }
  {
    auto b = Builder::Create(p, {});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->BeginBucket("b").ok());
    EXPECT_EQ((*b)->Put("", "v").code(), Code::kInvalidArgument);
  }
  {
    auto b = Builder::Create(p, {});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->BeginBucket("b").ok());
    ASSERT_TRUE((*b)->Put("k", "v").ok());
    EXPECT_TRUE(std::filesystem::exists(p));
  }  // dropped before Finish
  EXPECT_FALSE(std::filesystem::exists(p));
  testing::TestDb::WriteFile(p, "precious");
  auto b = Builder::Create(p, {});
  EXPECT_FALSE(b.ok());
  EXPECT_EQ(ReadFileOrEmpty(p), "precious");
}

// --- UpdateTx -------------------------------------------------------------------------------

// restore's edits (etcdutl 3.5): new members, consistent_index and term, a bumped revision.
Status RestoreEdits(UpdateTx& tx, Model* m, uint64_t bump) {
  const std::string member =
      R"({"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"name":"default"})";
  ETCDSNAP_RETURN_IF_ERROR(tx.ClearBucket("members"));
  ETCDSNAP_RETURN_IF_ERROR(tx.ClearBucket("members_removed"));
  ETCDSNAP_RETURN_IF_ERROR(tx.Put("members", "8e9e05c52164694d", member));
  ETCDSNAP_RETURN_IF_ERROR(tx.Put("meta", "consistent_index", Be64(1)));
  ETCDSNAP_RETURN_IF_ERROR(tx.Put("meta", "term", Be64(1)));
  (*m)["members"] = {{"8e9e05c52164694d", member}};
  (*m)["members_removed"].clear();
  (*m)["meta"]["consistent_index"] = Be64(1);
  (*m)["meta"]["term"] = Be64(1);
  if (bump == 0) return Status::Ok();
  Result<std::optional<std::string>> last = tx.LastKey("key");
  if (!last.ok()) return last.status();
  if (!*last || (*last)->size() < 8) return Status::Internal("no revision");
  const uint64_t main = LoadBE64(reinterpret_cast<const uint8_t*>((*last)->data())) + bump;
  ETCDSNAP_RETURN_IF_ERROR(tx.Put("key", Rev(main), ""));
  ETCDSNAP_RETURN_IF_ERROR(tx.Put("meta", "scheduledCompactRev", Rev(main)));
  (*m)["key"][Rev(main)] = "";
  (*m)["meta"]["scheduledCompactRev"] = Rev(main);
  return Status::Ok();
}

// Pages whose bytes differ between two images of the database.
std::set<Pgid> ChangedPages(std::string before, std::string after) {
  std::set<Pgid> out;
  const size_t size = std::max(before.size(), after.size());
  before.resize(size);  // a page past the end of a file reads as zeros here
  after.resize(size);
  for (size_t off = 0; off < size; off += 4096) {
    if (before.compare(off, 4096, after, off, 4096) != 0) out.insert(off / 4096);
  }
  return out;
}

TEST_F(WriterTest, RestoreEditsOnARealSnapshot) {
  for (const auto& [name, strip] : {std::pair<std::string, size_t>{"s1.db", 32},
                                    std::pair<std::string, size_t>{"default-restore-db", 0}}) {
    SCOPED_TRACE(name);
    const std::string p = CopyData(name, strip);
    const std::string before = ReadFileOrEmpty(p);
    Model m = Dump(p);
    ASSERT_EQ(m.count("key"), 1u);
    const size_t keys = m["key"].size();
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok()) << tx.status().message();
    const Meta old = (*tx)->file().meta();
    Status s = RestoreEdits(**tx, &m, 1000);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_TRUE((*tx)->Commit().ok());
    const CommitStats st = (*tx)->stats();
    tx->reset();

    EXPECT_EQ(Dump(p), m);
    EXPECT_EQ(m["key"].size(), keys + 1);
    CheckResult r = CheckFile(p);
    EXPECT_TRUE(r.ok());
    EXPECT_FALSE(r.freelist_persisted);  // NoFreelistSync, as etcd wrote it, is kept
    auto f = File::Open(p);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->meta().txid, old.txid + 1);
    EXPECT_EQ((*f)->meta_state().chosen, static_cast<int>((old.txid + 1) % 2));
    EXPECT_EQ((*f)->meta().pgid, old.pgid + st.pages_written);
    // Copy on write: only the new meta and the pages appended past the old end changed.
    const std::string after = ReadFileOrEmpty(p);
    std::set<Pgid> expected{(old.txid + 1) % 2};
    for (Pgid id = old.pgid; id < old.pgid + st.pages_written; ++id) expected.insert(id);
    EXPECT_EQ(ChangedPages(before, after), expected);
    // So small a snapshot has every bucket, `key` too, inline in the root bucket's leaf: that
    // one page is all the edits rewrite.
    EXPECT_EQ(st.pages_written, 1u);
    EXPECT_EQ(st.pages_freed, 1u);
  }
}

TEST_F(WriterTest, TransactionWithoutCommitChangesNothing) {
  const std::string p = CopyData("s1.db", 32);
  const std::string before = ReadFileOrEmpty(p);
  {
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok());
    Model m;
    ASSERT_TRUE(RestoreEdits(**tx, &m, 5).ok());
    auto got = (*tx)->Get("meta", "term");  // sees its own puts
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(**got, Be64(1));
  }
  EXPECT_EQ(ReadFileOrEmpty(p), before);
}

TEST_F(WriterTest, AppendToADeepBucketRewritesOnlyItsPath) {
  const std::string p = Path("db");
  Model m = EtcdModel(50000);
  Build(p, m);
  const size_t depth = CheckShape(p, true);
  ASSERT_EQ(depth, 3u);
  const std::string before = ReadFileOrEmpty(p);
  auto tx = UpdateTx::Open(p);
  ASSERT_TRUE(tx.ok());
  const Meta old = (*tx)->file().meta();
  auto last = (*tx)->LastKey("key");
  ASSERT_TRUE(last.ok() && *last);
  EXPECT_EQ(**last, m["key"].rbegin()->first);
  ASSERT_TRUE((*tx)->Put("key", Rev(1 << 20), "bumped").ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  const CommitStats st = (*tx)->stats();
  tx->reset();
  m["key"][Rev(1 << 20)] = "bumped";
  EXPECT_EQ(Dump(p), m);
  CheckResult r = CheckFile(p);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.freelist_persisted);
  // Rewritten: the key bucket's three pages on the path, the root bucket's leaf, the freelist.
  EXPECT_EQ(st.pages_written, 3u + 1u + 1u);
  EXPECT_EQ(st.pages_freed, 3u + 1u + 1u);  // their old copies and the old freelist page
  EXPECT_EQ(r.free_pages, 5u);
  std::set<Pgid> expected{(old.txid + 1) % 2};
  for (Pgid id = old.pgid; id < st.high_water; ++id) expected.insert(id);
  EXPECT_EQ(ChangedPages(before, ReadFileOrEmpty(p)), expected);
}

TEST_F(WriterTest, PagesFreedByATransactionAreReusedByTheNext) {
  const std::string p = Path("db");
  Model m = EtcdModel(5000);
  Build(p, m);
  Pgid hwm = 0;
  std::set<Pgid> free_after_first;
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(round);
    const std::string before = ReadFileOrEmpty(p);
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok());
    const Meta old = (*tx)->file().meta();
    // Free before this tx: the ids in the old freelist page.
    std::set<Pgid> was_free;
    {
      std::vector<uint8_t> buf;
      auto v = (*tx)->file().ReadPageBytes(old.freelist, &buf);
      ASSERT_TRUE(v.ok());
      for (size_t i = 0; i < v->count; ++i) was_free.insert(LoadLE64(buf.data() + 16 + 8 * i));
    }
    const std::string k = Rev(100000 + round);
    ASSERT_TRUE((*tx)->Put("key", k, "v").ok());
    ASSERT_TRUE((*tx)->Put("meta", "round", std::to_string(round)).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    const CommitStats st = (*tx)->stats();
    tx->reset();
    m["key"][k] = "v";
    m["meta"]["round"] = std::to_string(round);
    EXPECT_EQ(Dump(p), m);
    EXPECT_TRUE(CheckFile(p).ok());
    // Pages written by this tx were free before it or new: never a page it freed itself.
    for (Pgid id : ChangedPages(before, ReadFileOrEmpty(p))) {
      if (id < 2) continue;
      EXPECT_TRUE(was_free.count(id) || id >= old.pgid) << "page " << id;
    }
    if (round == 0) {
      EXPECT_EQ(st.pages_reused, 0u);  // a fresh build has no free pages
      hwm = st.high_water;
    } else {
      EXPECT_EQ(st.pages_reused, st.pages_written);  // the previous round's pages suffice
      EXPECT_EQ(st.high_water, hwm);
    }
  }
}

TEST_F(WriterTest, BucketsSplitWhenTheyGrowAndInlineWhenTheyShrink) {
  const std::string p = Path("db");
  Model m = EtcdModel(300);
  Build(p, m);
  std::vector<int> order(3000);
  for (int i = 0; i < 3000; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  {
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok());
    for (int i : order) {
      const std::string k = "m" + std::to_string(100000 + i);
      ASSERT_TRUE((*tx)->Put("members", k, std::string(i % 50, 'q')).ok());
      m["members"][k] = std::string(i % 50, 'q');
    }
    // Keys before every existing key of a non-inline bucket: the first branch key changes.
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE((*tx)->Put("key", Be64(0) + std::to_string(1000 + i), "early").ok());
      m["key"][Be64(0) + std::to_string(1000 + i)] = "early";
    }
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(Dump(p), m);
  CheckResult r = CheckFile(p);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.inline_buckets, 8u);  // members is no longer inline
  CheckShape(p, false);
  // Split as bbolt does, not kept as one leaf with overflow pages: a branch above leaves.
  const PageHeader members = BucketRootHeader(p, "members");
  EXPECT_EQ(members.flags, kBranchPageFlag);
  EXPECT_GT(members.count, 20);  // ~100 KB of members at FillPercent 0.5
  EXPECT_EQ(members.overflow, 0u);
  {
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->ClearBucket("members").ok());
    ASSERT_TRUE((*tx)->Put("members", "a", "1").ok());
    ASSERT_TRUE((*tx)->ClearBucket("key").ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    EXPECT_GT((*tx)->stats().pages_freed, 40u);
  }
  m["members"] = {{"a", "1"}};
  m["key"].clear();
  EXPECT_EQ(Dump(p), m);
  r = CheckFile(p);
  EXPECT_TRUE(r.ok());  // the emptied trees' pages are all in the freelist
  EXPECT_EQ(r.inline_buckets, 10u);
}

TEST_F(WriterTest, PersistModeRebuildsTheFreelistOfAnEtcdFile) {
  const std::string p = CopyData("default-restore-db", 0);
  Model m = Dump(p);
  UpdateOptions o;
  o.freelist = FreelistMode::kPersist;
  auto tx = UpdateTx::Open(p, o);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(RestoreEdits(**tx, &m, 0).ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  const CommitStats st = (*tx)->stats();
  tx->reset();
  EXPECT_EQ(Dump(p), m);
  CheckResult r = CheckFile(p);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.freelist_persisted);
  EXPECT_EQ(r.free_pages, st.free_pages);
  EXPECT_EQ(r.reachable_pages + r.free_pages, r.high_water);
}

TEST_F(WriterTest, OtherPageSizes) {
  for (uint32_t ps : {1024u, 16384u, 65536u}) {
    SCOPED_TRACE(ps);
    const std::string p = Path("db" + std::to_string(ps));
    Model m = EtcdModel(3000);
    m["members"]["big"] = std::string(ps / 4, 'm');  // too big to stay inline
    BuildOptions o;
    o.page_size = ps;
    Build(p, m, o);
    EXPECT_TRUE(CheckFile(p).ok());
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(RestoreEdits(**tx, &m, 7).ok());  // members shrinks back to inline
    ASSERT_TRUE((*tx)->Commit().ok());
    tx->reset();
    EXPECT_EQ(Dump(p), m);
    CheckResult r = CheckFile(p);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.inline_buckets, 9u);
  }
}

TEST_F(WriterTest, ValuesLargerThanAPageInATransaction) {
  const std::string p = Path("db");
  Model m = EtcdModel(100);
  Build(p, m);
  for (size_t size : {size_t{10000}, size_t{3000}, size_t{70000}}) {
    SCOPED_TRACE(size);
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Put("lease", "big", std::string(size, 'L')).ok());
    ASSERT_TRUE((*tx)->Put("lease", "small", "s").ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    tx->reset();
    m["lease"]["big"] = std::string(size, 'L');
    m["lease"]["small"] = "s";
    EXPECT_EQ(Dump(p), m);
    EXPECT_TRUE(CheckFile(p).ok());  // the replaced leaf's overflow pages were all freed
  }
}

// A hand-made file with a nested bucket (etcd has none, bbolt allows them): a/n is a bucket
// with its own two-page leaf, persisted freelist.
std::string NestedDb(Pgid* sub_leaf) {
  testing::TestDb db;
  *sub_leaf = db.AddLeaf({{"x", std::string(5000, 'x')}});
  Pgid a = db.AddLeaf({{"k1", "v1"},
                       testing::TestDb::Bucket("n", testing::TestDb::BucketValue(*sub_leaf)),
                       {"z", "zz"}});
  Pgid root =
      db.AddLeaf({testing::TestDb::Bucket("a", testing::TestDb::BucketValue(a)),
                  testing::TestDb::Bucket("b", testing::TestDb::InlineBucket({{"k", "v"}}))});
  Pgid fl = db.AddFreelist({});
  return db.Finish(root, fl);
}

TEST_F(WriterTest, NestedBucketsAreCarriedAndFreedWhole) {
  Pgid sub = 0;
  const std::string p = Path("db");
  testing::TestDb::WriteFile(p, NestedDb(&sub));
  ASSERT_TRUE(CheckFile(p).ok());
  Model m = Dump(p);
  const std::string before = ReadFileOrEmpty(p);
  {
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Put("a", "k2", "v2").ok());
    EXPECT_EQ((*tx)->Put("a", "n", "v").code(), Code::kInvalidArgument);  // n is a bucket
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  m["a"]["k2"] = "v2";
  EXPECT_EQ(Dump(p), m);
  CheckResult r = CheckFile(p);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.buckets, 4u);
  EXPECT_EQ(r.inline_buckets, 1u);  // a holds a sub-bucket: never inline
  const std::string after = ReadFileOrEmpty(p);
  EXPECT_EQ(before.substr(sub * 4096, 2 * 4096), after.substr(sub * 4096, 2 * 4096));
  {
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->ClearBucket("a").ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    // a's leaf, n's two pages, the root bucket's leaf, the previous freelist page.
    EXPECT_EQ((*tx)->stats().pages_freed, 5u);
  }
  m["a"].clear();
  EXPECT_EQ(Dump(p), m);
  r = CheckFile(p);
  EXPECT_TRUE(r.ok());  // the freelist accounts for every page of the nested tree
  EXPECT_EQ(r.buckets, 3u);
}

TEST_F(WriterTest, RefusesAPageOfMoreElementsThanAHeaderCounts) {
  // 16 MiB pages (bbolt accepts them) hold more than 65535 small keys: bbolt's node.write
  // panics there; we must refuse rather than wrap the 16-bit count. Empty values leave the
  // bucket small enough to inline (<= 4 MiB); 64-byte values make it a page of its own.
  for (size_t value : {size_t{0}, size_t{64}}) {
    SCOPED_TRACE(value);
    testing::TestDb db(1u << 24);
    Pgid bucket = db.AddLeaf({});
    Pgid root = db.AddLeaf({testing::TestDb::Bucket("b", testing::TestDb::BucketValue(bucket))});
    const std::string p = Path("db" + std::to_string(value));
    testing::TestDb::WriteFile(p, db.Finish(root));
    const std::string before = ReadFileOrEmpty(p);
    auto tx = UpdateTx::Open(p);
    ASSERT_TRUE(tx.ok()) << tx.status().message();
    for (uint32_t i = 0; i < 0xFFFF; ++i) {
      ASSERT_TRUE((*tx)->Put("b", Be64(i), std::string(value, 'v')).ok());
    }
    Status s = (*tx)->Commit();
    EXPECT_EQ(s.code(), Code::kUnsupported);
    EXPECT_NE(s.message().find("65535 elements"), std::string::npos) << s.message();
    tx->reset();
    EXPECT_TRUE(ReadFileOrEmpty(p) == before);
  }
}

TEST_F(WriterTest, EmptyDatabaseBuildsAndTakesBuckets) {
  const std::string p = Path("db");
  Build(p, {});
  EXPECT_EQ(std::filesystem::file_size(p), 4u * 4096);  // as bbolt's db.init: metas, freelist, root
  EXPECT_TRUE(CheckFile(p).ok());
  auto tx = UpdateTx::Open(p);
  ASSERT_TRUE(tx.ok());
  auto last = (*tx)->LastKey("key");
  EXPECT_EQ(last.status().code(), Code::kNotFound);
  ASSERT_TRUE((*tx)->ClearBucket("key").ok());
  last = (*tx)->LastKey("key");
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value());
  ASSERT_TRUE((*tx)->Commit().ok());
  tx->reset();
  EXPECT_EQ(Dump(p), (Model{{"key", {}}}));
  EXPECT_TRUE(CheckFile(p).ok());
}

TEST_F(WriterTest, CreatesMissingBucketsAndKeepsSequences) {
  const std::string p = Path("db");
  {
    auto b = Builder::Create(p, {});
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE((*b)->BeginBucket("key", 42).ok());
    ASSERT_TRUE((*b)->Put(Rev(2), "x").ok());
    ASSERT_TRUE((*b)->EndBucket().ok());
    ASSERT_TRUE((*b)->Finish().ok());
  }
  auto tx = UpdateTx::Open(p);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ((*tx)->Put("members", "k", "v").code(), Code::kNotFound);
  ASSERT_TRUE((*tx)->CreateBucketIfMissing("members").ok());
  ASSERT_TRUE((*tx)->CreateBucketIfMissing("cluster").ok());
  ASSERT_TRUE((*tx)->Put("members", "k", "v").ok());
  ASSERT_TRUE((*tx)->Put("key", Rev(3), "y").ok());
  EXPECT_EQ((*tx)->Put("key", "", "y").code(), Code::kInvalidArgument);
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ((*tx)->Put("key", Rev(4), "z").code(), Code::kInternal);  // finished
  tx->reset();
  std::map<std::string, uint64_t> seqs;
  EXPECT_EQ(
      Dump(p, &seqs),
      (Model{{"cluster", {}}, {"key", {{Rev(2), "x"}, {Rev(3), "y"}}}, {"members", {{"k", "v"}}}}));
  EXPECT_EQ(seqs["key"], 42u);
  EXPECT_TRUE(CheckFile(p).ok());
}

TEST_F(WriterTest, RefusesALockedFileAndAKeyThatIsABucket) {
  const std::string p = Path("db");
  Build(p, EtcdModel(10));
  auto tx = UpdateTx::Open(p);
  ASSERT_TRUE(tx.ok());
  auto second = UpdateTx::Open(p);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("locked by another process"), std::string::npos)
      << second.status().message();
  tx->reset();
  EXPECT_TRUE(UpdateTx::Open(p).ok());  // released with the transaction

  // A top-level key that is not a bucket (only a hand-made file has one).
  testing::TestDb db;
  Pgid root = db.AddLeaf({{"plain", "v"}});
  const std::string q = Path("plain");
  testing::TestDb::WriteFile(q, db.Finish(root));
  auto t2 = UpdateTx::Open(q);
  ASSERT_TRUE(t2.ok());
  Status s = (*t2)->Put("plain", "k", "v");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("is a key, not a bucket"), std::string::npos) << s.message();
}

TEST_F(WriterTest, RefusesWhatIsNotARegularFile) {
  const std::string fifo = Path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto tx = UpdateTx::Open(fifo);  // must not wait for a writer
  ASSERT_FALSE(tx.ok());
  EXPECT_EQ(tx.status().code(), Code::kInvalidArgument);
  EXPECT_NE(tx.status().message().find("not a regular file"), std::string::npos);
  auto missing = UpdateTx::Open(Path("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("No such file"), std::string::npos)
      << missing.status().message();
}

TEST_F(WriterTest, CorruptPagesAreReportedAndNothingIsWritten) {
  const std::string p = Path("db");
  Build(p, EtcdModel(5000));
  std::string bytes = ReadFileOrEmpty(p);
  auto f = File::Open(p);
  ASSERT_TRUE(f.ok());
  // The key bucket's root (a branch page): make it claim to be a meta page.
  Cursor c(**f, (*f)->meta().root);
  ASSERT_TRUE(c.First().ok());
  while (c.Valid() && Str(c.key()) != "key") ASSERT_TRUE(c.Next().ok());
  const Pgid key_root = DecodeBucketHeader(c.value())->root;
  f->reset();
  bytes[key_root * 4096 + 8] = static_cast<char>(kMetaPageFlag);
  testing::TestDb::WriteFile(p, bytes);
  auto tx = UpdateTx::Open(p);
  ASSERT_TRUE(tx.ok());
  Status s = (*tx)->Put("key", Rev(1 << 30), "v");
  EXPECT_EQ(s.code(), Code::kCorruption);
  EXPECT_NE(s.message().find("page " + std::to_string(key_root) + ": invalid type: meta"),
            std::string::npos)
      << s.message();
  tx->reset();
  EXPECT_EQ(ReadFileOrEmpty(p), bytes);
}

}  // namespace
}  // namespace etcdsnap::bolt
