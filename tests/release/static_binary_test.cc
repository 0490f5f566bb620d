// The release binary (-DETCDSNAP_STATIC=ON, what scripts/build.sh makes) on a machine that has
// glibc and nothing else: a root file system holding only the files of Debian's libc6 package
// (the C library, its loader, libm, libresolv, NSS modules, gconv), /etc/hosts and
// /etc/nsswitch.conf, the binary and the test's certificates. No libstdc++, no libgcc_s, no
// OpenSSL, gRPC, protobuf or abseil. The binary runs there under chroot(8) (as root; otherwise
// in a user namespace, `unshare --map-root-user`), which keeps the host's network, so it
// reaches the test's etcd on 127.0.0.1. It saves over mutual TLS the exact bytes etcdctl saves,
// checks the file, and restores a data dir from which the real etcd boots.
//
// The binary: $ETCDSNAP_RELEASE_BINARY, else the one CMake was told of (this tree's own in a
// static build, else <source>/build/etcdsnap). Outside CI a missing or non-static default
// binary skips the tests (build it with `bash scripts/build.sh`); under CI=true it fails them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>

#include "etcd_cluster.h"
#include "pki.h"
#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

namespace fs = std::filesystem;

struct ReleaseBinary {
  std::string path;
  bool named = false;  // given by $ETCDSNAP_RELEASE_BINARY or built by this tree
};

ReleaseBinary FindReleaseBinary() {
  const char* env = std::getenv("ETCDSNAP_RELEASE_BINARY");
  if (env != nullptr && *env != '\0') return {env, true};
  return {ETCDSNAP_RELEASE_BINARY, ETCDSNAP_RELEASE_BINARY_IS_THIS_BUILD != 0};
}

// The shared libraries an ELF file names (DT_NEEDED), read with binutils' readelf.
::testing::AssertionResult NeededLibraries(const std::string& binary,
                                           std::vector<std::string>* needed) {
  CommandResult r = RunCommand({"readelf", "--dynamic", "--wide", binary}, {});
  if (r.exit_code != 0) return ::testing::AssertionFailure() << "readelf: " << r.Describe();
  static const std::regex kNeeded(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), kNeeded), end; it != end; ++it) {
    needed->push_back((*it)[1]);
  }
  return ::testing::AssertionSuccess();
}

bool IsGlibcLibrary(const std::string& soname) {
  static const std::regex kGlibc(
      R"((libc|libm|libresolv|libpthread|libdl|librt)\.so\.[0-9]+|ld-linux-x86-64\.so\.2)");
  return std::regex_match(soname, kGlibc);
}

// Copies `from` (a file or a symlink, as it is) to `root` + `from`, making the directories.
void CopyInto(const std::string& root, const fs::path& from) {
  const fs::path to = fs::path(root) / from.relative_path();
  fs::create_directories(to.parent_path());
  if (fs::is_symlink(from)) {
    fs::create_symlink(fs::read_symlink(from), to);
  } else {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  }
}

// A root file system with glibc's runtime (the files of the libc6 package) and nothing else.
::testing::AssertionResult MakeGlibcOnlyRoot(const std::string& root) {
  CommandResult files = RunCommand({"dpkg-query", "--listfiles", "libc6"}, {});
  if (files.exit_code != 0) {
    return ::testing::AssertionFailure() << "dpkg-query --listfiles libc6: " << files.Describe();
  }
  std::istringstream lines(files.out);
  int copied = 0;
  for (std::string line; std::getline(lines, line);) {
    const fs::path p(line);
    // Directories (and the host's /lib -> usr/lib links) come with the files in them: the
    // root gets plain directories. Documentation is left out.
    if (line.rfind("/usr/share/", 0) == 0 || fs::is_directory(p) ||
        !fs::exists(fs::symlink_status(p))) {
      continue;
    }
    CopyInto(root, p);
    ++copied;
  }
  if (!fs::exists(root + "/lib64/ld-linux-x86-64.so.2")) {
    return ::testing::AssertionFailure() << "libc6's files have no /lib64/ld-linux-x86-64.so.2";
  }
  WriteFileOrDie(root + "/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n");
  WriteFileOrDie(root + "/etc/hosts", "127.0.0.1 localhost\n");
  fs::create_directories(root + "/tmp");
  fs::permissions(root + "/tmp", fs::perms::all | fs::perms::sticky_bit);
  fs::create_directories(root + "/backup");
  return ::testing::AssertionSuccess() << copied << " files of libc6";
}

class StaticBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ReleaseBinary binary = FindReleaseBinary();
    ETCDSNAP_REQUIRE_OR_SKIP(fs::is_regular_file(binary.path),
                             "no release binary at " << binary.path
                                                     << ": build it with `bash scripts/build.sh`"
                                                        " (or set ETCDSNAP_RELEASE_BINARY)");
    ASSERT_TRUE(NeededLibraries(binary.path, &needed_));
    const bool glibc_only = std::all_of(needed_.begin(), needed_.end(), IsGlibcLibrary);
    if (!binary.named) {
      // The default path may hold an ordinary build (cmake -S . -B build by hand).
      ETCDSNAP_REQUIRE_OR_SKIP(glibc_only, binary.path << " is not a release build: rebuild it "
                                                          "with `bash scripts/build.sh`");
    }
    binary_ = binary.path;
    ETCDSNAP_REQUIRE_OR_SKIP(!EtcdBinary().empty() && !FindExecutable("etcdctl").empty(),
                             "etcd and etcdctl are needed");
    ETCDSNAP_REQUIRE_OR_SKIP(!FindExecutable("dpkg-query").empty(),
                             "dpkg-query lists glibc's files for the root file system");
    ASSERT_TRUE(MakeGlibcOnlyRoot(root()));
    fs::create_directories(root() + "/usr/local/bin");
    fs::copy_file(binary_, root() + "/usr/local/bin/etcdsnap");
    fs::create_directories(root() + "/pki");
    for (const std::string& f : {pki_.ca.cert, pki_.client.cert, pki_.client.key}) {
      fs::copy_file(f, root() + "/pki/" + fs::path(f).filename().string());
    }
    if (::geteuid() != 0) {
      chroot_ = {"unshare", "--map-root-user"};
      ETCDSNAP_REQUIRE_OR_SKIP(!FindExecutable("unshare").empty(),
                               "not root, and no unshare(1) for a user namespace");
    }
    chroot_.insert(chroot_.end(), {"chroot", root()});
    // Can this process chroot at all? glibc's own loader answers --version: no etcdsnap yet.
    std::vector<std::string> probe = chroot_;
    probe.insert(probe.end(), {"/lib64/ld-linux-x86-64.so.2", "--version"});
    CommandResult r = RunCommand(probe, {});
    ETCDSNAP_REQUIRE_OR_SKIP(r.exit_code == 0, "cannot chroot here (not root and no user "
                                               "namespaces?): " << r.Describe());
    cluster_ = std::make_unique<EtcdCluster>(EtcdOptions{}, &pki_);
    ASSERT_TRUE(cluster_->Start());
    EtcdTestClient c = cluster_->Client();
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(c.Put("/registry/configmaps/ns/cm-" + std::to_string(i), std::string(300, 'v'))
                      .ok());
    }
  }

  std::string root() const { return dir_.Join("root"); }

  // etcdsnap `args` inside the root; paths in `args` are the root's.
  CommandResult InRoot(const std::vector<std::string>& args) {
    std::vector<std::string> argv = chroot_;
    argv.push_back("/usr/local/bin/etcdsnap");
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {}, std::chrono::seconds(60));
  }

  // Mutual TLS flags with the certificates as the root sees them.
  std::vector<std::string> TlsFlags(const std::string& host) const {
    const auto in_root = [](const std::string& f) {
      return "/pki/" + fs::path(f).filename().string();
    };
    const std::string port = std::to_string(cluster_->member(0).client_port());
    return {"--endpoints", "https://" + host + ":" + port, "--cacert", in_root(pki_.ca.cert),
            "--cert", in_root(pki_.client.cert), "--key", in_root(pki_.client.key)};
  }

  CommandResult SaveInRoot(const std::string& file, const std::string& host = "127.0.0.1") {
    std::vector<std::string> args = TlsFlags(host);
    args.insert(args.end(), {"snapshot", "save", file});
    return InRoot(args);
  }

  TempDir dir_{"etcdsnap-release"};
  Pki pki_;
  std::string binary_;
  std::vector<std::string> needed_;
  std::vector<std::string> chroot_;
  std::unique_ptr<EtcdCluster> cluster_;
};

TEST_F(StaticBinaryTest, NeedsNothingButGlibc) {
  for (const std::string& lib : needed_) EXPECT_TRUE(IsGlibcLibrary(lib)) << lib;
  // The root really is bare: none of the libraries a dynamic build loads is there.
  for (const auto& entry : fs::recursive_directory_iterator(root())) {
    const std::string name = entry.path().filename().string();
    for (const char* foreign : {"libstdc++", "libgcc_s", "libssl", "libcrypto", "libgrpc",
                                "libprotobuf", "libabsl", "libspdlog", "libfmt", "libzstd",
                                "libz.so", "libcares", "libre2"}) {
      EXPECT_EQ(name.find(foreign), std::string::npos) << entry.path();
    }
  }
  CommandResult v = InRoot({"version"});
  EXPECT_EQ(v.exit_code, 0) << v.Describe();
  EXPECT_NE(v.out.find("etcdsnap version: "), std::string::npos) << v.Describe();
}

// Over mutual TLS, with the name `localhost` resolved from the root's /etc/hosts: the same
// bytes as etcdctl's save of the same server; status and verify agree with the host's view.
TEST_F(StaticBinaryTest, SavesWhatEtcdctlSaves) {
  CommandResult saved = SaveInRoot("/backup/snap.db", "localhost");
  ASSERT_EQ(saved.exit_code, 0) << saved.Describe();
  EXPECT_EQ(saved.out, "Snapshot saved at /backup/snap.db\n");

  const std::string theirs = dir_.Join("etcdctl.db");
  CommandResult ctl = RunCommand(
      {FindExecutable("etcdctl"), "--endpoints", cluster_->member(0).ClientUrl(), "--cacert",
       pki_.ca.cert, "--cert", pki_.client.cert, "--key", pki_.client.key, "snapshot", "save",
       theirs},
      {.env = {{"ETCDCTL_API", "3"}}});
  ASSERT_EQ(ctl.exit_code, 0) << ctl.Describe();
  const std::string ours = ReadFileOrEmpty(root() + "/backup/snap.db");
  ASSERT_GT(ours.size(), 20000u);
  EXPECT_TRUE(ours == ReadFileOrEmpty(theirs))
      << "the snapshot saved in the root differs from etcdctl's (" << ours.size() << " vs "
      << FileSize(theirs) << " bytes)";

  CommandResult status = InRoot({"snapshot", "status", "/backup/snap.db", "-w", "json"});
  EXPECT_EQ(status.exit_code, 0) << status.Describe();
  CommandResult ctl_status = RunCommand(
      {FindExecutable("etcdctl"), "snapshot", "status", theirs, "-w", "json"},
      {.env = {{"ETCDCTL_API", "3"}}});
  EXPECT_EQ(status.out, ctl_status.out);
  CommandResult verify = InRoot({"snapshot", "verify", "/backup/snap.db"});
  EXPECT_EQ(verify.exit_code, 0) << verify.Describe();
}

// Saved and restored in the root; the real etcd boots from the data dir and serves every key.
TEST_F(StaticBinaryTest, RestoresADataDirEtcdBootsFrom) {
  CommandResult saved = SaveInRoot("/backup/snap.db");
  ASSERT_EQ(saved.exit_code, 0) << saved.Describe();
  EtcdOptions o{.tls = false};
  o.prepare = [&](const EtcdServer& m, const std::string& cluster, const std::string& token) {
    fs::remove_all(root() + "/restored");  // a retry with new ports starts again
    CommandResult r = InRoot({"snapshot", "restore", "/backup/snap.db", "--data-dir",
                              "/restored", "--name", m.name(), "--initial-cluster", cluster,
                              "--initial-cluster-token", token,
                              "--initial-advertise-peer-urls", m.PeerUrl()});
    if (r.exit_code != 0) return ::testing::AssertionFailure() << "restore: " << r.Describe();
    fs::remove_all(m.DataDir());
    fs::rename(root() + "/restored", m.DataDir());
    return ::testing::AssertionSuccess();
  };
  EtcdCluster restored(o, nullptr);
  ASSERT_TRUE(restored.Start());
  EtcdTestClient c = restored.Client();
  for (int i : {0, 25, 49}) {
    std::string value;
    ASSERT_TRUE(c.Get("/registry/configmaps/ns/cm-" + std::to_string(i), &value).ok());
    EXPECT_EQ(value, std::string(300, 'v'));
  }
}

}  // namespace
}  // namespace etcdsnap::testing
