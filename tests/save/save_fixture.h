// SaveTest: the fixture of the `etcdsnap snapshot save` integration tests. Each test gets its own
// work dir, PKI and (when it asks) its own etcd, and runs build/etcdsnap as a subprocess.
#ifndef ETCDSNAP_TESTS_SAVE_SAVE_FIXTURE_H_
#define ETCDSNAP_TESTS_SAVE_SAVE_FIXTURE_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "etcd_cluster.h"
#include "pki.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {

// Bounds every etcdsnap run: a hang fails the test instead of blocking CTest.
inline constexpr std::chrono::seconds kCommandTimeout{60};
// "Fails within the dial timeout": dial timeout + this much slack for a loaded machine.
inline constexpr std::chrono::seconds kDialSlack{5};

class SaveTest : public ::testing::Test {
 protected:
  // Starts an etcd cluster (TLS with pki() unless options.tls is false); asserts it is ready.
  void StartEtcd(const EtcdOptions& options = {});
  EtcdCluster& etcd() { return *cluster_; }
  // Generated on first use: tests without TLS do not pay for it.
  Pki& pki();
  std::string Path(const std::string& name) const { return work_.Join(name); }

  // --cacert/--cert/--key flags for mutual TLS with `client`, trusting pki().ca.
  std::vector<std::string> TlsFlags(const CertKey& client);
  std::vector<std::string> TlsFlags() { return TlsFlags(pki().client); }
  // The flags of a plain mTLS save against member 0, then `snapshot save <file>`.
  std::vector<std::string> SaveArgs(const std::string& file);

  // Runs etcdsnap with `args` (argv[0] added) and records the result for failure messages.
  CommandResult Etcdsnap(const std::vector<std::string>& args, const SubprocessOptions& options = {},
                         std::chrono::seconds timeout = kCommandTimeout);

  std::unique_ptr<Pki> pki_;
  TempDir work_{"etcdsnap-save"};
  std::unique_ptr<EtcdCluster> cluster_;
};

// `global_flags` snapshot save `save_flags` file.
std::vector<std::string> SaveCommand(std::vector<std::string> global_flags,
                                     const std::string& file,
                                     const std::vector<std::string>& save_flags = {});

// Assertions shared by the save tests; each returns a failure that says what was found.
// Exactly one stderr line starts with "Error: ".
::testing::AssertionResult HasOneErrorLine(const CommandResult& r);
// Neither `file` nor `file`.part exists.
::testing::AssertionResult LeftNothingBehind(const std::string& file);
// A failed save: non-zero exit, not timed out, one Error line, no file, no .part.
::testing::AssertionResult FailedCleanly(const CommandResult& r, const std::string& file);
// A successful save: exit 0, stdout exactly "Snapshot saved at <file>\n", mode 0600, no .part,
// size % 512 == 32 and the trailing 32 bytes are the sha256 of the rest.
::testing::AssertionResult SavedCompleteSnapshot(const CommandResult& r, const std::string& file);

}  // namespace etcdsnap::testing

#endif  // ETCDSNAP_TESTS_SAVE_SAVE_FIXTURE_H_
