#include "etcdsnap/etcd/member.h"

#include <gtest/gtest.h>

#include <map>

namespace etcdsnap::etcd {
namespace {

std::string Norm(const std::string& u) {
  auto r = NormalizePeerUrl(u);
  return r.ok() ? *r : "ERR " + r.status().message();
}

// The vectors measured with etcdctl 3.4.23 (tests/data/README.md).
TEST(MemberTest, DefaultRestoreIds) {
  auto map = ParseInitialCluster("default=http://localhost:2380");
  ASSERT_TRUE(map.ok()) << map.status().message();
  auto c = NewClusterFromUrlsMap("etcd-cluster", *map);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->members.size(), 1u);
  EXPECT_EQ(IdString(c->members[0].id), "8e9e05c52164694d");
  EXPECT_EQ(IdString(c->id), "cdf818194e3a8c32");
}

TEST(MemberTest, ThreeMemberRestoreIds) {
  auto map = ParseInitialCluster(
      "m1=http://10.0.0.1:2380,m2=http://10.0.0.2:2380,m3=http://10.0.0.3:2380");
  ASSERT_TRUE(map.ok()) << map.status().message();
  auto c = NewClusterFromUrlsMap("tok", *map);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->members.size(), 3u);
  EXPECT_EQ(IdString(c->MemberByName("m1")->id), "98521e8c6c48c6da");
  EXPECT_EQ(IdString(c->MemberByName("m2")->id), "61b046c1789d11d8");
  EXPECT_EQ(IdString(c->MemberByName("m3")->id), "7aa181191753809e");
  EXPECT_EQ(IdString(c->id), "8e67f3b977698ab3");
  // Members() order: ascending ID.
  EXPECT_EQ(c->members[0].name, "m2");
  EXPECT_EQ(c->members[1].name, "m3");
  EXPECT_EQ(c->members[2].name, "m1");
  EXPECT_EQ(c->MemberByName("nope"), nullptr);
}

TEST(MemberTest, IdHashesSortedUrlsAndTokenWithoutTime) {
  // Order of the URLs given does not matter: NewMember sorts them.
  Member a = NewMember("x", {"http://b:1", "http://a:1"}, "t");
  Member b = NewMember("x", {"http://a:1", "http://b:1"}, "t");
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.peer_urls, (std::vector<std::string>{"http://a:1", "http://b:1"}));
  EXPECT_NE(a.id, NewMember("x", {"http://a:1", "http://b:1"}, "u").id);
  // The name is not hashed.
  EXPECT_EQ(a.id, NewMember("y", {"http://a:1", "http://b:1"}, "t").id);
}

TEST(MemberTest, ClusterIdSortsIds) {
  EXPECT_EQ(ClusterId({0x98521e8c6c48c6daull, 0x61b046c1789d11d8ull, 0x7aa181191753809eull}),
            0x8e67f3b977698ab3ull);
  EXPECT_EQ(ClusterId({0x8e9e05c52164694dull}), 0xcdf818194e3a8c32ull);
}

TEST(MemberTest, IdStringHasNoLeadingZeros) {
  EXPECT_EQ(IdString(0x0abcull), "abc");
  EXPECT_EQ(IdString(0), "0");
  EXPECT_EQ(IdString(~0ull), "ffffffffffffffff");
}

TEST(MemberTest, MemberJsonIsGoJsonMarshal) {
  Member m;
  m.id = 10276657743932975437ull;
  m.name = "default";
  m.peer_urls = {"http://localhost:2380"};
  // The bytes of the conf-change context in default-restore-wal-head.bin.
  EXPECT_EQ(MemberJson(m),
            R"({"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"name":"default"})");
  EXPECT_EQ(RaftAttributesJson(m), R"({"peerURLs":["http://localhost:2380"]})");
  m.is_learner = true;
  m.client_urls = {"http://c:2379"};
  m.name = "";
  EXPECT_EQ(MemberJson(m),
            R"({"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"isLearner":true,)"
            R"("clientURLs":["http://c:2379"]})");
  EXPECT_EQ(RaftAttributesJson(m), R"({"peerURLs":["http://localhost:2380"],"isLearner":true})");
}

TEST(MemberTest, GoJsonStringEscapes) {
  std::string out;
  AppendGoJsonString(&out, std::string("a\"\\<>&\n\r\t\x01\x7f") + "\xe2\x80\xa8\xc3\xa9\xff");
  // Go: HTML characters as \u00XX, U+2028 escaped, é kept, the invalid byte as \ufffd; DEL kept.
  EXPECT_EQ(out, "\"a\\\"\\\\\\u003c\\u003e\\u0026\\n\\r\\t\\u0001\x7f\\u2028\xc3\xa9\\ufffd\"");
}

// Every expectation here was checked against Go's url.Parse + String() and net.SplitHostPort.
TEST(MemberTest, NormalizesUrlsAsGoPrintsThem) {
  const std::pair<const char*, const char*> cases[] = {
      {"http://localhost:2380", "http://localhost:2380"},
      {"  HTTP://Host:2380 \n", "http://Host:2380"},                   // scheme lowered, host kept
      {"\xc2\xa0\u3000http://h:1\xc2\x85\xe2\x80\xa8", "http://h:1"},  // Unicode spaces trimmed
      {"http://h:1\xa0",
       "ERR cannot parse URL \"http://h:1\xa0\": invalid port \":1\xa0\" after host"},
      {"https://[::1]:2380", "https://[::1]:2380"},
      {"http://[fe80::1%25eth0]:2380", "http://[fe80::1%25eth0]:2380"},
      {"http://[fe80::1%25en%30]:1", "http://[fe80::1%25en0]:1"},
      {"unix://sock:0", "unix://sock:0"},
      {"unixs://sock:1", "unixs://sock:1"},
      {"http://h:", "http://h:"},  // SplitHostPort accepts an empty port
      {"http://h:1?a=b", "http://h:1?a=b"},
      {"http://h:1?", "http://h:1?"},
      {"http://h:1#frag", "http://h:1#frag"},
      {"http://h:1#a%20b", "http://h:1#a%20b"},
      {"http://h:1#a b", "http://h:1#a%20b"},
      {"http://h:1#a%2fb", "http://h:1#a%2fb"},
      {"http://h:1#!x(y)", "http://h:1#!x(y)"},
      {"http://u!:p%41@h:1", "http://u%21:pA@h:1"},
      {"http://h\xc3\xa9:1", "http://h%C3%A9:1"},
      {"http://h%C3%A9:1", "http://h%C3%A9:1"},
      // Refusals, with etcd's words (url.Parse's own after "cannot parse URL").
      {"localhost:2380", "ERR URL scheme must be http, https, unix, or unixs: localhost:2380"},
      {"ftp://h:1", "ERR URL scheme must be http, https, unix, or unixs: ftp://h:1"},
      {"", "ERR URL scheme must be http, https, unix, or unixs: "},
      {"http://h", "ERR URL address does not have the form \"host:port\": http://h"},
      {"http:h:1", "ERR URL address does not have the form \"host:port\": http:h:1"},
      {"http://h/x", "ERR URL address does not have the form \"host:port\": http://h/x"},
      {"http://h:1/", "ERR URL must not contain a path: http://h:1/"},
      // url.Parse takes these (the port is what follows the last colon); SplitHostPort does not.
      {"http://a:b:1", "ERR URL address does not have the form \"host:port\": http://a:b:1"},
      {"http://::1:2380", "ERR URL address does not have the form \"host:port\": http://::1:2380"},
      {"http://h:1x", "ERR cannot parse URL \"http://h:1x\": invalid port \":1x\" after host"},
      {"://h:1", "ERR cannot parse URL \"://h:1\": missing protocol scheme"},
      {"http://h\x01:1",
       "ERR cannot parse URL \"http://h\x01:1\": invalid control character in URL"},
      {"http://h{:1", "ERR cannot parse URL \"http://h{:1\": invalid character '{' in host name"},
      {"http://h%41:1",
       "ERR cannot parse URL \"http://h%41:1\": invalid URL escape \"%41\" in host"},
      {"http://[::1:1", "ERR cannot parse URL \"http://[::1:1\": missing ']' in host"},
      {"http://a b@h:1", "ERR cannot parse URL \"http://a b@h:1\": invalid userinfo"},
      {"http://h:1#%zz", "ERR cannot parse URL \"http://h:1#%zz\": invalid URL escape \"%zz\""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(Norm(in), want) << in;
}

TEST(MemberTest, ParsesInitialClusterWithRepeatedNames) {
  auto m = ParseInitialCluster("a=http://h2:1,,b=http://h3:1,a=http://h1:1,");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->size(), 2u);
  EXPECT_EQ(m->at("a"), (std::vector<std::string>{"http://h1:1", "http://h2:1"}));
  EXPECT_EQ(m->at("b"), (std::vector<std::string>{"http://h3:1"}));
  // Two URLs for one member: the ID hashes both, sorted.
  auto c = NewClusterFromUrlsMap("t", *m);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->MemberByName("a")->id, NewMember("a", {"http://h1:1", "http://h2:1"}, "t").id);
}

TEST(MemberTest, RefusesMalformedInitialCluster) {
  auto no_url = ParseInitialCluster("a");
  ASSERT_FALSE(no_url.ok());
  EXPECT_EQ(no_url.status().message(),
            "member \"a\": URL scheme must be http, https, unix, or unixs: ");
  auto path = ParseInitialCluster("a=http://h:1,b=http://h:2/p");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().message(), "member \"b\": URL must not contain a path: http://h:2/p");
  EXPECT_EQ(path.status().code(), Code::kInvalidArgument);
  auto empty = ParseInitialCluster("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// A resolver that knows a few names, as /etc/hosts would.
Result<std::string> FakeResolve(const std::string& host) {
  static const std::map<std::string, std::string> known = {
      {"h1", "10.0.0.1"}, {"h2", "10.0.0.2"}, {"h9", "10.0.0.9"}, {"node1", "10.0.0.1"},
      {"v6node", "fd00::1"}};
  auto it = known.find(host);
  if (it == known.end()) return Status::NotFound("lookup " + host + ": no such host");
  return it->second;
}

TEST(MemberTest, VerifyBootstrapAsEtcd) {
  auto m = ParseInitialCluster("a=http://h1:1,b=http://h2:1");
  ASSERT_TRUE(m.ok());
  auto VerifyBootstrap = [](const UrlsMap& c, const std::string& n,
                            const std::vector<std::string>& urls) {
    return etcd::VerifyBootstrap(c, n, urls, FakeResolve);
  };
  EXPECT_TRUE(VerifyBootstrap(*m, "a", {"http://h1:1"}).ok());
  EXPECT_EQ(VerifyBootstrap(*m, "c", {"http://h1:1"}).message(),
            "couldn't find local name \"c\" in the initial cluster configuration");
  EXPECT_EQ(VerifyBootstrap(*m, "a", {"http://h9:1"}).message(),
            "--initial-cluster has a=http://h1:1 but missing from "
            "--initial-advertise-peer-urls=http://h9:1 (resolved urls: \"http://10.0.0.9:1\" != "
            "\"http://10.0.0.1:1\")");
  EXPECT_EQ(VerifyBootstrap(*m, "a", {"http://h1:1", "http://h9:1"}).message(),
            "--initial-advertise-peer-urls has http://h9:1 but missing from "
            "--initial-cluster=a=http://h1:1,a=http://h9:1");
  auto dup = ParseInitialCluster("a=http://h1:1,b=http://h1:1");
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(VerifyBootstrap(*dup, "a", {"http://h1:1"}).message(),
            "initial cluster a=http://h1:1,b=http://h1:1 has duplicate url");
  // A name with no URL after "=": an empty name is still a name.
  auto noname = ParseInitialCluster("=http://h1:1");
  ASSERT_TRUE(noname.ok());
  EXPECT_TRUE(VerifyBootstrap(*noname, "", {"http://h1:1"}).ok());
  // Names resolved as etcd's netutil.URLStringsEqual does: a host name and its address match;
  // "localhost" and IP addresses are compared as written.
  auto named = ParseInitialCluster("a=http://node1:2380");
  ASSERT_TRUE(named.ok());
  EXPECT_TRUE(VerifyBootstrap(*named, "a", {"http://10.0.0.1:2380"}).ok());
  EXPECT_EQ(VerifyBootstrap(*named, "a", {"http://nowhere:2380"}).message(),
            "--initial-cluster has a=http://node1:2380 but missing from "
            "--initial-advertise-peer-urls=http://nowhere:2380 (failed to resolve "
            "\"http://nowhere:2380\" (lookup nowhere: no such host))");
  auto local = ParseInitialCluster("default=http://localhost:2380");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(VerifyBootstrap(*local, "default", {"http://127.0.0.1:2380"}).message(),
            "--initial-cluster has default=http://localhost:2380 but missing from "
            "--initial-advertise-peer-urls=http://127.0.0.1:2380 (resolved urls: "
            "\"http://127.0.0.1:2380\" != \"http://localhost:2380\")");
  auto v6 = ParseInitialCluster("a=https://v6node:2380");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(VerifyBootstrap(*v6, "a", {"https://[fd00::1]:2380"}).ok());
}

TEST(MemberTest, RefusesIdenticalMemberIds) {
  // Two names with the same URLs hash to the same ID.
  UrlsMap m{{"a", {"http://h:1"}}, {"b", {"http://h:1"}}};
  auto c = NewClusterFromUrlsMap("t", m);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("member exists with identical ID"), std::string::npos);
}

}  // namespace
}  // namespace etcdsnap::etcd
