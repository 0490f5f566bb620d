// Opening one top-level bucket of a bbolt file for reading: the root bucket is searched for the
// name (a bucket entry), its header decoded, and a Cursor made over its page tree or its inline
// page. The Cursor checks the pages it reads as it walks (see cursor.h).
#pragma once

#include <memory>
#include <string_view>

#include "etcdsnap/bolt/cursor.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::bolt {

// A cursor over top-level bucket `name` (not positioned yet: call First()). kNotFound when the
// root bucket has no such entry; kCorruption when the entry is not a bucket, its header is
// damaged, or the root bucket cannot be walked. The File must outlive the cursor.
Result<std::unique_ptr<Cursor>> OpenBucket(const File& file, std::string_view name);

}  // namespace etcdsnap::bolt
