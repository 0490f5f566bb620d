// Shell completion scripts for etcdsnap, generated from the command and flag tables (and
// arguments.h for what a value is): commands and subcommands (by unique prefix too in bash, as
// the parser accepts them), each command's flags and the global ones, the values of flags with
// a fixed set (-w, --compress, --log-format, --etcd-version), files for snapshot paths, TLS files
// and --metrics-file, directories for --data-dir and --wal-dir.
#ifndef ETCDSNAP_TOOLS_DOCGEN_COMPLETION_H_
#define ETCDSNAP_TOOLS_DOCGEN_COMPLETION_H_

#include <string>

namespace etcdsnap::docgen {

// For bash (installed as share/bash-completion/completions/etcdsnap): defines _etcdsnap and
// registers it with `complete -F`. Works alone or with the bash-completion package (whose
// _filedir it then uses for file names).
std::string BashCompletion();

// For zsh's compsys (installed as _etcdsnap in a directory of $fpath).
std::string ZshCompletion();

}  // namespace etcdsnap::docgen

#endif  // ETCDSNAP_TOOLS_DOCGEN_COMPLETION_H_
