// The persisted freelist page: the ids of free (and pending) pages at the last commit. A file
// written with NoFreelistSync (etcd on Linux) has none; its free pages are the complement of
// the reachable ones, which Check() computes.
#pragma once

#include <functional>

#include "etcdsnap/bolt/file.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::bolt {

// Calls fn(id) for each id in the freelist page `id` (meta().freelist), in file order, and
// returns the page's header so a caller can count its overflow pages. Fails when the page is
// not a freelist page or its count runs past the page.
Result<PageHeader> ForEachFreelistId(const File& file, Pgid id,
                                     const std::function<void(Pgid)>& fn);

}  // namespace etcdsnap::bolt
