#include "etcdsnap/client/endpoint.h"

#include <gtest/gtest.h>

namespace etcdsnap::client {
namespace {

TEST(ParseEndpointTest, SchemeDecidesTls) {
  auto https = ParseEndpoint("https://127.0.0.1:2379", false);
  ASSERT_TRUE(https.ok());
  EXPECT_TRUE(https->tls);
  EXPECT_EQ(https->target, "127.0.0.1:2379");

  auto http = ParseEndpoint("http://127.0.0.1:2379", true);
  ASSERT_TRUE(http.ok());
  EXPECT_FALSE(http->tls);
}

TEST(ParseEndpointTest, SchemeIsCaseInsensitive) {
  auto https = ParseEndpoint("HTTPS://127.0.0.1:2379", false);
  ASSERT_TRUE(https.ok()) << https.status().message();
  EXPECT_TRUE(https->tls);
  EXPECT_EQ(https->target, "127.0.0.1:2379");
  EXPECT_EQ(https->original, "HTTPS://127.0.0.1:2379");
  auto http = ParseEndpoint("Http://127.0.0.1:2379", true);
  ASSERT_TRUE(http.ok()) << http.status().message();
  EXPECT_FALSE(http->tls);
}

TEST(ParseEndpointTest, BareHostPortUsesTlsIffConfigured) {
  EXPECT_TRUE(ParseEndpoint("localhost:2379", true)->tls);
  EXPECT_FALSE(ParseEndpoint("localhost:2379", false)->tls);
  EXPECT_EQ(ParseEndpoint(" 10.0.0.1:2379 ", false)->target, "10.0.0.1:2379");
}

TEST(ParseEndpointTest, UnixSockets) {
  auto u = ParseEndpoint("unix:///run/etcd.sock", false);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "unix:/run/etcd.sock");
  EXPECT_TRUE(ParseEndpoint("unixs:///run/etcd.sock", false)->tls);
}

TEST(ParseEndpointTest, IPv6) {
  auto r = ParseEndpoint("https://[::1]:2379", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->target, "[::1]:2379");
}

TEST(ParseEndpointTest, RejectsMalformed) {
  for (const char* bad : {"", "127.0.0.1", "ftp://a:1", "http://a:99999", "http://a:1/path",
                          ":2379", "http://a:x"}) {
    auto r = ParseEndpoint(bad, false);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace etcdsnap::client
