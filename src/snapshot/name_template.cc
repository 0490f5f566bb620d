#include "etcdsnap/snapshot/name_template.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>

namespace etcdsnap::snapshot {
namespace {

// The strftime conversions a template may use: each one can be read back from a name. %F, %T
// and %R are shorthands (split into their parts when parsed); %Z and %z are constant in UTC.
constexpr std::string_view kConversions = "YymdjHMSsFTRZzba";
constexpr const char* kFieldList =
    "%Y %y %m %d %j %H %M %S %s %F %T %R %Z %z %b %a, {revision}, {member}, {cluster}";
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

bool IsPlaceholder(std::string_view name) {
  return name == "revision" || name == "member" || name == "cluster";
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Counts the fields in `s` and, for a plain name, lists what only looks like one.
int CountFields(std::string_view s, std::vector<std::string>* lookalikes) {
  int n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 1 < s.size()) {
      const char c = s[i + 1];
      if (c == '%') {
        ++i;
      } else if (kConversions.find(c) != std::string_view::npos) {
        ++n;
        ++i;
      } else if (lookalikes != nullptr && IsWordChar(c)) {
        lookalikes->push_back(std::string(s.substr(i, 2)));
      }
    } else if (s[i] == '{') {
      if (i + 1 < s.size() && s[i + 1] == '{') {
        ++i;
        continue;
      }
      const size_t close = s.find('}', i);
      if (close == std::string_view::npos) continue;
      const std::string_view name = s.substr(i + 1, close - i - 1);
      if (IsPlaceholder(name)) {
        ++n;
      } else if (lookalikes != nullptr && !name.empty() &&
                 std::all_of(name.begin(), name.end(), IsWordChar)) {
        lookalikes->push_back(std::string(s.substr(i, close - i + 1)));
      }
      i = close;
    }
  }
  return n;
}

Status NotAField(const std::string& what, const std::string& path, const std::string& fix) {
  return Status::InvalidArgument(what + " in " + path + " is not a name template field (fields: " +
                                 kFieldList + "); " + fix);
}

bool Digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool LowerHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

template <typename T>
bool ParseNumber(std::string_view s, T* out, int base = 10) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && end == s.data() + s.size();
}

// The fixed width of a conversion's text, 0 when it varies (%s).
size_t Width(char c) {
  switch (c) {
    case 'Y': return 4;
    case 'j': return 3;
    case 's': return 0;
    case 'b':
    case 'a': return 3;
    default: return 2;
  }
}

}  // namespace

Result<NameTemplate> NameTemplate::Parse(const std::string& path) {
  NameTemplate t;
  t.path_ = path;
  const size_t slash = path.find_last_of('/');
  t.dir_ = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  t.base_ = slash == std::string::npos ? path : path.substr(slash + 1);
  if (slash != std::string::npos && CountFields(path.substr(0, slash), nullptr) > 0) {
    return Status::InvalidArgument(
        "the directory of " + path + " has a name template field: fields are allowed in the "
        "file name only (the file is written beside its final name and renamed onto it); "
        "make the directory first and give its plain path");
  }
  if (CountFields(t.base_, &t.lookalikes_) == 0) {
    t.pieces_.push_back({Piece::kLiteral, t.base_});
    return t;
  }
  t.is_template_ = true;
  t.lookalikes_.clear();
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) t.pieces_.push_back({Piece::kLiteral, std::move(literal)});
    literal.clear();
  };
  auto conversion = [&](char c) {
    flush();
    t.pieces_.push_back({Piece::kConversion, std::string(1, c)});
  };
  const std::string& b = t.base_;
  for (size_t i = 0; i < b.size(); ++i) {
    const char c = b[i];
    if (c == '%') {
      if (i + 1 == b.size()) {
        return NotAField("a lone % at the end", path, "write %% for a literal %");
      }
      const char f = b[++i];
      if (f == '%') {
        literal += '%';
      } else if (f == 'F' || f == 'T' || f == 'R') {  // %Y-%m-%d, %H:%M:%S, %H:%M
        const std::string_view parts = f == 'F' ? "Y-m-d" : f == 'T' ? "H:M:S" : "H:M";
        for (size_t k = 0; k < parts.size(); k += 2) {
          if (k > 0) literal += parts[k - 1];
          conversion(parts[k]);
        }
      } else if (f == 'Z') {
        literal += "UTC";  // names are made in UTC
      } else if (f == 'z') {
        literal += "+0000";
      } else if (kConversions.find(f) != std::string_view::npos) {
        conversion(f);
      } else {
        return NotAField(std::string("%") + f, path, "write %% for a literal %");
      }
    } else if (c == '{') {
      if (i + 1 < b.size() && b[i + 1] == '{') {
        literal += '{';
        ++i;
        continue;
      }
      const size_t close = b.find('}', i);
      if (close == std::string::npos) {
        return NotAField("a lone {", path, "write {{ for a literal {");
      }
      const std::string name = b.substr(i + 1, close - i - 1);
      if (!IsPlaceholder(name)) {
        return NotAField("{" + name + "}", path, "write {{ and }} for literal braces");
      }
      flush();
      t.pieces_.push_back({name == "revision" ? Piece::kRevision
                           : name == "member" ? Piece::kMember
                                              : Piece::kCluster,
                           ""});
      i = close;
    } else if (c == '}') {
      if (i + 1 < b.size() && b[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      return NotAField("a lone }", path, "write }} for a literal }");
    } else {
      literal += c;
    }
  }
  flush();
  const Piece& last = t.pieces_.back();
  for (const char* suffix : {".part", ".json"}) {
    if (last.kind == Piece::kLiteral && last.text.size() >= std::strlen(suffix) &&
        last.text.compare(last.text.size() - std::strlen(suffix), std::string::npos, suffix) == 0) {
      return Status::InvalidArgument(
          "the name template " + path + " ends in " + suffix + ", which names the save's own " +
          (std::string(suffix) == ".part" ? "temporary files" : "manifests") +
          "; end it otherwise (e.g. .db)");
    }
  }
  // How finely the names tell the time.
  auto has = [&](char c) {
    return std::any_of(t.pieces_.begin(), t.pieces_.end(), [c](const Piece& p) {
      return p.kind == Piece::kConversion && p.text[0] == c;
    });
  };
  t.has_revision_ = std::any_of(t.pieces_.begin(), t.pieces_.end(),
                                [](const Piece& p) { return p.kind == Piece::kRevision; });
  const bool month = has('m') || has('b') || has('j');
  const bool day = (has('m') || has('b')) ? has('d') : has('j');
  if (has('s')) {
    t.resolution_ = TimeResolution::kSecond;
  } else if (!has('Y') && !has('y')) {
    t.resolution_ = TimeResolution::kNone;
  } else if (!month) {
    t.resolution_ = TimeResolution::kYear;
  } else if (!day) {
    t.resolution_ = TimeResolution::kMonth;
  } else if (!has('H')) {
    t.resolution_ = TimeResolution::kDay;
  } else if (!has('M')) {
    t.resolution_ = TimeResolution::kHour;
  } else if (!has('S')) {
    t.resolution_ = TimeResolution::kMinute;
  } else {
    t.resolution_ = TimeResolution::kSecond;
  }
  return t;
}

std::string NameTemplate::ExpandBase(const NameFields& f) const {
  const time_t secs = static_cast<time_t>(f.time.time_since_epoch().count());
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  std::string out;
  for (const Piece& p : pieces_) {
    switch (p.kind) {
      case Piece::kLiteral:
        out += p.text;
        break;
      case Piece::kRevision:
        out += std::to_string(f.revision);
        break;
      case Piece::kMember:  // as etcd prints IDs: lowercase hex, no padding
        out += fmt::format("{:x}", f.member_id);
        break;
      case Piece::kCluster:
        out += fmt::format("{:x}", f.cluster_id);
        break;
      case Piece::kConversion:
        switch (p.text[0]) {
          case 'Y': out += fmt::format("{:04d}", tm.tm_year + 1900); break;
          case 'y': out += fmt::format("{:02d}", (tm.tm_year + 1900) % 100); break;
          case 'm': out += fmt::format("{:02d}", tm.tm_mon + 1); break;
          case 'd': out += fmt::format("{:02d}", tm.tm_mday); break;
          case 'j': out += fmt::format("{:03d}", tm.tm_yday + 1); break;
          case 'H': out += fmt::format("{:02d}", tm.tm_hour); break;
          case 'M': out += fmt::format("{:02d}", tm.tm_min); break;
          case 'S': out += fmt::format("{:02d}", tm.tm_sec); break;
          case 's': out += std::to_string(static_cast<long long>(secs)); break;
          case 'b': out += kMonths[tm.tm_mon]; break;
          case 'a': out += kWeekdays[tm.tm_wday]; break;
        }
        break;
    }
  }
  return out;
}

std::string NameTemplate::Expand(const NameFields& fields) const {
  if (!is_template_) return path_;
  const std::string base = ExpandBase(fields);
  const size_t slash = path_.find_last_of('/');
  return slash == std::string::npos ? base : path_.substr(0, slash + 1) + base;
}

std::optional<MatchedName> NameTemplate::Match(const std::string& name) const {
  if (!is_template_) return std::nullopt;
  std::vector<std::string> captures;
  MatchedName out;
  if (!MatchFrom(0, 0, name, captures, out)) return std::nullopt;
  return out;
}

// Backtracking over the pieces: fixed-width fields take their width, variable ones (%s and the
// placeholders) every length from the longest down, so that `{revision}{member}` finds the
// split that reads back, if there is one.
bool NameTemplate::MatchFrom(size_t piece, size_t pos, const std::string& name,
                             std::vector<std::string>& captures, MatchedName& out) const {
  if (piece == pieces_.size()) {
    if (pos != name.size()) return false;
    auto decoded = Decode(name, captures);
    if (!decoded) return false;
    out = std::move(*decoded);
    return true;
  }
  const Piece& p = pieces_[piece];
  const std::string_view rest = std::string_view(name).substr(pos);
  if (p.kind == Piece::kLiteral) {
    return rest.substr(0, p.text.size()) == p.text &&
           MatchFrom(piece + 1, pos + p.text.size(), name, captures, out);
  }
  size_t min_len = 1, max_len = 0;
  bool (*valid)(std::string_view) = Digits;
  if (p.kind == Piece::kMember || p.kind == Piece::kCluster) {
    max_len = 16;
    valid = LowerHex;
  } else if (p.kind == Piece::kRevision || p.text[0] == 's') {
    max_len = 19;
  } else {
    min_len = max_len = Width(p.text[0]);
    if (p.text[0] == 'a' || p.text[0] == 'b') {
      valid = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
      };
    }
  }
  for (size_t len = std::min(max_len, rest.size()); len >= min_len && len > 0; --len) {
    const std::string_view text = rest.substr(0, len);
    if (!valid(text)) continue;
    captures.emplace_back(text);
    if (MatchFrom(piece + 1, pos + len, name, captures, out)) return true;
    captures.pop_back();
  }
  return false;
}

std::optional<MatchedName> NameTemplate::Decode(const std::string& name,
                                                const std::vector<std::string>& captures) const {
  MatchedName m;
  int year = 1970, month = 1, mday = 1, yday = 0, hour = 0, minute = 0, second = 0;
  bool have_epoch = false, have_month = false;
  long long epoch = 0;
  std::string cluster, member;
  size_t c = 0;
  for (const Piece& p : pieces_) {
    if (p.kind == Piece::kLiteral) continue;
    const std::string& v = captures[c++];
    int n = 0;
    switch (p.kind) {
      case Piece::kRevision:
        if (!ParseNumber(v, &m.fields.revision)) return std::nullopt;
        break;
      case Piece::kMember:
        if (!ParseNumber(v, &m.fields.member_id, 16)) return std::nullopt;
        member = v;
        break;
      case Piece::kCluster:
        if (!ParseNumber(v, &m.fields.cluster_id, 16)) return std::nullopt;
        cluster = v;
        break;
      default: {
        const char f = p.text[0];
        if (f == 'b') {
          const auto* it = std::find_if(std::begin(kMonths), std::end(kMonths),
                                        [&](const char* s) { return v == s; });
          if (it == std::end(kMonths)) return std::nullopt;
          month = static_cast<int>(it - std::begin(kMonths)) + 1;
          have_month = true;
          break;
        }
        if (f == 'a') break;  // the weekday follows from the date: the round trip checks it
        if (f == 's') {
          if (!ParseNumber(v, &epoch)) return std::nullopt;
          have_epoch = true;
          break;
        }
        if (!ParseNumber(v, &n)) return std::nullopt;
        switch (f) {
          case 'Y': year = n; break;
          case 'y': year = n < 69 ? 2000 + n : 1900 + n; break;  // POSIX strptime's rule
          case 'm': month = n, have_month = true; break;
          case 'd': mday = n; break;
          case 'j': yday = n; break;
          case 'H': hour = n; break;
          case 'M': minute = n; break;
          case 'S': second = n; break;
        }
      }
    }
  }
  if (have_epoch) {
    m.fields.time = std::chrono::sys_seconds(std::chrono::seconds(epoch));
  } else {
    std::tm tm{};
    tm.tm_year = year - 1900;
    // A day of the year without a month counts from 1 January (timegm normalizes the day).
    tm.tm_mon = have_month || yday == 0 ? month - 1 : 0;
    tm.tm_mday = have_month || yday == 0 ? mday : yday;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    m.fields.time = std::chrono::sys_seconds(std::chrono::seconds(::timegm(&tm)));
  }
  // The proof that the template made it: the values give the same name back. This refuses
  // month 13, 30 February, a leading zero on a revision, upper-case hex, a wrong weekday.
  if (ExpandBase(m.fields) != name) return std::nullopt;
  if (!cluster.empty()) m.series += "cluster=" + cluster;
  if (!member.empty()) m.series += std::string(m.series.empty() ? "" : " ") + "member=" + member;
  return m;
}

}  // namespace etcdsnap::snapshot
