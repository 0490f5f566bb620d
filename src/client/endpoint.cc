#include "etcdsnap/client/endpoint.h"

#include <algorithm>
#include <cctype>

namespace etcdsnap::client {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

Status CheckHostPort(std::string_view hp, std::string_view original) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid endpoint \"" + std::string(original) + "\": " + why +
                                   " (use host:port, http://host:port or https://host:port)");
  };
  if (hp.empty()) return bad("no host");
  if (hp.find('/') != std::string_view::npos) return bad("endpoints must not contain a path");
  size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  if (hp.front() == '[' && hp.find(']') > colon) return bad("no port");
  std::string_view port = hp.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(std::string(port)) > 65535) {
    return bad("bad port \"" + std::string(port) + "\"");
  }
  if (colon == 0) return bad("no host");
  return Status::Ok();
}

}  // namespace

Result<Endpoint> ParseEndpoint(std::string_view s, bool tls_configured) {
  s = Trim(s);
  Endpoint ep;
  ep.original = std::string(s);
  // URL schemes are case-insensitive (Go's url.Parse lower-cases them): HTTPS://h:p is https.
  std::string lowered(s);
  if (const size_t sep = lowered.find("://"); sep != std::string::npos) {
    std::transform(lowered.begin(), lowered.begin() + static_cast<long>(sep), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    s = lowered;
  }
  std::string_view rest;
  if (StartsWith(s, "unix://") || StartsWith(s, "unixs://")) {
    ep.tls = StartsWith(s, "unixs://");
    rest = s.substr(s.find("://") + 3);
    if (rest.empty()) return Status::InvalidArgument("invalid endpoint \"" + ep.original + "\": no socket path");
    ep.target = "unix:" + std::string(rest);
    return ep;
  }
  if (StartsWith(s, "https://")) {
    ep.tls = true;
    rest = s.substr(8);
  } else if (StartsWith(s, "http://")) {
    ep.tls = false;
    rest = s.substr(7);
  } else if (s.find("://") != std::string_view::npos) {
    return Status::InvalidArgument("invalid endpoint \"" + ep.original +
                                   "\": unsupported scheme (use http, https, unix or unixs)");
  } else {
    ep.tls = tls_configured;
    rest = s;
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  ETCDSNAP_RETURN_IF_ERROR(CheckHostPort(rest, ep.original));
  ep.target = std::string(rest);
  return ep;
}

}  // namespace etcdsnap::client
