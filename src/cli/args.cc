// pflag/cobra's reading of a command line (see args.h), written for etcdsnap's command tree.
#include "etcdsnap/cli/args.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>

#include "etcdsnap/util/human.h"
#include "etcdsnap/util/secret.h"

namespace etcdsnap::cli {
namespace {

using K = FlagKind;

const CommandSpec kCommands[] = {
    {"", "etcdsnap [global flags] <command>",
     "etcdsnap: back up and inspect etcd clusters, a drop-in for etcdctl snapshot"},
    {"snapshot", "etcdsnap snapshot <subcommand> [flags]", "Manages etcd node snapshots"},
    {"snapshot save", "etcdsnap snapshot save <filename> [flags]",
     "Stores an etcd node backend snapshot to a given file"},
    {"snapshot status", "etcdsnap snapshot status <filename> [flags]",
     "Gets backend snapshot status of a given file"},
    {"snapshot restore", "etcdsnap snapshot restore <filename> [options]",
     "Restores an etcd member snapshot to an etcd directory"},
    {"snapshot verify", "etcdsnap snapshot verify <filename> [flags]",
     "Checks a snapshot file end to end: sha256 trailer, bbolt structure, etcd schema"},
    {"snapshot hashkv", "etcdsnap snapshot hashkv <filename> [--rev R] [--compact-rev C] [flags]",
     "Prints the KV history hash (Maintenance.HashKV) of a given file; with --endpoints, compares "
     "it with the members'"},
    {"snapshot inspect", "etcdsnap snapshot inspect <filename> [--prefix P] [--top N] [flags]",
     "Reports what fills the etcd a snapshot came from: per Kubernetes resource, namespace and "
     "key, storage versions, encryption at rest, leases, free pages"},
    {"snapshot diff", "etcdsnap snapshot diff <a> <b> [--keys] [--resource R] [--all] [flags]",
     "Reports what changed between two snapshot files, per Kubernetes resource: objects added, "
     "removed, recreated, modified, unchanged"},
    {"snapshot prune", "etcdsnap snapshot prune <name template> --keep-... [flags]",
     "Removes the snapshots a name template made that the --keep-* flags do not keep"},
    {"version", "etcdsnap version", "Prints the version of etcdsnap"},
    {"help", "etcdsnap help [command]", "Help about any command"},
};

const CommandSpec* FindCommand(const std::string& path) {
  for (const CommandSpec& c : kCommands) {
    if (path == c.path) return &c;
  }
  return nullptr;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<std::string> Children(const std::string& path) {
  std::vector<std::string> out;
  const std::string prefix = path.empty() ? "" : path + " ";
  for (const CommandSpec& c : kCommands) {
    const std::string p = c.path;
    if (p.empty() || p.rfind(prefix, 0) != 0) continue;
    const std::string rest = p.substr(prefix.size());
    if (!rest.empty() && rest.find(' ') == std::string::npos) out.push_back(rest);
  }
  return out;
}

// cobra with EnablePrefixMatching: the exact name, else the one child it is a prefix of.
std::string MatchChild(const std::string& path, const std::string& word) {
  std::vector<std::string> hits;
  for (const std::string& c : Children(path)) {
    if (c == word) return c;
    if (c.rfind(word, 0) == 0) hits.push_back(c);
  }
  return hits.size() == 1 ? hits.front() : "";
}

Status Invalid(const std::string& m) { return Status::InvalidArgument(m); }

// Checks and normalizes one value for `spec`, as pflag's Value.Set would.
Result<std::string> CheckValue(const FlagSpec& spec, const std::string& shown,
                               const std::string& value) {
  auto bad = [&](const std::string& why) {
    return Invalid("invalid argument \"" + value + "\" for \"" + shown + "\" flag: " + why);
  };
  switch (spec.kind) {
    case K::kBool: {
      auto b = ParseGoBool(value);
      if (!b.ok()) return bad(b.status().message());
      return std::string(*b ? "true" : "false");
    }
    case K::kDuration: {
      auto d = ParseSignedGoDuration(value);
      if (!d.ok()) return bad(d.status().message());
      return value;
    }
    case K::kUint64: {
      auto u = ParseGoUint64(value);
      if (!u.ok()) return bad(u.status().message());
      return std::to_string(*u);
    }
    case K::kInt64: {
      auto i = ParseGoInt64(value);
      if (!i.ok()) return bad(i.status().message());
      return std::to_string(*i);
    }
    default:
      return value;
  }
}

std::string Shown(const FlagSpec& spec) {
  return spec.shorthand != 0 ? std::string("-") + spec.shorthand + ", --" + spec.name
                             : std::string("--") + spec.name;
}

const FlagSpec* FindShorthand(char c) {
  for (const FlagSpec& f : AllFlags()) {
    if (f.shorthand == c) return &f;
  }
  return nullptr;
}

// "snapshot save" for the message of a flag given to another command; a flag shared by several
// commands lists them ("snapshot save,snapshot prune").
std::string OwnersOf(const FlagSpec& spec) {
  std::string out = spec.command;
  for (size_t comma; (comma = out.find(',')) != std::string::npos;) {
    out.replace(comma, 1, " or etcdsnap ");
  }
  return out;
}

struct Given {
  const FlagSpec* spec;
  std::string value;
};

}  // namespace

const std::vector<CommandSpec>& AllCommands() {
  static const std::vector<CommandSpec> commands(std::begin(kCommands), std::end(kCommands));
  return commands;
}

std::vector<std::string> Subcommands(const std::string& path) { return Children(path); }

const std::vector<FlagSpec>& AllFlags() {
  static const std::vector<FlagSpec> flags = {
      {"cacert", 0, K::kString, "", "verify certificates of TLS-enabled secure servers using this CA bundle", nullptr},
      {"cert", 0, K::kString, "", "identify secure client using this TLS certificate file", nullptr},
      {"command-timeout", 0, K::kDuration, "5s", "timeout for short running command (excluding dial timeout); for save it bounds the whole transfer and applies only when given", nullptr},
      {"debug", 0, K::kBool, "false", "enable client-side debug logging", nullptr},
      {"dial-timeout", 0, K::kDuration, "2s", "dial timeout for client connections", nullptr},
      {"discovery-srv", 'd', K::kString, "", "domain name to query for SRV records describing cluster endpoints", nullptr},
      {"discovery-srv-name", 0, K::kString, "", "service name to query when using DNS discovery", nullptr},
      {"endpoints", 0, K::kStringSlice, "[127.0.0.1:2379]", "gRPC endpoints", nullptr},
      {"hex", 0, K::kBool, "false", "print byte strings as hex encoded strings", nullptr},
      {"insecure-discovery", 0, K::kBool, "true", "accept insecure SRV records describing cluster endpoints", nullptr},
      {"insecure-skip-tls-verify", 0, K::kBool, "false", "skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)", nullptr},
      {"insecure-transport", 0, K::kBool, "true", "disable transport security for client connections", nullptr},
      {"keepalive-time", 0, K::kDuration, "2s", "keepalive time for client connections", nullptr},
      {"keepalive-timeout", 0, K::kDuration, "6s", "keepalive timeout for client connections", nullptr},
      {"key", 0, K::kString, "", "identify secure client using this TLS key file", nullptr},
      {"password", 0, K::kString, "", "password for authentication (if this option is used, --user option shouldn't include password)", nullptr},
      {"user", 0, K::kString, "", "username[:password] for authentication (prompt if password is not supplied; read from stdin when it is not a terminal)", nullptr},
      {"write-out", 'w', K::kString, "simple", "set the output format (fields, json, protobuf, simple, table)", nullptr},
      {"help", 'h', K::kBool, "false", "help for this command", ""},
      {"version", 0, K::kBool, "false", "print the version, as the version command does (etcdsnap only)", ""},
      {"idle-timeout", 0, K::kDuration, "30s", "abort when the server sends no data for this long (etcdsnap only)", "snapshot save"},
      {"compress", 0, K::kString, "none", "compress the file (or stdout) as one stream: zstd, zstd:LEVEL (1-19), gzip, gzip:LEVEL (1-9); status, verify and restore read it as it is (etcdsnap only)", "snapshot save"},
      {"verify", 0, K::kBool, "false", "before keeping the file, check its bbolt structure and etcd schema as `snapshot verify` does (etcdsnap only; the sha256 is always checked)", "snapshot save"},
      {"etcd-version", 0, K::kString, "3.4", "print what this etcd version prints: 3.4 and 3.5 count every key/value pair of every bucket; 3.6 counts live keys and adds a version column", "snapshot status"},
      {"bolt-only", 0, K::kBool, "false", "check the sha256 trailer and the bbolt structure only (a bbolt file that is not an etcd backend)", "snapshot verify"},
      {"data-dir", 0, K::kString, "", "Path to the data directory (default \"<name>.etcd\"); it must not exist or be empty", "snapshot restore"},
      {"wal-dir", 0, K::kString, "", "Path to the WAL directory (use --data-dir if none given); it must not exist or be empty", "snapshot restore"},
      {"initial-cluster", 0, K::kString, "default=http://localhost:2380", "Initial cluster configuration for restore bootstrap", "snapshot restore"},
      {"initial-cluster-token", 0, K::kString, "etcd-cluster", "Initial cluster token for the etcd cluster during restore bootstrap", "snapshot restore"},
      {"initial-advertise-peer-urls", 0, K::kString, "http://localhost:2380", "List of this member's peer URLs to advertise to the rest of the cluster", "snapshot restore"},
      {"name", 0, K::kString, "default", "Human-readable name for this member", "snapshot restore"},
      {"skip-hash-check", 0, K::kBool, "false", "Ignore snapshot integrity hash value (required if copied from data directory)", "snapshot restore"},
      {"bump-revision", 0, K::kUint64, "0", "How much to increase the latest revision after restore", "snapshot restore"},
      {"mark-compacted", 0, K::kBool, "false", "Mark the latest revision after restore as the point of scheduled compaction (required if --bump-revision > 0, disallowed otherwise)", "snapshot restore"},
      {"initial-memory-map-size", 0, K::kUint64, "0", "Accepted for etcdutl compatibility and ignored: etcdsnap does not map the database", "snapshot restore"},
      {"log-format", 0, K::kString, "text", "stderr as text lines or as JSON lines with etcdctl's field names: text or json (etcdsnap only)", ""},
      {"quiet", 0, K::kBool, "false", "print errors only: no logs or warnings, and no success line from save and prune (etcdsnap only)", ""},
      {"lock-timeout", 0, K::kDuration, "0s", "when another save to the same file or name template is running, wait this long for it to finish instead of exiting with code 75 (etcdsnap only)", "snapshot save"},
      {"manifest", 0, K::kBool, "false", "also write <file>.json: cluster, member, revision, sizes and sha256s; status, verify and restore check the file against it (etcdsnap only)", "snapshot save"},
      {"metrics-file", 0, K::kString, "", "write the run's figures as a node_exporter textfile (Prometheus text format) to this path (etcdsnap only)", "snapshot save"},
      {"keep-last", 0, K::kUint64, "0", "keep the N newest snapshots the name template made; the ones no --keep-* keeps are removed (by save, only after a successful save) (etcdsnap only)", "snapshot save,snapshot prune"},
      {"keep-hourly", 0, K::kUint64, "0", "keep the newest snapshot of each of the N newest hours that have one (etcdsnap only)", "snapshot save,snapshot prune"},
      {"keep-daily", 0, K::kUint64, "0", "keep the newest snapshot of each of the N newest days that have one (etcdsnap only)", "snapshot save,snapshot prune"},
      {"keep-weekly", 0, K::kUint64, "0", "keep the newest snapshot of each of the N newest ISO weeks that have one (etcdsnap only)", "snapshot save,snapshot prune"},
      {"keep-monthly", 0, K::kUint64, "0", "keep the newest snapshot of each of the N newest months that have one (etcdsnap only)", "snapshot save,snapshot prune"},
      {"dry-run", 0, K::kBool, "false", "list the snapshots the --keep-* flags would remove, and remove none (save still saves) (etcdsnap only)", "snapshot save,snapshot prune"},
      {"check-cluster", 0, K::kBool, "false", "after saving, ask every member of the cluster for HashKV at the snapshot's revision and compare it with the file's; a mismatch exits 65 and keeps the file (etcdsnap only; see docs/hashkv.md)", "snapshot save"},
      {"rev", 0, K::kInt64, "0", "maximum revision to hash (0: the file's latest revision)", "snapshot hashkv"},
      {"compact-rev", 0, K::kInt64, "0", "hash as a member compacted at this revision would (0: the file's own compact revision; it may only be raised)", "snapshot hashkv"},
      {"etcd-version", 0, K::kString, "latest", "follow this etcd release's HashKV rules (e.g. 3.4.23: --rev at the compact revision is refused before 3.4.27, a deletion at it is hashed before 3.4.34); latest: 3.4.34+, 3.5.16+, 3.6", "snapshot hashkv"},
      {"cluster", 0, K::kBool, "false", "with --endpoints: ask every member in their cluster's member list, not only the endpoints given", "snapshot hashkv"},
      {"prefix", 0, K::kStringSlice, "[/registry]", "the apiservers' --etcd-prefix: keys under it are read as <prefix>/[<group>/]<resource>/[<namespace>/]<name>, the others reported as outside (several: comma-separated or repeated, e.g. OpenShift's /kubernetes.io,/openshift.io)", "snapshot inspect,snapshot diff"},
      {"top", 0, K::kUint64, "10", "rows in each top list: largest objects, most revised keys, namespaces, lease TTLs, keys outside the prefix (0: none)", "snapshot inspect"},
      {"keys", 0, K::kBool, "false", "also list the changed keys, with their change and bytes in each file", "snapshot diff"},
      {"resource", 0, K::kString, "", "only this resource: its name (pods), kubectl's resource.group (widgets.example.com) or its key path (services/specs); a hidden one included", "snapshot diff"},
      {"all", 0, K::kBool, "false", "also show the resources that change all the time and are hidden by default: events, leases, endpoints, endpointslices, masterleases, compact_rev_key", "snapshot diff"},
      {"require-trailer", 0, K::kBool, "false", "fail when the sha256 trailer is absent (a member's db rather than a saved snapshot): restore would need --skip-hash-check", "snapshot verify"},
  };
  return flags;
}

bool FlagBelongsTo(const FlagSpec& spec, const std::string& command) {
  if (spec.command == nullptr || *spec.command == '\0') return true;
  const std::string_view owners = spec.command;
  for (size_t start = 0;;) {
    const size_t comma = owners.find(',', start);
    if (owners.substr(start, comma - start) == command) return true;
    if (comma == std::string_view::npos) return false;
    start = comma + 1;
  }
}

std::vector<const FlagSpec*> HelpFlags(const std::string& command, bool global) {
  std::vector<const FlagSpec*> out;
  for (const FlagSpec& f : AllFlags()) {
    const bool is_global = f.command == nullptr;
    if (global != is_global) continue;
    if (!global && !FlagBelongsTo(f, command)) continue;
    out.push_back(&f);
  }
  return out;
}

const FlagSpec* FindFlag(const std::string& name) {
  for (const FlagSpec& f : AllFlags()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

namespace {

// The spec named `name` that `command` takes, when several commands have one of that name.
const FlagSpec* FindFlagFor(const std::string& name, const std::string& command) {
  for (const FlagSpec& f : AllFlags()) {
    if (name == f.name && FlagBelongsTo(f, command)) return &f;
  }
  return nullptr;
}

}  // namespace

Result<std::string> CheckFlagValue(const FlagSpec& spec, const std::string& value) {
  return CheckValue(spec, "--" + std::string(spec.name), value);
}

std::string CommandLine::Last(const std::string& name) const {
  auto it = flags.find(name);
  return it == flags.end() || it->second.empty() ? "" : it->second.back();
}

std::string CommandLine::CommandName() const { return Join(command); }

Result<bool> ParseGoBool(const std::string& s) {
  static const char* kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char* kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (const char* t : kTrue) {
    if (s == t) return true;
  }
  for (const char* f : kFalse) {
    if (s == f) return false;
  }
  return Invalid("not a boolean (use true or false)");
}

Result<uint64_t> ParseGoUint64(const std::string& s) {
  const std::string where = "strconv.ParseUint: parsing \"" + s + "\": ";
  auto syntax = [&] { return Invalid(where + "invalid syntax"); };
  std::string_view v = s;
  unsigned base = 10;
  // Go's underscoreOK: an underscore must follow a digit (or the base prefix) and precede one.
  char saw = '^';
  if (v.size() >= 2 && v[0] == '0') {
    const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(v[1])));
    if (p == 'x' || p == 'o' || p == 'b') {
      base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
      v.remove_prefix(2);
      saw = '0';
      if (v.empty()) return syntax();
    } else {
      base = 8;  // a leading 0 means octal; the 0 is a digit
    }
  }
  if (v.empty()) return syntax();
  uint64_t out = 0;
  bool overflow = false;
  for (char c : v) {
    if (c == '_') {
      if (saw != '0') return syntax();
      saw = '_';
      continue;
    }
    unsigned d = 99;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    if (d >= base) return syntax();
    if (out > (UINT64_MAX - d) / base) overflow = true;
    out = out * base + d;
    saw = '0';
  }
  if (saw != '0') return syntax();
  if (overflow) return Invalid(where + "value out of range");
  return out;
}

Result<int64_t> ParseGoInt64(const std::string& s) {
  const bool negative = !s.empty() && s[0] == '-';
  const bool sign = negative || (!s.empty() && s[0] == '+');
  auto u = ParseGoUint64(sign ? s.substr(1) : s);
  const std::string where = "strconv.ParseInt: parsing \"" + s + "\": ";
  if (!u.ok()) {
    const bool range = u.status().message().ends_with("value out of range");
    return Invalid(where + (range ? "value out of range" : "invalid syntax"));
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (*u > limit) return Invalid(where + "value out of range");
  return negative ? static_cast<int64_t>(0 - *u) : static_cast<int64_t>(*u);
}

Result<std::chrono::nanoseconds> ParseSignedGoDuration(const std::string& s) {
  if (!s.empty() && s[0] == '-') {
    ETCDSNAP_ASSIGN_OR_RETURN(auto d, ParseGoDuration(std::string_view(s).substr(1)));
    return -d;
  }
  return ParseGoDuration(s);
}

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& argv) {
  CommandLine cl;
  std::vector<Given> given;
  // The working copies of --user and --password values are overwritten however this returns.
  struct ClearSecrets {
    std::vector<Given>& given;
    ~ClearSecrets() {
      for (Given& g : given) {
        if (std::string_view(g.spec->name) == "user" || std::string_view(g.spec->name) == "password") {
          ClearSecret(g.value);
        }
      }
    }
  } clear_secrets{given};
  std::string path;
  bool descending = true;  // still reading command names
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    // A flag's value: after '=' (or attached to a shorthand), else the next word.
    auto value_for = [&](const FlagSpec& spec, const std::string& shown,
                         std::optional<std::string> inline_value) -> Result<std::string> {
      if (inline_value) return CheckValue(spec, shown, *inline_value);
      if (spec.kind == K::kBool) return std::string("true");
      if (i + 1 >= argv.size()) return Invalid("flag needs an argument: " + shown);
      return CheckValue(spec, shown, argv[++i]);
    };
    if (a == "--") {
      cl.args.insert(cl.args.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
      break;
    }
    if (a.rfind("--", 0) == 0) {
      const size_t eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (name.empty() || name[0] == '-' || name[0] == '=') {
        return Invalid("bad flag syntax: " + a);
      }
      const FlagSpec* spec = FindFlag(name);
      if (spec == nullptr) return Invalid("unknown flag: --" + name);
      std::optional<std::string> inline_value;
      if (eq != std::string::npos) inline_value = a.substr(eq + 1);
      ETCDSNAP_ASSIGN_OR_RETURN(std::string v, value_for(*spec, "--" + name, inline_value));
      given.push_back({spec, std::move(v)});
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      // Shorthands: bools may be grouped; a value-taking one takes the rest of the word
      // (without a leading '='), or the next word.
      for (size_t j = 1; j < a.size(); ++j) {
        const FlagSpec* spec = FindShorthand(a[j]);
        if (spec == nullptr) {
          return Invalid(std::string("unknown shorthand flag: '") + a[j] + "' in " + a);
        }
        const std::string shown = std::string("'") + a[j] + "' in " + a;
        std::optional<std::string> inline_value;
        if (j + 1 < a.size() && a[j + 1] == '=') {
          inline_value = a.substr(j + 2);
        } else if (spec->kind != K::kBool && j + 1 < a.size()) {
          inline_value = a.substr(j + 1);
        }
        ETCDSNAP_ASSIGN_OR_RETURN(std::string v,
                                  value_for(*spec, inline_value || spec->kind == K::kBool
                                                       ? Shown(*spec)
                                                       : shown,
                                            inline_value));
        given.push_back({spec, std::move(v)});
        if (inline_value) break;
      }
      continue;
    }
    if (descending && !Children(path).empty()) {
      const std::string child = MatchChild(path, a);
      if (child.empty()) {
        return Invalid("unknown command \"" + a + "\" for \"etcdsnap" +
                       (path.empty() ? "" : " " + path) + "\" (see etcdsnap " +
                       (path.empty() ? "" : path + " ") + "--help)");
      }
      cl.command.push_back(child);
      path = Join(cl.command);
      continue;
    }
    descending = false;
    cl.args.push_back(a);
  }
  for (Given& g : given) {
    if (!FlagBelongsTo(*g.spec, path)) {
      if (const FlagSpec* own = FindFlagFor(g.spec->name, path); own != nullptr) {
        ETCDSNAP_ASSIGN_OR_RETURN(g.value, CheckValue(*own, "--" + std::string(own->name), g.value));
        g.spec = own;
      }
    }
    if (!FlagBelongsTo(*g.spec, path)) {
      return Invalid("unknown flag: --" + std::string(g.spec->name) + " (it belongs to etcdsnap " +
                     OwnersOf(*g.spec) + ")");
    }
    if (std::string(g.spec->name) == "help") {
      cl.help = g.value == "true";
      continue;
    }
    cl.flags[g.spec->name].push_back(g.value);
  }
  if (path == "help") {
    // `etcdsnap help snapshot save`: the words name the command to describe.
    std::vector<std::string> topic;
    std::string p;
    for (const std::string& w : cl.args) {
      const std::string child = MatchChild(p, w);
      if (child.empty()) break;
      topic.push_back(child);
      p = Join(topic);
    }
    cl.command = topic;
    cl.args.clear();
    cl.help = true;
  }
  return cl;
}

std::string HelpText(const std::vector<std::string>& command) {
  const std::string path = Join(command);
  const CommandSpec* spec = FindCommand(path);
  if (spec == nullptr) spec = &kCommands[0];
  std::string out = "NAME:\n\t" + std::string(spec->path[0] ? "etcdsnap " : "") + spec->path +
                    (spec->path[0] ? " - " : "") + spec->description + "\n\nUSAGE:\n\t" +
                    spec->use + "\n";
  const std::vector<std::string> children = Children(spec->path);
  if (!children.empty()) {
    out += "\nCOMMANDS:\n";
    for (const std::string& c : children) {
      const std::string full = std::string(spec->path) + (spec->path[0] ? " " : "") + c;
      out += "\t" + c + "\t" + FindCommand(full)->description + "\n";
    }
  }
  auto flag_lines = [](bool global, const std::string& cmd) {
    std::vector<std::pair<std::string, std::string>> rows;
    size_t width = 0;
    for (const FlagSpec* flag : HelpFlags(cmd, global)) {
      const FlagSpec& f = *flag;
      std::string left = f.shorthand ? std::string("  -") + f.shorthand + ", --" : "      --";
      left += f.name;
      left += f.kind == K::kBool ? std::string("[=") + f.default_value + "]"
                                 : std::string("=") + (f.kind == K::kString ? "\"" : "") +
                                       f.default_value + (f.kind == K::kString ? "\"" : "");
      width = std::max(width, left.size());
      rows.emplace_back(std::move(left), f.usage);
    }
    std::string lines;
    for (const auto& [left, usage] : rows) {
      lines += left + std::string(width - left.size() + 2, ' ') + usage + "\n";
    }
    return lines;
  };
  out += "\nOPTIONS:\n" + flag_lines(false, spec->path);
  out += std::string("\n") + (spec->path[0] ? "GLOBAL OPTIONS:\n" : "GLOBAL OPTIONS (anywhere on the line):\n") +
         flag_lines(true, spec->path);
  return out;
}

}  // namespace etcdsnap::cli
