#include "etcdsnap/etcd/key_value.h"

#include <gtest/gtest.h>

#include <string>

#include "test_history.h"

namespace etcdsnap::etcd {
namespace {

std::span<const uint8_t> B(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

using testing::Varint;
std::string Tag(int field, int wire) { return Varint(static_cast<uint64_t>(field << 3 | wire)); }
std::string Len(int field, const std::string& v) { return Tag(field, 2) + Varint(v.size()) + v; }
std::string Int(int field, int64_t v) { return Tag(field, 0) + Varint(static_cast<uint64_t>(v)); }

TEST(KeyValueTest, DecodesAllFields) {
  const std::string big(300, 'v');
  std::string m =
      Len(1, "foo") + Int(2, 5) + Int(3, 9) + Int(4, 2) + Len(5, big) + Int(6, 1234567890123);
  auto kv = DecodeKeyValue(B(m));
  ASSERT_TRUE(kv.ok()) << kv.status().message();
  EXPECT_EQ(kv->key, "foo");
  EXPECT_EQ(kv->create_revision, 5);
  EXPECT_EQ(kv->mod_revision, 9);
  EXPECT_EQ(kv->version, 2);
  EXPECT_EQ(kv->value, big);
  EXPECT_EQ(kv->lease, 1234567890123);
}

TEST(KeyValueTest, SkipsUnknownFieldsAndNegativeInts) {
  std::string m = Len(1, "k") + Int(9, 1) + Tag(10, 1) + std::string(8, 'x') + Tag(11, 5) +
                  std::string(4, 'y') + Len(12, "zz") + Int(6, -1);
  auto kv = DecodeKeyValue(B(m));
  ASSERT_TRUE(kv.ok()) << kv.status().message();
  EXPECT_EQ(kv->key, "k");
  EXPECT_EQ(kv->lease, -1);
}

TEST(KeyValueTest, EmptyIsAnEmptyKeyValue) {
  auto kv = DecodeKeyValue({});
  ASSERT_TRUE(kv.ok());
  EXPECT_TRUE(kv->key.empty());
}

TEST(KeyValueTest, RefusesBrokenWireData) {
  EXPECT_FALSE(DecodeKeyValue(B(Tag(1, 2) + Varint(10) + "abc")).ok());  // length past end
  EXPECT_FALSE(DecodeKeyValue(B(Tag(2, 0) + "\x80")).ok());              // truncated varint
  EXPECT_FALSE(DecodeKeyValue(B(Int(1, 3))).ok());                       // key as varint
  EXPECT_FALSE(DecodeKeyValue(B(Len(2, "x"))).ok());                     // int as bytes
  EXPECT_FALSE(DecodeKeyValue(B(Tag(7, 3))).ok());                       // group
  EXPECT_FALSE(DecodeKeyValue(B(std::string("\x08") + std::string(10, '\xff') + "\x01")).ok());
  EXPECT_FALSE(DecodeKeyValue(B(Tag(9, 1) + "1234")).ok());  // short fixed64
}

// The field rule DecodeKeyValue and the revision scanner's streamed decoder share.
TEST(KeyValueTest, FieldRule) {
  EXPECT_FALSE(KeyValueFieldOk(0, kWireVarint));
  for (uint64_t f : {1, 5}) {
    EXPECT_TRUE(KeyValueFieldOk(f, kWireBytes)) << f;
    EXPECT_FALSE(KeyValueFieldOk(f, kWireVarint)) << f;
    EXPECT_FALSE(KeyValueFieldOk(f, kWireFixed64)) << f;
  }
  for (uint64_t f : {2, 3, 4, 6}) {
    EXPECT_TRUE(KeyValueFieldOk(f, kWireVarint)) << f;
    EXPECT_FALSE(KeyValueFieldOk(f, kWireBytes)) << f;
    EXPECT_FALSE(KeyValueFieldOk(f, kWireFixed32)) << f;
  }
  for (uint32_t wire : {kWireVarint, kWireFixed64, kWireBytes, kWireFixed32}) {
    EXPECT_TRUE(KeyValueFieldOk(7, wire)) << wire;  // unknown fields: skipped
  }
}

}  // namespace
}  // namespace etcdsnap::etcd
