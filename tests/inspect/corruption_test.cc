// Damaged files: bytes flipped in meta, branch, leaf and freelist pages, truncation at many
// offsets, pages that point at themselves or at each other, wrong page sizes, torn metas, files
// that are not bbolt at all. `snapshot status` and `snapshot verify` must report an error (exit
// 1, "Error: ..." on stderr), never crash or hang; verify must catch every flip when the file
// carries etcd's sha256 trailer. The campaigns run etcdsnap's code in a forked child of the test
// (forked_cli.h); a directory and a FIFO are given to the binary itself.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <map>

#include "forked_cli.h"
#include "generated_db.h"
#include "inspect_util.h"
#include "test_db.h"

namespace etcdsnap::inspect_test {
namespace {

class CorruptionTest : public ::testing::Test {
 protected:
  // LeakSanitizer looks for leaks in the first run of each verb in each test and every eighth:
  // it is most of what a forked run costs under ASan (forked_cli.h).
  CommandResult Cmd(const std::string& verb, const std::string& bytes) {
    const std::string path = dir_.Join("db");
    WriteFileOrDie(path, bytes);
    return RunEtcdsnap({"snapshot", verb, path}, 30, runs_[verb]++ % 8 == 0);
  }

  // Not a crash, not a hang; exit 0, or exit 1 with an "Error: " message.
  static void ExpectClean(const CommandResult& r, const std::string& what) {
    ASSERT_EQ(r.term_signal, 0) << what << ": killed by signal " << r.term_signal << "\n" << r.err;
    ASSERT_FALSE(r.timed_out) << what << ": hung";
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << what << ": exit " << r.exit_code;
    if (r.exit_code == 1 && r.out.empty()) {
      EXPECT_EQ(r.err.rfind("Error: ", 0), 0u) << what << ": " << r.err;
    }
  }

  // Exit 1 with exactly one line "Error: ..." on stderr and nothing on stdout.
  static void ExpectOneLineError(const CommandResult& r, const std::string& what) {
    ExpectClean(r, what);
    EXPECT_EQ(r.exit_code, 1) << what;
    EXPECT_EQ(r.out, "") << what;
    EXPECT_EQ(r.err.rfind("Error: ", 0), 0u) << what << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
  }

  TempDir dir_;
  std::map<std::string, int> runs_;  // per verb
};

// The campaigns' forked runs keep the leak check a sanitized binary does at exit.
TEST(ForkedCliTest, LeakCheckFindsWhatTheChildLeaked) {
#if !ETCDSNAP_SANITIZED
  GTEST_SKIP() << "not a sanitized build (-DETCDSNAP_SANITIZE=ON): no LeakSanitizer";
#else
  const CommandResult leaked = RunForkedLeakChecked(
      [] {
        // Many, so that a pointer left in a register or a stack slot cannot hide them all.
        for (int i = 0; i < 1000; ++i) {
          char* volatile p = new char[64];
          p[0] = 1;
        }
        return 0;
      },
      30, true);
  EXPECT_EQ(leaked.exit_code, kSanitizerExitCode) << leaked.Describe();
  EXPECT_NE(leaked.err.find("LeakSanitizer: detected memory leaks"), std::string::npos)
      << leaked.err;
  const CommandResult clean = RunEtcdsnap(
      {"snapshot", "status", std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db"}, 30, true);
  EXPECT_EQ(clean.exit_code, 0) << clean.Describe();
#endif
}

// A forked run answers as the binary does: same exit code, stdout and stderr, on a sound file,
// damaged ones and a missing one.
TEST(ForkedCliTest, AnswersAsTheBinaryDoes) {
  if (const char* other = std::getenv("ETCDSNAP_BINARY"); other != nullptr && *other != '\0') {
    GTEST_SKIP() << "$ETCDSNAP_BINARY is set: RunEtcdsnap runs that binary, nothing is forked";
  }
  TempDir dir;
  const std::string s1 = ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db");
  ASSERT_EQ(s1.size(), 24608u);
  std::string flipped = s1, torn = s1;
  flipped[4096 * 3 + 20] ^= 0x40;
  torn[16 + 50] ^= 0x10;
  torn[4096 + 16 + 50] ^= 0x10;
  const std::pair<const char*, std::string> files[] = {
      {"sound", s1}, {"truncated", s1.substr(0, 5000)}, {"flipped", flipped}, {"torn", torn}};
  for (const auto& [name, bytes] : files) {
    const std::string path = dir.Join(name);
    WriteFileOrDie(path, bytes);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"snapshot", "status", path},
          {"snapshot", "status", path, "-w", "json"},
          {"snapshot", "verify", path}}) {
      const CommandResult forked = RunEtcdsnap(args, 30, false);
      std::vector<std::string> argv{EtcdsnapBinary()};
      argv.insert(argv.end(), args.begin(), args.end());
      const CommandResult binary = RunProgram(argv, 30);
      const std::string what = std::string(name) + ": " + args[1] + " " + std::to_string(args.size());
      EXPECT_EQ(forked.exit_code, binary.exit_code) << what;
      EXPECT_EQ(forked.out, binary.out) << what;
      EXPECT_EQ(forked.err, binary.err) << what;
      // The cases differ: a sound file passes, a cut or torn one fails.
      if (std::string(name) == "sound") {
        EXPECT_EQ(forked.exit_code, 0) << what << forked.err;
      }
      if (std::string(name) == "truncated" || std::string(name) == "torn") {
        EXPECT_EQ(forked.exit_code, 1) << what;
      }
    }
  }
  const CommandResult forked = RunEtcdsnap({"snapshot", "status", dir.Join("missing")}, 30, false);
  const CommandResult binary =
      RunProgram({EtcdsnapBinary(), "snapshot", "status", dir.Join("missing")}, 30);
  EXPECT_EQ(forked.exit_code, 1);
  EXPECT_EQ(forked.exit_code, binary.exit_code);
  EXPECT_EQ(forked.err, binary.err);
}

TEST_F(CorruptionTest, GeneratedFileIsSound) {
  const Generated g = Generate();
  CommandResult s = Cmd("status", WithTrailer(g.bytes));
  EXPECT_EQ(s.exit_code, 0) << s.err;
  // Revisions 2..25; 24 revisions + meta/consistent_index; 11 pages.
  EXPECT_NE(s.out.find(", 25, 25, 45 kB\n"), std::string::npos) << s.out;
  CommandResult v = Cmd("verify", WithTrailer(g.bytes));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("freelist persisted"), std::string::npos) << v.out;
}

TEST_F(CorruptionTest, FlipsInEveryPageKind) {
  const Generated g = Generate();
  const std::map<std::string, Pgid> kinds = {{"meta0", 0},
                                             {"meta1", 1},
                                             {"branch", g.pages.at("branch")},
                                             {"leaf", g.pages.at("leaf")},
                                             {"overflow_leaf", g.pages.at("overflow_leaf")},
                                             {"root", g.pages.at("root")},
                                             {"freelist", g.pages.at("freelist")}};
  const std::string trailer = WithTrailer(g.bytes).substr(g.bytes.size());
  // Offsets in the header, the elements and the data area.
  const size_t offsets[] = {0, 8, 10, 12, 16, 20, 24, 28, 40, 56, 72, 100, 300};
  for (const auto& [kind, page] : kinds) {
    for (size_t off : offsets) {
      for (uint8_t mask : {0x81}) {
        std::string bytes = g.bytes;
        bytes[page * 4096 + off] = static_cast<char>(bytes[page * 4096 + off] ^ mask);
        const std::string what = kind + " +" + std::to_string(off) + " ^" + std::to_string(mask);
        ExpectClean(Cmd("status", bytes), "status " + what);
        CommandResult v = Cmd("verify", bytes + trailer);  // the trailer of the undamaged file
        ExpectClean(v, "verify " + what);
        EXPECT_EQ(v.exit_code, 1) << "verify missed " << what << "\n" << v.out;
      }
    }
  }
}

TEST_F(CorruptionTest, StructuralFlipsFailStatusToo) {
  const Generated g = Generate();
  struct Case {
    std::string name;
    size_t at;
    uint8_t mask;
    std::string expect;  // in stderr
  };
  const size_t branch = g.pages.at("branch") * 4096, leaf = g.pages.at("leaf") * 4096;
  const size_t fl = g.pages.at("freelist") * 4096;
  const std::vector<Case> cases = {
      {"branch flags", branch + 8, 0x11, "invalid type: freelist"},
      {"branch child pgid", branch + 16 + 8, 0x40, "out of bounds"},
      {"leaf element pos", leaf + 16 + 7, 0x70, "past the end"},
      {"leaf id", leaf + 0, 0x01, "header says"},
      {"freelist id", fl + 16, 0x01, "unreachable unfreed"},
      {"freelist count", fl + 11, 0x40, "freelist claims"},
  };
  for (const Case& c : cases) {
    std::string bytes = g.bytes;
    bytes[c.at] = static_cast<char>(bytes[c.at] ^ c.mask);
    CommandResult s = Cmd("status", bytes);
    ExpectClean(s, c.name);
    EXPECT_EQ(s.exit_code, 1) << c.name;
    EXPECT_EQ(s.err.rfind("Error: snapshot file integrity check failed. ", 0), 0u)
        << c.name << s.err;
    EXPECT_NE(s.err.find(c.expect), std::string::npos) << c.name << ": " << s.err;
    CommandResult v = Cmd("verify", bytes);
    EXPECT_EQ(v.exit_code, 1) << c.name;
    EXPECT_NE(v.out.find(c.expect), std::string::npos) << c.name << ": " << v.out;
  }
}

TEST_F(CorruptionTest, PageThatPointsAtItselfAndACycle) {
  const Generated g = Generate();
  const Pgid branch = g.pages.at("branch");
  // The branch's second child is the branch itself.
  std::string self = g.bytes;
  TestDb::Put64(self, branch * 4096 + 16 + 16 + 8, branch);
  // The key bucket's root points at the root bucket's page: a cycle through buckets.
  std::string cycle = g.bytes;
  const std::string needle = std::string("key") + TestDb::BucketValue(branch);
  const size_t at = cycle.find(needle, g.pages.at("root") * 4096);
  ASSERT_NE(at, std::string::npos);
  TestDb::Put64(cycle, at + 3, g.pages.at("root"));
  for (const auto& [name, bytes] : {std::pair{"self", self}, std::pair{"cycle", cycle}}) {
    CommandResult s = Cmd("status", bytes);
    ExpectClean(s, name);
    EXPECT_EQ(s.exit_code, 1) << name;
    EXPECT_NE(s.err.find("multiple references"), std::string::npos) << name << ": " << s.err;
    CommandResult v = Cmd("verify", bytes);
    ExpectClean(v, name);
    EXPECT_EQ(v.exit_code, 1) << name;
    EXPECT_NE(v.out.find("multiple references"), std::string::npos) << name << ": " << v.out;
  }
}

TEST_F(CorruptionTest, TruncationAtManyOffsets) {
  const std::string s1 = ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db");
  ASSERT_EQ(s1.size(), 24608u);
  for (size_t len = 0; len < 24576; len += (len < 8300 ? 317 : 1531)) {
    const std::string what = "truncated to " + std::to_string(len);
    ExpectOneLineError(Cmd("status", s1.substr(0, len)), "status " + what);
    ExpectOneLineError(Cmd("verify", s1.substr(0, len)), "verify " + what);
  }
  // Cut inside the trailer: the trailer is no longer recognised, the database is whole.
  EXPECT_EQ(Cmd("status", s1.substr(0, 24600)).exit_code, 0);
}

TEST_F(CorruptionTest, EveryFewBytesOfS1) {
  const std::string s1 = ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db");
  for (size_t at = 0; at < 24576; at += 241) {
    std::string bytes = s1;
    bytes[at] = static_cast<char>(bytes[at] ^ 0xa5);
    const std::string what = "flip at " + std::to_string(at);
    ExpectClean(Cmd("status", bytes), "status " + what);
    CommandResult v = Cmd("verify", bytes);
    ExpectClean(v, "verify " + what);
    EXPECT_EQ(v.exit_code, 1) << "verify missed " << what;
  }
}

TEST_F(CorruptionTest, TornAndWrongMetas) {
  const std::string s1 = ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db");
  // One torn meta: bbolt (and etcdctl) read through the other; verify flags it.
  std::string torn = s1;
  torn[16 + 50] ^= 0x10;
  CommandResult s = Cmd("status", torn);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(s.out, "461b96a9, 6, 9, 25 kB\n");
  CommandResult v = Cmd("verify", torn);
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("meta page 0: checksum error"), std::string::npos) << v.out;
  // Both torn.
  torn[4096 + 16 + 50] ^= 0x10;
  ExpectOneLineError(Cmd("status", torn), "both metas torn");
  ExpectOneLineError(Cmd("verify", torn), "both metas torn");
  // A page size that is not a power of two, with a valid checksum.
  std::string odd = s1;
  TestDb::Put32(odd, 16 + 8, 3000);
  bolt::Bytes raw(reinterpret_cast<const uint8_t*>(odd.data()) + 16, 64);
  TestDb::Put64(odd, 16 + 56, bolt::MetaChecksum(raw));
  CommandResult w = Cmd("status", odd);
  ExpectOneLineError(w, "page size 3000");
  EXPECT_NE(w.err.find("page size"), std::string::npos) << w.err;
}

TEST_F(CorruptionTest, MetaPageHeadersAreChecked) {
  // bbolt reads neither header (etcdctl's status is fine), but it writes both: verify flags them.
  const std::string s1 = ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db");
  const std::string db = s1.substr(0, 24576);
  std::string flags = db;
  flags[8] = 0x02;
  std::string id = db;
  id[4096] = 0x07;
  for (const auto& [name, bytes, expect] :
       {std::tuple{"flags", flags, "meta page 0: page type is leaf"},
        std::tuple{"id", id, "meta page 1: header says it is page 7"}}) {
    CommandResult s = Cmd("status", WithTrailer(bytes));
    EXPECT_EQ(s.exit_code, 0) << name << ": " << s.err;
    CommandResult v = Cmd("verify", WithTrailer(bytes));
    EXPECT_EQ(v.exit_code, 1) << name;
    EXPECT_NE(v.out.find(expect), std::string::npos) << name << ": " << v.out;
  }
}

TEST_F(CorruptionTest, NotBboltEmptyAndDirectory) {
  ExpectOneLineError(Cmd("status", ""), "empty");
  ExpectOneLineError(Cmd("verify", ""), "empty");
  ExpectOneLineError(Cmd("status", std::string(100000, 'x')), "junk");
  ExpectOneLineError(Cmd("verify", "hello"), "tiny");
  ExpectOneLineError(RunProgram({EtcdsnapBinary(), "snapshot", "status", dir_.path()}),
                     "directory");
  ExpectOneLineError(RunProgram({EtcdsnapBinary(), "snapshot", "verify", dir_.path()}),
                     "directory");
}

// Opening a FIFO for reading waits for a writer: status and verify must refuse it at once.
TEST_F(CorruptionTest, FifoIsRefusedWithoutHanging) {
  const std::string fifo = dir_.Join("fifo.db");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const char* verb : {"status", "verify"}) {
    const CommandResult r = RunProgram({EtcdsnapBinary(), "snapshot", verb, fifo}, 10);
    ExpectOneLineError(r, verb);
    EXPECT_NE(r.err.find("Error: " + fifo + " is a FIFO, not a snapshot file"), std::string::npos)
        << verb << ": " << r.err;
  }
}

}  // namespace
}  // namespace etcdsnap::inspect_test
