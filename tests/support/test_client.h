// EtcdTestClient: a small synchronous gRPC client the tests use to prepare a server (write keys,
// leases, compaction, auth users) independently of the code under test. Every call has a
// deadline. Thread-compatible: the token is set once before concurrent use.
#ifndef ETCDSNAP_TESTS_SUPPORT_TEST_CLIENT_H_
#define ETCDSNAP_TESTS_SUPPORT_TEST_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "pki.h"
#include "rpc.grpc.pb.h"

namespace etcdsnap::testing {

// A channel to `endpoint` ("127.0.0.1:port"): mutual TLS with pki's ca and client cert when
// `pki` is given, plaintext otherwise.
std::shared_ptr<grpc::Channel> MakeTestChannel(const std::string& endpoint, const Pki* pki);

class EtcdTestClient {
 public:
  EtcdTestClient(const std::string& endpoint, const Pki* pki);

  grpc::Status Put(const std::string& key, const std::string& value, int64_t lease = 0);
  grpc::Status Delete(const std::string& key);
  grpc::Status Get(const std::string& key, std::string* value);
  grpc::Status Compact(int64_t revision);
  grpc::Status LeaseGrant(int64_t ttl_seconds, int64_t* id);
  grpc::Status MemberStatus(etcdserverpb::StatusResponse* out);
  // The store's current revision (from a Range header).
  grpc::Status Revision(int64_t* revision);

  // Creates role+user "root" with `root_password`, a non-root user `user` holding a read-only
  // role on every key, then enables auth. Afterwards calls need Authenticate().
  grpc::Status EnableAuth(const std::string& root_password, const std::string& user,
                          const std::string& user_password);
  // Gets a token and sends it as metadata `token` on every later call.
  grpc::Status Authenticate(const std::string& name, const std::string& password);

  // Writes about `total_bytes` of values of `value_size` bytes under "fill/" from `threads`
  // concurrent writers. The server needs --max-request-bytes above value_size.
  grpc::Status Fill(int64_t total_bytes, int value_size, int threads = 4);

 private:
  std::unique_ptr<grpc::ClientContext> Context(
      std::chrono::seconds timeout = std::chrono::seconds(15)) const;

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance_;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth_;
  std::string token_;
};

}  // namespace etcdsnap::testing

#endif  // ETCDSNAP_TESTS_SUPPORT_TEST_CLIENT_H_
