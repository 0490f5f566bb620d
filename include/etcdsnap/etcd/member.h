// etcd's cluster membership as `snapshot restore` builds it: peer URLs parsed and printed as Go's
// net/url does (the member ID hashes the printed form), `--initial-cluster` parsed and checked as
// etcd's types.NewURLsMap and ServerConfig.VerifyBootstrap do, member and cluster IDs
// (membership.NewMember with no timestamp, RaftCluster.genID), and member JSON byte-identical to
// Go's json.Marshal of membership.Member and RaftAttributes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "etcdsnap/util/status.h"

namespace etcdsnap::etcd {

// Parses one peer URL as etcd's types.NewURLs does (strings.TrimSpace, Go's url.Parse, scheme
// http, https, unix or unixs, a "host:port" host, no path) and returns Go's url.URL.String() of
// it, the form member IDs hash: scheme lower-cased, host and user info re-escaped (non-ASCII host
// bytes as %XX), query kept raw, fragment re-escaped. Go's parse errors keep Go's words after
// "cannot parse URL "<url>": ".
Result<std::string> NormalizePeerUrl(std::string_view url);

// types.NewURLs over a comma-separated list: every URL normalized, the list sorted.
Result<std::vector<std::string>> ParseUrls(std::string_view comma_separated);

// types.NewURLsMap: "name=url,name=url2,other=url3"; a repeated name collects several URLs.
// Empty items are skipped as etcd skips them. Each name's URLs are sorted.
using UrlsMap = std::map<std::string, std::vector<std::string>>;
Result<UrlsMap> ParseInitialCluster(std::string_view initial_cluster);

// Resolves a host name to its first address as text ("10.0.0.1", "::1"), for VerifyBootstrap.
using HostResolver = std::function<Result<std::string>(const std::string& host)>;
// getaddrinfo(3), TCP: the first IPv4 address, else the first address (Go's ResolveTCPAddr).
Result<std::string> ResolveHost(const std::string& host);

// ServerConfig.VerifyBootstrap: `name` must be in the map, its URLs must equal
// `advertise_peer_urls` (both normalized and sorted; when the strings differ, host names other
// than "localhost" and IP addresses are resolved, as etcd's netutil.URLStringsEqual does, and
// the lists compared again), no URL may appear twice, the map must not be empty. Messages carry
// etcd's words. `resolve` defaults to ResolveHost.
Status VerifyBootstrap(const UrlsMap& cluster, const std::string& name,
                       const std::vector<std::string>& advertise_peer_urls,
                       const HostResolver& resolve = nullptr);

struct Member {
  uint64_t id = 0;
  std::string name;
  std::vector<std::string> peer_urls;    // sorted
  std::vector<std::string> client_urls;  // empty for a restored member
  bool is_learner = false;
};

// membership.NewMember(name, urls, token, nil): id = first 8 bytes, big-endian, of
// sha1(concat(sorted peer URLs) + token).
Member NewMember(const std::string& name, std::vector<std::string> peer_urls,
                 const std::string& token);

// RaftCluster.genID: first 8 bytes, big-endian, of sha1(big-endian ids in ascending order).
uint64_t ClusterId(std::vector<uint64_t> member_ids);

struct Cluster {
  uint64_t id = 0;
  std::vector<Member> members;  // ascending id, as RaftCluster.Members() returns them

  const Member* MemberByName(const std::string& name) const;
};

// membership.NewClusterFromURLsMap: one member per name; refuses two members with the same ID
// and ID 0 with etcd's words.
Result<Cluster> NewClusterFromUrlsMap(const std::string& token, const UrlsMap& cluster);

// types.ID.String(): lower-case hex without leading zeros (the member's key in the `members`
// bucket and its v2 store directory name).
std::string IdString(uint64_t id);

// json.Marshal(membership.Member):
// {"id":<decimal>,"peerURLs":[...](,"isLearner":true)(,"name":"..")(,"clientURLs":[..])}.
std::string MemberJson(const Member& m);

// json.Marshal(membership.RaftAttributes): {"peerURLs":[...](,"isLearner":true)}.
std::string RaftAttributesJson(const Member& m);

// Appends `s` as a JSON string the way Go's encoding/json does (HTML-safe: <, >, & as \u003c..;
// U+2028/2029 escaped; invalid UTF-8 as \ufffd; other control bytes as \u00XX except \n \r \t).
void AppendGoJsonString(std::string* out, std::string_view s);

}  // namespace etcdsnap::etcd
