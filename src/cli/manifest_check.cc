// status and restore: what a `save --manifest` manifest says about the file, on stderr only.
#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/log.h"
#include "etcdsnap/snapshot/manifest.h"

namespace etcdsnap::cli {

bool WarnIfManifestMismatch(const std::string& path, const std::string& consequence) {
  auto check = snapshot::CheckManifest(path);
  if (!check.ok()) {
    PrintWarning(check.status().message() + consequence);
    return false;
  }
  if (!check->has_value() || (*check)->ok()) return true;
  PrintWarning(path + " does not match its manifest: " + (*check)->Mismatch() +
               " (the file changed after it was saved)" + consequence);
  return false;
}

}  // namespace etcdsnap::cli
