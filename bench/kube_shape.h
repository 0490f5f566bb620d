// The benchmarks' `kube` data shape: what a Kubernetes API server leaves in etcd, as a fixed plan
// of operations that etcdsnap-fill sends to a server.
//
// The objects (pods, events, leases, configmaps, secrets, services, endpoints and endpoint
// slices, deployments, replica sets, nodes, service accounts, namespaces, CRDs and custom
// resources) sit under the API server's keys, `/registry/<resource>/<namespace>/<name>` and
// `/registry/<group>/<resource>/...` for the custom ones. Values are 300 B to 20 KiB, drawn
// from a log-normal spread per resource (most a few hundred bytes, a long tail of large
// configmaps, secrets, nodes and CRDs); built-in objects begin like the API server's protobuf
// envelope (`k8s\0`), custom ones are JSON. Events are put with an etcd lease (one lease per
// few hundred events, as the API server reuses them); Lease objects are renewed in every
// update round, nodes in every other, some pods, endpoints and events once or twice; part-way
// the history is compacted (twice), and the last phase deletes some objects and creates
// replacements, so the file holds history, tombstones and free pages.
//
// Deterministic: every name, size and byte follows from the target size and the object's
// ordinal (no shared random state), so the same target gives the same keys, values, versions
// and leases whatever the order in which concurrent requests are applied.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace etcdsnap::bench {

// One request of the plan.
struct Op {
  enum class Kind { kGrant, kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;    // kPut, kDelete
  std::string value;  // kPut
  int64_t lease = 0;  // kGrant: the ID to grant; kPut: the lease to attach (0: none)
  int64_t ttl = 0;    // kGrant
};

// The plan is a sequence of phases. No key appears twice within a phase, so a phase's requests
// may be in flight together; the next phase starts when all of them are answered. After some
// phases the store is compacted at the revision reached.
class KubePlan {
 public:
  // A plan whose etcd backend file comes to about target_bytes.
  explicit KubePlan(int64_t target_bytes);

  int phases() const;
  std::string PhaseName(int phase) const;
  // Calls op for each request of the phase, in a fixed order.
  void ForEachOp(int phase, const std::function<void(const Op&)>& op) const;
  bool CompactAfter(int phase) const;
  // Objects per resource and what the phases do, one line each.
  std::string Describe() const;

  int64_t objects() const { return objects_; }

 private:
  int64_t objects_;  // created in the first put phase
  int64_t events_;   // how many of them are events (for the leases)
  std::vector<int64_t> per_resource_;
};

}  // namespace etcdsnap::bench
