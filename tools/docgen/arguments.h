// What each flag's value and each command's arguments are, for the man pages' placeholders and
// the shell completions: the one thing docgen knows beyond the command and flag tables of
// src/cli/args.cc. A flag missing here gets a placeholder from its kind and no completion.
#ifndef ETCDSNAP_TOOLS_DOCGEN_ARGUMENTS_H_
#define ETCDSNAP_TOOLS_DOCGEN_ARGUMENTS_H_

#include <string>
#include <vector>

#include "etcdsnap/cli/args.h"

namespace etcdsnap::docgen {

enum class ValueKind {
  kNone,       // a bool flag: no value word
  kText,       // anything (no completion)
  kFile,       // a file name
  kDirectory,  // a directory name
  kChoice,     // one of `choices`
  kCommand,    // a command name (help's arguments)
};

struct ValueSpec {
  ValueKind kind = ValueKind::kText;
  std::string placeholder;           // the man page's name for the value: "file", "format"
  std::vector<std::string> choices;  // kChoice only
  int count = 1;                     // command arguments: how many (diff takes two files)
};

// The value `flag` takes.
ValueSpec FlagValue(const cli::FlagSpec& flag);

// The positional arguments of `command` ("snapshot save"); kNone when it takes none (or only
// subcommands).
ValueSpec CommandArguments(const std::string& command);

// "snapshot save" -> "etcdsnap-snapshot-save"; "" -> "etcdsnap".
std::string PageName(const std::string& command);

}  // namespace etcdsnap::docgen

#endif  // ETCDSNAP_TOOLS_DOCGEN_ARGUMENTS_H_
