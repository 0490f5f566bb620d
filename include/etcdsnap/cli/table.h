// The -w table output: olekukonko/tablewriter as etcdctl configures it (upper-cased headers
// centred, every cell right-aligned, one space of padding, +---+ rules).
#pragma once

#include <string>
#include <vector>

namespace etcdsnap::cli {

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace etcdsnap::cli
