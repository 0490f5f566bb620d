#include "forked_cli.h"

#include <cstdlib>
#include <cstring>

#include "etcdsnap/cli/command.h"

extern char** environ;

// LeakSanitizer's entry point, present when the test binary links the sanitizer runtime (the
// test's own code is compiled without instrumentation, so no __has_feature can tell).
extern "C" int __lsan_do_recoverable_leak_check() __attribute__((weak));

namespace etcdsnap::inspect_test {

using ::etcdsnap::testing::CommandResult;

namespace {

// A sanitizer's report in stderr: the run counts as kSanitizerExitCode whatever ASAN_OPTIONS
// and UBSAN_OPTIONS said (without exitcode=99 a report exits 1, etcdsnap's own "error").
CommandResult WithSanitizerVerdict(CommandResult r) {
  if (r.timed_out || r.term_signal != 0) return r;  // reported as such
  for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                             "Sanitizer has encountered a fatal error"}) {
    if (r.err.find(report) != std::string::npos) r.exit_code = kSanitizerExitCode;
  }
  return r;
}

}  // namespace

CommandResult RunForkedLeakChecked(const std::function<int()>& body, int timeout_seconds,
                                   bool leak_check) {
  return ::etcdsnap::testing::RunForked(
      [&]() {
        const int code = body();
        if (leak_check && __lsan_do_recoverable_leak_check != nullptr &&
            __lsan_do_recoverable_leak_check() != 0) {
          return kSanitizerExitCode;
        }
        return code;
      },
      std::chrono::seconds(timeout_seconds));
}

CommandResult RunEtcdsnap(const std::vector<std::string>& args, int timeout_seconds,
                          bool leak_check) {
  if (const char* other = std::getenv("ETCDSNAP_BINARY"); other != nullptr && *other != '\0') {
    std::vector<std::string> argv{other};
    argv.insert(argv.end(), args.begin(), args.end());
    return WithSanitizerVerdict(
        ::etcdsnap::testing::RunCommand(argv, {}, std::chrono::seconds(timeout_seconds)));
  }
  return WithSanitizerVerdict(RunForkedLeakChecked(
      [&]() {
        // In the child: the environment a program run by RunCommand would get.
        std::vector<std::string> drop;
        for (char** e = environ; *e != nullptr; ++e) {
          const std::string entry(*e);
          const std::string name = entry.substr(0, entry.find('='));
          if (::etcdsnap::testing::IsEtcdVariable(name)) drop.push_back(name);
        }
        for (const std::string& name : drop) ::unsetenv(name.c_str());
        std::vector<std::string> storage{"etcdsnap"};
        storage.insert(storage.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (std::string& s : storage) argv.push_back(s.data());
        argv.push_back(nullptr);
        return ::etcdsnap::cli::Main(static_cast<int>(storage.size()), argv.data());
      },
      timeout_seconds, leak_check));
}

}  // namespace etcdsnap::inspect_test
