// The use cases (snapshot/, cli/) include the client's headers; gRPC stays behind them. Each
// gRPC header defines an include guard macro: none may be defined after including ours.
#include "etcdsnap/client/client.h"
#include "etcdsnap/client/endpoint.h"
#include "etcdsnap/client/tls.h"
#include "etcdsnap/snapshot/save.h"

#include <gtest/gtest.h>

namespace {

TEST(ClientHeadersTest, PullInNoGrpcHeader) {
#if defined(GRPCPP_SECURITY_CREDENTIALS_H) || defined(GRPCPP_GRPCPP_H) || \
    defined(GRPCPP_CHANNEL_H) || defined(GRPCPP_CLIENT_CONTEXT_H) || defined(GRPC_GRPC_H)
  ADD_FAILURE() << "a client header includes gRPC";
#endif
}

}  // namespace
