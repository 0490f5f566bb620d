#include "etcdsnap/etcd/kubernetes.h"

#include <array>
#include <utility>

#include "etcdsnap/etcd/wire.h"

namespace etcdsnap::etcd {
namespace {

// kube-apiserver's SpecialDefaultResourcePrefixes: built-ins stored under another path.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kRenamed = {{
    {"controllers", "replicationcontrollers"},
    {"services/endpoints", "endpoints"},
    {"minions", "nodes"},
    {"services/specs", "services"},
    {"ingress", "ingresses"},
    {"podsecuritypolicy", "podsecuritypolicies"},
}};

std::string_view ApiResource(std::string_view path) {
  for (const auto& [from, to] : kRenamed) {
    if (path == from) return to;
  }
  return path;
}

// The next '/'-separated segment of `rest` (all of it when there is no '/'), consumed.
std::string_view NextSegment(std::string_view* rest) {
  const size_t slash = rest->find('/');
  const std::string_view seg = rest->substr(0, slash);
  rest->remove_prefix(slash == std::string_view::npos ? rest->size() : slash + 1);
  return seg;
}

bool Readable(std::string_view name) {
  return !name.empty() && name.size() <= kMaxTypeNameSize;
}

// The first length-delimited field `number` of a protobuf message, the fields before it skipped
// by their declared lengths (bounded by the message); false when it is absent or the message is
// damaged before it.
bool FindBytesField(std::string_view message, uint64_t number, std::string_view* out) {
  WireReader r(message);
  uint64_t field;
  uint32_t wire;
  while (r.Tag(&field, &wire)) {
    if (field == number && wire == kWireBytes) return r.Bytes(out);
    if (!r.SkipValue(wire)) return false;
  }
  return false;
}

// ---- protobuf: "k8s\0" + runtime.Unknown{typeMeta=1{apiVersion=1, kind=2}, raw=2, ...} ----

void ReadEnvelope(std::string_view body, ValueType* t) {
  std::string_view type_meta;
  if (!FindBytesField(body, 1, &type_meta)) return;
  WireReader tm(type_meta);
  uint64_t field;
  uint32_t wire;
  while (tm.Tag(&field, &wire)) {
    std::string_view s;
    if (wire != kWireBytes) {
      if (!tm.SkipValue(wire)) return;
      continue;
    }
    if (!tm.Bytes(&s)) return;
    if (field == 1 && Readable(s)) t->api_version = s;
    if (field == 2 && Readable(s)) t->kind = s;
  }
}

// ---- JSON: the top-level object's "apiVersion" and "kind" ----

class JsonScanner {
 public:
  explicit JsonScanner(std::string_view s) : s_(s) {}

  void Read(ValueType* t) {
    SkipSpace();
    if (!Eat('{')) return;
    for (;;) {
      SkipSpace();
      std::string_view key;
      if (!String(&key)) return;
      SkipSpace();
      if (!Eat(':')) return;
      SkipSpace();
      const bool wanted = key == "apiVersion" || key == "kind";
      if (wanted && Peek() == '"') {
        std::string_view value;
        if (!String(&value)) return;
        if (Readable(value)) (key == "kind" ? t->kind : t->api_version) = value;
        if (!t->kind.empty() && !t->api_version.empty()) return;
      } else if (!SkipValue()) {
        return;
      }
      SkipSpace();
      if (!Eat(',')) return;
    }
  }

 private:
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool Eat(char c) {
    if (Peek() != c || pos_ >= s_.size()) return false;
    ++pos_;
    return true;
  }
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  // A string's contents as written (escapes left in).
  bool String(std::string_view* out) {
    if (!Eat('"')) return false;
    const size_t start = pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '\\') {
        pos_ += 2;
      } else if (c == '"') {
        *out = s_.substr(start, pos_ - start);
        ++pos_;
        return true;
      } else {
        ++pos_;
      }
    }
    return false;
  }
  // Any value: strings, and objects and arrays by their brackets (strings inside skipped).
  bool SkipValue() {
    const char c = Peek();
    if (c == '"') {
      std::string_view ignored;
      return String(&ignored);
    }
    if (c == '{' || c == '[') {
      size_t depth = 0;
      while (pos_ < s_.size()) {
        const char d = s_[pos_];
        if (d == '"') {
          std::string_view ignored;
          if (!String(&ignored)) return false;
          continue;
        }
        ++pos_;
        if (d == '{' || d == '[') ++depth;
        if ((d == '}' || d == ']') && --depth == 0) return true;
      }
      return false;
    }
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '}' && s_[pos_] != ' ' &&
           s_[pos_] != '\n' && s_[pos_] != '\r' && s_[pos_] != '\t') {
      ++pos_;
    }
    return pos_ > start;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// ---- encryption at rest: "k8s:enc:<provider>:<version>:<key name>:" ----

// KMS v2's EncryptedObject (k8s.io/apiserver .../envelope/kmsv2/v2): encryptedData = 1 (the
// ciphertext, first and largest), keyID = 2, then the DEK, annotations and the DEK's source
// type. keyID names the KMS key encryption key the plugin used: what a rotation check looks
// for.
void ReadKmsV2KeyId(std::string_view object, ValueType* t) {
  std::string_view id;
  if (FindBytesField(object, 2, &id) && !id.empty() && id.size() <= kMaxKmsKeyIdSize) {
    t->key_id = id;
  }
}

void ReadEncryptionPrefix(std::string_view rest, ValueType* t) {
  std::string_view parts[3];
  for (std::string_view& part : parts) {
    const size_t colon = rest.substr(0, kMaxTypeNameSize + 1).find(':');
    if (colon == std::string_view::npos || colon == 0) return;
    part = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  t->provider = parts[0];
  t->provider_version = parts[1];
  t->key_name = parts[2];
  if (t->provider == "kms" && t->provider_version == "v2") ReadKmsV2KeyId(rest, t);
}

}  // namespace

std::optional<RegistryKey> ParseRegistryKey(std::string_view key,
                                            const std::vector<std::string>& prefixes) {
  for (const std::string& prefix : prefixes) {
    if (key.size() <= prefix.size() + 1 || key.compare(0, prefix.size(), prefix) != 0 ||
        key[prefix.size()] != '/') {
      continue;
    }
    RegistryKey r;
    r.prefix = key.substr(0, prefix.size());
    std::string_view rest = key.substr(prefix.size() + 1);
    const std::string_view path_start = rest;
    std::string_view first = NextSegment(&rest);
    if (first.empty()) return std::nullopt;
    size_t path_size = first.size();
    if (first.find('.') != std::string_view::npos) {
      // <group>/<resource>/...
      const std::string_view resource = NextSegment(&rest);
      if (resource.empty()) return std::nullopt;
      r.group = first;
      r.resource = resource;
      path_size += 1 + resource.size();
    } else if (first == "services" && (rest.starts_with("specs/") || rest == "specs" ||
                                       rest.starts_with("endpoints/") || rest == "endpoints")) {
      path_size += 1 + NextSegment(&rest).size();
    }
    r.path = path_start.substr(0, path_size);
    if (r.group.empty()) r.resource = ApiResource(r.path);
    // [<namespace>/]<name>: a namespaced object has two segments left, a cluster-scoped one.
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      r.name = rest;
    } else {
      r.ns = rest.substr(0, slash);
      r.name = rest.substr(slash + 1);
    }
    return r;
  }
  return std::nullopt;
}

std::string QualifiedResource(std::string_view resource, std::string_view group) {
  std::string out(resource);
  if (!group.empty()) out.append(".").append(group);
  return out;
}

const char* ValueEncodingName(ValueEncoding e) {
  switch (e) {
    case ValueEncoding::kProtobuf:
      return "protobuf";
    case ValueEncoding::kJson:
      return "json";
    case ValueEncoding::kCbor:
      return "cbor";
    case ValueEncoding::kEncrypted:
      return "encrypted";
    case ValueEncoding::kOther:
      break;
  }
  return "other";
}

ValueType DetectValueType(std::string_view value) {
  static constexpr std::string_view kProtobufMagic("k8s\0", 4);
  static constexpr std::string_view kEncryptedPrefix = "k8s:enc:";
  static constexpr std::string_view kCborSelfDescribed = "\xd9\xd9\xf7";
  ValueType t;
  if (value.starts_with(kProtobufMagic)) {
    t.encoding = ValueEncoding::kProtobuf;
    ReadEnvelope(value.substr(kProtobufMagic.size()), &t);
  } else if (value.starts_with(kEncryptedPrefix)) {
    t.encoding = ValueEncoding::kEncrypted;
    ReadEncryptionPrefix(value.substr(kEncryptedPrefix.size()), &t);
  } else if (value.starts_with(kCborSelfDescribed)) {
    t.encoding = ValueEncoding::kCbor;
  } else {
    const size_t first = value.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && value[first] == '{') {
      t.encoding = ValueEncoding::kJson;
      JsonScanner(value).Read(&t);
    }
  }
  return t;
}

}  // namespace etcdsnap::etcd
