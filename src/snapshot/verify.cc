#include "etcdsnap/snapshot/verify.h"

#include <sys/stat.h>

#include <array>
#include <thread>

#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/sha256.h"

namespace etcdsnap::snapshot {
namespace {

constexpr uint64_t kTrailerSize = 32;
constexpr size_t kHashChunk = 1 << 20;

bool HasTrailer(uint64_t size) { return size % 512 == kTrailerSize; }

bool Cancelled(const VerifyOptions& o) { return o.cancel != nullptr && o.cancel->load(); }

// Hashes the bytes before the trailer and compares them with it.
Status CheckTrailer(const bolt::File& file, const VerifyOptions& o, VerifyReport* report) {
  const uint64_t body = file.file_size() - kTrailerSize;
  std::array<uint8_t, kTrailerSize> stored;
  ETCDSNAP_RETURN_IF_ERROR(file.ReadAt(body, stored));
  Sha256 sha;
  std::vector<uint8_t> buf(kHashChunk);
  for (uint64_t off = 0; off < body;) {
    if (Cancelled(o)) return Status::Cancelled("verification cancelled");
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kHashChunk, body - off));
    ETCDSNAP_RETURN_IF_ERROR(file.ReadAt(off, std::span<uint8_t>(buf).first(n)));
    sha.Update(buf.data(), n);
    off += n;
  }
  ETCDSNAP_ASSIGN_OR_RETURN(const Sha256Digest digest, sha.Finish());
  report->trailer_expected = HexString(stored);
  report->trailer_actual = HexString(digest);
  report->trailer = digest == stored ? TrailerState::kMatch : TrailerState::kMismatch;
  return Status::Ok();
}

void CheckMetas(const bolt::File& file, VerifyReport* report) {
  const bolt::MetaState& m = file.meta_state();
  for (int i = 0; i < 2; ++i) {
    const std::string where = "meta page " + std::to_string(i) + ": ";
    if (!m.valid[i]) report->meta_problems.push_back(where + m.error[i]);
    // bbolt writes both headers and reads neither; anything else is damage.
    if (m.header[i].flags != bolt::kMetaPageFlag) {
      report->meta_problems.push_back(where + "page type is " +
                                      bolt::WrongTypeName(m.header[i].flags, "meta"));
    }
    if (m.header[i].id != static_cast<bolt::Pgid>(i)) {
      report->meta_problems.push_back(where + "header says it is page " +
                                      std::to_string(m.header[i].id));
    }
  }
  if (m.valid[0] && m.valid[1] && m.meta[0].page_size != m.meta[1].page_size) {
    report->meta_problems.push_back("meta pages disagree on the page size (" +
                                    std::to_string(m.meta[0].page_size) + " and " +
                                    std::to_string(m.meta[1].page_size) + ")");
  }
}

}  // namespace

Result<VerifyReport> Verify(const VerifyOptions& options) {
  // A compressed snapshot is read through a decompressed temporary copy.
  ETCDSNAP_ASSIGN_OR_RETURN(PlainSnapshot plain, PlainSnapshot::Open(options.path, options.cancel));
  auto opened = bolt::File::Open(plain.path());
  if (!opened.ok()) return Status(opened.status().code(), plain.Explain(opened.status().message()));
  std::unique_ptr<bolt::File> file = std::move(opened).value();
  VerifyReport report;
  report.path = options.path;
  report.compression = plain.compression();
  if (report.compression != Compression::kNone) {
    struct stat st {};
    if (::stat(options.path.c_str(), &st) == 0) report.compressed_size = static_cast<uint64_t>(st.st_size);
  }
  report.file_size = file->file_size();
  report.metas = file->meta_state();
  report.page_size = file->page_size();
  report.db_size = file->db_size();
  CheckMetas(*file, &report);

  if (Cancelled(options)) return Status::Cancelled("verification cancelled");
  Status trailer_status;
  std::jthread hasher;
  report.trailer_required = options.require_trailer;
  if (HasTrailer(report.file_size)) {
    hasher = std::jthread([&] { trailer_status = CheckTrailer(*file, options, &report); });
  } else if (report.page_size == 0 || report.file_size % report.page_size != 0) {
    report.trailer = TrailerState::kDamaged;
  }

  etcd::SchemaChecker schema(options.max_errors);
  bolt::CheckOptions check;
  check.max_errors = options.max_errors;
  if (options.check_schema) check.visitor = &schema;
  report.bolt = bolt::Check(*file, check);
  // Returning joins the hasher (a jthread declared after everything it uses).
  if (Cancelled(options)) return Status::Cancelled("verification cancelled");
  if (options.check_schema) {
    report.schema_checked = true;
    report.schema = schema.Finish();
  }
  if (hasher.joinable()) hasher.join();
  if (!trailer_status.ok()) return trailer_status.Annotate(options.path);
  return report;
}

}  // namespace etcdsnap::snapshot
