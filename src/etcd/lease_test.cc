// leasepb.Lease as etcd writes it into bucket `lease`, and damaged ones.
#include "etcdsnap/etcd/lease.h"

#include <gtest/gtest.h>

#include "test_history.h"

namespace etcdsnap::etcd {
namespace {

using testing::Varint;

std::span<const uint8_t> Span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(DecodeLeaseTest, FieldsAsGogoWritesThem) {
  // Lease{ID: 0x694d7d2c2fb9a60b, TTL: 3660}: an events lease (1 h + the reuse period).
  const std::string v = "\x08" + Varint(0x694d7d2c2fb9a60bULL) + "\x10" + Varint(3660);
  Result<Lease> l = DecodeLease(Span(v));
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->id, 0x694d7d2c2fb9a60bLL);
  EXPECT_EQ(l->ttl, 3660);
  EXPECT_EQ(l->remaining_ttl, 0);
  const std::string checkpointed = v + "\x18" + Varint(42) + "\x22\x01x";  // + an unknown field
  l = DecodeLease(Span(checkpointed));
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->remaining_ttl, 42);
  EXPECT_TRUE(DecodeLease(Span("")).ok());
}

TEST(DecodeLeaseTest, DamagedLeasesAreCorruption) {
  for (const std::string& v :
       {std::string("\x08"), std::string("\x08\x80"), std::string("\x12\x01x"),
        std::string("\x22\x05x"), std::string("\x0b"), std::string("\x80")}) {
    Result<Lease> l = DecodeLease(Span(v));
    EXPECT_FALSE(l.ok()) << v.size() << " bytes";
    if (!l.ok()) {
      EXPECT_EQ(l.status().code(), Code::kCorruption);
    }
  }
}

}  // namespace
}  // namespace etcdsnap::etcd
