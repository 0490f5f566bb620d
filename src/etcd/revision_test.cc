#include "etcdsnap/etcd/revision.h"

#include <gtest/gtest.h>

#include <string>

namespace etcdsnap::etcd {
namespace {

std::span<const uint8_t> B(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string Key(uint64_t main, uint64_t sub, bool tomb = false) {
  std::string k;
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(main >> (8 * i)));
  k.push_back('_');
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(sub >> (8 * i)));
  if (tomb) k.push_back('t');
  return k;
}

TEST(RevisionTest, ParsesPutsAndDeletions) {
  auto r = ParseRevisionKey(B(Key(0x0102030405, 7)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->main, 0x0102030405);
  EXPECT_EQ(r->sub, 7);
  EXPECT_FALSE(r->tombstone);
  r = ParseRevisionKey(B(Key(6, 0, true)));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->tombstone);
}

TEST(RevisionTest, RefusesMalformedKeys) {
  EXPECT_FALSE(ParseRevisionKey(B("short")).ok());
  std::string k = Key(1, 0);
  k[8] = '-';
  EXPECT_FALSE(ParseRevisionKey(B(k)).ok());
  k = Key(1, 0) + "x";
  EXPECT_FALSE(ParseRevisionKey(B(k)).ok());
  EXPECT_FALSE(ParseRevisionKey(B(Key(1, 0) + "tt")).ok());
}

}  // namespace
}  // namespace etcdsnap::etcd
