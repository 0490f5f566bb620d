#include "save_fixture.h"

#include <openssl/sha.h>
#include <sys/stat.h>

#include <sstream>

namespace etcdsnap::testing {

Pki& SaveTest::pki() {
  if (pki_ == nullptr) pki_ = std::make_unique<Pki>();
  return *pki_;
}

void SaveTest::StartEtcd(const EtcdOptions& options) {
  cluster_ = std::make_unique<EtcdCluster>(options, options.tls ? &pki() : nullptr);
  ASSERT_TRUE(cluster_->Start());
}

std::vector<std::string> SaveTest::TlsFlags(const CertKey& client) {
  return {"--cacert", pki().ca.cert, "--cert", client.cert, "--key", client.key};
}

std::vector<std::string> SaveTest::SaveArgs(const std::string& file) {
  std::vector<std::string> flags = {"--endpoints", cluster_->member(0).ClientUrl()};
  if (cluster_->member(0).ClientUrl().rfind("https", 0) == 0) {
    for (auto& f : TlsFlags()) flags.push_back(f);
  }
  return SaveCommand(flags, file);
}

CommandResult SaveTest::Etcdsnap(const std::vector<std::string>& args,
                                 const SubprocessOptions& options, std::chrono::seconds timeout) {
  std::vector<std::string> argv = {EtcdsnapBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv, options, timeout);
  std::ostringstream cmd;
  for (const auto& a : argv) cmd << a << ' ';
  RecordProperty("last_command", cmd.str());
  return r;
}

std::vector<std::string> SaveCommand(std::vector<std::string> global_flags,
                                     const std::string& file,
                                     const std::vector<std::string>& save_flags) {
  global_flags.insert(global_flags.end(), {"snapshot", "save"});
  global_flags.insert(global_flags.end(), save_flags.begin(), save_flags.end());
  global_flags.push_back(file);
  return global_flags;
}

::testing::AssertionResult HasOneErrorLine(const CommandResult& r) {
  int count = 0;
  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Error: ", 0) == 0) ++count;
  }
  if (count == 1) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << count << " stderr lines start with \"Error: \" (want 1)\n" << r.Describe();
}

::testing::AssertionResult LeftNothingBehind(const std::string& file) {
  if (PathExists(file)) return ::testing::AssertionFailure() << file << " exists";
  if (PathExists(file + ".part")) return ::testing::AssertionFailure() << file << ".part exists";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult FailedCleanly(const CommandResult& r, const std::string& file) {
  if (r.timed_out) return ::testing::AssertionFailure() << "hung\n" << r.Describe();
  if (r.exit_code == 0) return ::testing::AssertionFailure() << "exit 0\n" << r.Describe();
  if (auto one = HasOneErrorLine(r); !one) return one;
  if (auto none = LeftNothingBehind(file); !none) return none << "\n" << r.Describe();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult SavedCompleteSnapshot(const CommandResult& r, const std::string& file) {
  if (r.exit_code != 0) return ::testing::AssertionFailure() << "save failed\n" << r.Describe();
  if (r.out != "Snapshot saved at " + file + "\n") {
    return ::testing::AssertionFailure() << "unexpected stdout\n" << r.Describe();
  }
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return ::testing::AssertionFailure() << "no " << file;
  if ((st.st_mode & 07777) != 0600) {
    return ::testing::AssertionFailure() << file << " has mode " << std::oct << (st.st_mode & 07777);
  }
  if (PathExists(file + ".part")) return ::testing::AssertionFailure() << file << ".part left";
  const std::string data = ReadFileOrEmpty(file);
  if (data.size() % 512 != 32) {
    return ::testing::AssertionFailure() << file << " is " << data.size() << " bytes, % 512 != 32";
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size() - 32, digest);
  if (data.compare(data.size() - 32, 32, reinterpret_cast<const char*>(digest), 32) != 0) {
    return ::testing::AssertionFailure() << file << ": trailer is not the sha256 of the image";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace etcdsnap::testing
