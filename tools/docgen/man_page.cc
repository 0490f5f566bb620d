// A man page from the command and flag tables and its prose (man_page.h).
#include "man_page.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "arguments.h"
#include "etcdsnap/cli/args.h"
#include "markup.h"

namespace etcdsnap::docgen {
namespace {

const cli::CommandSpec* FindCommand(const std::string& path) {
  for (const cli::CommandSpec& c : cli::AllCommands()) {
    if (path == c.path) return &c;
  }
  return nullptr;
}

// "Stores an etcd ..." -> "stores an etcd ..." (an acronym keeps its case); "etcdsnap: x" -> "x".
std::string WhatisText(std::string description) {
  if (description.rfind("etcdsnap: ", 0) == 0) description.erase(0, 10);
  if (description.size() > 1 && std::isupper(static_cast<unsigned char>(description[0])) &&
      !std::isupper(static_cast<unsigned char>(description[1]))) {
    description[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(description[0])));
  }
  return description;
}

// The usage line with the command in bold and <placeholders> and [optional parts] in italics.
Result<std::string> Synopsis(const std::string& use) {
  std::string out;
  bool command_words = true;
  for (size_t i = 0; i < use.size();) {
    if (use[i] == ' ') {
      out += ' ';
      ++i;
      continue;
    }
    const char open = use[i];
    if (open == '<' || open == '[') {
      const size_t close = use.find(open == '<' ? '>' : ']', i);
      if (close == std::string::npos) return Status::InvalidArgument("unbalanced " + use);
      ETCDSNAP_ASSIGN_OR_RETURN(std::string inner, EscapeRoff(use.substr(i + 1, close - i - 1)));
      out += (open == '[' ? "[\\fI" : "\\fI") + inner + (open == '[' ? "\\fR]" : "\\fR");
      command_words = false;
      i = close + 1;
      continue;
    }
    size_t end = use.find(' ', i);
    if (end == std::string::npos) end = use.size();
    const std::string word = use.substr(i, end - i);
    ETCDSNAP_ASSIGN_OR_RETURN(std::string escaped, EscapeRoff(word));
    const bool bold = command_words || word[0] == '-';
    out += bold ? "\\fB" + escaped + "\\fR" : escaped;
    i = end;
  }
  return out;
}

Result<std::string> FlagEntry(const cli::FlagSpec& f) {
  const ValueSpec value = FlagValue(f);
  std::string tag;
  if (f.shorthand != 0) tag += std::string("\\fB\\-") + f.shorthand + "\\fR, ";
  ETCDSNAP_ASSIGN_OR_RETURN(std::string name, EscapeRoff(f.name));
  tag += "\\fB\\-\\-" + name + "\\fR";
  if (value.kind != ValueKind::kNone) {
    ETCDSNAP_ASSIGN_OR_RETURN(std::string placeholder, EscapeRoff(value.placeholder));
    tag += "=\\fI" + placeholder + "\\fR";
  }
  std::string usage = f.usage;
  if (!usage.empty() && usage.back() != '.') usage += '.';
  ETCDSNAP_ASSIGN_OR_RETURN(std::string text, InlineToRoff(usage));
  std::string out = ".TP\n" + tag + "\n" + text + "\n";
  std::string def = f.default_value;
  if (f.kind == cli::FlagKind::kStringSlice && def.size() >= 2 && def.front() == '[' &&
      def.back() == ']') {
    def = def.substr(1, def.size() - 2);
  }
  if (!def.empty()) {
    ETCDSNAP_ASSIGN_OR_RETURN(std::string escaped, EscapeRoff(def));
    out += "Default: \\fB" + escaped + "\\fR.\n";
  }
  return out;
}

Result<std::string> FlagList(const std::string& command, bool global) {
  std::string out;
  for (const cli::FlagSpec* f : cli::HelpFlags(command, global)) {
    ETCDSNAP_ASSIGN_OR_RETURN(std::string entry, FlagEntry(*f));
    out += entry;
  }
  return out;
}

Result<std::string> CommandList(const std::string& command) {
  std::string out;
  for (const std::string& child : cli::Subcommands(command)) {
    const cli::CommandSpec* spec = FindCommand(command.empty() ? child : command + " " + child);
    ETCDSNAP_ASSIGN_OR_RETURN(std::string name, EscapeRoff(child));
    ETCDSNAP_ASSIGN_OR_RETURN(std::string text, InlineToRoff(spec->description));
    out += ".TP\n\\fB" + name + "\\fR\n" + text + ".\n";
  }
  return out;
}

Result<std::string> EnvironmentList() {
  std::string out;
  for (const cli::FlagSpec* f : cli::HelpFlags("", true)) {
    std::string env = "ETCDCTL_";
    for (const char* c = f->name; *c != '\0'; ++c) {
      env += *c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
    }
    ETCDSNAP_ASSIGN_OR_RETURN(std::string name, EscapeRoff(f->name));
    out += ".TP\n\\fB" + env + "\\fR\nas \\fB\\-\\-" + name + "\\fR\n";
  }
  return out;
}

}  // namespace

const std::vector<std::string>& RequiredSections() {
  static const std::vector<std::string> sections = {
      "DESCRIPTION", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "EXAMPLES", "SEE ALSO"};
  return sections;
}

Result<std::string> RenderManPage(const ManPageInput& in) {
  const cli::CommandSpec* spec = FindCommand(in.command);
  if (spec == nullptr) return Status::InvalidArgument("no command \"" + in.command + "\"");
  // The required sections, in order (others may come between them).
  const std::vector<std::string> titles = SectionTitles(in.prose);
  auto at = titles.begin();
  for (const std::string& required : RequiredSections()) {
    at = std::find(at, titles.end(), required);
    if (at == titles.end()) {
      return Status::InvalidArgument("no \"# " + required + "\" section (or not in the order " +
                                     "DESCRIPTION, OPTIONS, EXIT STATUS, ENVIRONMENT, EXAMPLES, "
                                     "SEE ALSO)");
    }
  }
  std::set<std::string> used;
  auto expand = [&](const std::string& name) -> Result<std::string> {
    used.insert(name);
    if (name == "options") return FlagList(in.command, false);
    if (name == "global-options") return FlagList(in.command, true);
    if (name == "commands") return CommandList(in.command);
    if (name == "environment") return EnvironmentList();
    return Status::InvalidArgument("unknown directive <!-- " + name +
                                   " --> (options, global-options, commands, environment)");
  };
  ETCDSNAP_ASSIGN_OR_RETURN(std::string body, MarkdownToRoff(in.prose, expand));
  std::vector<std::string> needed = {"options", "global-options"};
  if (!cli::Subcommands(in.command).empty()) needed.push_back("commands");
  for (const std::string& d : needed) {
    if (!used.count(d)) return Status::InvalidArgument("no <!-- " + d + " --> directive");
  }
  const std::string page = PageName(in.command);
  std::string title = page;
  for (char& c : title) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ETCDSNAP_ASSIGN_OR_RETURN(std::string escaped_title, EscapeRoff(title));
  ETCDSNAP_ASSIGN_OR_RETURN(std::string escaped_page, EscapeRoff(page));
  ETCDSNAP_ASSIGN_OR_RETURN(std::string whatis, EscapeRoff(WhatisText(spec->description)));
  ETCDSNAP_ASSIGN_OR_RETURN(std::string synopsis, Synopsis(spec->use));
  return ".\\\" Generated by tools/docgen from src/cli/args.cc's command and flag tables and\n"
         ".\\\" docs/man/" + page + ".md: edit those, not this file.\n"
         ".TH \"" + escaped_title + "\" \"1\" \"" + in.date + "\" \"etcdsnap " + in.version +
         "\" \"User Commands\"\n"
         ".nh\n"  // no hyphenation: flag names and values stay whole
         ".SH \"NAME\"\n" + escaped_page + " \\- " + whatis + "\n"
         ".SH \"SYNOPSIS\"\n" + synopsis + "\n" + body;
}

}  // namespace etcdsnap::docgen
