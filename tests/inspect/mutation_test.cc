// The mutation campaign: bbolt files mutated in page headers (flags, count, overflow, id),
// element headers (pos, ksize, vsize, flags, child page id), page order (two pages swapped, with
// and without their ids fixed), bucket headers and inline pages, the freelist, the meta fields
// (checksum recomputed) and seeded random bytes. The sources are s1.db (an etcdctl snapshot),
// etcd-branches.db (one with branch and overflow pages), default-restore-db (a raw
// member/snap/db, no trailer) and an etcd-shaped generated file with a persisted freelist. A file
// that carried a sha256 trailer gets it recomputed after the mutation, so verify must find the
// damage in the structure itself.
//
// The oracle is the real bbolt 1.3.6 (tests/oracle/bbolt_check.go: tx.Check() plus a walk of
// every bucket): whatever it rejects or cannot walk, `snapshot verify` must reject (exit 1).
// When bbolt accepts the file, `etcdctl snapshot status` (which walks every top-level bucket
// with bbolt) is a second oracle. verify and status must never crash or hang (exit 0 or 1).
// Each failure names the source, the mutation and the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>
#include <set>

#include "forked_cli.h"
#include "generated_db.h"
#include "inspect_util.h"

namespace etcdsnap::inspect_test {
namespace {

constexpr uint64_t kSeed = 0x9e3779b97f4a7c15ull;
constexpr int kRandomFlips = 20;  // per source

std::string OracleBinary() { return std::string(ETCDSNAP_ORACLE_DIR) + "/bbolt_check"; }

const uint8_t* At(const std::string& s, size_t at) {
  return reinterpret_cast<const uint8_t*>(s.data()) + at;
}
uint64_t Get64(const std::string& s, size_t at) { return bolt::LoadLE64(At(s, at)); }
uint32_t Get32(const std::string& s, size_t at) { return bolt::LoadLE32(At(s, at)); }
uint16_t Get16(const std::string& s, size_t at) { return bolt::LoadLE16(At(s, at)); }
void Put16(std::string& s, size_t at, uint16_t v) {
  s[at] = static_cast<char>(v);
  s[at + 1] = static_cast<char>(v >> 8);
}

// What the mutations aim at, found by walking a sound source file.
struct Layout {
  uint32_t page_size = 0;
  Pgid hwm = 0, root = 0, freelist = bolt::kNoFreelist;
  size_t meta_at = 0;                 // offset of the chosen meta struct
  std::vector<Pgid> tree_pages;       // reachable branch and leaf pages
  std::map<Pgid, Pgid> parent;        // tree page -> the page that points at it (0: a bucket)
  std::vector<size_t> bucket_values;  // offsets of bucket values (root at +0)
  std::vector<size_t> inline_pages;   // offsets of inline page headers
  struct Element {
    size_t at;    // offset of the element header
    size_t page;  // offset of its page (or inline page image)
    bool leaf;
  };
  std::vector<Element> elements;  // the first and last of each page
};

void WalkPage(const std::string& db, Layout* l, Pgid id, Pgid parent);

void WalkLeafElements(const std::string& db, Layout* l, size_t page_at) {
  const uint16_t count = Get16(db, page_at + 10);
  for (uint16_t i = 0; i < count; ++i) {
    const size_t e = page_at + 16 + 16 * size_t{i};
    if (i == 0 || i + 1 == count) l->elements.push_back({e, page_at, true});
    if ((Get32(db, e) & bolt::kBucketLeafFlag) == 0) continue;
    const size_t value = e + Get32(db, e + 4) + Get32(db, e + 8);
    l->bucket_values.push_back(value);
    const Pgid root = Get64(db, value);
    if (root != 0) {
      WalkPage(db, l, root, 0);
    } else {
      l->inline_pages.push_back(value + 16);
      WalkLeafElements(db, l, value + 16);
    }
  }
}

void WalkPage(const std::string& db, Layout* l, Pgid id, Pgid parent) {
  l->tree_pages.push_back(id);
  l->parent[id] = parent;
  const size_t at = id * l->page_size;
  if (Get16(db, at + 8) == bolt::kLeafPageFlag) {
    WalkLeafElements(db, l, at);
    return;
  }
  const uint16_t count = Get16(db, at + 10);
  for (uint16_t i = 0; i < count; ++i) {
    const size_t e = at + 16 + 16 * size_t{i};
    if (i == 0 || i + 1 == count) l->elements.push_back({e, at, false});
    WalkPage(db, l, Get64(db, e + 8), id);
  }
}

Layout Parse(const std::string& db) {
  Layout l;
  l.page_size = Get32(db, 16 + 8);
  const int chosen = Get64(db, l.page_size + 16 + 48) > Get64(db, 16 + 48) ? 1 : 0;
  l.meta_at = chosen * l.page_size + 16;
  l.root = Get64(db, l.meta_at + 16);
  l.freelist = Get64(db, l.meta_at + 32);
  l.hwm = Get64(db, l.meta_at + 40);
  WalkPage(db, &l, l.root, 0);
  return l;
}

// A mutant, as the bytes that differ from its source: the campaign's 871 whole copies made
// each forked run's leak check scan ~60 MB of the test's heap.
struct Mutation {
  std::string what;
  std::vector<std::pair<size_t, char>> changed;  // offset, new byte

  std::string Apply(const std::string& db) const {  // without trailer
    std::string b = db;
    for (const auto& [at, c] : changed) b[at] = c;
    return b;
  }
};

// Builds the deterministic list of mutations of one sound source.
class Mutator {
 public:
  Mutator(const std::string& db, uint64_t seed) : db_(db), l_(Parse(db)), rng_(seed) {
    // etcd's inline buckets look alike: mutate the first, a middle and the last only.
    const std::vector<size_t>& in = l_.inline_pages;
    if (!in.empty()) inline_ = {in.front(), in[in.size() / 2], in.back()};
  }

  std::vector<Mutation> All() {
    // Every branch page, every page with overflow, the root, and the first and the last of the
    // other leaves: a bigger file adds kinds of pages, not copies of them.
    std::vector<Pgid> leaves;
    for (Pgid p : l_.tree_pages) {
      const size_t at = p * l_.page_size;
      if (p == l_.root || Get16(db_, at + 8) == bolt::kBranchPageFlag || Get32(db_, at + 12) > 0) {
        targets_.insert(p);
      } else {
        leaves.push_back(p);
      }
    }
    if (!leaves.empty()) targets_.insert({leaves.front(), leaves.back()});
    for (Pgid p : targets_) PageHeader(p, "page " + std::to_string(p));
    for (const Layout::Element& e : l_.elements) {
      const bool in_target = e.page % l_.page_size == 0 && targets_.count(e.page / l_.page_size);
      if (in_target || inline_.count(e.page) > 0) Element(e.at, e.leaf);
    }
    Swaps();
    Buckets();
    if (l_.freelist != bolt::kNoFreelist) Freelist();
    Metas();
    RandomFlips();
    return std::move(out_);
  }

 private:
  void Add(std::string what, const std::function<void(std::string&)>& edit) {
    std::string b = db_;
    edit(b);
    EXPECT_EQ(b.size(), db_.size()) << what;  // an edit changes bytes, never the length
    Mutation m{std::move(what), {}};
    for (size_t i = 0; i < b.size() && i < db_.size(); ++i) {
      if (b[i] != db_[i]) m.changed.emplace_back(i, b[i]);
    }
    if (!m.changed.empty()) out_.push_back(std::move(m));
  }
  void Add16(const std::string& what, size_t at, uint16_t v) {
    Add(what + "=" + std::to_string(v), [&](std::string& b) { Put16(b, at, v); });
  }
  void Add32(const std::string& what, size_t at, uint32_t v) {
    Add(what + "=" + std::to_string(v), [&](std::string& b) { TestDb::Put32(b, at, v); });
  }
  void Add64(const std::string& what, size_t at, uint64_t v) {
    Add(what + "=" + std::to_string(v), [&](std::string& b) { TestDb::Put64(b, at, v); });
  }
  Pgid OtherTreePage(Pgid not_this) {
    for (Pgid p : l_.tree_pages) {
      if (p != not_this) return p;
    }
    return not_this + 1;
  }

  // A page header at `at` (a page, or an inline page image).
  void PageHeader(size_t page, const std::string& what) {
    HeaderAt(page * l_.page_size, what, true);
  }
  void HeaderAt(size_t at, const std::string& what, bool with_id) {
    for (uint16_t f : {0x00, 0x01, 0x02, 0x03, 0x10, 0x12}) Add16(what + " flags", at + 8, f);
    const uint16_t count = Get16(db_, at + 10);
    for (uint16_t c : {uint16_t(count + 1), uint16_t(0), uint16_t(0xffff)}) {
      Add16(what + " count", at + 10, c);
    }
    if (!with_id) return;  // an inline page's overflow and id are never read
    const uint32_t overflow = Get32(db_, at + 12);
    for (uint32_t o : {overflow + 1, overflow - 1, 0x7fffffffu})
      Add32(what + " overflow", at + 12, o);
    const Pgid id = Get64(db_, at);
    for (Pgid v : {id + 1, Pgid{0}, OtherTreePage(id)}) Add64(what + " id", at, v);
  }

  void Element(size_t e, bool leaf) {
    const std::string what = "element at " + std::to_string(e);
    const size_t pos = leaf ? e + 4 : e, ksize = pos + 4;
    const uint32_t p = Get32(db_, pos), k = Get32(db_, ksize);
    for (uint32_t v : {p + 1, 0u, 0xffffffffu}) Add32(what + " pos", pos, v);
    for (uint32_t v : {k + 1, 0u, 0xffffffffu}) Add32(what + " ksize", ksize, v);
    if (leaf) {
      const uint32_t vs = Get32(db_, e + 12);
      for (uint32_t v : {vs - 1, 8u, 0xffffffffu}) Add32(what + " vsize", e + 12, v);
      Add32(what + " flags", e, Get32(db_, e) ^ 1u);
      return;
    }
    const Pgid self = e / l_.page_size, child = Get64(db_, e + 8);
    for (Pgid v : {Pgid{1}, self, l_.parent[self], l_.hwm, OtherTreePage(child)}) {
      Add64(what + " child", e + 8, v);
    }
  }

  // Neighbours among the target pages, and the first with the last.
  void Swaps() {
    std::vector<Pgid> pages(targets_.begin(), targets_.end());
    if (l_.freelist != bolt::kNoFreelist) pages.push_back(l_.freelist);
    std::vector<std::pair<Pgid, Pgid>> pairs;
    for (size_t i = 0; i + 1 < pages.size(); ++i) pairs.push_back({pages[i], pages[i + 1]});
    if (pages.size() > 2) pairs.push_back({pages.front(), pages.back()});
    for (const auto& pair : pairs) {
      const Pgid pa = pair.first, pb = pair.second;  // clang 14 cannot capture a binding
      const size_t a = pa * l_.page_size, b = pb * l_.page_size, n = l_.page_size;
      const std::string what = "swap pages " + std::to_string(pa) + " and " + std::to_string(pb);
      auto swap = [=](std::string& s) {
        const std::string first = s.substr(a, n);
        s.replace(a, n, s.substr(b, n));
        s.replace(b, n, first);
      };
      Add(what, swap);
      Add(what + " with their ids fixed", [&](std::string& s) {
        swap(s);
        TestDb::Put64(s, a, pa);
        TestDb::Put64(s, b, pb);
      });
    }
  }

  void Buckets() {
    for (size_t v : l_.bucket_values) {
      const std::string what = "bucket value at " + std::to_string(v);
      const Pgid root = Get64(db_, v);
      if (root == 0 && inline_.count(v + 16) == 0) continue;  // the inline buckets not chosen
      for (Pgid r : {Pgid{0}, Pgid{1}, l_.hwm, l_.root, OtherTreePage(root)}) {
        Add64(what + " root", v, r);
      }
      Add64(what + " sequence", v + 8, 77);  // harmless
    }
    for (size_t p : inline_) HeaderAt(p, "inline page at " + std::to_string(p), false);
  }

  void Freelist() {
    const size_t at = l_.freelist * l_.page_size;
    const std::string what = "freelist";
    for (uint16_t f : {0x00, 0x02, 0x12, 0x14}) Add16(what + " flags", at + 8, f);
    const uint16_t count = Get16(db_, at + 10);
    for (uint16_t c : {uint16_t(count + 1), uint16_t(count - 1), uint16_t(0xffff), uint16_t(600)}) {
      Add16(what + " count", at + 10, c);
    }
    for (Pgid id : {l_.root, Pgid{0}, Pgid{1}, l_.hwm, l_.freelist, OtherTreePage(l_.root)}) {
      Add(what + " lists " + std::to_string(id) + " too", [&](std::string& s) {
        TestDb::Put64(s, at + 16 + 8 * size_t{count}, id);
        Put16(s, at + 10, static_cast<uint16_t>(count + 1));
      });
      if (count > 0) Add64(what + " first id", at + 16, id);
    }
  }

  // The chosen meta's fields, with its checksum recomputed so bbolt reads through it.
  void Metas() {
    auto meta = [&](const std::string& what, size_t field, uint64_t v) {
      Add("meta " + what + "=" + std::to_string(v), [&](std::string& s) {
        TestDb::Put64(s, l_.meta_at + field, v);
        bolt::Bytes raw(At(s, l_.meta_at), 56);
        TestDb::Put64(s, l_.meta_at + 56, bolt::MetaChecksum(raw));
      });
    };
    for (Pgid r : {Pgid{0}, Pgid{1}, l_.hwm - 1, l_.hwm, OtherTreePage(l_.root)})
      meta("root", 16, r);
    if (l_.freelist != bolt::kNoFreelist) meta("freelist", 32, l_.root);
    meta("freelist", 32, l_.freelist == bolt::kNoFreelist ? l_.root : bolt::kNoFreelist);
    for (Pgid p : {l_.hwm - 1, l_.hwm + 1, Pgid{2}}) meta("pgid", 40, p);
    meta("page size", 8, l_.page_size * 2);
    meta("page size", 8, l_.page_size / 2);
    Add16("meta page 0 flags", 8, 0x02);
    Add("meta txid without its checksum", [&](std::string& s) { s[l_.meta_at + 48] ^= 0x40; });
  }

  void RandomFlips() {
    std::uniform_int_distribution<size_t> page(0, l_.hwm - 1), head(0, 255),
        any(0, l_.page_size - 1);
    std::uniform_int_distribution<int> mask(1, 255), coin(0, 9);
    for (int i = 0; i < kRandomFlips; ++i) {
      const size_t at = page(rng_) * l_.page_size + (coin(rng_) < 7 ? head(rng_) : any(rng_));
      const int m = mask(rng_);
      Add("random flip #" + std::to_string(i) + " at " + std::to_string(at) + " ^" +
              std::to_string(m),
          [&](std::string& s) { s[at] = static_cast<char>(s[at] ^ m); });
    }
  }

  const std::string& db_;
  Layout l_;
  std::mt19937_64 rng_;
  std::set<size_t> inline_;
  std::set<Pgid> targets_;  // the tree pages whose headers, elements and places are mutated
  std::vector<Mutation> out_;
};

struct Source {
  std::string name;
  std::string db;  // without trailer
  bool trailer;
};

std::vector<Source> Sources() {
  const std::string s1 = ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db");
  const std::string raw =
      ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/default-restore-db");
  const std::string branches =
      ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/etcd-branches.db");
  return {{"s1.db", s1.substr(0, s1.size() - 32), true},
          {"etcd-branches.db", branches.substr(0, branches.size() - 32), true},
          {"default-restore-db", raw, false},
          {"generated", Generate().bytes, true}};
}

// The programs' verdicts on one mutated file.
struct Outcome {
  CommandResult oracle, verify, status, etcdctl;
  bool ran_etcdctl = false;
};

// Runs the oracle, verify and status on one file at `path`, and etcdctl's status when bbolt
// accepts it. Status runs on every mutant, not only the ones bbolt rejects: a file bbolt can
// walk may still be one our status reader (which reads etcd's buckets, not only the tree)
// crashes or loops on. verify and status are etcdsnap's code in a forked child (forked_cli.h).
//
// LeakSanitizer's look for leaks is most of what a forked run of ours costs under ASan (~150 of
// ~200 ms on a 2-core VM): it is done (`leak_check`) for the first mutant of each kind (its
// description without the numbers: "element at  pos=") and every sixteenth one.
Outcome RunAll(const std::string& path, const std::string& bytes, bool leak_check) {
  Outcome o;
  WriteFileOrDie(path, bytes);
  o.oracle = RunProgram({OracleBinary(), path}, 20);
  o.verify = RunEtcdsnap({"snapshot", "verify", path}, 20, leak_check);
  o.status = RunEtcdsnap({"snapshot", "status", path}, 20, leak_check);
  if (o.oracle.exit_code == 0) {
    o.ran_etcdctl = true;  // bbolt walked it: etcdctl's walk cannot loop either
    o.etcdctl = RunProgram({"etcdctl", "snapshot", "status", path}, 20);
  }
  return o;
}

class MutationTest : public ::testing::Test {
 protected:
  // Writes the file and runs a program on it.
  CommandResult Run(const std::vector<std::string>& argv, const std::string& bytes) {
    WriteFileOrDie(path_, bytes);
    return RunProgram(argv, 20);
  }
  static std::string Head(const std::string& s) { return s.substr(0, 600); }

  TempDir dir_;
  const std::string path_ = dir_.Join("db");
};

TEST_F(MutationTest, SourcesAreSoundForBothReaders) {
  for (const Source& src : Sources()) {
    ASSERT_FALSE(src.db.empty()) << src.name;
    const std::string bytes = src.trailer ? WithTrailer(src.db) : src.db;
    CommandResult o = Run({OracleBinary(), path_}, bytes);
    EXPECT_EQ(o.exit_code, 0) << src.name << ": " << o.out << o.err;
    CommandResult v = Run({EtcdsnapBinary(), "snapshot", "verify", path_}, bytes);
    EXPECT_EQ(v.exit_code, 0) << src.name << ": " << v.out << v.err;
  }
}

TEST_F(MutationTest, MixedLeafAndBranchFlagsAreRejected) {
  // bbolt's cursor reads flags 0x03 as a leaf and its Check() as a branch, which follows leaf
  // bytes as page ids and panics; our reader used to walk it as a leaf and say OK.
  const Source s1 = Sources()[0];
  std::string db = s1.db;
  const Layout l = Parse(db);
  db[l.root * l.page_size + 8] = 0x03;
  CommandResult o = Run({OracleBinary(), path_}, WithTrailer(db));
  EXPECT_NE(o.exit_code, 0) << o.out;
  CommandResult v = Run({EtcdsnapBinary(), "snapshot", "verify", path_}, WithTrailer(db));
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_NE(v.out.find("page 2: invalid type: flags 0x03, not exactly branch or leaf"),
            std::string::npos)
      << v.out;
}

// One campaign per source, so that CTest can run them side by side (each runs its mutants one
// at a time).
class MutationCampaign : public MutationTest, public ::testing::WithParamInterface<int> {};

constexpr int kSourceCount = 4;  // Sources()

INSTANTIATE_TEST_SUITE_P(Sources, MutationCampaign, ::testing::Range(0, kSourceCount),
                         [](const ::testing::TestParamInfo<int>& info) {
                           std::string name = Sources()[info.param].name;
                           std::replace(name.begin(), name.end(), '.', '_');
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST_P(MutationCampaign, VerifyRejectsWhatBboltRejects) {
  std::printf("seed %#llx\n", static_cast<unsigned long long>(kSeed));
  const std::vector<Source> sources = Sources();
  ASSERT_EQ(sources.size(), static_cast<size_t>(kSourceCount));
  const Source& src = sources[GetParam()];
  const std::vector<Mutation> mutations = Mutator(src.db, kSeed).All();
  // One at a time (the forked runs need a single-threaded test; CTest runs other tests on the
  // other core), each verdict checked as it comes: the outputs are not kept, since a forked
  // run's leak check writes to every heap chunk this process holds, each page a copy-on-write
  // fault.
  int rejects = 0, etcdctl_rejects = 0, stricter = 0;
  std::map<int, int> oracle_codes;
  std::set<std::string> kinds;
  const std::string path = dir_.Join("mutant");
  for (size_t i = 0; i < mutations.size(); ++i) {
    const std::string what =
        src.name + ", " + mutations[i].what + " (seed " + std::to_string(kSeed) + ")";
    std::string kind = what;
    std::erase_if(kind, [](char c) { return c >= '0' && c <= '9'; });
    const bool leak_check = kinds.insert(kind).second || i % 16 == 0;
    const std::string db = mutations[i].Apply(src.db);
    const Outcome o = RunAll(path, src.trailer ? WithTrailer(db) : db, leak_check);
    // bbolt walking a file it cannot walk in 20 s (an inline page claiming 65535 elements, under
    // a loaded CI machine) is bbolt not accepting it: verify must reject it, quickly (below).
    const int oracle_code = o.oracle.timed_out ? 4 : o.oracle.exit_code;
    ASSERT_TRUE(oracle_code >= 0 && oracle_code <= 4)
        << what << ": oracle exit " << o.oracle.exit_code << " signal " << o.oracle.term_signal
        << o.oracle.err;
    ++oracle_codes[oracle_code];
    const std::pair<const char*, const CommandResult*> ran[] = {{"verify", &o.verify},
                                                                {"status", &o.status}};
    for (const auto& [name, r] : ran) {
      ASSERT_EQ(r->term_signal, 0)
          << what << ": " << name << " killed by signal " << r->term_signal;
      ASSERT_FALSE(r->timed_out) << what << ": " << name << " hung";
      ASSERT_TRUE(r->exit_code == 0 || r->exit_code == 1)
          << what << ": " << name << " exit " << r->exit_code << "\n"
          << Head(r->err);
    }
    bool rejected = oracle_code != 0;
    std::string why = o.oracle.timed_out ? std::string("bbolt: did not finish in 20 s")
                                         : "bbolt: " + o.oracle.out + o.oracle.err;
    if (!rejected && o.ran_etcdctl && (o.etcdctl.exit_code != 0 || o.etcdctl.timed_out)) {
      rejected = true;
      ++etcdctl_rejects;
      why = "etcdctl snapshot status: " + o.etcdctl.err;
    }
    if (rejected) {
      ++rejects;
      EXPECT_EQ(o.verify.exit_code, 1) << what << ": verify says OK, but " << Head(why) << "\n"
                                       << Head(o.verify.out);
    } else if (o.verify.exit_code != 0) {
      ++stricter;
    }
  }
  std::printf(
      "%zu mutations: %d rejected by bbolt or etcdctl (%d by etcdctl alone), %d more by "
      "verify alone; oracle exit codes:",
      mutations.size(), rejects, etcdctl_rejects, stricter);
  for (auto [code, n] : oracle_codes) std::printf(" %d:%d", code, n);
  std::printf("\n");
  // The oracle must be doing its job: many mutations break each of these small files, some
  // badly.
  EXPECT_GT(rejects, static_cast<int>(mutations.size() / 3));
  EXPECT_GT(oracle_codes[2], 0);
}

}  // namespace
}  // namespace etcdsnap::inspect_test
