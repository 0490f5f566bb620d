// The -w table output: olekukonko/tablewriter as etcdctl configures it (upper-cased headers
// centred, every cell right-aligned, one space of padding, +---+ rules). Cells may come from
// an untrusted file (inspect's and diff's keys): each goes through TableCell first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace etcdsnap::cli {

// The longest cell, in bytes after escaping: a 1.5 MiB key must not widen every row of its table.
inline constexpr size_t kMaxCellBytes = 160;

// A cell as printed: control bytes (C0, DEL, C1) and bytes that are not UTF-8 as \xNN, so that a
// key cannot end a row or steer the terminal; valid UTF-8 (the bars' blocks) kept; cut at
// kMaxCellBytes with "...".
std::string TableCell(std::string_view s);

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace etcdsnap::cli
