// One man page: NAME and SYNOPSIS from the command table, the prose of docs/man/<page>.md, and
// in it, where its directives say, the lists generated from the command and flag tables:
//   <!-- options -->         the command's own flags (help's OPTIONS), each with its default
//   <!-- global-options -->  etcdctl's global flags (help's GLOBAL OPTIONS)
//   <!-- commands -->        the subcommands, with their one-line descriptions
//   <!-- environment -->     ETCDCTL_<FLAG> for every global flag
// so that a page cannot list other flags or defaults than `--help` does.
#ifndef ETCDSNAP_TOOLS_DOCGEN_MAN_PAGE_H_
#define ETCDSNAP_TOOLS_DOCGEN_MAN_PAGE_H_

#include <string>
#include <vector>

#include "etcdsnap/util/status.h"

namespace etcdsnap::docgen {

struct ManPageInput {
  std::string command;  // "snapshot save"; "" for etcdsnap(1)
  std::string prose;    // the Markdown of docs/man/<page>.md
  std::string version;  // the project's version, for the footer
  std::string date;     // the release date, YYYY-MM-DD
};

// The sections every page's prose must have, in this order (NAME and SYNOPSIS are generated
// before them).
const std::vector<std::string>& RequiredSections();

// The page as man(7) roff. Fails (naming what is missing) when the prose lacks a required
// section or the options, global-options or (for a command with subcommands) commands
// directive, or uses an unknown directive.
Result<std::string> RenderManPage(const ManPageInput& in);

}  // namespace etcdsnap::docgen

#endif  // ETCDSNAP_TOOLS_DOCGEN_MAN_PAGE_H_
