// Writes small bbolt files (1 KiB pages) into a directory, as seeds for bolt_fuzz: nested and
// inline buckets, a branch, an overflow value, a persisted freelist, etcd-shaped buckets.
#include <cstdio>
#include <string>

#include "test_db.h"

using etcdsnap::bolt::Pgid;
using etcdsnap::bolt::testing::Item;
using etcdsnap::bolt::testing::TestDb;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  {
    TestDb db(1024);
    Pgid l1 = db.AddLeaf({{"a", "1"}, {"b", std::string(1500, 'b')}});
    Pgid l2 = db.AddLeaf({{"c", "3"}, TestDb::Bucket("d", TestDb::InlineBucket({{"x", "y"}}))});
    Pgid br = db.AddBranch({{"a", l1}, {"c", l2}});
    Pgid free = db.AddEmpty();
    Pgid root = db.AddLeaf(
        {TestDb::Bucket("key", TestDb::BucketValue(br)),
         TestDb::Bucket("meta",
                        TestDb::InlineBucket({{"consistent_index", std::string(8, '\1')}}))});
    Pgid fl = db.AddFreelist({free});
    TestDb::WriteFile(dir + "/seed-tree.db", db.Finish(root, fl));
  }
  {
    TestDb db(1024);
    std::string rev(17, '\0');
    rev[7] = 2;
    rev[8] = '_';
    const std::string kv = std::string("\x0a\x01k\x10\x02\x18\x02\x20\x01\x2a\x01v", 13);
    Pgid key = db.AddLeaf({{rev, kv}});
    Pgid root = db.AddLeaf({TestDb::Bucket("alarm", TestDb::InlineBucket({})),
                            TestDb::Bucket("key", TestDb::BucketValue(key))});
    TestDb::WriteFile(dir + "/seed-etcd.db", db.Finish(root));
  }
  {
    TestDb db(1024);
    Pgid root = db.AddLeaf({});
    TestDb::WriteFile(dir + "/seed-empty.db", db.Finish(root));
  }
  return 0;
}
