// The release artifacts, made from this build directory as a release is: `cpack -G DEB` gives a
// .deb with Debian's metadata and layout that lintian passes (no errors) and that installs into
// a throwaway root (its own empty dpkg database; the host's is never touched), runs there, and
// removes and purges leaving nothing behind; `cpack -G TGZ` gives the binary, man pages,
// completions and docs; `cmake --install` puts zsh's completion where Debian's zsh looks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBuild = ETCDSNAP_BINARY_DIR;
const std::string kVersion = ETCDSNAP_PROJECT_VERSION;
const std::string kDebVersion = kVersion + "-" + ETCDSNAP_DEB_RELEASE;
const std::chrono::seconds kPackTimeout(240);

// The man pages the build made (build/man/*.1.gz).
std::vector<std::string> ManPages() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kBuild + "/man")) {
    if (e.path().extension() == ".gz") out.push_back(e.path().filename());
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Every path under `root`, relative ("usr/bin/etcdsnap"), directories too.
std::set<std::string> Tree(const std::string& root) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    out.insert(fs::relative(e.path(), root).string());
  }
  return out;
}

// A listing `tar -tv` or `dpkg-deb -c` prints: path (without "./" or a top directory) -> the
// mode and owner columns.
std::map<std::string, std::string> Listing(const std::string& text, const std::string& strip) {
  std::map<std::string, std::string> out;
  for (const std::string& line : Lines(text)) {
    std::istringstream in(line);
    std::string mode, owner, size, date, time, path;
    if (!(in >> mode >> owner >> size >> date >> time >> path)) continue;
    if (path.rfind(strip, 0) == 0) path = path.substr(strip.size());
    if (!path.empty() && path.back() == '/') path.pop_back();
    if (path.empty()) continue;
    out[path] = mode + " " + owner;
  }
  return out;
}

class PackageTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ETCDSNAP_REQUIRE_OR_SKIP(fs::exists(ETCDSNAP_CPACK), "cpack is needed (" ETCDSNAP_CPACK ")");
  }

  // Runs cpack -G `generator` into a directory of the test; the one file it made.
  std::string Pack(const std::string& generator, const std::string& extension) {
    const std::string out = tmp_.Join("pack-" + generator);
    const CommandResult r = RunCommand(
        {ETCDSNAP_CPACK, "-G", generator, "-B", out, "--config", kBuild + "/CPackConfig.cmake"},
        {.cwd = kBuild}, kPackTimeout);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    std::vector<std::string> made;
    if (fs::exists(out)) {
      for (const auto& e : fs::directory_iterator(out)) {
        const std::string name = e.path().filename();
        if (name.size() > extension.size() &&
            name.compare(name.size() - extension.size(), extension.size(), extension) == 0) {
          made.push_back(e.path());
        }
      }
    }
    EXPECT_EQ(made.size(), 1u) << r.Describe();
    return made.size() == 1 ? made[0] : "";
  }

  CommandResult Run(const std::vector<std::string>& argv, SubprocessOptions options = {}) {
    return RunCommand(argv, options, std::chrono::seconds(120));
  }

  // The control fields, every file's path, mode and owner, the changelog and copyright, a
  // stripped binary, and lintian: no error.
  void CheckDebContentsAndLintian(const std::string& deb) {
    const std::string arch = Run({"dpkg", "--print-architecture"}).out;
    EXPECT_EQ(fs::path(deb).filename().string(),
              "etcdsnap_" + kDebVersion + "_" + arch.substr(0, arch.find('\n')) + ".deb");

    // The control fields.
    const CommandResult control = Run({"dpkg-deb", "-f", deb});
    ASSERT_EQ(control.exit_code, 0) << control.Describe();
    for (const std::string& field :
         {std::string("Package: etcdsnap\n"), "Version: " + kDebVersion + "\n",
          std::string("Section: admin\n"), std::string("Priority: optional\n"),
          std::string("Description: back up and restore etcd clusters, a drop-in for etcdctl snapshot\n")}) {
      EXPECT_NE(control.out.find(field), std::string::npos) << field << "in:\n" << control.out;
    }
    EXPECT_TRUE(std::regex_search(control.out, std::regex("\nMaintainer: [^\n]+ <[^@\n]+@[^>\n]+>\n")))
        << control.out;
    // Dependencies computed by dpkg-shlibdeps: libc6 at least, with a version.
    EXPECT_TRUE(std::regex_search(control.out, std::regex("\nDepends: ([^\n]*, )?libc6 \\(>= [0-9.]+\\)")))
        << control.out;
    // A long description after the synopsis.
    EXPECT_NE(control.out.find("\n etcdsnap saves, checks and restores"), std::string::npos)
        << control.out;

    // The files, their modes and owners.
    const CommandResult contents = Run({"dpkg-deb", "-c", deb});
    ASSERT_EQ(contents.exit_code, 0) << contents.Describe();
    const auto files = Listing(contents.out, "./");
    std::map<std::string, std::string> expected = {
        {"usr/bin/etcdsnap", "-rwxr-xr-x root/root"},
        {"usr/share/bash-completion/completions/etcdsnap", "-rw-r--r-- root/root"},
        {"usr/share/zsh/vendor-completions/_etcdsnap", "-rw-r--r-- root/root"},
        {"usr/share/doc/etcdsnap/copyright", "-rw-r--r-- root/root"},
        {"usr/share/doc/etcdsnap/changelog.Debian.gz", "-rw-r--r-- root/root"},
        {"usr/share/doc/etcdsnap/README.md", "-rw-r--r-- root/root"},
        {"usr/share/doc/etcdsnap/save.md", "-rw-r--r-- root/root"},
    };
    for (const std::string& page : ManPages()) {
      expected["usr/share/man/man1/" + page] = "-rw-r--r-- root/root";
    }
    for (const auto& [path, mode] : expected) {
      auto it = files.find(path);
      ASSERT_NE(it, files.end()) << path << " is not in the package:\n" << contents.out;
      EXPECT_EQ(it->second, mode) << path;
    }
    for (const auto& [path, mode] : files) {
      if (mode[0] == 'd') {
        EXPECT_EQ(mode, "drwxr-xr-x root/root") << path;
      }
      EXPECT_EQ(path.find("LICENSE"), std::string::npos) << "the license is in copyright: " << path;
      if (path.find("/man/man1/") != std::string::npos) {
        EXPECT_EQ(fs::path(path).extension(), ".gz") << "a manual not compressed: " << path;
      }
      EXPECT_TRUE(path == "usr" || path.rfind("usr/", 0) == 0) << path;
    }

    // The changelog: this version's entry on top, gzip -9 without a time stamp.
    const std::string x = tmp_.Join("x");
    ASSERT_EQ(Run({"dpkg-deb", "-x", deb, x}).exit_code, 0);
    const std::string gz = x + "/usr/share/doc/etcdsnap/changelog.Debian.gz";
    const std::string head = ReadFileOrEmpty(gz);
    ASSERT_GE(head.size(), 10u);
    EXPECT_EQ(head.substr(4, 4), std::string(4, '\0')) << "changelog.Debian.gz has a time stamp";
    EXPECT_EQ(head[8], 2) << "changelog.Debian.gz is not gzip -9";
    const CommandResult changelog = Run({"gzip", "-dc", gz});
    EXPECT_EQ(changelog.out.rfind("etcdsnap (" + kDebVersion + ") ", 0), 0u)
        << "packaging/deb/changelog needs an entry for " << kDebVersion << ":\n" << changelog.out;
    const std::string copyright = ReadFileOrEmpty(x + "/usr/share/doc/etcdsnap/copyright");
    EXPECT_EQ(copyright.rfind("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n", 0), 0u);

    // The binary is stripped (no symbol table, no debug info).
    const CommandResult sections = Run({"readelf", "-S", "-W", x + "/usr/bin/etcdsnap"});
    ASSERT_EQ(sections.exit_code, 0) << sections.Describe();
    EXPECT_EQ(sections.out.find(".symtab"), std::string::npos);
    EXPECT_EQ(sections.out.find(".debug_info"), std::string::npos);

    // lintian: no error; the warnings and information it gives are printed for the log.
    const CommandResult lint = Run({"lintian", "--fail-on", "error", "--display-info",
                                    "--no-tag-display-limit", deb});
    EXPECT_EQ(lint.exit_code, 0) << lint.Describe();
    for (const std::string& line : Lines(lint.out)) {
      EXPECT_NE(line.rfind("E: ", 0), 0u) << line;
      if (!line.empty()) std::cout << "lintian: " << line << "\n";
    }
  }

  // dpkg --root into a throwaway root: installs, runs, removes and purges, leaving nothing.
  void CheckDebInstallsRunsAndPurges(const std::string& deb) {
    // An empty dpkg database of its own: the host's is never read or written.
    const std::string root = tmp_.Join("root");
    const std::string admin = root + "/var/lib/dpkg";
    for (const char* d : {"info", "updates", "triggers"}) fs::create_directories(admin + "/" + d);
    std::ofstream(admin + "/status").close();
    std::ofstream(admin + "/available").close();
    const std::set<std::string> before = Tree(root);
    const std::vector<std::string> dpkg = {"dpkg", "--root=" + root, "--force-not-root",
                                           "--log=" + tmp_.Join("dpkg.log")};
    auto with = [&](std::vector<std::string> args) {
      std::vector<std::string> argv = dpkg;
      argv.insert(argv.end(), args.begin(), args.end());
      return Run(argv);
    };
    // --force-depends: the throwaway database has none of the libraries the package depends on
    // (the host has them, so the binary runs).
    const CommandResult install = with({"--force-depends", "-i", deb});
    ASSERT_EQ(install.exit_code, 0) << install.Describe();
    const CommandResult status = with({"-s", "etcdsnap"});
    EXPECT_NE(status.out.find("Status: install ok installed"), std::string::npos) << status.Describe();

    const CommandResult version = Run({root + "/usr/bin/etcdsnap", "--version"});
    EXPECT_EQ(version.exit_code, 0) << version.Describe();
    EXPECT_NE(version.out.find(kVersion), std::string::npos) << version.out;
    for (const std::string& page : ManPages()) {
      EXPECT_TRUE(fs::exists(root + "/usr/share/man/man1/" + page)) << page;
    }
    EXPECT_TRUE(fs::exists(root + "/usr/share/bash-completion/completions/etcdsnap"));
    EXPECT_TRUE(fs::exists(root + "/usr/share/zsh/vendor-completions/_etcdsnap"));

    const CommandResult remove = with({"-r", "etcdsnap"});
    ASSERT_EQ(remove.exit_code, 0) << remove.Describe();
    EXPECT_FALSE(fs::exists(root + "/usr/bin/etcdsnap"));
    const CommandResult purge = with({"-P", "etcdsnap"});
    ASSERT_EQ(purge.exit_code, 0) << purge.Describe();
    EXPECT_NE(with({"-s", "etcdsnap"}).exit_code, 0) << "still known to dpkg after the purge";
    // Nothing left but dpkg's own database.
    std::set<std::string> left;
    for (const std::string& p : Tree(root)) {
      if (!before.count(p) && p.rfind("var/lib/dpkg/", 0) != 0) left.insert(p);
    }
    EXPECT_TRUE(left.empty()) << "left behind: " << ::testing::PrintToString(left);
  }
};

// One cpack run for both halves: it is most of the test's time.
TEST_F(PackageTest, DebPassesLintianAndInstallsRunsAndPurgesInAThrowawayRoot) {
  for (const char* tool : {"dpkg", "dpkg-deb", "dpkg-shlibdeps", "lintian", "file"}) {
    ETCDSNAP_REQUIRE_OR_SKIP(!FindExecutable(tool).empty(),
                             tool << " is needed (apt-get install dpkg-dev lintian file)");
  }
  const std::string deb = Pack("DEB", ".deb");
  ASSERT_FALSE(deb.empty());
  {
    SCOPED_TRACE("the package's metadata, layout and lintian");
    CheckDebContentsAndLintian(deb);
  }
  SCOPED_TRACE("installed into a throwaway root");
  CheckDebInstallsRunsAndPurges(deb);
}

TEST_F(PackageTest, TarballHoldsTheBinaryManPagesCompletionsAndDocs) {
  const std::string tgz = Pack("TGZ", ".tar.gz");
  ASSERT_FALSE(tgz.empty());
  std::string top = fs::path(tgz).filename().string();
  top = top.substr(0, top.size() - 7);
  EXPECT_EQ(top.rfind("etcdsnap-" + kVersion + "-linux-", 0), 0u) << top;
  const CommandResult list = Run({"tar", "-tvzf", tgz});
  ASSERT_EQ(list.exit_code, 0) << list.Describe();
  const auto files = Listing(list.out, top + "/");
  std::map<std::string, char> expected = {
      {"bin/etcdsnap", 'x'},
      {"share/bash-completion/completions/etcdsnap", '-'},
      {"share/zsh/site-functions/_etcdsnap", '-'},
      {"share/doc/etcdsnap/README.md", '-'},
      {"share/doc/etcdsnap/LICENSE", '-'},
      {"share/doc/etcdsnap/operations.md", '-'},
  };
  for (const std::string& page : ManPages()) expected["share/man/man1/" + page] = '-';
  for (const auto& [path, exec] : expected) {
    auto it = files.find(path);
    ASSERT_NE(it, files.end()) << path << " is not in the archive:\n" << list.out;
    EXPECT_EQ(it->second.substr(0, 10), exec == 'x' ? "-rwxr-xr-x" : "-rw-r--r--") << path;
  }
  EXPECT_FALSE(files.count("share/doc/etcdsnap/copyright")) << "Debian's files are for the .deb";
  ASSERT_EQ(Run({"tar", "-xzf", tgz, "-C", tmp_.path()}).exit_code, 0);
  const CommandResult version = Run({tmp_.Join(top + "/bin/etcdsnap"), "--version"});
  EXPECT_EQ(version.exit_code, 0) << version.Describe();
  EXPECT_NE(version.out.find(kVersion), std::string::npos) << version.out;
}

TEST_F(PackageTest, CmakeInstallPutsZshCompletionWhereDebiansZshLooks) {
  // Debian's zsh reads /usr/share/zsh/vendor-completions and /usr/local/share/zsh/site-functions.
  for (const auto& [prefix, zsh_dir] :
       std::vector<std::pair<std::string, std::string>>{
           {"/usr", "share/zsh/vendor-completions"}, {"/usr/local", "share/zsh/site-functions"}}) {
    const std::string dest = tmp_.Join("dest" + std::to_string(prefix.size()));
    const CommandResult r = Run({ETCDSNAP_CMAKE, "--install", kBuild, "--prefix", prefix},
                                {.env = {{"DESTDIR", dest}}});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    const std::string p = dest + prefix + "/";
    EXPECT_TRUE(fs::exists(p + zsh_dir + "/_etcdsnap")) << prefix;
    EXPECT_TRUE(fs::exists(p + "bin/etcdsnap")) << prefix;
    EXPECT_TRUE(fs::exists(p + "share/bash-completion/completions/etcdsnap")) << prefix;
    EXPECT_TRUE(fs::exists(p + "share/man/man1/etcdsnap.1.gz")) << prefix;
    EXPECT_TRUE(fs::exists(p + "share/doc/etcdsnap/LICENSE")) << prefix;
    // Debian's copyright and changelog are installed for the .deb only.
    EXPECT_FALSE(fs::exists(p + "share/doc/etcdsnap/copyright")) << prefix;
  }
}

}  // namespace
}  // namespace etcdsnap::testing
