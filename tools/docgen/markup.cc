// The Markdown subset of markup.h, as roff.
#include "markup.h"

#include <utility>

namespace etcdsnap::docgen {
namespace {

// The non-ASCII characters the docs use, as roff glyphs.
const std::pair<std::string_view, std::string_view> kGlyphs[] = {
    {"\u2013", "\\(en"}, {"\u2014", "\\(em"}, {"\u2026", "\\&..."}, {"\u2192", "\\(->"},
    {"\u00d7", "\\(mu"}, {"\u2264", "\\(<="}, {"\u2265", "\\(>="}, {"\u2019", "'"},
    {"\u201c", "\\(lq"}, {"\u201d", "\\(rq"},
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A roff text line must not start with a control character ('.' or '\'').
std::string GuardLineStart(std::string line) {
  if (!line.empty() && (line[0] == '.' || line[0] == '\'')) line.insert(0, "\\&");
  return line;
}

// The cells of a table row "| a | b |", split at '|' outside `code` (and not at "\|").
std::vector<std::string> SplitRow(std::string_view row) {
  row = Trim(row);
  if (StartsWith(row, "|")) row.remove_prefix(1);
  if (!row.empty() && row.back() == '|' && (row.size() < 2 || row[row.size() - 2] != '\\')) {
    row.remove_suffix(1);
  }
  std::vector<std::string> cells(1);
  bool in_code = false;
  for (size_t i = 0; i < row.size(); ++i) {
    const char c = row[i];
    if (c == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
      cells.back() += '|';
      ++i;
      continue;
    }
    if (c == '`') in_code = !in_code;
    if (c == '|' && !in_code) {
      cells.emplace_back();
      continue;
    }
    cells.back() += c;
  }
  for (std::string& cell : cells) cell = std::string(Trim(cell));
  return cells;
}

bool IsSeparatorRow(const std::vector<std::string>& cells) {
  for (const std::string& c : cells) {
    if (c.find_first_not_of("-: ") != std::string::npos || c.empty()) return false;
  }
  return true;
}

}  // namespace

Result<std::string> EscapeRoff(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c == '\\') {
        out += "\\e";
      } else if (c == '-') {
        out += "\\-";
      } else if (c == '\t') {
        out += ' ';
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    bool known = false;
    for (const auto& [utf8, glyph] : kGlyphs) {
      if (text.substr(i, utf8.size()) == utf8) {
        out += glyph;
        i += utf8.size();
        known = true;
        break;
      }
    }
    if (!known) {
      size_t end = i + 1;
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
      return Status::InvalidArgument("non-ASCII character \"" + std::string(text.substr(i, end - i)) +
                                     "\" has no roff glyph here: write it in ASCII (or add it "
                                     "to kGlyphs in tools/docgen/markup.cc)");
    }
  }
  return out;
}

Result<std::string> InlineToRoff(std::string_view text) {
  std::string out;
  size_t i = 0;
  auto plain = [&](size_t end) -> Status {
    ETCDSNAP_ASSIGN_OR_RETURN(std::string escaped, EscapeRoff(text.substr(i, end - i)));
    out += escaped;
    i = end;
    return Status::Ok();
  };
  while (i < text.size()) {
    const size_t next = text.find_first_of("`*", i);
    ETCDSNAP_RETURN_IF_ERROR(plain(next == std::string_view::npos ? text.size() : next));
    if (i >= text.size()) break;
    if (text[i] == '`') {
      const size_t close = text.find('`', i + 1);
      if (close == std::string_view::npos) return Status::InvalidArgument("unclosed ` (code)");
      ETCDSNAP_ASSIGN_OR_RETURN(std::string code, EscapeRoff(text.substr(i + 1, close - i - 1)));
      out += "\\fB" + code + "\\fR";
      i = close + 1;
      continue;
    }
    // '*': emphasis only when it opens one ("*word", "**word") and closes on the same line;
    // else a literal star (`--keep-*` reads best in backticks, but a stray star is harmless).
    const bool strong = StartsWith(text.substr(i), "**");
    const std::string_view mark = strong ? "**" : "*";
    const size_t start = i + mark.size();
    const size_t close = text.find(mark, start);
    if (start < text.size() && text[start] != ' ' && close != std::string_view::npos &&
        close > start && text[close - 1] != ' ') {
      ETCDSNAP_ASSIGN_OR_RETURN(std::string inner, InlineToRoff(text.substr(start, close - start)));
      out += (strong ? "\\fB" : "\\fI") + inner + "\\fR";
      i = close + mark.size();
    } else {
      out += '*';
      ++i;
    }
  }
  return GuardLineStart(std::move(out));
}

Result<std::string> MarkdownToRoff(std::string_view markdown, const DirectiveExpander& expand) {
  enum class Block { kNone, kParagraph, kList, kTable, kCode };
  Block block = Block::kNone;
  bool after_heading = true;  // no .PP needed right after .SH/.SS
  int table_rows = 0;
  std::string out;
  size_t line_no = 0;
  auto fail = [&](const Status& s) {
    return Status::InvalidArgument("line " + std::to_string(line_no) + ": " + s.message());
  };
  auto end_block = [&] {
    if (block != Block::kNone) after_heading = false;
    block = Block::kNone;
  };
  for (size_t pos = 0; pos <= markdown.size();) {
    size_t eol = markdown.find('\n', pos);
    if (eol == std::string_view::npos) eol = markdown.size();
    const std::string_view raw = markdown.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    const std::string_view line = Trim(raw);
    if (block == Block::kCode) {
      if (StartsWith(line, "```")) {
        out += ".fi\n.RE\n";
        block = Block::kNone;
        after_heading = false;
        continue;
      }
      auto text = EscapeRoff(raw);
      if (!text.ok()) return fail(text.status());
      out += GuardLineStart(*text) + "\n";
      continue;
    }
    if (line.empty()) {
      end_block();
      continue;
    }
    if (StartsWith(line, "```")) {
      end_block();
      out += std::string(after_heading ? "" : ".PP\n") + ".RS 4\n.nf\n";
      block = Block::kCode;
      continue;
    }
    if (StartsWith(line, "#")) {
      end_block();
      const bool sub = StartsWith(line, "## ");
      if (!sub && !StartsWith(line, "# ")) return fail(Status::InvalidArgument("a heading is '# ' or '## '"));
      auto title = EscapeRoff(Trim(line.substr(sub ? 3 : 2)));
      if (!title.ok()) return fail(title.status());
      out += (sub ? ".SS \"" : ".SH \"") + *title + "\"\n";
      after_heading = true;
      continue;
    }
    if (StartsWith(line, "<!--")) {
      end_block();
      if (line.size() < 7 || line.substr(line.size() - 3) != "-->") {
        return fail(Status::InvalidArgument("a directive is one line: <!-- name -->"));
      }
      auto expanded = expand(std::string(Trim(line.substr(4, line.size() - 7))));
      if (!expanded.ok()) return fail(expanded.status());
      out += *expanded;
      after_heading = false;
      continue;
    }
    if (StartsWith(line, "- ")) {
      if (block != Block::kList) end_block();
      auto text = InlineToRoff(Trim(line.substr(2)));
      if (!text.ok()) return fail(text.status());
      out += ".IP \\(bu 2\n" + *text + "\n";
      block = Block::kList;
      continue;
    }
    if (StartsWith(line, "|")) {
      if (block != Block::kTable) {
        end_block();
        block = Block::kTable;
        table_rows = 0;
      }
      const std::vector<std::string> cells = SplitRow(line);
      ++table_rows;
      if (table_rows == 1) continue;  // the header row
      if (table_rows == 2) {
        if (!IsSeparatorRow(cells)) return fail(Status::InvalidArgument("a table's second row is |---|---|"));
        continue;
      }
      if (cells.size() != 2) return fail(Status::InvalidArgument("a table row has two cells"));
      auto tag = InlineToRoff(cells[0]);
      auto text = InlineToRoff(cells[1]);
      if (!tag.ok()) return fail(tag.status());
      if (!text.ok()) return fail(text.status());
      const bool marked = cells[0].find_first_of("`*") != std::string::npos;
      out += ".TP\n" + (marked ? *tag : "\\fB" + *tag + "\\fR") + "\n" + *text + "\n";
      continue;
    }
    auto text = InlineToRoff(line);
    if (!text.ok()) return fail(text.status());
    const bool continues = raw.size() > line.size() && (raw[0] == ' ' || raw[0] == '\t');
    if (block == Block::kParagraph || (block == Block::kList && continues)) {
      out += *text + "\n";
      continue;
    }
    end_block();
    if (!after_heading) out += ".PP\n";
    out += *text + "\n";
    block = Block::kParagraph;
  }
  if (block == Block::kCode) return Status::InvalidArgument("unclosed ``` code block at the end");
  return out;
}

std::vector<std::string> SectionTitles(std::string_view markdown) {
  std::vector<std::string> titles;
  bool in_code = false;
  for (size_t pos = 0; pos < markdown.size();) {
    size_t eol = markdown.find('\n', pos);
    if (eol == std::string_view::npos) eol = markdown.size();
    const std::string_view line = Trim(markdown.substr(pos, eol - pos));
    pos = eol + 1;
    if (StartsWith(line, "```")) in_code = !in_code;
    if (!in_code && StartsWith(line, "# ")) titles.emplace_back(Trim(line.substr(2)));
  }
  return titles;
}

}  // namespace etcdsnap::docgen
