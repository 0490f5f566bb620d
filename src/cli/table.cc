#include "etcdsnap/cli/table.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace etcdsnap::cli {
namespace {

// The length of the valid UTF-8 sequence at s[i], 0 if there is none (overlong forms and
// surrogates are let through: they print as replacement characters, they do not steer a terminal).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const size_t n = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  // U+0080..U+009F (C1 controls, 0xc2 0x80..0x9f) steer some terminals as ESC does.
  if (n == 2 && b == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0) return 0;
  return n;
}

}  // namespace

std::string TableCell(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  size_t i = 0;
  while (i < s.size() && out.size() < kMaxCellBytes) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (const size_t n = c >= 0x80 ? Utf8Length(s, i) : 0; n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++i;
    }
  }
  if (i < s.size() || out.size() > kMaxCellBytes) {  // cut short
    size_t cut = std::min(kMaxCellBytes, out.size());
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> titles;
  std::vector<size_t> width;
  for (const std::string& h : header) {
    std::string t;
    for (char c : h) t.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    titles.push_back(t);
    width.push_back(t.size());
  }
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  for (const auto& row : rows) {
    std::vector<std::string>& safe = cells.emplace_back();
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      safe.push_back(TableCell(row[i]));
      width[i] = std::max(width[i], safe.back().size());
    }
  }
  std::string line = "+";
  for (size_t w : width) line += std::string(w + 2, '-') + "+";
  line += "\n";
  std::string out = line + "|";
  for (size_t i = 0; i < titles.size(); ++i) {
    const size_t gap = width[i] - titles[i].size();
    out += " " + std::string(gap / 2, ' ') + titles[i] + std::string(gap - gap / 2, ' ') + " |";
  }
  out += "\n" + line;
  for (const auto& row : cells) {
    out += "|";
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      out += " " + std::string(width[i] - cell.size(), ' ') + cell + " |";
    }
    out += "\n";
  }
  return out + line;
}

}  // namespace etcdsnap::cli
