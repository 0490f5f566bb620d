// The v2 store etcd keeps membership in (etcdserver/api/v2store), as restore writes it into the
// .snap file: store.Save() JSON of a store whose only content is, per member,
// /0/members/<id>/raftAttributes = RaftAttributes JSON, created one member at a time.
#pragma once

#include <string>
#include <vector>

#include "etcdsnap/etcd/member.h"

namespace etcdsnap::etcd {

// Go's json.Marshal of the store after creating the members' raftAttributes nodes in the order
// given (3.4 and 3.5 restore: ascending ID), member k at store index k: the node tree (map keys
// sorted, as encoding/json sorts them), the watcher hub's 1000-slot event queue, the current
// index, the stats and CurrentVersion 2. Byte-identical to what etcd 3.4.23 writes.
std::string MembershipV2StoreJson(const std::vector<Member>& members);

}  // namespace etcdsnap::etcd
