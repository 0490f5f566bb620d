#include "man_page.h"

#include <gtest/gtest.h>

#include "etcdsnap/cli/args.h"

namespace etcdsnap::docgen {
namespace {

const char kProse[] =
    "# DESCRIPTION\nSaves.\n# OPTIONS\n<!-- options -->\n# GLOBAL OPTIONS\n<!-- global-options -->\n"
    "# EXIT STATUS\n| code | when |\n|---|---|\n| 0 | saved |\n"
    "# ENVIRONMENT\n<!-- environment -->\n# EXAMPLES\n```\netcdsnap snapshot save x.db\n```\n"
    "# SEE ALSO\n**etcdsnap**(1)\n";

std::string Escaped(std::string s) {
  std::string out;
  for (char c : s) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

TEST(RenderManPageTest, HeaderNameAndSynopsisFromTheCommandTable) {
  auto page = RenderManPage({.command = "snapshot save", .prose = kProse, .version = "1.2.3",
                             .date = "2026-12-03"});
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_NE(page->find(".TH \"ETCDSNAP\\-SNAPSHOT\\-SAVE\" \"1\" \"2026-12-03\" \"etcdsnap 1.2.3\""),
            std::string::npos) << *page;
  EXPECT_NE(page->find(".SH \"NAME\"\netcdsnap\\-snapshot\\-save \\- stores an etcd node backend "
                       "snapshot to a given file\n"),
            std::string::npos) << *page;
  EXPECT_NE(page->find(".SH \"SYNOPSIS\"\n\\fBetcdsnap\\fR \\fBsnapshot\\fR \\fBsave\\fR "
                       "\\fIfilename\\fR [\\fIflags\\fR]\n"),
            std::string::npos) << *page;
}

TEST(RenderManPageTest, EveryFlagOfHelpWithItsDefaultAndEveryVariable) {
  auto page = RenderManPage({.command = "snapshot save", .prose = kProse, .version = "1",
                             .date = "2026-12-03"});
  ASSERT_TRUE(page.ok()) << page.status().message();
  for (bool global : {false, true}) {
    for (const cli::FlagSpec* f : cli::HelpFlags("snapshot save", global)) {
      EXPECT_NE(page->find("\\fB\\-\\-" + Escaped(f->name) + "\\fR"), std::string::npos) << f->name;
    }
  }
  EXPECT_NE(page->find("\\fB\\-w\\fR, \\fB\\-\\-write\\-out\\fR=\\fIformat\\fR\n"), std::string::npos);
  EXPECT_NE(page->find("Default: \\fBsimple\\fR."), std::string::npos);
  EXPECT_NE(page->find("Default: \\fB127.0.0.1:2379\\fR."), std::string::npos);
  EXPECT_NE(page->find("\\fBETCDCTL_DIAL_TIMEOUT\\fR\nas \\fB\\-\\-dial\\-timeout\\fR"),
            std::string::npos);
}

TEST(RenderManPageTest, AMissingSectionOrDirectiveIsAnError) {
  std::string no_examples = kProse;
  no_examples.replace(no_examples.find("# EXAMPLES"), 10, "# EXEMPLES");
  auto r = RenderManPage({.command = "snapshot save", .prose = no_examples, .version = "1",
                          .date = "2026-12-03"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("EXAMPLES"), std::string::npos) << r.status().message();
  std::string no_globals = kProse;
  no_globals.replace(no_globals.find("<!-- global-options -->"), 23, "none");
  EXPECT_FALSE(RenderManPage({.command = "snapshot save", .prose = no_globals, .version = "1",
                              .date = "2026-12-03"}).ok());
  // A command with subcommands lists them.
  EXPECT_FALSE(RenderManPage({.command = "snapshot", .prose = kProse, .version = "1",
                              .date = "2026-12-03"}).ok());
}

}  // namespace
}  // namespace etcdsnap::docgen
