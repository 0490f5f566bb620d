// --discovery-srv (-d, ETCDCTL_DISCOVERY_SRV), --discovery-srv-name and --insecure-discovery
// against a DNS server started on loopback (dnsmasq), which ETCDSNAP_DNS_SERVER points the
// resolver at: the SRV records' endpoints replace --endpoints, as in etcdctl.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <thread>

#include "etcd_cluster.h"
#include "etcdsnap/client/discovery.h"
#include "require.h"
#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

using std::chrono::seconds;

// dnsmasq in the foreground on 127.0.0.1:<port>, answering only the given SRV records.
class DnsServer {
 public:
  // `srv_hosts`: dnsmasq --srv-host values, "_service._tcp.domain,target,port".
  explicit DnsServer(const std::vector<std::string>& srv_hosts) : port_(FreeLoopbackPort()) {
    std::vector<std::string> argv = {FindExecutable("dnsmasq").empty() ? "/usr/sbin/dnsmasq"
                                                                       : "dnsmasq",
                                     "-k", "--port=" + std::to_string(port_),
                                     "--listen-address=127.0.0.1", "--bind-interfaces",
                                     "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                                     "--pid-file="};
    for (const auto& s : srv_hosts) argv.push_back("--srv-host=" + s);
    process_ = std::make_unique<Subprocess>(argv, SubprocessOptions{});
  }
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Waits until the server answers `name`; false after `timeout` or when it exited.
  bool WaitAnswers(const std::string& name, std::chrono::seconds timeout) {
    ::setenv("ETCDSNAP_DNS_SERVER", Address().c_str(), 1);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && !process_->Poll()) {
      if (client::LookupSrv(name).ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polls the server
    }
    return false;
  }

 private:
  int port_;
  std::unique_ptr<Subprocess> process_;
};

bool HaveDnsmasq() {
  return !FindExecutable("dnsmasq").empty() || ::access("/usr/sbin/dnsmasq", X_OK) == 0;
}

class SaveDiscoveryTest : public SaveTest {
 protected:
  void SetUp() override {
    ETCDSNAP_REQUIRE_OR_SKIP(HaveDnsmasq(), "dnsmasq (Debian's dnsmasq-base) is needed");
    StartEtcd({.tls = tls_});
  }
  bool tls_ = false;
  // Starts dnsmasq with `records` (the etcd member's port filled in for {PORT}).
  void StartDns(std::vector<std::string> records, const std::string& probe) {
    for (auto& r : records) {
      if (const size_t at = r.find("{PORT}"); at != std::string::npos) {
        r.replace(at, 6, std::to_string(etcd().member(0).client_port()));
      }
    }
    dns_ = std::make_unique<DnsServer>(records);
    ASSERT_TRUE(dns_->WaitAnswers(probe, seconds(20))) << "dnsmasq does not answer";
  }
  CommandResult Save(std::vector<std::string> global_flags, const std::string& file,
                     std::map<std::string, std::string> env = {}) {
    SubprocessOptions options;
    options.env = std::move(env);
    options.env["ETCDSNAP_DNS_SERVER"] = dns_->Address();
    return Etcdsnap(SaveCommand(std::move(global_flags), file), options);
  }

  RefusedPort refused_;  // --endpoints that must not be used
  std::unique_ptr<DnsServer> dns_;
};

TEST_F(SaveDiscoveryTest, SrvRecordsReplaceEndpoints) {
  StartDns({"_etcd-client._tcp.example.test,localhost,{PORT}"}, "_etcd-client._tcp.example.test");
  const std::string file = Path("snap.db");
  EXPECT_TRUE(SavedCompleteSnapshot(
      Save({"-d", "example.test", "--endpoints", refused_.Endpoint()}, file), file));
}

TEST_F(SaveDiscoveryTest, EnvironmentVariableAndServiceName) {
  StartDns({"_etcd-client-prod._tcp.example.test,localhost,{PORT}"},
           "_etcd-client-prod._tcp.example.test");
  const std::string file = Path("snap.db");
  EXPECT_TRUE(SavedCompleteSnapshot(
      Save({"--discovery-srv-name=prod"}, file, {{"ETCDCTL_DISCOVERY_SRV", "example.test"}}),
      file));
  // Without the name, the records are not there: exit 1 (etcdctl's), saying what was looked up.
  const CommandResult r = Save({"--discovery-srv", "example.test"}, file + ".2");
  EXPECT_TRUE(FailedCleanly(r, file + ".2"));
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("_etcd-client._tcp.example.test"), std::string::npos) << r.Describe();
}

// --insecure-discovery=false drops the http:// endpoints; none left, --endpoints is used.
TEST_F(SaveDiscoveryTest, InsecureRecordsDroppedWhenInsecureDiscoveryIsOff) {
  StartDns({"_etcd-client._tcp.example.test,localhost," + std::to_string(refused_.port())},
           "_etcd-client._tcp.example.test");
  const std::string file = Path("snap.db");
  const CommandResult r = Save({"-d", "example.test", "--insecure-discovery=false", "--endpoints",
                                etcd().member(0).ClientUrl()},
                               file);
  EXPECT_TRUE(SavedCompleteSnapshot(r, file));
  EXPECT_NE(r.err.find("ignoring discovered insecure endpoint \"http://localhost:" +
                       std::to_string(refused_.port()) + "\""),
            std::string::npos)
      << r.Describe();
}

TEST_F(SaveDiscoveryTest, NoRecordsFailsWithExit1) {
  StartDns({"_etcd-client._tcp.example.test,localhost,{PORT}"}, "_etcd-client._tcp.example.test");
  const std::string file = Path("snap.db");
  const CommandResult r = Save({"-d", "other.test", "--endpoints", etcd().member(0).ClientUrl()}, file);
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("Error: DNS discovery for other.test found no endpoints"),
            std::string::npos)
      << r.Describe();
}

// With --insecure-discovery=false etcdctl checks every server certificate against the discovery
// domain, not the SRV target: the test server's certificate names localhost and 127.0.0.1, and
// the records point at 127.0.0.1.
class SaveDiscoveryTlsTest : public SaveDiscoveryTest {
 protected:
  SaveDiscoveryTlsTest() { tls_ = true; }
};

TEST_F(SaveDiscoveryTlsTest, CertificateMustNameTheDomainWhenInsecureDiscoveryIsOff) {
  StartDns({"_etcd-client-ssl._tcp.localhost,127.0.0.1,{PORT}",
            "_etcd-client-ssl._tcp.example.test,127.0.0.1,{PORT}"},
           "_etcd-client-ssl._tcp.example.test");
  std::vector<std::string> tls = TlsFlags();
  auto with = [&](std::vector<std::string> flags) {
    flags.insert(flags.end(), tls.begin(), tls.end());
    return flags;
  };
  // The certificate names localhost: saved.
  const std::string file = Path("snap.db");
  EXPECT_TRUE(SavedCompleteSnapshot(
      Save(with({"-d", "localhost", "--insecure-discovery=false"}), file), file));
  // It does not name example.test: refused, as etcdctl would.
  const std::string refused = Path("refused.db");
  const CommandResult r = Save(with({"-d", "example.test", "--insecure-discovery=false"}), refused);
  EXPECT_TRUE(FailedCleanly(r, refused));
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  // With insecure discovery (the default) the domain is not the server name: saved.
  const std::string plain = Path("default.db");
  EXPECT_TRUE(SavedCompleteSnapshot(Save(with({"-d", "example.test"}), plain), plain));
}

}  // namespace
}  // namespace etcdsnap::testing
