#include "etcdsnap/snapshot/name_template.h"

#include <gtest/gtest.h>
#include <time.h>

#include <cstdlib>

namespace etcdsnap::snapshot {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

NameFields At(sys_days day, std::chrono::seconds time_of_day, int64_t revision = 0,
              uint64_t member = 0, uint64_t cluster = 0) {
  return {std::chrono::sys_seconds(day + time_of_day), revision, member, cluster};
}

NameTemplate MustParse(const std::string& path) {
  auto t = NameTemplate::Parse(path);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? *t : *NameTemplate::Parse("unused");
}

const auto kDay = sys_days(std::chrono::year(2026) / 3 / 7);  // a Saturday

// Names are UTC whatever the local zone: these tests run 5h30 east of it (a POSIX TZ string,
// so no tzdata is needed), where a local-time expansion would show.
class LocalZone : public ::testing::Environment {
 public:
  void SetUp() override {
    ::setenv("TZ", "IST-5:30", 1);
    ::tzset();
  }
};
const auto* const kLocalZone = ::testing::AddGlobalTestEnvironment(new LocalZone);

TEST(NameTemplateTest, ExpandsStrftimeFieldsInUtcAndPlaceholdersAsEtcdPrintsIds) {
  const NameTemplate t =
      MustParse("/var/backups/etcd-%Y%m%dT%H%M%SZ-{revision}-{member}-{cluster}.db");
  EXPECT_TRUE(t.is_template());
  EXPECT_EQ(t.directory(), "/var/backups");
  EXPECT_EQ(t.Expand(At(kDay, 1h + 2min + 3s, 1234, 0x8e9e05c52164694d, 0xcdf818194e3a8c32)),
            "/var/backups/etcd-20260307T010203Z-1234-8e9e05c52164694d-cdf818194e3a8c32.db");
}

TEST(NameTemplateTest, ShorthandsAndNamesExpandAsStrftimeInTheCLocale) {
  const NameTemplate t = MustParse("b/%F_%T_%R_%j_%y_%b_%a_%Z_%z_%s");
  EXPECT_EQ(t.Expand(At(kDay, 23h + 59min + 58s)),
            "b/2026-03-07_23:59:58_23:59_066_26_Mar_Sat_UTC_+0000_1772927998");
}

TEST(NameTemplateTest, EscapesAreLiteral) {
  const NameTemplate t = MustParse("100%%-{{x}}-{revision}.db");
  EXPECT_EQ(t.Expand(At(kDay, 0s, 7)), "100%-{x}-7.db");
  auto m = t.Match("100%-{x}-7.db");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->fields.revision, 7);
}

// etcdctl takes every name literally: a name without a field must stay exactly as given.
TEST(NameTemplateTest, NameWithoutFieldsIsPlainAndLiteral) {
  for (const std::string plain : {"/b/etcd.db", "50%.db", "a%%b.db", "x{{y}}.db", "{revison}.db",
                                  "etcd-%Q.db", "a}b{c"}) {
    const NameTemplate t = MustParse(plain);
    EXPECT_FALSE(t.is_template()) << plain;
    EXPECT_EQ(t.Expand(At(kDay, 0s, 5)), plain);
    EXPECT_FALSE(t.Match(plain)) << plain;
  }
  EXPECT_EQ(MustParse("{revison}-%Q.db").lookalikes(),
            (std::vector<std::string>{"{revison}", "%Q"}));
  EXPECT_TRUE(MustParse("/b/etcd.db").lookalikes().empty());
}

TEST(NameTemplateTest, MistakesInATemplateAreErrorsNamingTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {"etcd-%Y-%Q.db", "%Q in etcd-%Y-%Q.db is not a name template field"},
      {"etcd-%Y-{revison}.db", "{revison} in etcd-%Y-{revison}.db is not a name template field"},
      {"etcd-%Y-{revision", "a lone { in"},
      {"etcd-%Y}.db", "a lone } in"},
      {"etcd-%Y%", "a lone % at the end"},
      {"/b/%Y/etcd.db", "the directory of /b/%Y/etcd.db has a name template field"},
      {"etcd-%Y.db.part", "ends in .part"},
      {"etcd-%Y.json", "ends in .json"},
  };
  for (const auto& [path, message] : cases) {
    auto t = NameTemplate::Parse(path);
    ASSERT_FALSE(t.ok()) << path;
    EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
    EXPECT_NE(t.status().message().find(message), std::string::npos) << t.status().message();
  }
}

TEST(NameTemplateTest, MatchReadsBackWhatExpandMade) {
  const NameTemplate t = MustParse("/d/etcd-{cluster}-%Y%m%dT%H%M%SZ-{revision}.db");
  const NameFields f = At(kDay, 13h + 14min + 15s, 99, 0, 0xabc);
  const std::string name = t.Expand(f).substr(3);
  auto m = t.Match(name);
  ASSERT_TRUE(m) << name;
  EXPECT_EQ(m->fields.time, f.time);
  EXPECT_EQ(m->fields.revision, 99);
  EXPECT_EQ(m->fields.cluster_id, 0xabcu);
  EXPECT_EQ(m->series, "cluster=abc");
}

TEST(NameTemplateTest, MatchRefusesNamesTheTemplateCouldNotHaveMade) {
  const NameTemplate t = MustParse("etcd-%Y%m%dT%H%M%SZ.db");
  EXPECT_TRUE(t.Match("etcd-20260307T010203Z.db"));
  for (const std::string other :
       {"etcd-notmine.db", "etcd-20260307T010203Z.db.part", "etcd-20260307T010203Z.db.json",
        "etcd-20261307T010203Z.db",  // month 13
        "etcd-20260230T010203Z.db",  // 30 February
        "etcd-20260307T250203Z.db",  // hour 25
        "etcd-2026037T010203Z.db", "xetcd-20260307T010203Z.db", "etcd-20260307T010203Z.db~",
        "etcd-2026-03-07T010203Z.db"}) {
    EXPECT_FALSE(t.Match(other)) << other;
  }
  const NameTemplate r = MustParse("etcd-{revision}-{member}.db");
  EXPECT_TRUE(r.Match("etcd-12-ab.db"));
  EXPECT_FALSE(r.Match("etcd-012-ab.db"));  // etcdsnap never pads a revision
  EXPECT_FALSE(r.Match("etcd-12-AB.db"));   // nor prints IDs in upper case
  EXPECT_FALSE(MustParse("%Y-%a.db").Match("2026-Sun.db"));  // the weekday must fit the date
}

// {revision}{member}: the split that reads back is found, whichever it is.
TEST(NameTemplateTest, AdjacentVariableFieldsFindTheSplitThatReadsBack) {
  const NameTemplate t = MustParse("{revision}{member}");
  auto m = t.Match("123f");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->fields.revision, 123);
  EXPECT_EQ(m->fields.member_id, 0xfu);
}

TEST(NameTemplateTest, ResolutionIsTheFinestUnitWithEveryCoarserOne) {
  const std::pair<std::string, TimeResolution> cases[] = {
      {"e-{revision}", TimeResolution::kNone},    {"e-%m%d", TimeResolution::kNone},
      {"e-%Y", TimeResolution::kYear},            {"e-%Y%m", TimeResolution::kMonth},
      {"e-%F", TimeResolution::kDay},             {"e-%Y%j", TimeResolution::kDay},
      {"e-%Y%m%d%H", TimeResolution::kHour},      {"e-%F%R", TimeResolution::kMinute},
      {"e-%FT%TZ", TimeResolution::kSecond},      {"e-%s", TimeResolution::kSecond},
      {"e-%Y%m%H%M%S", TimeResolution::kMonth},
  };
  for (const auto& [path, want] : cases) EXPECT_EQ(MustParse(path).resolution(), want) << path;
}

TEST(NameTemplateTest, DayOfYearAndTwoDigitYearsReadBack) {
  const NameTemplate t = MustParse("e-%y%j.db");
  auto m = t.Match("e-26066.db");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->fields.time, std::chrono::sys_seconds(kDay));
}

}  // namespace
}  // namespace etcdsnap::snapshot
