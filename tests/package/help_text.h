// etcdsnap's --help as the package tests read it: the ground truth the man pages and the
// completions are checked against (they are generated from the tables that print it, so these
// tests catch a generator that drifts, not only a table).
#ifndef ETCDSNAP_TESTS_PACKAGE_HELP_TEXT_H_
#define ETCDSNAP_TESTS_PACKAGE_HELP_TEXT_H_

#include <string>
#include <vector>

namespace etcdsnap::testing {

struct HelpFlag {
  char shorthand = 0;         // 0: none
  std::string name;           // long name, without dashes
  std::string default_value;  // as shown, without quotes or the brackets of a list
  bool takes_value = false;   // false for a bool flag ("--debug[=false]")
  std::string line;           // the whole line
};

struct HelpText {
  std::vector<std::string> commands;  // the COMMANDS section's names
  std::vector<HelpFlag> flags;        // OPTIONS and GLOBAL OPTIONS
};

// Parses the text `etcdsnap ... --help` prints.
HelpText ParseHelp(const std::string& text);

// Runs `etcdsnap <command...> --help` and parses it; a failed run is a test failure (and an
// empty result).
HelpText HelpOf(const std::vector<std::string>& command);

// Every command --help lists, walked from the top: {}, {"snapshot"}, {"snapshot", "save"}, ...
std::vector<std::vector<std::string>> AllCommands();

// "snapshot save" for {"snapshot", "save"}.
std::string Joined(const std::vector<std::string>& words, const std::string& separator = " ");

}  // namespace etcdsnap::testing

#endif  // ETCDSNAP_TESTS_PACKAGE_HELP_TEXT_H_
