#include "etcdsnap/util/compression.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "etcdsnap/util/file.h"
#include "temp_dir.h"

namespace etcdsnap {
namespace {

using CompressionTest = testing::TempDirTest;
namespace fs = std::filesystem;

// Half repetitive, half random: something a compressor can and cannot shrink.
std::string Sample(size_t n) {
  std::string s;
  std::mt19937 rng(7);
  while (s.size() < n) {
    s += "key-" + std::to_string(s.size() % 977) + "=value;";
    for (int i = 0; i < 16; ++i) s.push_back(static_cast<char>(rng()));
  }
  s.resize(n);
  return s;
}

std::string Compress(const CompressSpec& spec, const std::string& data, size_t chunk) {
  std::string out;
  auto c = Compressor::Create(spec, [&](std::span<const uint8_t> b) {
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
    return Status::Ok();
  });
  EXPECT_TRUE(c.ok()) << c.status().message();
  for (size_t at = 0; at < data.size(); at += chunk) {
    const size_t n = std::min(chunk, data.size() - at);
    EXPECT_TRUE((*c)->Write({reinterpret_cast<const uint8_t*>(data.data()) + at, n}).ok());
  }
  EXPECT_TRUE((*c)->Finish().ok());
  return out;
}

// Decompresses the file at `path` reading `chunk` bytes at a time.
Result<std::string> Decompress(const std::string& path, size_t chunk) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY));
  uint8_t head[4] = {};
  if (::pread(fd.get(), head, sizeof head, 0) < 0) return Status::IOError("read");
  ETCDSNAP_ASSIGN_OR_RETURN(auto d, Decompressor::Create(DetectCompression(head), fd.get(), path));
  std::string out;
  std::string buf(chunk, '\0');
  while (true) {
    ETCDSNAP_ASSIGN_OR_RETURN(size_t n, d->Read({reinterpret_cast<uint8_t*>(buf.data()), chunk}));
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

TEST_F(CompressionTest, RoundTripsEveryAlgorithmLevelAndChunking) {
  const std::string data = Sample(3 << 20);
  const std::string path = (dir_ / "c").string();
  for (const char* spec_text : {"zstd", "zstd:1", "zstd:19", "gzip", "gzip:1", "gzip:9"}) {
    auto spec = ParseCompressSpec(spec_text);
    ASSERT_TRUE(spec.ok()) << spec_text;
    for (int workers : {0, 2}) {
      spec->workers = workers;
      const std::string z = Compress(*spec, data, 32768);
      EXPECT_LT(z.size(), data.size()) << spec_text;
      testing::WriteFileOrDie(path, z);
      for (size_t chunk : {size_t{1} << 20, size_t{4096}, size_t{7}}) {
        if (chunk == 7 && std::string(spec_text) != "zstd" && std::string(spec_text) != "gzip") {
          continue;  // byte-sized reads once per algorithm: slow, same code
        }
        auto back = Decompress(path, chunk);
        ASSERT_TRUE(back.ok()) << spec_text << ": " << back.status().message();
        EXPECT_TRUE(*back == data) << spec_text << " workers " << workers << " chunk " << chunk;
      }
    }
  }
}

TEST_F(CompressionTest, DetectsByMagicNotByName) {
  const std::string data = Sample(10000);
  const auto u8 = [](const std::string& s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  EXPECT_EQ(DetectCompression(u8(Compress({Compression::kZstd}, data, 4096))), Compression::kZstd);
  EXPECT_EQ(DetectCompression(u8(Compress({Compression::kGzip}, data, 4096))), Compression::kGzip);
  EXPECT_EQ(DetectCompression(u8(std::string(16, '\0'))), Compression::kNone);  // bbolt page 0
  EXPECT_EQ(DetectCompression(u8(std::string("\x28\xb5"))), Compression::kNone);
}

TEST_F(CompressionTest, TruncatedOrTrailingGarbageIsCorruption) {
  const std::string data = Sample(1 << 20);
  const std::string path = (dir_ / "c").string();
  for (Compression algo : {Compression::kZstd, Compression::kGzip}) {
    const std::string z = Compress({algo}, data, 65536);
    testing::WriteFileOrDie(path, z.substr(0, z.size() / 2));
    auto cut = Decompress(path, 65536);
    ASSERT_FALSE(cut.ok()) << CompressionName(algo);
    EXPECT_EQ(cut.status().code(), Code::kCorruption);
    EXPECT_NE(cut.status().message().find("cut short"), std::string::npos)
        << cut.status().message();
    testing::WriteFileOrDie(path, z + "garbage after the end");
    auto extra = Decompress(path, 65536);
    ASSERT_FALSE(extra.ok()) << CompressionName(algo);
    EXPECT_EQ(extra.status().code(), Code::kCorruption) << extra.status().message();
    // Two streams one after the other are one (cat a.zst b.zst; cat a.gz b.gz).
    testing::WriteFileOrDie(path, z + z);
    auto twice = Decompress(path, 65536);
    ASSERT_TRUE(twice.ok()) << twice.status().message();
    EXPECT_TRUE(*twice == data + data);
  }
}

std::string Snapshot() {
  return testing::ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db");
}

// Review (issue #12): a file that starts with a skippable frame (pzstd, seekable zstd) is zstd.
TEST_F(CompressionTest, LeadingSkippableFrameIsZstd) {
  const std::string snap = Snapshot();
  const std::string skippable = std::string("\x5a\x2a\x4d\x18\x04\x00\x00\x00" "wxyz", 12);
  const std::string path = (dir_ / "skip.db.zst").string();
  testing::WriteFileOrDie(path, skippable + Compress({Compression::kZstd}, snap, 65536));
  auto plain = PlainSnapshot::Open(path);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->compression(), Compression::kZstd);
  EXPECT_TRUE(testing::ReadFileOrEmpty(plain->path()) == snap);
}

// Review (issue #12): decompression is bounded by the snapshot's own meta pages (pgid × page
// size + trailer), so a small file that expands without end (a bomb) stops there instead of
// filling the disk; something that is not bbolt at all stops within its first bytes.
TEST_F(CompressionTest, OutputIsBoundedByTheSnapshotsMetaPages) {
  const std::string snap = Snapshot();
  const std::string bomb = (dir_ / "bomb.db.zst").string();
  // 96 MiB of zeros after the snapshot: past the bound's slack (see below).
  const std::string padded = snap + std::string(size_t{96} << 20, '\0');
  testing::WriteFileOrDie(bomb, Compress({Compression::kZstd}, padded, 1 << 20));
  ASSERT_LT(fs::file_size(bomb), 64u << 10);  // a few KiB that would expand to 96 MiB
  UniqueFd in(::open(bomb.c_str(), O_RDONLY | O_CLOEXEC));
  const std::string out_path = (dir_ / "out").string();
  UniqueFd out(::open(out_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(in.valid() && out.valid());
  auto d = Decompressor::Create(Compression::kZstd, in.get(), bomb);
  ASSERT_TRUE(d.ok());
  auto n = DecompressInto(**d, out.get(), out_path, nullptr, nullptr, bomb);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), Code::kCorruption);
  // s1.db is a saved snapshot: pgid × 4096 plus its 32-byte trailer. The bound allows 64 MiB
  // more, for a member's db file (etcd grows it 16 MiB past its pgid at a time).
  ASSERT_EQ(snap.size() % 4096, 32u);
  const uint64_t bound = snap.size() + (64u << 20);
  EXPECT_EQ(n.status().message(), bomb + " decompresses to more than the " +
                                      std::to_string(bound) +
                                      " bytes its bbolt meta pages allow (a damaged or hostile "
                                      "file); stopped there");
  EXPECT_LE(fs::file_size(out_path), bound + (1u << 20));  // at most one chunk past the bound
  auto plain = PlainSnapshot::Open(bomb);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), Code::kCorruption);

  const std::string text = (dir_ / "text.zst").string();
  testing::WriteFileOrDie(text, Compress({Compression::kGzip}, Sample(8 << 20), 1 << 20));
  auto not_bolt = PlainSnapshot::Open(text);
  ASSERT_FALSE(not_bolt.ok());
  EXPECT_EQ(not_bolt.status().message(), text + " decompresses to something that is not a "
                                                "bbolt database (no valid meta page 0); it is "
                                                "not an etcd snapshot");
  // An honest snapshot decompresses whole.
  const std::string ok = (dir_ / "ok.db.gz").string();
  testing::WriteFileOrDie(ok, Compress({Compression::kGzip}, snap, 4096));
  auto fine = PlainSnapshot::Open(ok);
  ASSERT_TRUE(fine.ok()) << fine.status().message();
  EXPECT_EQ(fs::file_size(fine->path()), snap.size());
}

TEST(CompressSpecTest, Forms) {
  auto z = ParseCompressSpec("zstd:19");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->algorithm, Compression::kZstd);
  EXPECT_EQ(z->level, 19);
  EXPECT_EQ(ParseCompressSpec("gzip")->algorithm, Compression::kGzip);
  EXPECT_EQ(ParseCompressSpec("none")->algorithm, Compression::kNone);
  for (const char* bad : {"", "zstd:", "zstd:0", "zstd:20", "gzip:10", "xz", "zstd:1x", "none:1",
                          "zstd:-1"}) {
    auto r = ParseCompressSpec(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("give zstd"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace etcdsnap
