// Name templates for `snapshot save <file>`: strftime fields (%Y %m %d ...) and {revision},
// {member}, {cluster}, expanded in UTC once the snapshot is taken, and read back from file names
// for retention (snapshot/retention.h).
//
// A name with no field at all is not a template: it is used exactly as given, `%` and braces
// included, as etcdctl uses it. In a template, `%%`, `{{` and `}}` are a literal %, { and }, and
// an unknown field is an error (a typo must not silently become a literal name). Fields are
// allowed in the file name only, not in its directory: the .part is made beside the final file
// and renamed onto it, which only works within one directory.
//
// Reading a name back is exact: a file matches only when expanding the template with the values
// read from it gives the same name again. So `etcd-20261303.db` (month 13), a name with a `.part`
// or `.json` suffix, or one with extra characters never matches.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/util/status.h"

namespace etcdsnap::snapshot {

// What a name is made of.
struct NameFields {
  std::chrono::sys_seconds time{};  // UTC, whole seconds
  int64_t revision = 0;
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
};

// How finely a template's names tell the time: kSecond when they carry year, month, day, hour,
// minute and second (or %s); kNone when they do not even carry the year.
enum class TimeResolution { kNone, kYear, kMonth, kDay, kHour, kMinute, kSecond };

// A file name read back with a template.
struct MatchedName {
  NameFields fields;
  // The {cluster} and {member} values as they appear in the name ("" when the template has
  // neither): files of one series are kept or pruned together, apart from other series.
  std::string series;
};

class NameTemplate {
 public:
  // Parses a path as given on the command line. InvalidArgument names the field and what to
  // write instead: an unknown %x or {name}, a lone %, { or }, a field in the directory part, or
  // a template whose names would end in .part or .json (the save's own temporary files and
  // manifests).
  static Result<NameTemplate> Parse(const std::string& path);

  // True when the path has at least one field.
  bool is_template() const { return is_template_; }
  // For a plain name: the things that look like fields but are not ("%Q", "{revison}"), so
  // that a caller can warn that they are taken literally.
  const std::vector<std::string>& lookalikes() const { return lookalikes_; }
  const std::string& path() const { return path_; }
  // The directory part ("." when none) and the file-name part of the path.
  const std::string& directory() const { return dir_; }
  const std::string& base() const { return base_; }

  // The full path with every field filled in; the path itself when it is not a template.
  std::string Expand(const NameFields& fields) const;
  // Reads a file name (no directory) back; nullopt when the template could not have made it.
  std::optional<MatchedName> Match(const std::string& name) const;

  TimeResolution resolution() const { return resolution_; }
  bool has_revision() const { return has_revision_; }

 private:
  struct Piece {
    enum Kind { kLiteral, kConversion, kRevision, kMember, kCluster } kind;
    std::string text;  // the literal, or the conversion letter
  };
  std::string ExpandBase(const NameFields& fields) const;
  bool MatchFrom(size_t piece, size_t pos, const std::string& name,
                 std::vector<std::string>& captures, MatchedName& out) const;
  std::optional<MatchedName> Decode(const std::string& name,
                                    const std::vector<std::string>& captures) const;

  std::string path_, dir_, base_;
  bool is_template_ = false;
  std::vector<std::string> lookalikes_;
  std::vector<Piece> pieces_;
  TimeResolution resolution_ = TimeResolution::kNone;
  bool has_revision_ = false;
};

}  // namespace etcdsnap::snapshot
