// The zsh completion script (completion.h): one function per command, each an _arguments call
// with the global flags, the command's own, and its subcommands or arguments.
#include <string>
#include <vector>

#include "arguments.h"
#include "completion.h"
#include "etcdsnap/cli/args.h"

namespace etcdsnap::docgen {
namespace {

// `s` inside a single-quoted zsh word.
std::string SingleQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A flag's usage as a short description: up to the first "; ", without "(etcdsnap only)",
// with the characters _arguments reads inside [...] escaped.
std::string Describe(std::string usage) {
  if (size_t semi = usage.find("; "); semi != std::string::npos) usage.resize(semi);
  for (const std::string tag : {" (etcdsnap only)", "(etcdsnap only)"}) {
    if (size_t at = usage.find(tag); at != std::string::npos) usage.erase(at, tag.size());
  }
  std::string out;
  for (char c : usage) {
    if (c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The _arguments action for a value.
std::string Action(const ValueSpec& v) {
  std::string placeholder;
  for (char c : v.placeholder) placeholder += c == ':' ? std::string("\\:") : std::string(1, c);
  switch (v.kind) {
    case ValueKind::kFile:
      return placeholder + ":_files";
    case ValueKind::kDirectory:
      return placeholder + ":_files -/";
    case ValueKind::kChoice: {
      std::string words;
      for (const std::string& c : v.choices) words += (words.empty() ? "" : " ") + c;
      return placeholder + ":(" + words + ")";
    }
    default:
      return placeholder + ": ";
  }
}

// One flag as _arguments specs (two words with a shorthand).
std::string Spec(const cli::FlagSpec& f) {
  const ValueSpec v = FlagValue(f);
  const bool takes_value = v.kind != ValueKind::kNone;
  const std::string name = std::string("--") + f.name;
  const std::string rest = "[" + Describe(f.usage) + "]" + (takes_value ? ":" + Action(v) : "");
  if (f.shorthand == 0) return SingleQuoted(name + (takes_value ? "=" : "") + rest);
  const std::string shorthand = std::string("-") + f.shorthand;
  return SingleQuoted("(" + shorthand + " " + name + ")") + "{" + shorthand +
         (takes_value ? "+" : "") + "," + name + (takes_value ? "=" : "") + "}" +
         SingleQuoted(rest);
}

std::string FunctionName(const std::string& path) {
  std::string name = "_etcdsnap__";
  for (char c : path) name += c == ' ' ? '_' : c;
  return name;
}

std::string Function(const cli::CommandSpec& c) {
  const std::string path = c.path;
  std::string specs;
  for (const cli::FlagSpec* f : cli::HelpFlags(path, false)) specs += " \\\n    " + Spec(*f);
  const std::vector<std::string> children = cli::Subcommands(path);
  std::string out = FunctionName(path) + "() {\n";
  if (children.empty()) {
    const ValueSpec args = CommandArguments(path);
    std::string positional;
    if (args.kind == ValueKind::kFile) {
      // A command that takes several files (diff) completes every one.
      positional = " \\\n    " + SingleQuoted((args.count > 1 ? "*:" : ":") + Action(args));
    } else if (args.kind == ValueKind::kCommand) {
      std::string top;
      for (const std::string& s : cli::Subcommands("")) top += (top.empty() ? "" : " ") + s;
      positional = " \\\n    " + SingleQuoted("1:command:(" + top + ")");
      for (const std::string& parent : cli::Subcommands("")) {
        std::string subs;
        for (const std::string& s : cli::Subcommands(parent)) subs += (subs.empty() ? "" : " ") + s;
        if (!subs.empty()) positional += " \\\n    " + SingleQuoted("2:subcommand:(" + subs + ")");
      }
    }
    return out + "  _arguments -s -S : \"${_etcdsnap_globals[@]}\"" + specs + positional + "\n}\n";
  }
  out += "  local curcontext=$curcontext state state_descr line ret=1\n"
         "  local -A opt_args\n"
         "  _arguments -C -s -S : \"${_etcdsnap_globals[@]}\"" + specs +
         " \\\n    ': :->command' '*:: :->argument' && ret=0\n"
         "  case $state in\n"
         "    command)\n"
         "      local -a commands=(\n";
  for (const std::string& child : children) {
    const std::string full = path.empty() ? child : path + " " + child;
    for (const cli::CommandSpec& s : cli::AllCommands()) {
      if (full == s.path) out += "        " + SingleQuoted(child + ":" + Describe(s.description)) + "\n";
    }
  }
  out += "      )\n"
         "      _describe -t commands " + SingleQuoted("etcdsnap " + path + (path.empty() ? "" : " ") + "command") +
         " commands && ret=0 ;;\n"
         "    argument)\n"
         "      curcontext=${curcontext%:*:*}:" + PageName(path) + "-$words[1]:\n"
         "      case $words[1] in\n";
  for (const std::string& child : children) {
    out += "        " + child + ") " + FunctionName(path.empty() ? child : path + " " + child) +
           " && ret=0 ;;\n";
  }
  return out + "      esac ;;\n  esac\n  return ret\n}\n";
}

}  // namespace

std::string ZshCompletion() {
  std::string out =
      "#compdef etcdsnap\n"
      "# zsh completion for etcdsnap(1). Generated by tools/docgen from src/cli/args.cc's command\n"
      "# and flag tables: edit those (or tools/docgen/arguments.cc), not this file.\n\n";
  for (const cli::CommandSpec& c : cli::AllCommands()) out += Function(c) + "\n";
  out += "_etcdsnap() {\n  local -a _etcdsnap_globals=(";
  for (const cli::FlagSpec* f : cli::HelpFlags("", true)) out += "\n    " + Spec(*f);
  out += "\n  )\n  " + FunctionName("") + "\n}\n\n_etcdsnap \"$@\"\n";
  return out;
}

}  // namespace etcdsnap::docgen
