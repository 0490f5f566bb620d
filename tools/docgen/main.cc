// etcdsnap-docgen: writes etcdsnap's man pages and shell completions, generated from the command
// and flag tables that also print `--help` (src/cli/args.cc), so that neither can drift from it.
//
//   etcdsnap-docgen --version 0.1.0 --date 2026-12-03 --man-dir DIR --completion-dir DIR
//       docs/man/etcdsnap.md docs/man/etcdsnap-snapshot-save.md ...
//
// writes DIR/<page>.1 for each prose file (docs/man/<page>.md names its page), and
// etcdsnap (bash) and _etcdsnap (zsh) in the completion dir. Run by the build (cmake/Packaging.cmake).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "arguments.h"
#include "completion.h"
#include "etcdsnap/cli/args.h"
#include "man_page.h"

namespace {

using etcdsnap::Result;
using etcdsnap::Status;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::Ok();
}

// docs/man/etcdsnap-snapshot-save.md -> "snapshot save"; false when no command has that page.
bool CommandOfProse(const std::string& path, std::string* command) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  if (base.size() < 3 || base.substr(base.size() - 3) != ".md") return false;
  base.resize(base.size() - 3);
  for (const etcdsnap::cli::CommandSpec& c : etcdsnap::cli::AllCommands()) {
    if (etcdsnap::docgen::PageName(c.path) == base) {
      *command = c.path;
      return true;
    }
  }
  return false;
}

int Fail(const std::string& message) {
  std::cerr << "etcdsnap-docgen: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string version, date, man_dir, completion_dir;
  std::vector<std::string> prose_files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    std::string* target = a == "--version"          ? &version
                          : a == "--date"           ? &date
                          : a == "--man-dir"        ? &man_dir
                          : a == "--completion-dir" ? &completion_dir
                                                    : nullptr;
    if (target != nullptr) {
      if (i + 1 >= argc) return Fail(a + " needs a value");
      *target = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      return Fail("unknown flag " + a);
    } else {
      prose_files.push_back(a);
    }
  }
  if (version.empty() || date.empty() || man_dir.empty() || completion_dir.empty()) {
    return Fail("usage: etcdsnap-docgen --version V --date YYYY-MM-DD --man-dir DIR "
                "--completion-dir DIR docs/man/<page>.md...");
  }
  for (const std::string& path : prose_files) {
    std::string command;
    if (!CommandOfProse(path, &command)) {
      return Fail(path + ": no etcdsnap command has this page (docs/man/etcdsnap-<command words>.md)");
    }
    auto prose = ReadFile(path);
    if (!prose.ok()) return Fail(prose.status().message());
    auto page = etcdsnap::docgen::RenderManPage(
        {.command = command, .prose = *prose, .version = version, .date = date});
    if (!page.ok()) return Fail(path + ": " + page.status().message());
    const std::string out = man_dir + "/" + etcdsnap::docgen::PageName(command) + ".1";
    if (Status s = WriteFile(out, *page); !s.ok()) return Fail(s.message());
  }
  if (Status s = WriteFile(completion_dir + "/etcdsnap", etcdsnap::docgen::BashCompletion()); !s.ok()) {
    return Fail(s.message());
  }
  if (Status s = WriteFile(completion_dir + "/_etcdsnap", etcdsnap::docgen::ZshCompletion()); !s.ok()) {
    return Fail(s.message());
  }
  return 0;
}
