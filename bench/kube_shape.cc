#include "kube_shape.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace etcdsnap::bench {
namespace {

// splitmix64's finalizer: every name, size and byte is a hash of where it stands.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t Hash(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0) {
  return Mix(a ^ Mix(b ^ Mix(c ^ Mix(d))));
}
double Unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix(state_++); }
  double Normal() {  // Box-Muller
    const double u1 = 1.0 - Unit(Next()), u2 = Unit(Next());
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

constexpr uint64_t kSeed = 0x6b756265;          // "kube"
constexpr int64_t kBytesPerObject = 1640;       // of backend file per object (measured)
constexpr int kUpdateRounds = 8;                // phases 2..9
constexpr int64_t kEventsPerLease = 300;        // the API server reuses an event lease
constexpr int64_t kLeaseBase = 0x6b7562650000;  // lease IDs are chosen, not granted
constexpr int64_t kLeaseTtl = 30 * 24 * 3600;   // nothing expires during a bench
constexpr int kMinValue = 300, kMaxValue = 20 * 1024;
constexpr int64_t kTokens = 60466176;  // 36^5: five base-36 characters

enum class Name { kApp, kPod, kReplicaSet, kEvent, kNode, kConfigMap, kSecret, kCrd, kNamespace };

struct Resource {
  const char* prefix;  // of the key, up to the namespace or the name
  const char* api_version;
  const char* kind;
  bool json;               // custom resources are stored as JSON, built-in ones as protobuf
  const char* namespace_;  // nullptr: cluster-scoped; "": any namespace; else that one
  double weight;           // share of the objects, in percent
  double median, sigma;    // value size: log-normal, clamped to [300 B, 20 KiB]
  double update_share;     // of the objects updated, each in min..max of the update rounds
  int min_updates, max_updates;
  double delete_share;  // of the objects deleted in the last phase
  bool replaced;        // a deleted one is replaced by a new object (a new name)
  bool leased;          // put with an etcd lease
  Name name;
};

constexpr std::array<Resource, 17> kResources = {{
    {"/registry/events/", "v1", "Event", false, "", 38, 400, 0.3, 0.4, 1, 2, 0.10, false, true,
     Name::kEvent},
    {"/registry/pods/", "v1", "Pod", false, "", 12, 1500, 0.45, 0.6, 1, 2, 0.05, true, false,
     Name::kPod},
    {"/registry/replicasets/", "apps/v1", "ReplicaSet", false, "", 8, 1000, 0.35, 0.1, 1, 1, 0.03,
     true, false, Name::kReplicaSet},
    {"/registry/deployments/", "apps/v1", "Deployment", false, "", 3, 1300, 0.35, 0.2, 1, 1, 0,
     false, false, Name::kApp},
    {"/registry/configmaps/", "v1", "ConfigMap", false, "", 8, 450, 1.0, 0.05, 1, 1, 0, false,
     false, Name::kConfigMap},
    {"/registry/secrets/", "v1", "Secret", false, "", 8, 500, 1.0, 0.05, 1, 1, 0.01, false, false,
     Name::kSecret},
    {"/registry/services/specs/", "v1", "Service", false, "", 3, 550, 0.3, 0, 0, 0, 0, false, false,
     Name::kApp},
    {"/registry/services/endpoints/", "v1", "Endpoints", false, "", 3, 450, 0.5, 0.5, 1, 3, 0,
     false, false, Name::kApp},
    {"/registry/endpointslices/", "discovery.k8s.io/v1", "EndpointSlice", false, "", 4, 500, 0.5,
     0.5, 1, 3, 0.02, true, false, Name::kApp},
    {"/registry/serviceaccounts/", "v1", "ServiceAccount", false, "", 5, 320, 0.1, 0, 0, 0, 0,
     false, false, Name::kApp},
    {"/registry/leases/", "coordination.k8s.io/v1", "Lease", false, "kube-node-lease", 0.6, 350,
     0.1, 1, kUpdateRounds, kUpdateRounds, 0, false, false, Name::kNode},
    {"/registry/minions/", "v1", "Node", false, nullptr, 0.5, 6000, 0.35, 1, 4, 4, 0, false, false,
     Name::kNode},
    {"/registry/namespaces/", "v1", "Namespace", false, nullptr, 0.3, 350, 0.2, 0, 0, 0, 0, false,
     false, Name::kNamespace},
    {"/registry/apiextensions.k8s.io/customresourcedefinitions/", "apiextensions.k8s.io/v1",
     "CustomResourceDefinition", true, nullptr, 0.02, 7000, 0.5, 0, 0, 0, 0, false, false,
     Name::kCrd},
    {"/registry/cert-manager.io/certificates/", "cert-manager.io/v1", "Certificate", true, "", 1,
     1000, 0.3, 0.3, 1, 2, 0, false, false, Name::kApp},
    {"/registry/monitoring.coreos.com/servicemonitors/", "monitoring.coreos.com/v1",
     "ServiceMonitor", true, "", 1, 700, 0.3, 0, 0, 0, 0, false, false, Name::kApp},
    {"/registry/argoproj.io/applications/", "argoproj.io/v1alpha1", "Application", true, "", 0.5,
     2000, 0.6, 0.3, 1, 2, 0, false, false, Name::kApp},
}};
constexpr size_t kNamespaces = 12;  // kResources' index of namespaces
constexpr size_t kEvents = 0;       // and of events, the leased ones
static_assert(kResources[kNamespaces].name == Name::kNamespace && kResources[kEvents].leased);

constexpr const char* kWords[] = {
    "api",     "web",    "worker", "frontend", "backend", "cache",     "queue",    "auth",
    "billing", "search", "ingest", "report",   "gateway", "scheduler", "notifier", "checkout",
    "catalog", "orders", "users",  "payments", "metrics", "logging",   "redis",    "postgres"};
constexpr const char* kTeams[] = {"payments", "search", "identity", "data",  "platform",
                                  "growth",   "mobile", "ml",       "infra", "storefront"};
constexpr const char* kEnvs[] = {"prod", "staging", "dev", "qa"};
constexpr const char* kCrds[] = {"certificates.cert-manager.io",
                                 "issuers.cert-manager.io",
                                 "clusterissuers.cert-manager.io",
                                 "servicemonitors.monitoring.coreos.com",
                                 "podmonitors.monitoring.coreos.com",
                                 "prometheusrules.monitoring.coreos.com",
                                 "applications.argoproj.io",
                                 "appprojects.argoproj.io",
                                 "virtualservices.networking.istio.io",
                                 "destinationrules.networking.istio.io",
                                 "gateways.networking.istio.io",
                                 "volumesnapshots.snapshot.storage.k8s.io"};
// Text that a Kubernetes object repeats (field names, label keys, managed-fields owners).
constexpr const char* kVocabulary[] = {"app.kubernetes.io/name",
                                       "app.kubernetes.io/instance",
                                       "app.kubernetes.io/managed-by",
                                       "helm.sh/chart",
                                       "kubectl.kubernetes.io/last-applied-configuration",
                                       "FieldsV1",
                                       "f:metadata",
                                       "f:labels",
                                       "f:spec",
                                       "f:status",
                                       "f:containers",
                                       "k:{\"type\":\"Ready\"}",
                                       "kube-controller-manager",
                                       "kubelet",
                                       "Update",
                                       "Apply",
                                       "Running",
                                       "True",
                                       "PodScheduled",
                                       "ContainersReady",
                                       "registry.k8s.io/",
                                       "/var/run/secrets/kubernetes.io/serviceaccount",
                                       "kube-api-access-",
                                       "IfNotPresent",
                                       "ClusterFirst",
                                       "default-scheduler",
                                       "node.kubernetes.io/not-ready",
                                       "NoExecute",
                                       "Burstable",
                                       "TCP",
                                       "100m",
                                       "128Mi"};

template <size_t N>
const char* Pick(const char* const (&list)[N], uint64_t h) {
  return list[h % N];
}

// Five characters of base 36, distinct for distinct n < kTokens (whatever the salt): names stay
// unique by construction however many objects there are.
std::string Token(int64_t n, uint64_t salt = 7777) {
  uint64_t x = (static_cast<uint64_t>(n) * 1000003 + salt % kTokens) % kTokens;  // a bijection
  std::string s(5, '0');
  for (int i = 4; i >= 0; --i, x /= 36) s[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[x % 36];
  return s;
}

std::string NamespaceName(int64_t i) {
  static constexpr const char* kFixed[] = {"default", "kube-system", "monitoring", "cert-manager"};
  if (i < 4) return kFixed[i];
  const uint64_t h = Hash(kSeed, 0x6e73, i);
  return std::string(Pick(kTeams, h)) + "-" + Pick(kEnvs, h >> 8) + "-" + std::to_string(i);
}

std::string NodeName(int64_t ord) {
  const uint64_t ip = (static_cast<uint64_t>(ord) * 0x9e3779b1ULL + 0x0c2d17) & 0xffffff;
  return "ip-10-" + std::to_string(ip >> 16) + "-" + std::to_string((ip >> 8) & 0xff) + "-" +
         std::to_string(ip & 0xff) + ".ec2.internal";
}

// The name of object `ord` of resource r; gen 1 is the replacement of a deleted one.
std::string ObjectName(size_t r, int64_t ord, int gen) {
  const uint64_t h = Hash(kSeed, r, ord, 0x6e616d65);
  const int64_t unique = ord + gen * (kTokens / 2);
  const uint64_t salt = Hash(kSeed, r);
  const std::string app = Pick(kWords, h), id = Token(unique, salt);
  switch (kResources[r].name) {
    case Name::kApp:
      return app + "-" + id;
    case Name::kPod:
      return app + "-" + Token(h >> 20) + Token(h >> 40) + "-" + id;
    case Name::kReplicaSet:
      return app + "-" + Token(h >> 20) + id;
    case Name::kEvent: {
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx",  // a bijection of unique too
                    static_cast<unsigned long long>(
                        static_cast<uint64_t>(unique) * 0x9e3779b97f4a7c15ULL + salt));
      return app + "-" + Token(h >> 20) + "-" + Token(h >> 40) + "." + hex;
    }
    case Name::kNode:
      return NodeName(unique);
    case Name::kConfigMap:
      return app + "-config-" + id;
    case Name::kSecret:
      return h % 3 == 0
                 ? "sh.helm.release.v1." + app + "-" + id + ".v" + std::to_string(1 + (h >> 8) % 20)
                 : app + "-tls-" + id;
    case Name::kCrd:
      return ord < static_cast<int64_t>(std::size(kCrds)) && gen == 0
                 ? std::string(kCrds[ord])
                 : app + "s" + id + ".example.com";
    case Name::kNamespace:
      return NamespaceName(unique);
  }
  return app;
}

void AppendVarint(std::string& s, uint64_t v) {
  for (; v >= 0x80; v >>= 7) s.push_back(static_cast<char>((v & 0x7f) | 0x80));
  s.push_back(static_cast<char>(v));
}
int VarintLength(uint64_t v) {
  int n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}
void AppendField(std::string& s, int field, std::string_view bytes) {
  s.push_back(static_cast<char>(field << 3 | 2));  // length-delimited
  AppendVarint(s, bytes.size());
  s.append(bytes);
}

std::string Uid(Rng& rng) {
  char uid[40];
  std::snprintf(uid, sizeof uid, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(rng.Next() & 0xffffffff),
                static_cast<unsigned long long>(rng.Next() & 0xffff),
                static_cast<unsigned long long>(rng.Next() & 0xffff),
                static_cast<unsigned long long>(rng.Next() & 0xffff),
                static_cast<unsigned long long>(rng.Next() & 0xffffffffffff));
  return uid;
}

// The API server's protobuf envelope: "k8s\0", then runtime.Unknown {typeMeta{apiVersion,
// kind}, raw, contentEncoding, contentType}; raw is an ObjectMeta-like head, then fields of
// repeated text and of random bytes (ids, hashes, IPs), about 3:1, cut to the size.
std::string ProtoValue(const Resource& res, const std::string& name, const std::string& ns,
                       size_t size, Rng& rng) {
  std::string v("k8s\0", 4), type_meta;
  AppendField(type_meta, 1, res.api_version);
  AppendField(type_meta, 2, res.kind);
  AppendField(v, 1, type_meta);
  const size_t tail = 4;  // contentEncoding and contentType, empty
  size_t raw_size = 0;
  for (int n = 1; n <= 3; ++n) {
    raw_size = size > v.size() + 1 + n + tail ? size - v.size() - 1 - n - tail : 0;
    if (VarintLength(raw_size) == n) break;
  }
  std::string meta, raw;
  raw.reserve(raw_size + 64);
  AppendField(meta, 1, name);
  AppendField(meta, 3, ns);
  AppendField(meta, 5, Uid(rng));
  AppendField(meta, 6, std::to_string(rng.Next() % 100000000));
  AppendField(raw, 1, meta);
  while (raw.size() < raw_size) {
    if (rng.Next() % 4 != 0) {
      AppendField(raw, 2, Pick(kVocabulary, rng.Next()));
    } else {
      std::string bytes(8 + rng.Next() % 24, '\0');
      for (char& c : bytes) c = static_cast<char>(rng.Next());
      AppendField(raw, 3, bytes);
    }
  }
  raw.resize(raw_size);
  v.push_back(static_cast<char>(2 << 3 | 2));
  AppendVarint(v, raw_size);
  v += raw;
  v.append("\x1a\x00\x22\x00", tail);
  return v;
}

// A custom resource as the API server stores it: JSON, with a list of entries to the size.
std::string JsonValue(const Resource& res, const std::string& name, const std::string& ns,
                      size_t size, Rng& rng) {
  std::string v = std::string("{\"apiVersion\":\"") + res.api_version + "\",\"kind\":\"" +
                  res.kind + "\",\"metadata\":{\"creationTimestamp\":\"2026-0" +
                  std::to_string(1 + rng.Next() % 9) + "-1" + std::to_string(rng.Next() % 10) +
                  "T08:" + std::to_string(10 + rng.Next() % 50) +
                  ":00Z\",\"generation\":" + std::to_string(1 + rng.Next() % 5) + ",\"name\":\"" +
                  name + "\"," + (ns.empty() ? "" : "\"namespace\":\"" + ns + "\",") +
                  "\"uid\":\"" + Uid(rng) + "\"},\"spec\":{\"entries\":[";
  constexpr size_t kClose = 3, kPad = 26;  // "]}}" and `,{"name":"pad","value":""}`
  bool first = true;
  while (v.size() + kClose + 64 < size) {
    char item[96];
    std::snprintf(item, sizeof item, "%s{\"name\":\"%s-%u\",\"value\":\"%016llx\"}",
                  first ? "" : ",", Pick(kWords, rng.Next()),
                  static_cast<unsigned>(rng.Next() % 1000),
                  static_cast<unsigned long long>(rng.Next()));
    v += item;
    first = false;
  }
  if (v.size() + kClose + kPad <= size) {
    v += std::string(first ? "" : ",") + "{\"name\":\"pad\",\"value\":\"" +
         std::string(size - v.size() - kClose - kPad + (first ? 1 : 0), 'x') + "\"}";
  }
  return v + "]}}";
}

// What the plan does with one object.
struct Object {
  size_t resource;
  int64_t ord;    // among the objects of its resource
  uint64_t hash;  // its fate: updates, deletion, size
  int updates() const {
    const Resource& r = kResources[resource];
    if (r.max_updates == 0 || Unit(Mix(hash ^ 1)) >= r.update_share) return 0;
    return r.min_updates + static_cast<int>(Mix(hash ^ 2) % (r.max_updates - r.min_updates + 1));
  }
  // Updated in round u (1..kUpdateRounds)? Its updates are spread over the rounds.
  bool UpdatedIn(int u) const {
    const int n = updates();
    const int offset = static_cast<int>(Mix(hash ^ 3) % kUpdateRounds);
    for (int k = 0; k < n; ++k) {
      if ((offset + k * kUpdateRounds / n) % kUpdateRounds + 1 == u) return true;
    }
    return false;
  }
  bool deleted() const { return Unit(Mix(hash ^ 4)) < kResources[resource].delete_share; }
};

// Calls fn(Object) for every object created in the first put phase, in plan order: resources
// interleave as a hash of the position picks them.
template <typename Fn>
void ForEachObject(int64_t objects, Fn fn) {
  std::array<double, kResources.size()> cumulative{};
  double total = 0;
  for (size_t r = 0; r < kResources.size(); ++r) cumulative[r] = total += kResources[r].weight;
  std::array<int64_t, kResources.size()> next{};
  for (int64_t i = 0; i < objects; ++i) {
    const uint64_t h = Hash(kSeed, i);
    const double u = Unit(h) * total;
    const size_t r =
        std::upper_bound(cumulative.begin(), cumulative.end() - 1, u) - cumulative.begin();
    fn(Object{r, next[r]++, h});
  }
}

}  // namespace

KubePlan::KubePlan(int64_t target_bytes)
    : objects_(std::max<int64_t>(1000, target_bytes / kBytesPerObject)),
      per_resource_(kResources.size()) {
  ForEachObject(objects_, [&](const Object& o) { ++per_resource_[o.resource]; });
  events_ = per_resource_[kEvents];
}

// Phases: 0 grants the leases, 1 creates every object, 2..9 are the update rounds, 10 deletes
// and replaces.
int KubePlan::phases() const { return 3 + kUpdateRounds; }

std::string KubePlan::PhaseName(int phase) const {
  if (phase == 0) return "grant leases";
  if (phase == 1) return "create";
  if (phase <= 1 + kUpdateRounds) return "update round " + std::to_string(phase - 1);
  return "delete and replace";
}

// After update rounds 3 and 6: history before, history after, free pages in between.
bool KubePlan::CompactAfter(int phase) const { return phase == 4 || phase == 7; }

void KubePlan::ForEachOp(int phase, const std::function<void(const Op&)>& op) const {
  if (phase == 0) {
    for (int64_t l = 0; l * kEventsPerLease < events_; ++l) {
      op(Op{Op::Kind::kGrant, "", "", kLeaseBase + l, kLeaseTtl});
    }
    return;
  }
  const int64_t namespaces = std::max<int64_t>(4, per_resource_[kNamespaces]);
  // The request for object o, generation gen (1: the replacement of a deleted one), version
  // (0: created; u: updated in round u).
  const auto request = [&](Op::Kind kind, const Object& o, int gen, int version) {
    const Resource& res = kResources[o.resource];
    const std::string name = ObjectName(o.resource, o.ord, gen);
    std::string ns;
    if (res.namespace_ != nullptr) {
      // Skewed: a few namespaces hold most objects.
      const double u = Unit(Mix(o.hash ^ 5));
      ns = *res.namespace_ ? res.namespace_
                           : NamespaceName(static_cast<int64_t>(u * u * namespaces));
    }
    Op p;
    p.kind = kind;
    p.key = res.prefix + (ns.empty() ? "" : ns + "/") + name;
    if (kind == Op::Kind::kPut) {
      Rng sizes(Hash(kSeed, o.hash, gen));
      double size = res.median * std::exp(res.sigma * sizes.Normal());
      Rng rng(Hash(kSeed, o.hash, gen, version));
      if (version > 0) size *= 1.0 + 0.03 * rng.Normal();  // an update changes the size a little
      const auto bytes = static_cast<size_t>(std::clamp<double>(size, kMinValue, kMaxValue));
      p.value =
          res.json ? JsonValue(res, name, ns, bytes, rng) : ProtoValue(res, name, ns, bytes, rng);
      if (res.leased) p.lease = kLeaseBase + o.ord / kEventsPerLease;
    }
    op(p);
  };
  ForEachObject(objects_, [&](const Object& o) {
    if (phase == 1) {
      request(Op::Kind::kPut, o, 0, 0);
    } else if (phase <= 1 + kUpdateRounds) {
      if (o.UpdatedIn(phase - 1)) request(Op::Kind::kPut, o, 0, phase - 1);
    } else if (o.deleted()) {
      request(Op::Kind::kDelete, o, 0, 0);
      if (kResources[o.resource].replaced) request(Op::Kind::kPut, o, 1, 0);
    }
  });
}

std::string KubePlan::Describe() const {
  std::string s;
  for (size_t r = 0; r < kResources.size(); ++r) {
    char line[160];
    std::snprintf(line, sizeof line, "%-60s %10lld objects\n", kResources[r].prefix,
                  static_cast<long long>(per_resource_[r]));
    s += line;
  }
  return s;
}

}  // namespace etcdsnap::bench
