#include "etcdsnap/snapshot/retention.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>

#include "etcdsnap/util/file.h"

namespace etcdsnap::snapshot {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;

// The bucket a time falls in, for each policy: two files share a bucket when these are equal.
int64_t HourOf(std::chrono::sys_seconds t) { return floor<hours>(t).time_since_epoch().count(); }
int64_t DayOf(std::chrono::sys_seconds t) { return floor<days>(t).time_since_epoch().count(); }
int64_t MonthOf(std::chrono::sys_seconds t) {
  const std::chrono::year_month_day ymd{floor<days>(t)};
  return int64_t{static_cast<int>(ymd.year())} * 12 + static_cast<unsigned>(ymd.month());
}
// ISO 8601 weeks start on Monday; 1970-01-01 was a Thursday, so day 0 is in the week that
// started on day -3. (Restic keys weeks by ISO year and week number: the same buckets.)
int64_t WeekOf(std::chrono::sys_seconds t) {
  const int64_t d = DayOf(t) + 3;
  return d >= 0 ? d / 7 : (d - 6) / 7;
}

// Newest first: by time, then revision, then name.
bool Newer(const SnapshotName& a, const SnapshotName& b) {
  if (a.fields.time != b.fields.time) return a.fields.time > b.fields.time;
  if (a.fields.revision != b.fields.revision) return a.fields.revision > b.fields.revision;
  return a.name > b.name;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// Removes a regular file; false (no error) when it is already gone.
Result<bool> RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return Status::FromErrno("could not remove " + path + " (check the directory's permissions, or "
                           "remove it by hand)",
                           errno);
}

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A file's identity: the protected file is recognised by it, not by how its path is spelt
// ("e.db" and "./e.db" name one file).
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};
std::optional<FileId> IdOf(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

}  // namespace

std::vector<size_t> SelectKept(const std::vector<SnapshotName>& files, const KeepPolicy& p) {
  std::vector<size_t> order(files.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return Newer(files[a], files[b]); });
  struct Bucket {
    uint64_t left;
    int64_t (*key)(std::chrono::sys_seconds);
    std::optional<int64_t> last{};
  };
  Bucket buckets[] = {{p.hourly, HourOf}, {p.daily, DayOf}, {p.weekly, WeekOf},
                      {p.monthly, MonthOf}};
  std::vector<size_t> kept;
  for (size_t n = 0; n < order.size(); ++n) {
    const SnapshotName& f = files[order[n]];
    bool keep = n < p.last;
    // A policy keeps the newest file of each bucket (hour, day, ...) until it has kept its N.
    for (Bucket& b : buckets) {
      if (b.left == 0) continue;
      const int64_t key = b.key(f.fields.time);
      if (b.last == key) continue;
      b.last = key;
      --b.left;
      keep = true;
    }
    if (keep) kept.push_back(order[n]);
  }
  return kept;
}

Status CheckPolicyFits(const NameTemplate& t, const KeepPolicy& p) {
  if (!t.is_template()) {
    return Status::InvalidArgument(
        "retention needs a name template, and " + t.path() + " has no field: give a name such "
        "as " + JoinPath(t.directory(), "etcd-%Y%m%dT%H%M%SZ.db") +
        " (each save makes a new file; --keep-* then removes the old ones)");
  }
  struct Need {
    uint64_t count;
    const char* flag;
    TimeResolution at_least;
    const char* fields;
  };
  const Need needs[] = {
      {p.hourly, "--keep-hourly", TimeResolution::kHour, "%Y, %m, %d (or %j) and %H, or %s"},
      {p.daily, "--keep-daily", TimeResolution::kDay, "%Y, %m and %d (or %F, or %j), or %s"},
      {p.weekly, "--keep-weekly", TimeResolution::kDay, "%Y, %m and %d (or %F, or %j), or %s"},
      {p.monthly, "--keep-monthly", TimeResolution::kMonth, "%Y and %m, or %s"},
  };
  for (const Need& n : needs) {
    if (n.count > 0 && t.resolution() < n.at_least) {
      return Status::InvalidArgument(std::string(n.flag) + " needs names that tell the time to " +
                                     "that precision, and " + t.path() + " does not: add " +
                                     n.fields + " to the template");
    }
  }
  if (p.last > 0 && t.resolution() == TimeResolution::kNone && !t.has_revision()) {
    return Status::InvalidArgument(
        "--keep-last needs names that tell which snapshot is newer, and " + t.path() +
        " does not: add the time (%Y%m%dT%H%M%SZ) or {revision} to the template");
  }
  return Status::Ok();
}

Result<PruneResult> Prune(const NameTemplate& t, const PruneOptions& o) {
  ETCDSNAP_RETURN_IF_ERROR(CheckPolicyFits(t, o.keep));
  const std::string& dir = t.directory();
  // Read the whole listing first: removing entries while readdir runs may skip or repeat some.
  std::map<std::string, std::vector<SnapshotName>> series;
  {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return Status::FromErrno("could not list directory " + dir, errno);
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      auto m = t.Match(name);
      if (!m || (o.series && m->series != *o.series)) continue;
      // Save writes regular files only: a link or a directory with a snapshot's name is not one.
      if (!IsRegularFile(JoinPath(dir, name))) continue;
      series[m->series].push_back({name, m->fields});
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return Status::FromErrno("could not list directory " + dir, err);
  }
  const std::optional<FileId> protect_id =
      o.protect.empty() ? std::nullopt : IdOf(o.protect);
  PruneResult result;
  std::vector<SnapshotName> doomed;
  for (auto& [key, files] : series) {
    const std::vector<size_t> kept = SelectKept(files, o.keep);
    std::vector<bool> keep(files.size(), false);
    for (size_t i : kept) keep[i] = true;
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string path = JoinPath(dir, files[i].name);
      const bool is_protected =
          path == o.protect || (protect_id && IdOf(path) == protect_id);
      if (keep[i] || is_protected) {
        result.kept.push_back(path);
      } else {
        doomed.push_back(files[i]);
      }
    }
  }
  std::sort(doomed.begin(), doomed.end(),
            [](const SnapshotName& a, const SnapshotName& b) { return Newer(b, a); });
  for (const SnapshotName& f : doomed) {
    const std::string path = JoinPath(dir, f.name);
    const std::string manifest = path + ".json";
    if (IsRegularFile(manifest)) {
      if (!o.dry_run) ETCDSNAP_RETURN_IF_ERROR(RemoveFile(manifest).status());
      result.removed.push_back(manifest);
    }
    if (!o.dry_run) {
      ETCDSNAP_ASSIGN_OR_RETURN(const bool removed, RemoveFile(path));
      if (!removed) continue;  // another run pruned it first
    }
    result.removed.push_back(path);
  }
  return result;
}

}  // namespace etcdsnap::snapshot
