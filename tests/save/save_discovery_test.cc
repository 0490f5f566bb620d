// --discovery-srv (-d, ETCDCTL_DISCOVERY_SRV), --discovery-srv-name and --insecure-discovery
// against a DNS server started on loopback (dnsmasq), which ETCDSNAP_DNS_SERVER points the
// resolver at: the SRV records' endpoints replace --endpoints, as in etcdctl.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "etcd_cluster.h"
#include "etcdsnap/client/discovery.h"
#include "require.h"
#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

using std::chrono::seconds;

// dnsmasq in the foreground on 127.0.0.1:<port>, answering only the given SRV records.
// dnsmasq takes neither a bound socket nor port 0, so it is given a free port; when another
// process takes that port first, dnsmasq cannot bind it and exits ("failed to create listening
// socket"), and it is started again on another. Once it logs "started" it holds the port, UDP
// and TCP, for its life: no other server can answer our queries there.
class DnsServer {
 public:
  // `srv_hosts`: dnsmasq --srv-host values, "_service._tcp.domain,target,port". `first_port`:
  // the port to try first (0: a free one).
  ::testing::AssertionResult Start(const std::vector<std::string>& srv_hosts, int first_port = 0) {
    std::string log;
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = attempt == 0 && first_port != 0 ? first_port : FreeLoopbackPort();
      std::vector<std::string> argv = {
          FindExecutable("dnsmasq").empty() ? "/usr/sbin/dnsmasq" : "dnsmasq",
          "-k", "--port=" + std::to_string(port_), "--listen-address=127.0.0.1",
          "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
          "--pid-file=", "--log-facility=-"};
      for (const auto& s : srv_hosts) argv.push_back("--srv-host=" + s);
      SubprocessOptions options;
      options.stderr_path = dir_.Join("dnsmasq-" + std::to_string(attempt) + ".log");
      process_ = std::make_unique<Subprocess>(argv, options);
      const auto deadline = std::chrono::steady_clock::now() + seconds(20);
      while (std::chrono::steady_clock::now() < deadline) {
        const bool exited = process_->Poll();
        log = ReadFileOrEmpty(options.stderr_path);
        if (log.find("started, version") != std::string::npos && !exited) {
          return ::testing::AssertionSuccess();
        }
        if (exited) break;  // most likely its port was taken: try another
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polls dnsmasq's log
      }
    }
    return ::testing::AssertionFailure() << "dnsmasq did not start; its last log:\n" << log;
  }
  int port() const { return port_; }
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
  TempDir dir_{"dnsmasq"};
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

bool HaveDnsmasq() {
  return !FindExecutable("dnsmasq").empty() || ::access("/usr/sbin/dnsmasq", X_OK) == 0;
}

// The harness itself: a DNS server whose port was taken before it could bind it (here, held
// by a UDP socket) starts on another and answers there.
TEST(DnsServerTest, StartsOnAnotherPortWhenItsPortIsTaken) {
  ETCDSNAP_REQUIRE_OR_SKIP(HaveDnsmasq(), "dnsmasq (Debian's dnsmasq-base) is needed");
  const int held = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(held, 0);
  const struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{held};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(held, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(held, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int taken = ntohs(addr.sin_port);
  DnsServer dns;
  ASSERT_TRUE(dns.Start({"_etcd-client._tcp.example.test,localhost,2379"}, taken));
  EXPECT_NE(dns.port(), taken);
  EXPECT_TRUE(dns.WaitAnswers("_etcd-client._tcp.example.test", seconds(20)));
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
    dns_ = std::make_unique<DnsServer>();
    ASSERT_TRUE(dns_->Start(records));
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
