// `etcdsnap <args>` for the campaigns that run it thousands of times on small files (mutation,
// corruption): etcdsnap::cli::Main in a forked child of the test process. The child runs the
// binary's code (the test links the same objects, src/cli etcdsnap_front) without the binary's
// start-up, which is what each run of the sanitized, dynamically linked build mostly cost: on a
// 2-core VM a verify of s1.db took 110-150 ms as a program, ~45 ms forked (~12 ms of it the
// fork). A crash or a hang stays the child's, reported as for a program. What a forked run does
// not do: the program's static destructors and atexit handlers, and main()'s malloc settings.
// Single-threaded tests only (tests/support RunForked).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "subprocess.h"

namespace etcdsnap::inspect_test {

// The exit code of a run in which a sanitizer reported: scripts/test-sanitize.sh sets it for
// ASan and UBSan (exitcode=99; their default, 1, reads as etcdsnap's "error"), and a forked run
// whose leak check finds a leak exits with it. etcdsnap itself never exits 99.
inline constexpr int kSanitizerExitCode = 99;

// RunForked, and with `leak_check` LeakSanitizer (in sanitized builds) looks for leaks when
// `body` returns: kSanitizerExitCode and its report on stderr when it finds one.
::etcdsnap::testing::CommandResult RunForkedLeakChecked(const std::function<int()>& body,
                                                        int timeout_seconds, bool leak_check);

// Runs `etcdsnap <args>` as above (RunForkedLeakChecked), with the test's ETCDCTL_* and ETCD_*
// variables removed as RunCommand removes them. When $ETCDSNAP_BINARY names another build, that
// program runs instead (leak_check then follows its ASAN_OPTIONS). Either way a sanitizer's
// report in stderr makes the exit code kSanitizerExitCode.
::etcdsnap::testing::CommandResult RunEtcdsnap(const std::vector<std::string>& args,
                                               int timeout_seconds = 30, bool leak_check = true);

}  // namespace etcdsnap::inspect_test
