#include "etcdsnap/raft/proto.h"

#include <functional>

namespace etcdsnap::raft {
namespace {

enum Wire : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

// ---- encoding ----

class Writer {
 public:
  Writer& Uint(uint32_t field, uint64_t v) {
    Varint(field << 3 | kVarint);
    Varint(v);
    return *this;
  }
  Writer& Bytes(uint32_t field, std::string_view v) {
    Varint(field << 3 | kBytes);
    Varint(v.size());
    out_.append(v);
    return *this;
  }
  Writer& OptBytes(uint32_t field, const std::optional<std::string>& v) {
    return v ? Bytes(field, *v) : *this;
  }
  std::string Take() { return std::move(out_); }

 private:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string out_;
};

// ---- decoding ----

struct Field {
  uint32_t number = 0;
  Wire wire = kVarint;
  uint64_t value = 0;      // kVarint
  std::string_view bytes;  // kBytes
  size_t at = 0;
};

bool ReadVarint(std::string_view b, size_t* pos, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= b.size()) return false;
    const uint8_t byte = static_cast<uint8_t>(b[(*pos)++]);
    if (shift == 63 && byte > 1) return false;
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

Status Bad(const char* msg, size_t at, const std::string& what) {
  return Status::Corruption(std::string(msg) + ": " + what + " at byte " + std::to_string(at));
}

// Splits a message into its fields; fixed-width fields are checked and dropped.
Result<std::vector<Field>> Fields(std::string_view b, const char* msg) {
  std::vector<Field> out;
  size_t pos = 0;
  while (pos < b.size()) {
    Field f;
    f.at = pos;
    uint64_t tag;
    if (!ReadVarint(b, &pos, &tag)) return Bad(msg, f.at, "truncated field tag");
    if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) return Bad(msg, f.at, "bad field number");
    f.number = static_cast<uint32_t>(tag >> 3);
    f.wire = static_cast<Wire>(tag & 7);
    size_t skip = 0;
    switch (f.wire) {
      case kVarint:
        if (!ReadVarint(b, &pos, &f.value)) return Bad(msg, f.at, "truncated varint");
        out.push_back(f);
        continue;
      case kBytes: {
        uint64_t n;
        if (!ReadVarint(b, &pos, &n) || n > b.size() - pos) {
          return Bad(msg, f.at, "length runs past the end");
        }
        f.bytes = b.substr(pos, n);
        pos += n;
        out.push_back(f);
        continue;
      }
      case kFixed64:
        skip = 8;
        break;
      case kFixed32:
        skip = 4;
        break;
      default:
        return Bad(msg, f.at, "unsupported wire type " + std::to_string(f.wire));
    }
    if (skip > b.size() - pos) return Bad(msg, f.at, "truncated fixed-width field");
    pos += skip;
  }
  return out;
}

// Checks the wire type of a known field.
Status Want(const Field& f, Wire wire, const char* msg) {
  if (f.wire == wire) return Status::Ok();
  return Bad(msg, f.at,
             "field " + std::to_string(f.number) + " has wire type " + std::to_string(f.wire));
}

// A repeated uint64, packed or not.
Status AppendRepeated(const Field& f, std::vector<uint64_t>* out, const char* msg) {
  if (f.wire == kVarint) {
    out->push_back(f.value);
    return Status::Ok();
  }
  ETCDSNAP_RETURN_IF_ERROR(Want(f, kBytes, msg));
  size_t pos = 0;
  while (pos < f.bytes.size()) {
    uint64_t v;
    if (!ReadVarint(f.bytes, &pos, &v)) return Bad(msg, f.at, "truncated packed varint");
    out->push_back(v);
  }
  return Status::Ok();
}

// How to store one known field of message M; fields without a spec are skipped.
template <typename M>
struct FieldSpec {
  uint32_t number;
  std::function<Status(const Field&, M*, const char*)> set;
};

// A varint field (integer, enum or bool).
template <typename M, typename T>
FieldSpec<M> Uint(uint32_t n, T M::*member) {
  return {n, [member](const Field& f, M* m, const char* msg) -> Status {
            ETCDSNAP_RETURN_IF_ERROR(Want(f, kVarint, msg));
            m->*member = static_cast<T>(f.value);
            return Status::Ok();
          }};
}

template <typename M>
FieldSpec<M> Bytes(uint32_t n, std::optional<std::string> M::*member) {
  return {n, [member](const Field& f, M* m, const char* msg) -> Status {
            ETCDSNAP_RETURN_IF_ERROR(Want(f, kBytes, msg));
            m->*member = std::string(f.bytes);
            return Status::Ok();
          }};
}

template <typename M>
FieldSpec<M> Repeated(uint32_t n, std::vector<uint64_t> M::*member) {
  return {n, [member](const Field& f, M* m, const char* msg) {
            return AppendRepeated(f, &(m->*member), msg);
          }};
}

// An embedded message, decoded by `decode`.
template <typename M, typename T, typename Sub>
FieldSpec<M> Message(uint32_t n, T M::*member, Result<Sub> (*decode)(std::string_view)) {
  return {n, [member, decode](const Field& f, M* m, const char* msg) -> Status {
            ETCDSNAP_RETURN_IF_ERROR(Want(f, kBytes, msg));
            auto r = decode(f.bytes);
            if (!r.ok()) {
              return r.status().Annotate(std::string(msg) + " field " + std::to_string(f.number));
            }
            m->*member = std::move(r).value();
            return Status::Ok();
          }};
}

template <typename M>
Result<M> DecodeWith(std::string_view b, const char* msg,
                     std::initializer_list<FieldSpec<M>> specs) {
  ETCDSNAP_ASSIGN_OR_RETURN(std::vector<Field> fields, Fields(b, msg));
  M m;
  for (const Field& f : fields) {
    for (const FieldSpec<M>& spec : specs) {
      if (spec.number == f.number) ETCDSNAP_RETURN_IF_ERROR(spec.set(f, &m, msg));
    }
  }
  return m;
}

}  // namespace

std::string Encode(const Entry& m) {
  return Writer()
      .Uint(1, static_cast<uint64_t>(m.type))
      .Uint(2, m.term)
      .Uint(3, m.index)
      .OptBytes(4, m.data)
      .Take();
}

std::string Encode(const HardState& m) {
  return Writer().Uint(1, m.term).Uint(2, m.vote).Uint(3, m.commit).Take();
}

std::string Encode(const ConfState& m) {
  Writer w;
  for (uint64_t v : m.voters) w.Uint(1, v);
  for (uint64_t v : m.learners) w.Uint(2, v);
  for (uint64_t v : m.voters_outgoing) w.Uint(3, v);
  for (uint64_t v : m.learners_next) w.Uint(4, v);
  return w.Uint(5, m.auto_leave ? 1 : 0).Take();
}

std::string Encode(const ConfChange& m) {
  return Writer()
      .Uint(1, m.id)
      .Uint(2, static_cast<uint64_t>(m.type))
      .Uint(3, m.node_id)
      .OptBytes(4, m.context)
      .Take();
}

std::string Encode(const SnapshotMetadata& m) {
  return Writer().Bytes(1, Encode(m.conf_state)).Uint(2, m.index).Uint(3, m.term).Take();
}

std::string Encode(const Snapshot& m) {
  return Writer().OptBytes(1, m.data).Bytes(2, Encode(m.metadata)).Take();
}

std::string Encode(const WalRecord& m) {
  return Writer().Uint(1, static_cast<uint64_t>(m.type)).Uint(2, m.crc).OptBytes(3, m.data).Take();
}

std::string Encode(const WalSnapshot& m) {
  Writer w;
  w.Uint(1, m.index).Uint(2, m.term);
  if (m.conf_state) w.Bytes(3, Encode(*m.conf_state));
  return w.Take();
}

std::string Encode(const SnapFile& m) { return Writer().Uint(1, m.crc).OptBytes(2, m.data).Take(); }

std::string Encode(const Metadata& m) {
  return Writer().Uint(1, m.node_id).Uint(2, m.cluster_id).Take();
}

Result<Entry> DecodeEntry(std::string_view b) {
  return DecodeWith<Entry>(b, "raftpb.Entry",
                           {Uint(1, &Entry::type), Uint(2, &Entry::term), Uint(3, &Entry::index),
                            Bytes(4, &Entry::data)});
}

Result<HardState> DecodeHardState(std::string_view b) {
  return DecodeWith<HardState>(
      b, "raftpb.HardState",
      {Uint(1, &HardState::term), Uint(2, &HardState::vote), Uint(3, &HardState::commit)});
}

Result<ConfState> DecodeConfState(std::string_view b) {
  return DecodeWith<ConfState>(
      b, "raftpb.ConfState",
      {Repeated(1, &ConfState::voters), Repeated(2, &ConfState::learners),
       Repeated(3, &ConfState::voters_outgoing), Repeated(4, &ConfState::learners_next),
       Uint(5, &ConfState::auto_leave)});
}

Result<ConfChange> DecodeConfChange(std::string_view b) {
  return DecodeWith<ConfChange>(b, "raftpb.ConfChange",
                                {Uint(1, &ConfChange::id), Uint(2, &ConfChange::type),
                                 Uint(3, &ConfChange::node_id), Bytes(4, &ConfChange::context)});
}

Result<SnapshotMetadata> DecodeSnapshotMetadata(std::string_view b) {
  return DecodeWith<SnapshotMetadata>(
      b, "raftpb.SnapshotMetadata",
      {Message(1, &SnapshotMetadata::conf_state, DecodeConfState),
       Uint(2, &SnapshotMetadata::index), Uint(3, &SnapshotMetadata::term)});
}

Result<Snapshot> DecodeSnapshot(std::string_view b) {
  return DecodeWith<Snapshot>(
      b, "raftpb.Snapshot",
      {Bytes(1, &Snapshot::data), Message(2, &Snapshot::metadata, DecodeSnapshotMetadata)});
}

Result<WalRecord> DecodeWalRecord(std::string_view b) {
  return DecodeWith<WalRecord>(
      b, "walpb.Record",
      {Uint(1, &WalRecord::type), Uint(2, &WalRecord::crc), Bytes(3, &WalRecord::data)});
}

Result<WalSnapshot> DecodeWalSnapshot(std::string_view b) {
  return DecodeWith<WalSnapshot>(b, "walpb.Snapshot",
                                 {Uint(1, &WalSnapshot::index), Uint(2, &WalSnapshot::term),
                                  Message(3, &WalSnapshot::conf_state, DecodeConfState)});
}

Result<SnapFile> DecodeSnapFile(std::string_view b) {
  return DecodeWith<SnapFile>(b, "snappb.Snapshot",
                              {Uint(1, &SnapFile::crc), Bytes(2, &SnapFile::data)});
}

Result<Metadata> DecodeMetadata(std::string_view b) {
  return DecodeWith<Metadata>(b, "etcdserverpb.Metadata",
                              {Uint(1, &Metadata::node_id), Uint(2, &Metadata::cluster_id)});
}

}  // namespace etcdsnap::raft
