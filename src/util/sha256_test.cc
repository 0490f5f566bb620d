#include "etcdsnap/util/sha256.h"

#include <gtest/gtest.h>

namespace etcdsnap {
namespace {

TEST(Sha256Test, KnownVector) {
  Sha256 h;
  h.Update("ab", 2);
  h.Update("c", 1);
  EXPECT_EQ(HexString(h.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace etcdsnap
