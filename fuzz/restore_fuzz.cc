// libFuzzer target over restore's path through an untrusted snapshot: the trailer stripped as
// restore strips it, the same Verify() gate, then restore's bbolt transaction (members trimmed
// and rewritten, consistent index and term, a revision bump) on the file the gate accepted. Any
// crash, leak or sanitizer report is a finding, and so is a file that the gate accepted and the
// transaction turned into one the gate refuses (it traps).
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "etcdsnap/etcd/member.h"
#include "etcdsnap/snapshot/restore.h"
#include "etcdsnap/snapshot/verify.h"
#include "mem_file.h"

namespace {

using namespace etcdsnap;  // NOLINT(build/namespaces): a fuzz driver

const etcd::Cluster& ThreeMembers() {
  static const etcd::Cluster cluster = [] {
    auto map = etcd::ParseInitialCluster(
        "m1=http://10.0.0.1:2380,m2=http://10.0.0.2:2380,m3=http://10.0.0.3:2380");
    return *etcd::NewClusterFromUrlsMap("tok", *map);
  }();
  return cluster;
}

bool Sound(const std::string& path) {
  snapshot::VerifyOptions vo;
  vo.path = path;
  vo.max_errors = 4;
  auto report = snapshot::Verify(vo);
  return report.ok() && report->ok();
}

void RestoreEdits(const std::string& path) {
  if (!Sound(path)) return;
  static const std::shared_ptr<spdlog::logger> log = std::make_shared<spdlog::logger>(
      "fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  snapshot::DbEdits edits;
  edits.cluster = &ThreeMembers();
  edits.consistent_index = 3;
  edits.bump_revision = 1000;
  edits.sync = false;
  if (!snapshot::EditRestoredDb(path, edits, *log).ok()) return;
  if (!Sound(path)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // As restore: a size of whole 512-byte sectors plus 32 carries a sha256 trailer, stripped.
  if (size % 512 == 32) size -= 32;
  fuzz::WithMemFile(data, size, RestoreEdits);
  return 0;
}
