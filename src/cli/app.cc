// Global flags, ETCDCTL_* environment handling, and error printing shared by every command.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/log.h"

extern char** environ;

namespace etcdsnap::cli {

bool GlobalOptions::WasSet(const std::string& flag) const {
  auto has = [&](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), flag) != v.end();
  };
  return has(cli_flags) || has(env_flags);
}

void SetGlobalFlag(GlobalOptions& g, const FlagSpec& spec, const std::string& value) {
  const std::string name = spec.name;
  const bool first = !g.WasSet(name);
  if (name == "endpoints") {
    if (first) g.endpoints.clear();
    // pflag reads a StringSlice value as one CSV record; an empty value adds nothing.
    if (value.empty()) return;
    size_t start = 0;
    while (true) {
      const size_t comma = value.find(',', start);
      g.endpoints.push_back(value.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return;
  }
  struct Binding {
    const char* name;
    std::string* text;
    bool* flag;
  };
  const Binding bindings[] = {
      {"cacert", &g.cacert, nullptr},
      {"cert", &g.cert, nullptr},
      {"key", &g.key, nullptr},
      {"user", &g.user, nullptr},
      {"password", &g.password, nullptr},
      {"write-out", &g.write_out, nullptr},
      {"discovery-srv", &g.discovery_srv, nullptr},
      {"discovery-srv-name", &g.discovery_srv_name, nullptr},
      {"dial-timeout", &g.dial_timeout, nullptr},
      {"command-timeout", &g.command_timeout, nullptr},
      {"keepalive-time", &g.keepalive_time, nullptr},
      {"keepalive-timeout", &g.keepalive_timeout, nullptr},
      {"debug", nullptr, &g.debug},
      {"hex", nullptr, &g.hex},
      {"insecure-transport", nullptr, &g.insecure_transport},
      {"insecure-discovery", nullptr, &g.insecure_discovery},
      {"insecure-skip-tls-verify", nullptr, &g.insecure_skip_tls_verify},
  };
  for (const Binding& b : bindings) {
    if (name != b.name) continue;
    if (b.text != nullptr) *b.text = value;
    if (b.flag != nullptr) *b.flag = value == "true";
  }
}

void ApplyCommandLine(const CommandLine& cl, GlobalOptions& g) {
  for (const auto& [name, values] : cl.flags) {
    const FlagSpec* spec = FindFlag(name);
    if (spec == nullptr || spec->command != nullptr) continue;
    for (const std::string& v : values) {
      SetGlobalFlag(g, *spec, v);
      if (!g.WasSet(name)) g.cli_flags.push_back(name);
    }
  }
}

int ExitWithError(int code, const std::string& message) {
  PrintError(message);
  return code;
}

int ValidateOutputFormat(const std::string& format, bool protobuf_ok) {
  if (format == "simple" || format == "json" || format == "table" || format == "fields") {
    return kExitSuccess;
  }
  if (format == "protobuf") {
    if (protobuf_ok) return kExitSuccess;
    return ExitWithError(kExitBadFeature, "protobuf not supported as output format");
  }
  return ExitWithError(kExitBadFeature, "unsupported output format");
}

namespace {

std::string EnvNameFor(const std::string& long_name) {
  std::string env = "ETCDCTL_";
  for (char c : long_name) env.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return env;
}

}  // namespace

int ApplyEnvironment(GlobalOptions& g) {
  std::vector<std::string> known;
  for (const FlagSpec& spec : AllFlags()) {
    if (spec.command != nullptr) continue;  // only the global flags, as etcdctl
    const std::string name = spec.name;
    const std::string env = EnvNameFor(name);
    known.push_back(env);
    const char* val = std::getenv(env.c_str());
    if (val == nullptr || *val == '\0') continue;
    if (g.WasSet(name)) {
      PrintError("conflicting environment variable \"" + env +
                 "\" is shadowed by corresponding command-line flag (either unset environment "
                 "variable or disable flag)");
      return kExitError;
    }
    auto checked = CheckFlagValue(spec, val);
    if (!checked.ok()) {
      // Never echo the value: it may be a password. (etcdctl ignores a bad value silently.)
      return ExitWithError(kExitError, "invalid value in environment variable " + env +
                                           ": unset it or give a valid value");
    }
    SetGlobalFlag(g, spec, *checked);
    g.env_flags.push_back(name);
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (std::strncmp(*e, "ETCDCTL_", 8) != 0 || eq == nullptr) continue;
    std::string name(*e, static_cast<size_t>(eq - *e));
    if (name == "ETCDCTL_API") continue;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      PrintWarning("unrecognized environment variable " + name);
    }
  }
  return kExitSuccess;
}

}  // namespace etcdsnap::cli
