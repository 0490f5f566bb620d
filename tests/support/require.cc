#include "require.h"

#include <cstdlib>
#include <string>

namespace etcdsnap::testing {

bool InCi() {
  const char* ci = std::getenv("CI");
  if (ci == nullptr) return false;
  const std::string v(ci);
  return v == "true" || v == "TRUE" || v == "True" || v == "1";
}

}  // namespace etcdsnap::testing
