// Creating one new file of restore's output (private to raft/).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "etcdsnap/util/status.h"

namespace etcdsnap::raft {

// Creates `path`, which must not exist, with mode 0600 (O_EXCL, no symlink followed), lets
// `prepare(fd)` size it, writes `data` at offset 0, fdatasyncs and closes it. On any failure the
// file is removed and the Status names the path.
// "%016x-%016x<ext>": etcd's WAL and snap file names.
std::string HexPairFileName(uint64_t a, uint64_t b, const char* ext);

Status WriteNewFile(const std::string& path, std::string_view data,
                    const std::function<Status(int fd)>& prepare = nullptr);

}  // namespace etcdsnap::raft
