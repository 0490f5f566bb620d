// Reads a whole bbolt file back through the reader, for tests that check what a writer made:
// every top-level bucket's pairs (and sequences). Header-only; the test links etcdsnap_bolt.
#ifndef ETCDSNAP_TESTS_SUPPORT_BOLT_DUMP_H_
#define ETCDSNAP_TESTS_SUPPORT_BOLT_DUMP_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "etcdsnap/bolt/cursor.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/bolt/format.h"

namespace etcdsnap::testing {

using BoltModel = std::map<std::string, std::map<std::string, std::string>>;

inline std::string BytesString(bolt::Bytes b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Every top-level bucket of the file at `path` with its pairs; test failures when it cannot be
// read. `sequences` (optional) receives each bucket's sequence.
inline BoltModel DumpBuckets(const std::string& path,
                             std::map<std::string, uint64_t>* sequences = nullptr) {
  BoltModel m;
  auto f = bolt::File::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().message();
  if (!f.ok()) return m;
  bolt::Cursor root(**f, (*f)->meta().root);
  Status s = root.First();
  for (; s.ok() && root.Valid(); s = root.Next()) {
    EXPECT_TRUE(root.IsBucket());
    auto& bucket = m[BytesString(root.key())];
    auto h = bolt::DecodeBucketHeader(root.value());
    EXPECT_TRUE(h.ok());
    if (!h.ok()) continue;
    if (sequences != nullptr) (*sequences)[BytesString(root.key())] = h->sequence;
    std::unique_ptr<bolt::Cursor> c =
        h->root != 0 ? std::make_unique<bolt::Cursor>(**f, h->root)
                     : std::make_unique<bolt::Cursor>(**f, h->inline_page, "inline");
    Status cs = c->First();
    for (; cs.ok() && c->Valid(); cs = c->Next()) {
      bucket[BytesString(c->key())] = BytesString(c->value());
    }
    EXPECT_TRUE(cs.ok()) << cs.message();
  }
  EXPECT_TRUE(s.ok()) << s.message();
  return m;
}

}  // namespace etcdsnap::testing

#endif  // ETCDSNAP_TESTS_SUPPORT_BOLT_DUMP_H_
