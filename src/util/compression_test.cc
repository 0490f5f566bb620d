#include "etcdsnap/util/compression.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <random>
#include <string>

#include "etcdsnap/util/file.h"
#include "temp_dir.h"

namespace etcdsnap {
namespace {

using CompressionTest = testing::TempDirTest;

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
