#include "etcdsnap/etcd/member.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

namespace etcdsnap::etcd {
namespace {

// ---- Go's net/url, the part etcd's peer URLs go through ----

enum class Mode { kHost, kZone, kUserPassword, kFragment };

bool IsAlnum(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// url.shouldEscape for the modes we need.
bool ShouldEscape(uint8_t c, Mode mode) {
  if (IsAlnum(c)) return false;
  if (mode == Mode::kHost || mode == Mode::kZone) {
    switch (c) {
      case '!':
      case '$':
      case '&':
      case '\'':
      case '(':
      case ')':
      case '*':
      case '+':
      case ',':
      case ';':
      case '=':
      case ':':
      case '[':
      case ']':
      case '<':
      case '>':
      case '"':
        return false;
      default:
        break;
    }
  }
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '~':
      return false;
    case '$':
    case '&':
    case '+':
    case ',':
    case '/':
    case ':':
    case ';':
    case '=':
    case '?':
    case '@':
      if (mode == Mode::kUserPassword) return c == '@' || c == '/' || c == '?' || c == ':';
      if (mode == Mode::kFragment) return false;
      return true;
    default:
      break;
  }
  if (mode == Mode::kFragment && (c == '!' || c == '(' || c == ')' || c == '*')) return false;
  return true;
}

int Unhex(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// url.unescape (never in query mode, so '+' stays '+').
Result<std::string> Unescape(std::string_view s, Mode mode) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size() || Unhex(s[i + 1]) < 0 || Unhex(s[i + 2]) < 0) {
        return Status::InvalidArgument("invalid URL escape \"" +
                                       std::string(s.substr(i, std::min<size_t>(3, s.size() - i))) +
                                       "\"");
      }
      const uint8_t v = static_cast<uint8_t>(Unhex(s[i + 1]) << 4 | Unhex(s[i + 2]));
      if (mode == Mode::kHost && Unhex(s[i + 1]) < 8 && s.substr(i, 3) != "%25") {
        return Status::InvalidArgument("invalid URL escape \"" + std::string(s.substr(i, 3)) +
                                       "\" in host");
      }
      if (mode == Mode::kZone && s.substr(i, 3) != "%25" && v != ' ' &&
          ShouldEscape(v, Mode::kHost)) {
        return Status::InvalidArgument("invalid URL escape \"" + std::string(s.substr(i, 3)) +
                                       "\" in host");
      }
      out.push_back(static_cast<char>(v));
      i += 2;
      continue;
    }
    if ((mode == Mode::kHost || mode == Mode::kZone) && c < 0x80 && ShouldEscape(c, mode)) {
      return Status::InvalidArgument(std::string("invalid character '") + static_cast<char>(c) +
                                     "' in host name");
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

// url.escape for the non-query modes.
std::string Escape(std::string_view s, Mode mode) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const uint8_t c = static_cast<uint8_t>(ch);
    if (ShouldEscape(c, mode)) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

bool ValidOptionalPort(std::string_view p) {
  if (p.empty()) return true;
  if (p[0] != ':') return false;
  return std::all_of(p.begin() + 1, p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// url.parseHost: the host as stored in url.URL.Host (escapes decoded).
Result<std::string> ParseHost(std::string_view host) {
  if (!host.empty() && host[0] == '[') {
    const size_t i = host.rfind(']');
    if (i == std::string_view::npos) return Status::InvalidArgument("missing ']' in host");
    const std::string_view colon_port = host.substr(i + 1);
    if (!ValidOptionalPort(colon_port)) {
      return Status::InvalidArgument("invalid port \"" + std::string(colon_port) + "\" after host");
    }
    const size_t zone = host.substr(0, i).find("%25");
    if (zone != std::string_view::npos) {
      ETCDSNAP_ASSIGN_OR_RETURN(std::string h1, Unescape(host.substr(0, zone), Mode::kHost));
      ETCDSNAP_ASSIGN_OR_RETURN(std::string h2, Unescape(host.substr(zone, i - zone), Mode::kZone));
      ETCDSNAP_ASSIGN_OR_RETURN(std::string h3, Unescape(host.substr(i), Mode::kHost));
      return h1 + h2 + h3;
    }
  } else if (const size_t i = host.rfind(':'); i != std::string_view::npos) {
    const std::string_view colon_port = host.substr(i);
    if (!ValidOptionalPort(colon_port)) {
      return Status::InvalidArgument("invalid port \"" + std::string(colon_port) + "\" after host");
    }
  }
  return Unescape(host, Mode::kHost);
}

bool ValidUserinfo(std::string_view s) {
  for (char ch : s) {
    const uint8_t c = static_cast<uint8_t>(ch);
    if (IsAlnum(c)) continue;
    if (std::string_view("-._:~!$&'()*+,;=%@").find(static_cast<char>(c)) ==
        std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool ValidEncoded(std::string_view s, Mode mode) {
  for (char ch : s) {
    const uint8_t c = static_cast<uint8_t>(ch);
    if (std::string_view("!$&'()*+,;=:@[]%").find(static_cast<char>(c)) != std::string_view::npos) {
      continue;
    }
    if (ShouldEscape(c, mode)) return false;
  }
  return true;
}

// net.SplitHostPort's checks (we only need to know it succeeds).
bool SplitsHostPort(std::string_view hostport) {
  const size_t i = hostport.rfind(':');
  if (i == std::string_view::npos) return false;  // missing port
  std::string_view host;
  if (!hostport.empty() && hostport[0] == '[') {
    const size_t end = hostport.find(']');
    if (end == std::string_view::npos) return false;
    if (end + 1 == hostport.size()) return false;  // missing port
    if (end + 1 != i) return false;                // "]" not followed by the last ":"
    host = hostport.substr(1, end - 1);
    if (hostport.substr(1).find('[') != std::string_view::npos) return false;
    if (hostport.substr(end + 1).find(']') != std::string_view::npos) return false;
    return true;
  }
  host = hostport.substr(0, i);
  if (host.find(':') != std::string_view::npos) return false;  // too many colons
  if (hostport.find_first_of("[]") != std::string_view::npos) return false;
  return true;
}

size_t Utf8Len(std::string_view s, size_t i, uint32_t* rune);

// unicode.IsSpace.
bool IsGoSpace(uint32_t r) {
  return (r >= '\t' && r <= '\r') || r == ' ' || r == 0x85 || r == 0xa0 || r == 0x1680 ||
         (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f ||
         r == 0x3000;
}

// strings.TrimSpace: leading and trailing Unicode white space.
std::string_view TrimSpace(std::string_view s) {
  while (!s.empty()) {
    uint32_t r = static_cast<uint8_t>(s[0]);
    const size_t n = r < 0x80 ? 1 : Utf8Len(s, 0, &r);
    if (n == 0 || !IsGoSpace(r)) break;
    s.remove_prefix(n);
  }
  while (!s.empty()) {
    // The start of the last UTF-8 sequence: at most 3 continuation bytes back.
    size_t start = s.size() - 1;
    while (start > 0 && s.size() - start < 4 && (static_cast<uint8_t>(s[start]) & 0xc0) == 0x80) {
      --start;
    }
    uint32_t r = static_cast<uint8_t>(s[start]);
    const size_t n = r < 0x80 ? 1 : Utf8Len(s, start, &r);
    if (n == 0 || start + n != s.size() || !IsGoSpace(r)) break;
    s.remove_suffix(n);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The parts of a url.URL that etcd's peer URLs can have.
struct GoUrl {
  std::string scheme;
  bool has_user = false, has_password = false;
  std::string username, password;
  std::string host;  // decoded
  std::string path;  // raw (only checked for emptiness)
  bool opaque = false;
  bool force_query = false;
  std::string raw_query;
  bool has_fragment = false;
  std::string fragment, raw_fragment;
};

// url.Parse (not via a request).
Result<GoUrl> GoParse(std::string_view raw) {
  GoUrl u;
  std::string_view frag;
  if (const size_t h = raw.find('#'); h != std::string_view::npos) {
    frag = raw.substr(h + 1);
    u.has_fragment = !frag.empty();
    raw = raw.substr(0, h);
  }
  for (char c : raw) {
    if (static_cast<uint8_t>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("invalid control character in URL");
    }
  }
  std::string_view rest = raw;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return Status::InvalidArgument("missing protocol scheme");
      u.scheme = Lower(raw.substr(0, i));
      rest = raw.substr(i + 1);
    }
    break;
  }
  if (!rest.empty() && rest.back() == '?' && std::count(rest.begin(), rest.end(), '?') == 1) {
    u.force_query = true;
    rest.remove_suffix(1);
  } else if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    u.raw_query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (rest.empty() || rest[0] != '/') {
    if (!u.scheme.empty()) {
      u.opaque = true;
      u.path = std::string(rest);
      return u;
    }
  }
  if ((!u.scheme.empty() || rest.substr(0, 3) != "///") && rest.substr(0, 2) == "//") {
    std::string_view authority = rest.substr(2);
    rest = {};
    if (const size_t sl = authority.find('/'); sl != std::string_view::npos) {
      rest = authority.substr(sl);
      authority = authority.substr(0, sl);
    }
    const size_t at = authority.rfind('@');
    ETCDSNAP_ASSIGN_OR_RETURN(
        u.host, ParseHost(at == std::string_view::npos ? authority : authority.substr(at + 1)));
    if (at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      if (!ValidUserinfo(userinfo)) return Status::InvalidArgument("invalid userinfo");
      u.has_user = true;
      const size_t colon = userinfo.find(':');
      ETCDSNAP_ASSIGN_OR_RETURN(u.username,
                                Unescape(userinfo.substr(0, colon), Mode::kUserPassword));
      if (colon != std::string_view::npos) {
        u.has_password = true;
        ETCDSNAP_ASSIGN_OR_RETURN(u.password,
                                  Unescape(userinfo.substr(colon + 1), Mode::kUserPassword));
      }
    }
  }
  u.path = std::string(rest);
  if (u.has_fragment) {
    ETCDSNAP_ASSIGN_OR_RETURN(u.fragment, Unescape(frag, Mode::kFragment));
    u.raw_fragment = std::string(frag);
  }
  return u;
}

// url.URL.String() for a URL with an authority and no path.
std::string GoString(const GoUrl& u) {
  std::string s;
  if (!u.scheme.empty()) s += u.scheme + ":";
  if (!u.scheme.empty() || !u.host.empty() || u.has_user) {
    s += "//";
    if (u.has_user) {
      s += Escape(u.username, Mode::kUserPassword);
      if (u.has_password) s += ":" + Escape(u.password, Mode::kUserPassword);
      s += "@";
    }
    s += Escape(u.host, Mode::kHost);
  }
  if (u.force_query || !u.raw_query.empty()) s += "?" + u.raw_query;
  if (u.has_fragment) {
    s += "#";
    // url.EscapedFragment: the raw form when it is a valid encoding of the fragment.
    auto back = Unescape(u.raw_fragment, Mode::kFragment);
    if (ValidEncoded(u.raw_fragment, Mode::kFragment) && back.ok() && *back == u.fragment) {
      s += u.raw_fragment;
    } else {
      s += Escape(u.fragment, Mode::kFragment);
    }
  }
  return s;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string JoinUrls(const std::vector<std::string>& urls) {
  std::string out;
  for (const auto& u : urls) out += (out.empty() ? "" : ",") + u;
  return out;
}

// Go's %q of a []string: ["a" "b"].
std::string GoQuotedList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + Quoted(v[i]);
  return out + "]";
}

// URLsMap.String(): "name=url" pairs, sorted, joined by ",".
std::string UrlsMapString(const UrlsMap& m) {
  std::vector<std::string> pairs;
  for (const auto& [name, urls] : m) {
    for (const auto& u : urls) pairs.push_back(name + "=" + u);
  }
  std::sort(pairs.begin(), pairs.end());
  return JoinUrls(pairs);
}

uint64_t Sha1Prefix(const std::string& bytes) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | md[i];
  return v;
}

void AppendStringArray(std::string* out, const std::vector<std::string>& v) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out->push_back(',');
    AppendGoJsonString(out, v[i]);
  }
  out->push_back(']');
}

// The length of the valid UTF-8 sequence at s[i], or 0 (Go's utf8.DecodeRuneInString rules).
size_t Utf8Len(std::string_view s, size_t i, uint32_t* rune) {
  const uint8_t c = static_cast<uint8_t>(s[i]);
  size_t n;
  uint32_t r, min;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2, r = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, r = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, r = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const uint8_t cc = static_cast<uint8_t>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    r = r << 6 | (cc & 0x3f);
  }
  if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return 0;
  *rune = r;
  return n;
}

}  // namespace

void AppendGoJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
        out->push_back(static_cast<char>(c));
      } else if (c == '"' || c == '\\') {
        out->push_back('\\');
        out->push_back(static_cast<char>(c));
      } else if (c == '\n') {
        *out += "\\n";
      } else if (c == '\r') {
        *out += "\\r";
      } else if (c == '\t') {
        *out += "\\t";
      } else {
        *out += "\\u00";
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    const size_t n = Utf8Len(s, i, &rune);
    if (n == 0) {
      *out += "\\ufffd";
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      *out += rune == 0x2028 ? "\\u2028" : "\\u2029";
      i += n;
    } else {
      out->append(s.substr(i, n));
      i += n;
    }
  }
  out->push_back('"');
}

Result<std::string> NormalizePeerUrl(std::string_view in) {
  const std::string_view url = TrimSpace(in);
  auto parsed = GoParse(url);
  if (!parsed.ok()) {
    return parsed.status().Annotate("cannot parse URL " + Quoted(url));
  }
  const GoUrl& u = *parsed;
  if (u.scheme != "http" && u.scheme != "https" && u.scheme != "unix" && u.scheme != "unixs") {
    return Status::InvalidArgument("URL scheme must be http, https, unix, or unixs: " +
                                   std::string(url));
  }
  if (u.opaque || !SplitsHostPort(u.host)) {
    return Status::InvalidArgument("URL address does not have the form \"host:port\": " +
                                   std::string(url));
  }
  if (!u.path.empty()) {
    return Status::InvalidArgument("URL must not contain a path: " + std::string(url));
  }
  return GoString(u);
}

Result<std::vector<std::string>> ParseUrls(std::string_view list) {
  std::vector<std::string> out;
  while (true) {
    const size_t comma = list.find(',');
    ETCDSNAP_ASSIGN_OR_RETURN(std::string u, NormalizePeerUrl(list.substr(0, comma)));
    out.push_back(std::move(u));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<UrlsMap> ParseInitialCluster(std::string_view s) {
  std::map<std::string, std::vector<std::string_view>> raw;
  while (!s.empty()) {
    const size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view url = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    raw[std::string(name)].push_back(url);
  }
  UrlsMap out;
  for (const auto& [name, urls] : raw) {
    std::vector<std::string> parsed;
    for (std::string_view u : urls) {
      auto n = NormalizePeerUrl(u);
      if (!n.ok()) return n.status().Annotate("member " + Quoted(name));
      parsed.push_back(std::move(n).value());
    }
    std::sort(parsed.begin(), parsed.end());
    out[name] = std::move(parsed);
  }
  return out;
}

Result<std::string> ResolveHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    return Status::NotFound("lookup " + host + ": " + ::gai_strerror(rc));
  }
  // Go's ResolveTCPAddr("tcp", ...) takes the first IPv4 address when there is one.
  const addrinfo* pick = res;
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr =
      pick->ai_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(pick->ai_addr)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(pick->ai_addr)->sin_addr);
  ::inet_ntop(pick->ai_family, addr, text, sizeof text);
  ::freeaddrinfo(res);
  return std::string(text);
}

namespace {

// netutil.resolveTCPAddrs: each URL with a host name (not "localhost", not an IP address, not a
// unix socket) gets the host's first address in place of its host, as TCPAddr.String() prints it.
Result<std::vector<std::string>> ResolveUrls(std::vector<std::string> urls,
                                             const HostResolver& resolve) {
  for (std::string& u : urls) {
    const size_t scheme_end = u.find("://");
    if (scheme_end == std::string::npos) continue;
    const std::string scheme = u.substr(0, scheme_end);
    if (scheme == "unix" || scheme == "unixs") continue;
    const size_t host_start = scheme_end + 3;
    size_t host_end = u.find_first_of("/?#", host_start);
    if (host_end == std::string::npos) host_end = u.size();
    const std::string hostport = u.substr(host_start, host_end - host_start);
    if (!hostport.empty() && hostport[0] == '[') continue;  // an IPv6 address
    const size_t colon = hostport.rfind(':');
    if (colon == std::string::npos) continue;
    const std::string host = hostport.substr(0, colon);
    in_addr v4{};
    if (host == "localhost" || ::inet_pton(AF_INET, host.c_str(), &v4) == 1) continue;
    auto ip = resolve(host);
    if (!ip.ok()) {
      return Status::NotFound("failed to resolve " + Quoted(u) + " (" + ip.status().message() +
                              ")");
    }
    const std::string addr =
        ip->find(':') != std::string::npos ? "[" + *ip + "]" : *ip;  // net.JoinHostPort
    u = u.substr(0, host_start) + addr + hostport.substr(colon) + u.substr(host_end);
  }
  std::sort(urls.begin(), urls.end());
  return urls;
}

}  // namespace

Status VerifyBootstrap(const UrlsMap& cluster, const std::string& name,
                       const std::vector<std::string>& advertise_peer_urls,
                       const HostResolver& resolve_arg) {
  const HostResolver resolve = resolve_arg ? resolve_arg : HostResolver(ResolveHost);
  const auto it = cluster.find(name);
  if (it == cluster.end()) {
    return Status::InvalidArgument("couldn't find local name " + Quoted(name) +
                                   " in the initial cluster configuration");
  }
  std::vector<std::string> ap = advertise_peer_urls;
  std::sort(ap.begin(), ap.end());
  std::string why;
  if (ap != it->second) {
    // netutil.URLStringsEqual: when the strings differ, resolve host names and compare again.
    if (ap.size() != it->second.size()) {
      why = "len(" + GoQuotedList(ap) + ") != len(" + GoQuotedList(it->second) + ")";
    } else {
      auto ra = ResolveUrls(ap, resolve);
      auto rb = ra.ok() ? ResolveUrls(it->second, resolve) : ra;
      if (!ra.ok() || !rb.ok()) {
        why = (ra.ok() ? rb : ra).status().message();
      } else {
        for (size_t i = 0; i < ra->size() && why.empty(); ++i) {
          if ((*ra)[i] != (*rb)[i]) {
            why = "resolved urls: " + Quoted((*ra)[i]) + " != " + Quoted((*rb)[i]);
          }
        }
      }
    }
  }
  if (!why.empty()) {
    // advertiseMatchesCluster's three messages.
    std::vector<std::string> missing;
    for (const auto& u : it->second) {
      if (std::find(ap.begin(), ap.end(), u) == ap.end()) missing.push_back(name + "=" + u);
    }
    if (!missing.empty()) {
      return Status::InvalidArgument(
          "--initial-cluster has " + JoinUrls(missing) +
          " but missing from --initial-advertise-peer-urls=" + JoinUrls(ap) + " (" + why + ")");
    }
    for (const auto& u : ap) {
      if (std::find(it->second.begin(), it->second.end(), u) == it->second.end()) {
        missing.push_back(u);
      }
    }
    UrlsMap own{{name, ap}};
    if (!missing.empty()) {
      return Status::InvalidArgument("--initial-advertise-peer-urls has " + JoinUrls(missing) +
                                     " but missing from --initial-cluster=" + UrlsMapString(own));
    }
    return Status::InvalidArgument("failed to resolve " + JoinUrls(ap) +
                                   " to match --initial-cluster=" + UrlsMapString(own) + " (" +
                                   why + ")");
  }
  std::set<std::string> seen;
  for (const auto& [n, urls] : cluster) {
    for (const auto& u : urls) {
      if (!seen.insert(u).second) {
        return Status::InvalidArgument("initial cluster " + UrlsMapString(cluster) +
                                       " has duplicate url");
      }
    }
  }
  if (UrlsMapString(cluster).empty()) {
    return Status::InvalidArgument("initial cluster unset and no discovery URL found");
  }
  return Status::Ok();
}

Member NewMember(const std::string& name, std::vector<std::string> peer_urls,
                 const std::string& token) {
  Member m;
  m.name = name;
  std::sort(peer_urls.begin(), peer_urls.end());
  std::string b;
  for (const auto& u : peer_urls) b += u;
  b += token;
  m.id = Sha1Prefix(b);
  m.peer_urls = std::move(peer_urls);
  return m;
}

uint64_t ClusterId(std::vector<uint64_t> ids) {
  std::sort(ids.begin(), ids.end());
  std::string b;
  for (uint64_t id : ids) {
    for (int s = 56; s >= 0; s -= 8) b.push_back(static_cast<char>(id >> s));
  }
  return Sha1Prefix(b);
}

const Member* Cluster::MemberByName(const std::string& name) const {
  for (const auto& m : members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

Result<Cluster> NewClusterFromUrlsMap(const std::string& token, const UrlsMap& urls) {
  Cluster c;
  std::vector<uint64_t> ids;
  for (const auto& [name, peer_urls] : urls) {
    Member m = NewMember(name, peer_urls, token);
    if (std::find(ids.begin(), ids.end(), m.id) != ids.end()) {
      return Status::InvalidArgument("member exists with identical ID " + IdString(m.id) +
                                     " (name " + Quoted(name) + ")");
    }
    if (m.id == 0) return Status::InvalidArgument("cannot use 0 as member id");
    ids.push_back(m.id);
    c.members.push_back(std::move(m));
  }
  std::sort(c.members.begin(), c.members.end(),
            [](const Member& a, const Member& b) { return a.id < b.id; });
  c.id = ClusterId(ids);
  return c;
}

std::string IdString(uint64_t id) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kHex[id & 15]);
    id >>= 4;
  } while (id != 0);
  return s;
}

std::string RaftAttributesJson(const Member& m) {
  std::string out = "{\"peerURLs\":";
  AppendStringArray(&out, m.peer_urls);
  if (m.is_learner) out += ",\"isLearner\":true";
  out += "}";
  return out;
}

std::string MemberJson(const Member& m) {
  std::string out = "{\"id\":" + std::to_string(m.id) + ",\"peerURLs\":";
  AppendStringArray(&out, m.peer_urls);
  if (m.is_learner) out += ",\"isLearner\":true";
  if (!m.name.empty()) {
    out += ",\"name\":";
    AppendGoJsonString(&out, m.name);
  }
  if (!m.client_urls.empty()) {
    out += ",\"clientURLs\":";
    AppendStringArray(&out, m.client_urls);
  }
  out += "}";
  return out;
}

}  // namespace etcdsnap::etcd
