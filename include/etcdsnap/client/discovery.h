// DNS SRV discovery of client endpoints, as etcdctl's --discovery-srv (pkg/srv GetClient):
// https:// endpoints from _etcd-client-ssl[-<name>]._tcp.<domain>, http:// ones from
// _etcd-client[-<name>]._tcp.<domain>. Lookups go through glibc's resolver (libresolv), so
// /etc/resolv.conf applies. For tests only, ETCDSNAP_DNS_SERVER=ip:port sends the queries to
// that server instead (a DNS server started on loopback).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "etcdsnap/util/status.h"

namespace etcdsnap::client {

struct SrvRecord {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;  // without the trailing dot
};

// The SRV records of `name`, by priority (lowest first). kNotFound when there are none.
Result<std::vector<SrvRecord>> LookupSrv(const std::string& name);

// etcdctl's endpoints for `domain`: "https://target:port" for every _etcd-client-ssl record,
// then "http://target:port" for every _etcd-client one; `service_name` adds "-<name>" to both
// services. Fails only when both lookups fail, with both reasons.
Result<std::vector<std::string>> DiscoverEndpoints(const std::string& domain,
                                                   const std::string& service_name);

}  // namespace etcdsnap::client
