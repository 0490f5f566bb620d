// Secrets in memory: overwrite them when done, so that a core dump or a later heap reuse does
// not carry a password.
#pragma once

#include <string>

namespace etcdsnap {

// Overwrites every byte `s` owns (up to its capacity) in a way the compiler keeps, then empties
// it.
void ClearSecret(std::string& s);

// Overwrites `n` bytes at `p` in a way the compiler keeps.
void ClearSecretBytes(void* p, size_t n);

}  // namespace etcdsnap
