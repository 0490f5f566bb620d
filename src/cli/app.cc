// Global flags, ETCDCTL_* environment handling, and error printing shared by every command.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "etcdsnap/cli/command.h"

extern char** environ;

namespace etcdsnap::cli {

bool GlobalOptions::WasSet(const std::string& flag) const {
  if (std::find(env_flags.begin(), env_flags.end(), flag) != env_flags.end()) return true;
  if (app == nullptr) return false;
  const CLI::Option* opt = app->get_option_no_throw("--" + flag);
  return opt != nullptr && opt->count() > 0;
}

int ExitWithError(int code, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "Error: %s\n", message.c_str());
  std::fflush(stderr);
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
  for (CLI::Option* opt : g.app->get_options()) {
    if (opt->get_lnames().empty()) continue;
    const std::string name = opt->get_lnames().front();
    if (name == "help" || name == "version") continue;
    const std::string env = EnvNameFor(name);
    known.push_back(env);
    const char* val = std::getenv(env.c_str());
    if (val == nullptr || *val == '\0') continue;
    if (opt->count() > 0) {
      std::fprintf(stderr,
                   "Error: conflicting environment variable \"%s\" is shadowed by corresponding "
                   "command-line flag (either unset environment variable or disable flag)\n",
                   env.c_str());
      return kExitError;
    }
    try {
      opt->add_result(std::string(val));
      opt->run_callback();
    } catch (const CLI::Error& e) {
      // Never echo the value: it may be a password.
      return ExitWithError(kExitBadArgs, "invalid value in environment variable " + env);
    }
    g.env_flags.push_back(name);
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (std::strncmp(*e, "ETCDCTL_", 8) != 0 || eq == nullptr) continue;
    std::string name(*e, static_cast<size_t>(eq - *e));
    if (name == "ETCDCTL_API") continue;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::fprintf(stderr, "warning: unrecognized environment variable %s\n", name.c_str());
    }
  }
  return kExitSuccess;
}

}  // namespace etcdsnap::cli
