#include "etcdsnap/cli/table.h"

#include <algorithm>
#include <cctype>

namespace etcdsnap::cli {

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
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
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
  for (const auto& row : rows) {
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
