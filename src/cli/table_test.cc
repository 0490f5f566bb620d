#include "etcdsnap/cli/table.h"

#include <gtest/gtest.h>

#include <string>

namespace etcdsnap::cli {
namespace {

TEST(TableTest, ALayoutLikeEtcdctls) {
  EXPECT_EQ(RenderTable({"file", "hash"}, {{"a.db", "12"}}),
            "+------+------+\n"
            "| FILE | HASH |\n"
            "+------+------+\n"
            "| a.db |   12 |\n"
            "+------+------+\n");
}

// A key from an untrusted file: a newline cannot forge a row, ESC and OSC cannot steer the
// terminal, a C1 control (U+009B) and a byte that is not UTF-8 are escaped; the bars' blocks and
// other UTF-8 stay.
TEST(TableTest, ControlBytesAndNonUtf8AreEscapedUtf8Kept) {
  EXPECT_EQ(TableCell("/registry/a\n| fake | row |"), "/registry/a\\x0a| fake | row |");
  EXPECT_EQ(TableCell("\x1b[31mred\x1b]0;title\x07"), "\\x1b[31mred\\x1b]0;title\\x07");
  EXPECT_EQ(TableCell("c1 \xc2\x9b x"), "c1 \\xc2\\x9b x");
  EXPECT_EQ(TableCell("bad \xff \xe2\x96"), "bad \\xff \\xe2\\x96");
  EXPECT_EQ(TableCell("\xe2\x96\x88\xe2\x96\x8c caf\xc3\xa9"), "\xe2\x96\x88\xe2\x96\x8c caf\xc3\xa9");
  EXPECT_EQ(TableCell("del\x7f"), "del\\x7f");
  const std::string table = RenderTable({"key"}, {{"a\nb"}});
  EXPECT_EQ(table.find("a\nb"), std::string::npos) << table;
}

// A 1.5 MiB key is cut, at a UTF-8 boundary, and does not widen its table.
TEST(TableTest, LongCellsAreCut) {
  const std::string cell = TableCell(std::string(1 << 20, 'k'));
  EXPECT_EQ(cell, std::string(kMaxCellBytes, 'k') + "...");
  const std::string blocks = TableCell(std::string(kMaxCellBytes, 'x').substr(1) + "\xe2\x96\x88\xe2\x96\x88");
  EXPECT_EQ(blocks, std::string(kMaxCellBytes - 1, 'x') + "...");
  EXPECT_LT(RenderTable({"key"}, {{std::string(1 << 20, 'k')}}).size(), 6 * kMaxCellBytes);
  EXPECT_EQ(TableCell(std::string(kMaxCellBytes, 'k')), std::string(kMaxCellBytes, 'k'));
}

}  // namespace
}  // namespace etcdsnap::cli
