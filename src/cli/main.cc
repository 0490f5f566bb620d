// etcdsnap: back up and restore etcd. The command tree mirrors `etcdctl snapshot ...`.
#include <CLI/CLI.hpp>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/util/secret.h"

namespace {

using etcdsnap::cli::ExitWithError;
using etcdsnap::cli::GlobalOptions;

void AddGlobalFlags(CLI::App& app, GlobalOptions& g) {
  app.add_option("--endpoints", g.endpoints, "gRPC endpoints")
      ->delimiter(',')
      ->default_str("[127.0.0.1:2379]");
  app.add_flag("--debug", g.debug, "enable client-side debug logging");
  app.add_option("-w,--write-out", g.write_out,
                 "set the output format (fields, json, protobuf, simple, table)")
      ->default_str("simple");
  app.add_flag("--hex", g.hex, "print byte strings as hex encoded strings");
  app.add_option("--dial-timeout", g.dial_timeout, "dial timeout for client connections")
      ->default_str("2s");
  app.add_option("--command-timeout", g.command_timeout,
                 "timeout for short running command (excluding dial timeout); for save it "
                 "bounds the whole transfer and applies only when given")
      ->default_str("5s");
  app.add_option("--keepalive-time", g.keepalive_time, "keepalive time for client connections")
      ->default_str("2s");
  app.add_option("--keepalive-timeout", g.keepalive_timeout,
                 "keepalive timeout for client connections")
      ->default_str("6s");
  app.add_flag("--insecure-transport", g.insecure_transport,
               "disable transport security for client connections")
      ->default_str("true");
  app.add_flag("--insecure-discovery", g.insecure_discovery,
               "accept insecure SRV records describing cluster endpoints")
      ->default_str("true");
  app.add_flag("--insecure-skip-tls-verify", g.insecure_skip_tls_verify,
               "skip server certificate verification (CAUTION: this option should be enabled "
               "only for testing purposes)");
  app.add_option("--cert", g.cert, "identify secure client using this TLS certificate file");
  app.add_option("--key", g.key, "identify secure client using this TLS key file");
  app.add_option("--cacert", g.cacert, "verify certificates of TLS-enabled secure servers using "
                                       "this CA bundle");
  app.add_option("--user", g.user, "username[:password] for authentication (prompt if password "
                                   "is not supplied)");
  app.add_option("--password", g.password, "password for authentication (if this option is "
                                            "used, --user option shouldn't include password)");
  app.add_option("-d,--discovery-srv", g.discovery_srv,
                 "domain name to query for SRV records describing cluster endpoints");
  app.add_option("--discovery-srv-name", g.discovery_srv_name,
                 "service name to query when using DNS discovery");
}

// Overwrites a value in the process's own argv memory, which is what /proc/<pid>/cmdline (and
// so `ps`) shows every local user for as long as the process runs. The length stays visible.
void Blank(char* p) {
  for (; *p != '\0'; ++p) *p = 'x';
}

// Blanks the password in `--password pw`, `--password=pw`, `--user name:pw` and
// `--user=name:pw` (the name stays readable), wherever they are on the command line. Call once
// the arguments are copied for parsing.
void ScrubPasswordsFromArgv(int argc, char** argv) {
  auto password_of_user = [](char* v) {
    if (char* colon = std::strchr(v, ':'); colon != nullptr) Blank(colon + 1);
  };
  for (int i = 1; i < argc; ++i) {
    char* a = argv[i];
    if (std::strcmp(a, "--") == 0) break;
    if (std::strcmp(a, "--password") == 0 || std::strcmp(a, "--user") == 0) {
      if (i + 1 >= argc) break;
      if (a[2] == 'p') {
        Blank(argv[i + 1]);
      } else {
        password_of_user(argv[i + 1]);
      }
      ++i;
    } else if (std::strncmp(a, "--password=", 11) == 0) {
      Blank(a + 11);
    } else if (std::strncmp(a, "--user=", 7) == 0) {
      password_of_user(a + 7);
    }
  }
}

// CLI11 keeps each option's raw values; the copies bound to GlobalOptions are cleared by the
// command that used them.
void ClearParsedPasswords(CLI::App& app) {
  for (const char* name : {"--password", "--user"}) {
    const CLI::Option* opt = app.get_option_no_throw(name);
    if (opt == nullptr) continue;
    for (const std::string& r : opt->results()) etcdsnap::ClearSecret(const_cast<std::string&>(r));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Streaming frees and allocates 32 KiB messages at a high rate. With glibc's default trimming
  // the heap top is handed back with brk() hundreds of times per GiB, each a TLB shootdown
  // across cores: measured, it doubled save's system time. Keep a fixed pad instead (this also
  // pins the mmap threshold at 128 KiB).
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_TOP_PAD, 8 << 20);
  // etcdctl consumes ETCDCTL_API before parsing flags: empty or 3 selects v3.
  if (const char* api = std::getenv("ETCDCTL_API"); api != nullptr && *api != '\0') {
    if (std::strcmp(api, "3") != 0) {
      return ExitWithError(etcdsnap::cli::kExitError,
                           std::string("unsupported API version ") + api +
                               " (etcdsnap speaks the v3 API only: set ETCDCTL_API=3 or unset it)");
    }
  }

  CLI::App app{"etcdsnap: back up and restore etcd clusters (a drop-in for etcdctl snapshot)",
               "etcdsnap"};
  app.set_version_flag("--version", "etcdsnap 0.1.0");
  app.require_subcommand(1);
  GlobalOptions g;
  g.app = &app;
  AddGlobalFlags(app, g);

  etcdsnap::cli::Runner run;
  CLI::App* snapshot = app.add_subcommand("snapshot", "Manages etcd node snapshots");
  snapshot->require_subcommand(1);
  snapshot->fallthrough();
  etcdsnap::cli::AddSaveCommand(*snapshot, g, run);
  etcdsnap::cli::AddStatusCommand(*snapshot, g, run);
  etcdsnap::cli::AddVerifyCommand(*snapshot, g, run);

  // etcdctl accepts "--cert=" (an explicit empty value, which save then refuses by name);
  // CLI11 would take the next word as the value, so split such tokens in two.
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) {
    std::string a = argv[i];
    if (a.size() > 3 && a.rfind("--", 0) == 0 && a.back() == '=' &&
        a.find('=') == a.size() - 1) {
      args.emplace_back("");
      args.push_back(a.substr(0, a.size() - 1));
    } else {
      args.push_back(std::move(a));
    }
  }
  ScrubPasswordsFromArgv(argc, argv);  // `args` holds the copies to parse
  try {
    app.parse(args);  // CLI11 takes the arguments in reverse order
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return ExitWithError(etcdsnap::cli::kExitBadArgs, e.what());
  }
  for (std::string& a : args) etcdsnap::ClearSecret(a);  // what CLI11 left unparsed
  ClearParsedPasswords(app);
  if (!run) return ExitWithError(etcdsnap::cli::kExitBadArgs, "no command given");
  return run();
}
