// TestHistory: a small model of etcd's mvcc store for tests, producing the exact bytes of bucket
// `key` (revision keys and gogo-marshalled KeyValues, zero fields omitted) and of the
// compaction marks in `meta`: puts, deletes, transactions (sub revisions) and compactions with
// 3.4.23's rule (a deletion at the compact revision is removed) or 3.4.34's (it is kept).
// Test-only; trusts its caller.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "etcdsnap/etcd/key_bucket.h"

namespace etcdsnap::etcd::testing {

inline std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
  return s;
}

inline std::string RevisionKey(int64_t main, int64_t sub, bool tombstone) {
  std::string k(17, '\0');
  for (int i = 0; i < 8; ++i) {
    k[i] = static_cast<char>(static_cast<uint64_t>(main) >> (56 - 8 * i));
    k[9 + i] = static_cast<char>(static_cast<uint64_t>(sub) >> (56 - 8 * i));
  }
  k[8] = '_';
  if (tombstone) k.push_back('t');
  return k;
}

// mvccpb.KeyValue as gogo/protobuf marshals it: fields in order, zero values left out.
inline std::string MarshalKeyValue(const std::string& key, int64_t create, int64_t mod,
                                   int64_t version, const std::string& value, int64_t lease = 0) {
  std::string m;
  auto bytes = [&](int field, const std::string& v) {
    if (v.empty()) return;
    m += Varint(static_cast<uint64_t>(field << 3 | 2)) + Varint(v.size()) + v;
  };
  auto integer = [&](int field, int64_t v) {
    if (v == 0) return;
    m += Varint(static_cast<uint64_t>(field << 3)) + Varint(static_cast<uint64_t>(v));
  };
  bytes(1, key);
  integer(2, create);
  integer(3, mod);
  integer(4, version);
  bytes(5, value);
  integer(6, lease);
  return m;
}

class TestHistory {
 public:
  struct Op {
    bool del = false;
    std::string key, value;
    int64_t lease = 0;
  };

  // One revision per call, as etcd's Put/DeleteRange/Txn; a delete of an absent key writes
  // nothing and takes no revision (as etcd).
  int64_t Put(const std::string& key, const std::string& value, int64_t lease = 0) {
    return Txn({{false, key, value, lease}});
  }
  int64_t Delete(const std::string& key) { return Txn({{true, key, ""}}); }
  int64_t Txn(const std::vector<Op>& ops) {
    const int64_t main = current_ + 1;
    int64_t sub = 0;
    for (const Op& op : ops) {
      Live& l = live_[op.key];
      if (op.del) {
        if (l.version == 0) continue;
        entries_[RevisionKey(main, sub++, true)] = MarshalKeyValue(op.key, 0, 0, 0, "");
        l = Live{};
      } else {
        if (l.version == 0) l.create = main;
        ++l.version;
        entries_[RevisionKey(main, sub++, false)] =
            MarshalKeyValue(op.key, l.create, main, l.version, op.value, op.lease);
      }
    }
    if (sub > 0) current_ = main;
    return current_;
  }

  // Removes what etcd's compaction at `rev` removes: every entry <= rev but each live key's
  // latest revision <= rev; a deletion exactly at rev is kept when `keep_tombstone_at_rev`
  // (3.4.34+, 3.5.16+), removed otherwise (before).
  void Compact(int64_t rev, bool keep_tombstone_at_rev = false) {
    std::map<std::string, std::string> latest;  // user key -> its latest revision key <= rev
    for (const auto& [k, v] : entries_) {
      if (Main(k) > rev) break;
      latest[UserKey(v)] = k;
    }
    for (auto it = entries_.begin(); it != entries_.end();) {
      const bool tomb = it->first.size() == 18;
      const bool last = Main(it->first) <= rev && latest[UserKey(it->second)] == it->first;
      const bool keep = Main(it->first) > rev ||
                        (last && (!tomb || (keep_tombstone_at_rev && Main(it->first) == rev)));
      it = keep ? std::next(it) : entries_.erase(it);
    }
    scheduled_ = finished_ = rev;
  }

  int64_t current() const { return current_; }
  std::optional<int64_t> finished_compact() const { return finished_; }
  std::optional<int64_t> scheduled_compact() const { return scheduled_; }
  void set_compaction_marks(std::optional<int64_t> finished, std::optional<int64_t> scheduled) {
    finished_ = finished;
    scheduled_ = scheduled;
  }
  // Revision key -> KeyValue, in bucket order.
  const std::map<std::string, std::string>& entries() const { return entries_; }

  // A KeyWalk over the entries.
  Status Walk(const KeyEntryFn& fn) const {
    for (const auto& [k, v] : entries_) {
      auto span = [](const std::string& s) {
        return bolt::Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
      };
      bool stop = false;
      ETCDSNAP_RETURN_IF_ERROR(fn(KeyEntry{*ParseRevisionKey(span(k)), span(k), span(v)}, &stop));
      if (stop) break;
    }
    return Status::Ok();
  }

 private:
  struct Live {
    int64_t create = 0;
    int64_t version = 0;
  };
  static int64_t Main(const std::string& k) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(k[i]);
    return static_cast<int64_t>(v);
  }
  // Field 1 of a KeyValue this class wrote (key first, length < 128... or longer).
  static std::string UserKey(const std::string& kv) {
    size_t pos = 1;
    uint64_t n = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(kv[pos++]);
      n |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    return kv.substr(pos, n);
  }

  int64_t current_ = 1;  // etcd's store starts at revision 1
  std::map<std::string, Live> live_;
  std::map<std::string, std::string> entries_;
  std::optional<int64_t> finished_, scheduled_;
};

}  // namespace etcdsnap::etcd::testing
