// Prerequisites of a test (etcd, etcdctl, a server that started): skipped on a developer's
// machine that lacks them, but a failure in CI, where CTest would count the skip as a pass.
#ifndef ETCDSNAP_TESTS_SUPPORT_REQUIRE_H_
#define ETCDSNAP_TESTS_SUPPORT_REQUIRE_H_

#include <gtest/gtest.h>

namespace etcdsnap::testing {

// True when the environment says this is a CI run: CI=true (or 1), as GitHub Actions, GitLab
// and most CI systems set it.
bool InCi();

}  // namespace etcdsnap::testing

// When `cond` is false: fails the test under CI, skips it otherwise; either way returns from the
// current (void) function. `why` is streamed into the message.
#define ETCDSNAP_REQUIRE_OR_SKIP(cond, why)                                               \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      if (::etcdsnap::testing::InCi()) {                                                  \
        GTEST_FAIL() << "prerequisite missing, and CI=true forbids skipping: " << why;    \
      } else {                                                                            \
        GTEST_SKIP() << why;                                                              \
      }                                                                                   \
    }                                                                                     \
  } while (0)

#endif  // ETCDSNAP_TESTS_SUPPORT_REQUIRE_H_
