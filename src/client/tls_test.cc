#include "etcdsnap/client/tls.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>

#include "etcdsnap/client/client.h"
#include "etcdsnap/client/endpoint.h"
#include "temp_dir.h"

// The test seam for key wiping: this binary replaces the global operator new and delete (a
// program may; malloc and free underneath, so ASan still checks every block, though no longer
// that new[] meets delete[]). Blocks start zeroed, slack included, so that what is found in one
// was written during its life. While a test has armed the seam, every block handed back to
// delete is searched for a needle (bytes from the middle of a private key file): a block that
// still holds them was a copy of the key freed without being wiped.
namespace {

std::atomic<bool> g_armed{false};
char g_needle[32];
size_t g_needle_size = 0;
std::atomic<int> g_unwiped{0};

void* Allocate(size_t n) noexcept {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p != nullptr) std::memset(p, 0, ::malloc_usable_size(p));
  return p;
}

void Release(void* p) noexcept {
  if (p == nullptr) return;
  if (g_armed.load() && ::memmem(p, ::malloc_usable_size(p), g_needle, g_needle_size) != nullptr) {
    ++g_unwiped;
  }
  std::free(p);
}

void* AllocateOrThrow(size_t n) {
  void* p = Allocate(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(size_t n) { return AllocateOrThrow(n); }
void* operator new[](size_t n) { return AllocateOrThrow(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, size_t) noexcept { Release(p); }
void operator delete[](void* p, size_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }

namespace etcdsnap::client {
namespace {

// Up to sizeof(buf) bytes of a file, read onto the stack (so with no copy on the heap).
ssize_t ReadHead(const std::string& path, char* buf, size_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return -1;
  const ssize_t n = ::read(fd, buf, size);
  ::close(fd);
  return n;
}

// How many blocks freed while `scenario` ran held bytes of the key file at `key_path`. The
// needle is taken from the key's body where its certificate (`cert_path`) does not have the same
// text: an RSA key's modulus is in both, and the certificate is no secret.
int UnwipedCopies(const std::string& key_path, const std::string& cert_path,
                  const std::function<void()>& scenario) {
  char key[4096], cert[4096];
  const ssize_t key_size = ReadHead(key_path, key, sizeof key);
  const ssize_t cert_size = ReadHead(cert_path, cert, sizeof cert);
  g_needle_size = 0;
  for (ssize_t at = 64; cert_size > 0 && at + 64 + ssize_t{sizeof g_needle} < key_size; at += 8) {
    if (::memmem(cert, cert_size, key + at, sizeof g_needle) == nullptr) {
      std::memcpy(g_needle, key + at, sizeof g_needle);
      g_needle_size = sizeof g_needle;
      break;
    }
  }
  ::explicit_bzero(key, sizeof key);
  if (g_needle_size == 0) {
    ADD_FAILURE() << "no needle in " << key_path << " that " << cert_path << " lacks";
    return -1;
  }
  g_unwiped = 0;
  g_armed = true;
  scenario();
  g_armed = false;
  return g_unwiped.load();
}

class TlsMaterialTest : public etcdsnap::testing::TempDirTest {
 protected:
  void SetUp() override {
    // One self-signed cert and two keys, made by the openssl CLI the tests depend on anyway.
    const std::string d = dir_.string();
    ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d +
                           "/a.key -out " + d + "/a.crt -days 1 -subj /CN=a 2>/dev/null")
                              .c_str()),
              0);
    ASSERT_EQ(std::system(("openssl genrsa -out " + d + "/b.key 2048 2>/dev/null").c_str()), 0);
    // A small key (an EC one, 241 bytes) with its certificate.
    ASSERT_EQ(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                           "-nodes -keyout " + d + "/c.key -out " + d +
                           "/c.crt -days 1 -subj /CN=c 2>/dev/null")
                              .c_str()),
              0);
    std::ofstream(dir_ / "junk.pem") << "not a pem file\n";
  }
  std::string P(const char* name) const { return (dir_ / name).string(); }
};

TEST_F(TlsMaterialTest, LoadsMatchingPair) {
  auto m = TlsMaterial::Load({P("a.crt"), P("a.crt"), P("a.key"), false});
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_NE(m->cert_pem().find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_FALSE(m->key_pem().empty());
}

TEST_F(TlsMaterialTest, MissingFileNamesFlagAndPath) {
  auto m = TlsMaterial::Load({P("nope.crt"), "", "", false});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("--cacert"), std::string::npos);
  EXPECT_NE(m.status().message().find("nope.crt"), std::string::npos);
}

TEST_F(TlsMaterialTest, NonPemIsRefused) {
  auto m = TlsMaterial::Load({P("junk.pem"), "", "", false});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("no PEM certificate"), std::string::npos);
}

TEST_F(TlsMaterialTest, MismatchedKeyIsRefused) {
  auto m = TlsMaterial::Load({"", P("a.crt"), P("b.key"), false});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("does not match"), std::string::npos);
}

TEST_F(TlsMaterialTest, CertWithoutKeyIsRefused) {
  auto m = TlsMaterial::Load({"", P("a.crt"), "", false});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("--key"), std::string::npos);
}

TEST_F(TlsMaterialTest, ErrorNeverContainsKeyMaterial) {
  auto m = TlsMaterial::Load({"", P("a.crt"), P("b.key"), false});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message().find("PRIVATE KEY"), std::string::npos);
}

// The seam sees what it must: a key string freed unwiped is found.
TEST_F(TlsMaterialTest, SeamFindsAKeyCopyFreedUnwiped) {
  EXPECT_EQ(UnwipedCopies(P("a.key"), P("a.crt"),
                          [&] {
                            auto m = TlsMaterial::Load({"", P("a.crt"), P("a.key"), false});
                            ASSERT_TRUE(m.ok()) << m.status().message();
                            const std::string copy = m->key_pem();
                          }),
            1);
}

// Loaded, moved, copied and dropped: no heap block that held the key goes back unwiped (the
// file's read buffers included).
TEST_F(TlsMaterialTest, KeyIsWipedFromEveryBufferLetGo) {
  EXPECT_EQ(UnwipedCopies(P("a.key"), P("a.crt"),
                          [&] {
                            auto m = TlsMaterial::Load({"", P("a.crt"), P("a.key"), false});
                            ASSERT_TRUE(m.ok()) << m.status().message();
                            TlsMaterial moved = std::move(m).value();
                            TlsMaterial copy = moved;
                            TlsMaterial assigned;
                            assigned = std::move(copy);
                            assigned = moved;
                          }),
            0);
}

// Assigning over material whose key buffer is too small for the new key frees that buffer.
TEST_F(TlsMaterialTest, KeyAssignedOverIsWiped) {
  auto big = TlsMaterial::Load({"", P("a.crt"), P("a.key"), false});
  ASSERT_TRUE(big.ok()) << big.status().message();
  EXPECT_EQ(UnwipedCopies(P("c.key"), P("c.crt"),
                          [&] {
                            auto small = TlsMaterial::Load({"", P("c.crt"), P("c.key"), false});
                            ASSERT_TRUE(small.ok()) << small.status().message();
                            TlsMaterial exact = *small;  // capacity: the key's size
                            exact = *big;
                            TlsMaterial moved_over = *small;
                            moved_over = std::move(exact);
                          }),
            0);
}

// A key refused after it was read (it does not match the certificate) is wiped too.
TEST_F(TlsMaterialTest, RefusedKeyIsWiped) {
  EXPECT_EQ(UnwipedCopies(P("b.key"), P("a.crt"),
                          [&] {
                            auto m = TlsMaterial::Load({"", P("a.crt"), P("b.key"), false});
                            EXPECT_FALSE(m.ok());
                          }),
            0);
}

// A key file larger than the first read buffer (comments after the key): the buffer that is
// outgrown is wiped before it is freed.
TEST_F(TlsMaterialTest, OutgrownReadBufferIsWiped) {
  std::ifstream key(P("a.key"), std::ios::binary);
  std::ofstream padded(P("padded.key"), std::ios::binary);
  padded << key.rdbuf() << std::string(8192, '#') << "\n";
  padded.close();
  EXPECT_EQ(UnwipedCopies(P("padded.key"), P("a.crt"),
                          [&] {
                            auto m = TlsMaterial::Load({"", P("a.crt"), P("padded.key"), false});
                            ASSERT_TRUE(m.ok()) << m.status().message();
                          }),
            0);
}

// gRPC takes the key by copy when the channel's credentials are built: our copies are wiped.
// With --insecure-skip-tls-verify gRPC's certificate provider keeps one more copy of its own,
// freed unwiped with the channel, which we cannot reach.
TEST_F(TlsMaterialTest, ChannelCredentialsLeaveNoCopyOfOursUnwiped) {
  auto ep = ParseEndpoint("https://127.0.0.1:1", true);
  ASSERT_TRUE(ep.ok()) << ep.status().message();
  for (const bool skip_verify : {false, true}) {
    SCOPED_TRACE(skip_verify ? "--insecure-skip-tls-verify" : "verifying the server");
    auto m = TlsMaterial::Load({P("a.crt"), P("a.crt"), P("a.key"), skip_verify});
    ASSERT_TRUE(m.ok()) << m.status().message();
    ConnectionOptions options;
    options.tls = std::move(m).value();
    EXPECT_LE(UnwipedCopies(P("a.key"), P("a.crt"),
                            [&] {
                              auto c = Connection::Open(*ep, options);
                              ASSERT_TRUE(c.ok()) << c.status().message();
                            }),
              skip_verify ? 1 : 0);
  }
}

}  // namespace
}  // namespace etcdsnap::client
