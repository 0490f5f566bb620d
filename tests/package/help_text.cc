#include "help_text.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "subprocess.h"

namespace etcdsnap::testing {

HelpText ParseHelp(const std::string& text) {
  HelpText help;
  std::istringstream in(text);
  std::string line, section;
  // "  -w, --write-out="simple"  usage", "      --debug[=false]  usage".
  static const std::regex kFlag(R"(^ +(?:-([A-Za-z]), )?--([a-z0-9-]+)(\[=([^\]]*)\]|=("[^"]*"|\S*))  )");
  static const std::regex kCommand("^\t([a-z]+)\t");
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != ' ' && line[0] != '\t') {
      section = line;
      continue;
    }
    std::smatch m;
    if (section == "COMMANDS:" && std::regex_search(line, m, kCommand)) {
      help.commands.push_back(m[1]);
    } else if (section.find("OPTIONS") != std::string::npos && std::regex_search(line, m, kFlag)) {
      HelpFlag f;
      f.shorthand = m[1].matched ? m[1].str()[0] : 0;
      f.name = m[2];
      f.takes_value = !m[4].matched;
      std::string def = f.takes_value ? m[5].str() : m[4].str();
      if (def.size() >= 2 && ((def.front() == '"' && def.back() == '"') ||
                              (def.front() == '[' && def.back() == ']'))) {
        def = def.substr(1, def.size() - 2);
      }
      f.default_value = def;
      f.line = line;
      help.flags.push_back(f);
    }
  }
  return help;
}

HelpText HelpOf(const std::vector<std::string>& command) {
  std::vector<std::string> argv = {EtcdsnapBinary()};
  argv.insert(argv.end(), command.begin(), command.end());
  argv.push_back("--help");
  const CommandResult r = RunCommand(argv, {});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  if (r.exit_code != 0) return {};
  HelpText help = ParseHelp(r.out);
  EXPECT_FALSE(help.flags.empty()) << "no flags read from:\n" << r.out;
  return help;
}

std::vector<std::vector<std::string>> AllCommands() {
  std::vector<std::vector<std::string>> out = {{}};
  for (size_t i = 0; i < out.size(); ++i) {
    const std::vector<std::string> parent = out[i];
    if (!parent.empty() && parent.back() == "help") continue;  // help's help is the top's
    for (const std::string& c : HelpOf(parent).commands) {
      std::vector<std::string> child = parent;
      child.push_back(c);
      out.push_back(child);
    }
  }
  return out;
}

std::string Joined(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

}  // namespace etcdsnap::testing
