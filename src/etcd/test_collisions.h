// Keys crafted to collide in etcd::KeyTable (whose hash is fixed, not keyed), for the tests of
// its probe limit and of the use cases that refuse such a file. Test-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "etcdsnap/etcd/key_table.h"

namespace etcdsnap::etcd::testing {

// `n` keys whose hashes are 0 in the bits of `mask`: they share their home slot in any table of
// up to mask + 1 slots. About n * (mask + 1) hashes to find.
inline std::vector<std::string> CollidingKeys(size_t n, uint64_t mask) {
  std::vector<std::string> keys;
  for (uint64_t i = 0; keys.size() < n; ++i) {
    std::string k = "/registry/configmaps/crafted/" + std::to_string(i);
    if ((KeyTable::Hash(k) & mask) == 0) keys.push_back(std::move(k));
  }
  return keys;
}

// Enough of them to fill a table's longest probe run and one more: at 1024 keys the table has
// 2048 slots, so keys agreeing in the low 11 bits fill the 1024 slots from their home slot.
inline std::vector<std::string> TooManyCollidingKeys() {
  return CollidingKeys(KeyTable::kMaxProbe + 1, 2047);
}

}  // namespace etcdsnap::etcd::testing
