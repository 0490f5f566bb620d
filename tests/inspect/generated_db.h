// An etcd-shaped bbolt file built byte by byte (a branch over three leaves, a value spanning
// overflow pages, inline buckets, a persisted freelist) and the sha256 trailer etcd appends:
// shared by the corruption and mutation tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "etcdsnap/util/sha256.h"
#include "test_db.h"

namespace etcdsnap::inspect_test {

using bolt::Pgid;
using bolt::testing::Item;
using bolt::testing::TestDb;

inline std::string Varint(uint64_t v) {
  std::string s;
  for (; v >= 0x80; v >>= 7) s.push_back(static_cast<char>((v & 0x7f) | 0x80));
  s.push_back(static_cast<char>(v));
  return s;
}

inline std::string Rev(uint64_t main) {
  std::string k;
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(main >> (8 * i)));
  return k + "_" + std::string(8, '\0');
}

inline std::string KeyValue(const std::string& key, uint64_t rev, const std::string& value) {
  return "\x0a" + Varint(key.size()) + key + "\x10" + Varint(rev) + "\x18" + Varint(rev) +
         "\x20\x01" + "\x2a" + Varint(value.size()) + value;
}

inline std::string BE64(uint64_t v) {
  std::string s;
  for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}

inline std::string WithTrailer(const std::string& db) {
  Sha256 sha;
  sha.Update(db.data(), db.size());
  const Sha256Digest d = sha.Finish().value();
  return db + std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// An etcd-shaped bbolt file: `key` is a branch over three leaves (one with a value spanning
// overflow pages), the other buckets inline, a persisted freelist listing one free page.
struct Generated {
  std::string bytes;  // without trailer
  std::map<std::string, Pgid> pages;
};

inline Generated Generate() {
  TestDb db;
  Generated g;
  uint64_t rev = 2;
  std::vector<Pgid> leaves;
  std::vector<std::string> first_keys;
  for (int leaf = 0; leaf < 3; ++leaf) {
    std::vector<Item> items;
    for (int i = 0; i < 8; ++i, ++rev) {
      const std::string value = leaf == 1 && i == 3 ? std::string(9000, 'o') : "v";
      items.push_back({Rev(rev), KeyValue("k" + std::to_string(rev), rev, value)});
    }
    first_keys.push_back(items[0].key);
    leaves.push_back(db.AddLeaf(items));
  }
  g.pages["leaf"] = leaves[0];
  g.pages["overflow_leaf"] = leaves[1];
  g.pages["branch"] = db.AddBranch(
      {{first_keys[0], leaves[0]}, {first_keys[1], leaves[1]}, {first_keys[2], leaves[2]}});
  const Pgid free_page = db.AddEmpty();
  std::vector<Item> root_items;
  for (const char* b : {"alarm", "auth", "authRoles", "authUsers", "cluster"}) {
    root_items.push_back(TestDb::Bucket(b, TestDb::InlineBucket({})));
  }
  root_items.push_back(TestDb::Bucket("key", TestDb::BucketValue(g.pages["branch"])));
  for (const char* b : {"lease", "members", "members_removed"}) {
    root_items.push_back(TestDb::Bucket(b, TestDb::InlineBucket({})));
  }
  root_items.push_back(
      TestDb::Bucket("meta", TestDb::InlineBucket({{"consistent_index", BE64(42)}})));
  g.pages["root"] = db.AddLeaf(root_items);
  g.pages["freelist"] = db.AddFreelist({free_page});
  g.bytes = db.Finish(g.pages["root"], g.pages["freelist"]);
  return g;
}

}  // namespace etcdsnap::inspect_test
