// The bbolt writers (Builder, UpdateTx) checked through the reader: what they write reads back
// as the model says, Check() finds nothing wrong (sorted keys, no page referenced twice, the
// freelist exact), and the pages a transaction did not change are untouched.
//
// ETCDSNAP_KEEP_TEST_FILES=<dir> writes the databases into <dir> and keeps them (to run bbolt's
// own check on them by hand).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "etcdsnap/bolt/builder.h"
#include "etcdsnap/bolt/check.h"
#include "etcdsnap/bolt/cursor.h"
#include "etcdsnap/bolt/file.h"
#include "test_db.h"

namespace etcdsnap::bolt {
namespace {

using Model = std::map<std::string, std::map<std::string, std::string>>;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

// etcd's revision key: 8-byte big-endian main, '_', 8-byte big-endian sub.
std::string Rev(uint64_t main, uint64_t sub = 0) { return Be64(main) + "_" + Be64(sub); }

std::string Str(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

// Reads every top-level bucket's pairs (and sequences) back through Cursor.
Model Dump(const std::string& path, std::map<std::string, uint64_t>* sequences = nullptr) {
  Model m;
  auto f = File::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().message();
  if (!f.ok()) return m;
  Cursor root(**f, (*f)->meta().root);
  Status s = root.First();
  for (; s.ok() && root.Valid(); s = root.Next()) {
    EXPECT_TRUE(root.IsBucket());
    auto& bucket = m[Str(root.key())];
    auto h = DecodeBucketHeader(root.value());
    EXPECT_TRUE(h.ok());
    if (!h.ok()) continue;
    if (sequences != nullptr) (*sequences)[Str(root.key())] = h->sequence;
    std::unique_ptr<Cursor> c = h->root != 0
                                    ? std::make_unique<Cursor>(**f, h->root)
                                    : std::make_unique<Cursor>(**f, h->inline_page, "inline");
    Status cs = c->First();
    for (; cs.ok() && c->Valid(); cs = c->Next()) bucket[Str(c->key())] = Str(c->value());
    EXPECT_TRUE(cs.ok()) << cs.message();
  }
  EXPECT_TRUE(s.ok()) << s.message();
  return m;
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

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* keep = std::getenv("ETCDSNAP_KEEP_TEST_FILES"); keep && *keep) {
      dir_ = keep;
      keep_ = true;
      std::filesystem::create_directories(dir_);
    } else {
      char tmpl[] = "/tmp/bolt_writer_test.XXXXXX";
      dir_ = ::mkdtemp(tmpl);
    }
  }
  void TearDown() override {
    if (!keep_) std::filesystem::remove_all(dir_);
  }

  // A fresh path named after the test.
  std::string Path(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string p = dir_ + "/" + info->name() + "-" + name;
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
    std::string bytes = ReadAll(std::string(ETCDSNAP_TEST_DATA_DIR) + "/" + name);
    EXPECT_GT(bytes.size(), strip);
    bytes.resize(bytes.size() - strip);
    std::string p = Path(name);
    testing::TestDb::WriteFile(p, bytes);
    return p;
  }

  std::string dir_;
  bool keep_ = false;
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
  EXPECT_EQ(ReadAll(p), "precious");
}

}  // namespace
}  // namespace etcdsnap::bolt
