// libFuzzer target over everything that reads an untrusted snapshot: bolt::File::Open (meta
// selection), bolt::Check with etcd's status computer and schema checker riding along, a plain
// Cursor walk of the root bucket, and the revision and KeyValue decoders. Differential: the
// walk with bucket `key` split over two threads must give exactly the single walk's errors
// and status figures (a difference aborts).
#include <cstddef>
#include <cstdint>
#include <string>

#include "etcdsnap/bolt/check.h"
#include "etcdsnap/bolt/cursor.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/etcd/backend_status.h"
#include "etcdsnap/etcd/key_value.h"
#include "etcdsnap/etcd/revision.h"
#include "etcdsnap/etcd/schema.h"
#include "mem_file.h"

namespace {

using namespace etcdsnap;  // NOLINT(build/namespaces): a fuzz driver

// Feeds every entry to the status computers (both layouts) and the schema checker.
class Tee : public bolt::EntryVisitor {
 public:
  void OnEntry(const bolt::Entry& e) override {
    s34.OnEntry(e);
    s36.OnEntry(e);
    schema.OnEntry(e);
  }
  etcd::StatusComputer s34{etcd::StatusLayout::kEtcd34};
  etcd::StatusComputer s36{etcd::StatusLayout::kEtcd36};
  etcd::SchemaChecker schema;
};

void ExerciseFile(const std::string& path) {
  bolt::File::Options options;
  options.max_page_bytes = 1 << 20;  // keep the fuzzer's memory small
  auto file = bolt::File::Open(path, options);
  if (!file.ok()) return;
  Tee tee;
  bolt::CheckOptions check;
  check.visitor = &tee;
  check.max_errors = 50;
  bolt::CheckResult r = bolt::Check(**file, check);
  etcd::StatusComputer split(etcd::StatusLayout::kEtcd34);
  bolt::CheckOptions parallel = check;
  parallel.visitor = nullptr;
  parallel.parallel_visitor = &split;
  const bolt::CheckResult p = bolt::Check(**file, parallel);
  if (p.errors != r.errors || p.error_count != r.error_count || p.keys != r.keys ||
      p.buckets != r.buckets || p.reachable_pages != r.reachable_pages) {
    __builtin_trap();
  }
  const Result<etcd::BackendStatus> a = tee.s34.Finish((*file)->db_size());
  const Result<etcd::BackendStatus> b = split.Finish((*file)->db_size());
  if (a.ok() != b.ok() || (a.ok() && (a->hash != b->hash || a->revision != b->revision ||
                                      a->total_key != b->total_key)) ||
      (!a.ok() && a.status().message() != b.status().message())) {
    __builtin_trap();
  }
  (void)tee.s36.Finish((*file)->db_size());
  (void)tee.schema.Finish();
  (void)r;
  bolt::Cursor c(**file, (*file)->meta().root);
  int steps = 0;
  for (Status s = c.First(); s.ok() && c.Valid() && steps < 100000; s = c.Next(), ++steps) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)etcd::DecodeKeyValue({data, size});
  (void)etcd::ParseRevisionKey({data, size});
  fuzz::WithMemFile(data, size, ExerciseFile);
  return 0;
}
