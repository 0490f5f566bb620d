#include "markup.h"

#include <gtest/gtest.h>

namespace etcdsnap::docgen {
namespace {

Result<std::string> NoDirectives(const std::string& name) {
  return Status::InvalidArgument("unexpected directive " + name);
}

std::string Roff(const std::string& markdown) {
  auto r = MarkdownToRoff(markdown, NoDirectives);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : "";
}

TEST(EscapeRoffTest, DashesBackslashesAndKnownGlyphs) {
  EXPECT_EQ(*EscapeRoff("--data-dir C:\\x"), "\\-\\-data\\-dir C:\\ex");
  EXPECT_EQ(*EscapeRoff("1\u20139 \u2014 a\u2026"), "1\\(en9 \\(em a\\&...");
}

TEST(EscapeRoffTest, OtherNonAsciiIsAnErrorNamingTheCharacter) {
  auto r = EscapeRoff("caf\u00e9");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("\u00e9"), std::string::npos) << r.status().message();
}

TEST(InlineToRoffTest, CodeIsBoldAndNotReadFurther) {
  EXPECT_EQ(*InlineToRoff("use `--keep-*` here"), "use \\fB\\-\\-keep\\-*\\fR here");
}

TEST(InlineToRoffTest, EmphasisAndStrong) {
  EXPECT_EQ(*InlineToRoff("a *file* and **etcd**(1)"), "a \\fIfile\\fR and \\fBetcd\\fR(1)");
}

TEST(InlineToRoffTest, StarsThatOpenNothingStayLiteral) {
  EXPECT_EQ(*InlineToRoff("2 * 3 and 4*"), "2 * 3 and 4*");
}

TEST(InlineToRoffTest, ALeadingDotOrQuoteIsGuarded) {
  EXPECT_EQ(*InlineToRoff(".part files"), "\\&.part files");
  EXPECT_EQ(*InlineToRoff("'quoted'"), "\\&'quoted'");
}

TEST(InlineToRoffTest, UnclosedCodeIsAnError) { EXPECT_FALSE(InlineToRoff("a `b").ok()); }

TEST(MarkdownToRoffTest, SectionsAndParagraphs) {
  EXPECT_EQ(Roff("# DESCRIPTION\nOne line\nand its continuation.\n\nSecond.\n## Sub\nText.\n"),
            ".SH \"DESCRIPTION\"\nOne line\nand its continuation.\n.PP\nSecond.\n"
            ".SS \"Sub\"\nText.\n");
}

TEST(MarkdownToRoffTest, BulletsWithContinuationLines) {
  EXPECT_EQ(Roff("# A\n- one\n  more\n- two\n\nAfter.\n"),
            ".SH \"A\"\n.IP \\(bu 2\none\nmore\n.IP \\(bu 2\ntwo\n.PP\nAfter.\n");
}

TEST(MarkdownToRoffTest, TableRowsBecomeTaggedParagraphs) {
  EXPECT_EQ(Roff("# EXIT STATUS\n| code | when |\n|---|---|\n| 0 | saved |\n| `75` | a \\| b |\n"),
            ".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\nsaved\n.TP\n\\fB75\\fR\na | b\n");
}

TEST(MarkdownToRoffTest, CodeBlocksAreCopiedEscapedWithoutInlineMarkup) {
  EXPECT_EQ(Roff("# EXAMPLES\nRun:\n```sh\n.hidden `x` -w\n```\n"),
            ".SH \"EXAMPLES\"\nRun:\n.PP\n.RS 4\n.nf\n\\&.hidden `x` \\-w\n.fi\n.RE\n");
}

TEST(MarkdownToRoffTest, DirectivesAreExpandedInPlace) {
  auto r = MarkdownToRoff("# OPTIONS\n<!-- options -->\n", [](const std::string& name) {
    return Result<std::string>(".TP\n" + name + "\n");
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, ".SH \"OPTIONS\"\n.TP\noptions\n");
}

TEST(MarkdownToRoffTest, ErrorsNameTheLine) {
  auto r = MarkdownToRoff("# A\n\n<!-- nope -->\n", NoDirectives);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("line 3: ", 0), 0u) << r.status().message();
  EXPECT_FALSE(MarkdownToRoff("# A\n```\nnever closed\n", NoDirectives).ok());
  EXPECT_FALSE(MarkdownToRoff("# A\n| a | b |\n| c | d |\n", NoDirectives).ok());
}

TEST(SectionTitlesTest, HeadingsOutsideCodeBlocks) {
  EXPECT_EQ(SectionTitles("# A\n```\n# not a title\n```\n## sub\n# B\n"),
            (std::vector<std::string>{"A", "B"}));
}

}  // namespace
}  // namespace etcdsnap::docgen
