// etcdctl's global flags for reaching a cluster (endpoints, --discovery-srv, TLS files, dial and
// keepalive durations, --command-timeout, --user/--password with the password read from the
// terminal or stdin), turned into what the gRPC client takes. Shared by every command that talks
// to members: save, and the cross-check of hashkv and save --check-cluster. Part of the binary
// only in builds with gRPC.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/client/client.h"
#include "etcdsnap/client/endpoint.h"

namespace etcdsnap::cli {

struct ConnectionFlags {
  std::vector<client::Endpoint> endpoints;
  client::ConnectionOptions connection;
  // --command-timeout, when given (etcdctl bounds a save by it only then).
  std::optional<std::chrono::nanoseconds> command_timeout;
  std::string user;  // empty: no authentication
  std::string password;
  ~ConnectionFlags();  // overwrites the password
};

// Fills `out` from the global flags (after ApplyEnvironment, for commands that read ETCDCTL_*).
// `verb` names the command in messages ("save"). Returns kExitSuccess, or prints the error and
// returns etcdctl's exit code for it: 128 for an empty TLS file flag, an unreadable TLS file or
// a bad endpoint; 5 for a --command-timeout that expires at once or no endpoint at all; 1 for a
// failed DNS SRV lookup.
int BuildConnectionFlags(const GlobalOptions& g, const std::string& verb, ConnectionFlags& out);

}  // namespace etcdsnap::cli
