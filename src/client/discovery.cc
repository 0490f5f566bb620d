#include "etcdsnap/client/discovery.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace etcdsnap::client {
namespace {

std::string ResolverError(int h_err) {
  switch (h_err) {
    case HOST_NOT_FOUND: return "no such name (NXDOMAIN)";
    case NO_DATA: return "no SRV records";
    case TRY_AGAIN: return "no answer from the DNS server (try again)";
    case NO_RECOVERY: return "the DNS server refused the query";
    default: return "lookup failed";
  }
}

// Points `state` at ETCDSNAP_DNS_SERVER (test-only) when it is set. False when it is malformed.
bool ApplyTestServer(res_state state) {
  const char* env = std::getenv("ETCDSNAP_DNS_SERVER");
  if (env == nullptr || *env == '\0') return true;
  const std::string v = env;
  const size_t colon = v.rfind(':');
  if (colon == std::string::npos) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(v.c_str() + colon + 1)));
  if (::inet_pton(AF_INET, v.substr(0, colon).c_str(), &addr.sin_addr) != 1) return false;
  state->nsaddr_list[0] = addr;
  state->nscount = 1;
  return true;
}

}  // namespace

Result<std::vector<SrvRecord>> LookupSrv(const std::string& name) {
  struct __res_state state {};
  if (::res_ninit(&state) != 0) return Status::Unavailable("cannot initialize the DNS resolver");
  struct Close {
    res_state s;
    ~Close() { ::res_nclose(s); }
  } close{&state};
  if (!ApplyTestServer(&state)) {
    return Status::InvalidArgument("ETCDSNAP_DNS_SERVER must be ip:port");
  }
  state.retrans = 2;  // seconds per try: discovery must not hang a save
  state.retry = 2;
  unsigned char answer[NS_MAXMSG];
  const int len = ::res_nquery(&state, name.c_str(), ns_c_in, ns_t_srv, answer, sizeof answer);
  if (len < 0) return Status::NotFound(name + ": " + ResolverError(state.res_h_errno));
  ns_msg msg;
  if (::ns_initparse(answer, len, &msg) != 0) {
    return Status::Corruption(name + ": malformed DNS answer");
  }
  std::vector<SrvRecord> out;
  for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
    ns_rr rr;
    if (::ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_srv ||
        ns_rr_rdlen(rr) < 7) {
      continue;
    }
    const unsigned char* rd = ns_rr_rdata(rr);
    SrvRecord r;
    r.priority = static_cast<uint16_t>(ns_get16(rd));
    r.weight = static_cast<uint16_t>(ns_get16(rd + 2));
    r.port = static_cast<uint16_t>(ns_get16(rd + 4));
    char target[NS_MAXDNAME];
    if (::dn_expand(ns_msg_base(msg), ns_msg_end(msg), rd + 6, target, sizeof target) < 0) {
      continue;
    }
    r.target = target;
    if (!r.target.empty() && r.target.back() == '.') r.target.pop_back();
    out.push_back(std::move(r));
  }
  if (out.empty()) return Status::NotFound(name + ": " + ResolverError(NO_DATA));
  std::stable_sort(out.begin(), out.end(),
                   [](const SrvRecord& a, const SrvRecord& b) { return a.priority < b.priority; });
  return out;
}

Result<std::vector<std::string>> DiscoverEndpoints(const std::string& domain,
                                                   const std::string& service_name) {
  const std::string suffix = service_name.empty() ? "" : "-" + service_name;
  std::vector<std::string> endpoints;
  std::string errors;
  for (const auto& [service, scheme] : {std::pair<std::string, std::string>{"etcd-client-ssl", "https"},
                                        {"etcd-client", "http"}}) {
    const std::string name = "_" + service + suffix + "._tcp." + domain;
    auto records = LookupSrv(name);
    if (!records.ok()) {
      errors += (errors.empty() ? "" : "; ") + records.status().message();
      continue;
    }
    for (const SrvRecord& r : *records) {
      const bool v6 = r.target.find(':') != std::string::npos;
      endpoints.push_back(scheme + "://" + (v6 ? "[" + r.target + "]" : r.target) + ":" +
                          std::to_string(r.port));
    }
  }
  if (endpoints.empty()) {
    return Status::NotFound("DNS discovery for " + domain + " found no endpoints (" + errors +
                            "); check --discovery-srv and --discovery-srv-name");
  }
  return endpoints;
}

}  // namespace etcdsnap::client
