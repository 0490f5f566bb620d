// The values of etcdsnap's flags and arguments (arguments.h).
#include "arguments.h"

namespace etcdsnap::docgen {
namespace {

struct Entry {
  const char* flag;
  ValueKind kind;
  const char* placeholder;
  std::vector<std::string> choices;
  // The command whose flag this is, where two commands give one name different values;
  // nullptr: the flag of that name wherever it is.
  const char* command = nullptr;
};

const std::vector<Entry>& Entries() {
  static const std::vector<Entry> entries = {
      {"cacert", ValueKind::kFile, "file", {}},
      {"cert", ValueKind::kFile, "file", {}},
      {"key", ValueKind::kFile, "file", {}},
      {"metrics-file", ValueKind::kFile, "file", {}},
      {"data-dir", ValueKind::kDirectory, "dir", {}},
      {"wal-dir", ValueKind::kDirectory, "dir", {}},
      {"write-out", ValueKind::kChoice, "format", {"simple", "json", "table", "fields", "protobuf"}},
      {"compress", ValueKind::kChoice, "algorithm[:level]", {"none", "zstd", "gzip"}},
      {"log-format", ValueKind::kChoice, "format", {"text", "json"}},
      {"etcd-version", ValueKind::kChoice, "version", {"3.4", "3.5", "3.6"}, "snapshot status"},
      {"etcd-version", ValueKind::kText, "version", {}, "snapshot hashkv"},
      {"endpoints", ValueKind::kText, "endpoints", {}},
      {"discovery-srv", ValueKind::kText, "domain", {}},
      {"discovery-srv-name", ValueKind::kText, "name", {}},
      {"user", ValueKind::kText, "name[:password]", {}},
      {"password", ValueKind::kText, "password", {}},
      {"initial-cluster", ValueKind::kText, "name=url,...", {}},
      {"initial-cluster-token", ValueKind::kText, "token", {}},
      {"initial-advertise-peer-urls", ValueKind::kText, "urls", {}},
      {"name", ValueKind::kText, "name", {}},
      {"prefix", ValueKind::kText, "prefix[,prefix...]", {}},
      {"resource", ValueKind::kText, "resource", {}},
  };
  return entries;
}

}  // namespace

ValueSpec FlagValue(const cli::FlagSpec& flag) {
  if (flag.kind == cli::FlagKind::kBool) return {ValueKind::kNone, "", {}};
  for (const Entry& e : Entries()) {
    if (std::string(e.flag) != flag.name) continue;
    if (e.command != nullptr && (flag.command == nullptr || std::string(e.command) != flag.command)) {
      continue;
    }
    return {e.kind, e.placeholder, e.choices};
  }
  switch (flag.kind) {
    case cli::FlagKind::kDuration:
      return {ValueKind::kText, "duration", {}};
    case cli::FlagKind::kUint64:
    case cli::FlagKind::kInt64:
      return {ValueKind::kText, "n", {}};
    case cli::FlagKind::kStringSlice:
      return {ValueKind::kText, "list", {}};
    default:
      return {ValueKind::kText, "string", {}};
  }
}

ValueSpec CommandArguments(const std::string& command) {
  if (command == "snapshot prune") return {ValueKind::kFile, "name template", {}};
  if (command == "snapshot diff") return {ValueKind::kFile, "filename", {}, 2};
  if (command.rfind("snapshot ", 0) == 0) return {ValueKind::kFile, "filename", {}};
  if (command == "help") return {ValueKind::kCommand, "command", {}};
  return {ValueKind::kNone, "", {}};
}

std::string PageName(const std::string& command) {
  std::string name = "etcdsnap";
  if (!command.empty()) name += "-" + command;
  for (char& c : name) {
    if (c == ' ') c = '-';
  }
  return name;
}

}  // namespace etcdsnap::docgen
