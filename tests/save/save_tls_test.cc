// `etcdsnap snapshot save` against a real etcd over mutual TLS: what it saves, and how it fails
// when the certificates are wrong or the transport does not match.
#include <gtest/gtest.h>

#include "require.h"
#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

using std::chrono::seconds;

// Keys, a lease, a delete and a compaction: a backend with more than the initial buckets.
void WriteSomeData(EtcdTestClient client) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.Put("k" + std::to_string(i), "value-" + std::to_string(i)).ok());
  }
  int64_t lease = 0;
  ASSERT_TRUE(client.LeaseGrant(3600, &lease).ok());
  ASSERT_TRUE(client.Put("leased", "x", lease).ok());
  ASSERT_TRUE(client.Delete("k3").ok());
  int64_t revision = 0;
  ASSERT_TRUE(client.Revision(&revision).ok());
  ASSERT_TRUE(client.Compact(revision - 2).ok());
}

class SaveTlsTest : public SaveTest {
 protected:
  // A save with no TLS flags against `endpoint` (a TLS server) fails cleanly within the dial
  // timeout.
  void ExpectPlaintextFailsWithinDialTimeout(const std::string& endpoint) {
    const std::string file = Path("snap.db");
    const CommandResult r =
        Etcdsnap(SaveCommand({"--endpoints", endpoint, "--dial-timeout", "2s"}, file));
    EXPECT_TRUE(FailedCleanly(r, file));
    EXPECT_LT(r.wall, seconds(2) + kDialSlack) << r.Describe();
  }
  // Against a fresh TLS etcd, a save with `tls_flags` fails cleanly.
  void ExpectTlsRefused(const std::vector<std::string>& tls_flags) {
    StartEtcd();
    const std::string file = Path("snap.db");
    std::vector<std::string> flags = {"--endpoints", etcd().member(0).ClientUrl(),
                                      "--dial-timeout", "2s"};
    flags.insert(flags.end(), tls_flags.begin(), tls_flags.end());
    EXPECT_TRUE(FailedCleanly(Etcdsnap(SaveCommand(flags, file)), file));
  }
  // --endpoints <url> --dial-timeout 2s and mTLS flags with `client`.
  std::vector<std::string> MtlsFlags(const std::string& url, const CertKey& client) {
    std::vector<std::string> flags = {"--endpoints", url, "--dial-timeout", "2s"};
    const auto tls = TlsFlags(client);
    flags.insert(flags.end(), tls.begin(), tls.end());
    return flags;
  }
};

TEST_F(SaveTlsTest, SavesOverMutualTlsWithEtcdctlOutput) {
  StartEtcd();
  WriteSomeData(etcd().Client());
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveArgs(file));
  EXPECT_TRUE(SavedCompleteSnapshot(r, file));
}

TEST_F(SaveTlsTest, SavedFileIsByteIdenticalToEtcdctls) {
  const std::string etcdctl = FindExecutable("etcdctl");
  ETCDSNAP_REQUIRE_OR_SKIP(!etcdctl.empty(), "etcdctl not installed: nothing to compare with");
  StartEtcd();
  WriteSomeData(etcd().Client());
  const std::string ours = Path("ours.db");
  const std::string theirs = Path("theirs.db");
  ASSERT_TRUE(SavedCompleteSnapshot(Etcdsnap(SaveArgs(ours)), ours));
  std::vector<std::string> argv = {etcdctl, "--endpoints", etcd().member(0).Endpoint()};
  for (const auto& f : TlsFlags()) argv.push_back(f);
  argv.insert(argv.end(), {"snapshot", "save", theirs});
  const CommandResult r = RunCommand(argv, {}, kCommandTimeout);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string a = ReadFileOrEmpty(ours);
  const std::string b = ReadFileOrEmpty(theirs);
  EXPECT_EQ(a.size(), b.size());
  EXPECT_TRUE(a == b) << "etcdsnap's and etcdctl's snapshots of the same idle server differ";
}

TEST_F(SaveTlsTest, EnvironmentVariablesAloneConfigureTheSave) {
  StartEtcd();
  const std::string file = Path("snap.db");
  SubprocessOptions options;
  options.env = {{"ETCDCTL_API", "3"},
                 {"ETCDCTL_ENDPOINTS", etcd().member(0).ClientUrl()},
                 {"ETCDCTL_CACERT", pki().ca.cert},
                 {"ETCDCTL_CERT", pki().client.cert},
                 {"ETCDCTL_KEY", pki().client.key},
                 {"ETCDCTL_DIAL_TIMEOUT", "5s"}};
  EXPECT_TRUE(SavedCompleteSnapshot(Etcdsnap({"snapshot", "save", file}, options), file));
}

TEST_F(SaveTlsTest, DebugOutputNeverShowsKeyMaterial) {
  StartEtcd();
  const std::string file = Path("snap.db");
  std::vector<std::string> args = SaveArgs(file);
  args.insert(args.begin(), "--debug");
  const CommandResult r = Etcdsnap(args);
  EXPECT_TRUE(SavedCompleteSnapshot(r, file));
  EXPECT_EQ(r.err.find("PRIVATE KEY"), std::string::npos) << r.Describe();
  // The base64 body of the key (its second PEM line) must not leak in any form either.
  const std::string key = ReadFileOrEmpty(pki().client.key);
  const size_t body = key.find('\n') + 1;
  const std::string key_line = key.substr(body, key.find('\n', body) - body);
  ASSERT_GT(key_line.size(), 20u);
  EXPECT_EQ(r.err.find(key_line.substr(0, 20)), std::string::npos) << r.Describe();
}

TEST_F(SaveTlsTest, BareHostPortWithTlsFlagsUsesTls) {
  StartEtcd();
  const std::string file = Path("snap.db");
  const auto flags = MtlsFlags(etcd().member(0).Endpoint(), pki().client);
  EXPECT_TRUE(SavedCompleteSnapshot(Etcdsnap(SaveCommand(flags, file)), file));
}

// A CA that did not sign the server's certificate: the server cannot be verified.
TEST_F(SaveTlsTest, ServerCertFromUntrustedCaFailsCleanly) {
  ExpectTlsRefused({"--cacert", pki().other_ca.cert, "--cert", pki().client.cert, "--key",
                    pki().client.key});
}

TEST_F(SaveTlsTest, MissingClientCertFailsCleanly) {
  ExpectTlsRefused({"--cacert", pki().ca.cert});
}

// A TLS client (mTLS flags, https://) against a plaintext server: the hint says so, instead of
// blaming the client certificate.
TEST_F(SaveTlsTest, TlsClientAgainstPlaintextServerIsToldSo) {
  StartEtcd({.tls = false});
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveCommand(
      MtlsFlags("https://" + etcd().member(0).Endpoint(), pki().client), file));
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_NE(r.err.find("the server speaks plaintext, not TLS: use an http:// endpoint"),
            std::string::npos)
      << r.Describe();
  EXPECT_EQ(r.err.find("client certificate"), std::string::npos) << r.Describe();
}

TEST_F(SaveTlsTest, ClientCertFromAnotherCaFailsCleanly) {
  ExpectTlsRefused(TlsFlags(pki().other_client));
}

TEST_F(SaveTlsTest, ExpiredClientCertFailsCleanly) {
  ExpectTlsRefused(TlsFlags(pki().expired_client));
}

TEST_F(SaveTlsTest, InsecureSkipTlsVerifySavesWithoutTheCa) {
  StartEtcd();
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveCommand(
      {"--endpoints", etcd().member(0).ClientUrl(), "--insecure-skip-tls-verify", "--cert",
       pki().client.cert, "--key", pki().client.key},
      file));
  EXPECT_TRUE(SavedCompleteSnapshot(r, file));
}

// https:// with no --cacert means the system roots, which do not know the test CA.
TEST_F(SaveTlsTest, HttpsEndpointWithoutCaUsesSystemRootsAndFailsCleanly) {
  StartEtcd();
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveCommand(
      {"--endpoints", etcd().member(0).ClientUrl(), "--dial-timeout", "2s"}, file));
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_LT(r.wall, seconds(2) + kDialSlack) << r.Describe();
}

// A frozen server (SIGSTOP): the kernel still accepts the TCP connection, nothing answers.
TEST_F(SaveTlsTest, FrozenServerFailsWithinDialTimeout) {
  StartEtcd();
  etcd().member(0).Pause();
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveCommand(MtlsFlags(etcd().member(0).ClientUrl(),
                                                         pki().client), file));
  etcd().member(0).Resume();
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_LT(r.wall, seconds(2) + kDialSlack) << r.Describe();
}

// etcdctl hangs forever here; we must give up once the dial timeout has passed.
TEST_F(SaveTlsTest, HttpEndpointAgainstTlsServerFailsWithinDialTimeout) {
  StartEtcd();
  ExpectPlaintextFailsWithinDialTimeout("http://" + etcd().member(0).Endpoint());
}

TEST_F(SaveTlsTest, BareEndpointWithoutTlsFlagsAgainstTlsServerFailsWithinDialTimeout) {
  StartEtcd();
  ExpectPlaintextFailsWithinDialTimeout(etcd().member(0).Endpoint());
}

TEST_F(SaveTlsTest, UnreachableEndpointExits2WithinDialTimeout) {
  const RefusedPort refused;  // nothing listens there, and nothing can start to
  const std::string file = Path("snap.db");
  const CommandResult r =
      Etcdsnap(SaveCommand({"--endpoints", refused.Endpoint(), "--dial-timeout", "2s"}, file));
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_LT(r.wall, seconds(2) + kDialSlack) << r.Describe();
}

// A listener that never accepts: TCP connects (the kernel completes the handshake) but no TLS
// or HTTP/2 bytes ever come back.
TEST_F(SaveTlsTest, SilentListenerFailsWithinDialTimeout) {
  SilentListener silent;
  const std::string file = Path("snap.db");
  const CommandResult r =
      Etcdsnap(SaveCommand(MtlsFlags("https://" + silent.Endpoint(), pki().client), file));
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_LT(r.wall, seconds(2) + kDialSlack) << r.Describe();
}

}  // namespace
}  // namespace etcdsnap::testing
