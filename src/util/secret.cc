#include "etcdsnap/util/secret.h"

#include <string.h>

namespace etcdsnap {

void ClearSecretBytes(void* p, size_t n) {
  if (p != nullptr && n > 0) ::explicit_bzero(p, n);
}

void ClearSecret(std::string& s) {
  s.resize(s.capacity());
  ClearSecretBytes(s.data(), s.size());
  s.clear();
}

}  // namespace etcdsnap
