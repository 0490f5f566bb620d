#include "test_client.h"

#include <atomic>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace etcdsnap::testing {

using etcdserverpb::Permission;

std::shared_ptr<grpc::Channel> MakeTestChannel(const std::string& endpoint, const Pki* pki) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  if (pki == nullptr) {
    return grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFileOrEmpty(pki->ca.cert);
  ssl.pem_cert_chain = ReadFileOrEmpty(pki->client.cert);
  ssl.pem_private_key = ReadFileOrEmpty(pki->client.key);
  return grpc::CreateCustomChannel(endpoint, grpc::SslCredentials(ssl), args);
}

EtcdTestClient::EtcdTestClient(const std::string& endpoint, const Pki* pki)
    : channel_(MakeTestChannel(endpoint, pki)),
      kv_(etcdserverpb::KV::NewStub(channel_)),
      lease_(etcdserverpb::Lease::NewStub(channel_)),
      maintenance_(etcdserverpb::Maintenance::NewStub(channel_)),
      auth_(etcdserverpb::Auth::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> EtcdTestClient::Context(std::chrono::seconds timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!token_.empty()) ctx->AddMetadata("token", token_);
  return ctx;
}

grpc::Status EtcdTestClient::Put(const std::string& key, const std::string& value,
                                 int64_t lease) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  req.set_lease(lease);
  etcdserverpb::PutResponse resp;
  return kv_->Put(Context().get(), req, &resp);
}

grpc::Status EtcdTestClient::Delete(const std::string& key) {
  etcdserverpb::DeleteRangeRequest req;
  req.set_key(key);
  etcdserverpb::DeleteRangeResponse resp;
  return kv_->DeleteRange(Context().get(), req, &resp);
}

grpc::Status EtcdTestClient::Get(const std::string& key, std::string* value) {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  etcdserverpb::RangeResponse resp;
  grpc::Status s = kv_->Range(Context().get(), req, &resp);
  if (s.ok()) *value = resp.kvs_size() > 0 ? resp.kvs(0).value() : "";
  return s;
}

grpc::Status EtcdTestClient::Revision(int64_t* revision) {
  etcdserverpb::RangeRequest req;
  req.set_key("etcdsnap-test-revision-probe");
  etcdserverpb::RangeResponse resp;
  grpc::Status s = kv_->Range(Context().get(), req, &resp);
  if (s.ok()) *revision = resp.header().revision();
  return s;
}

grpc::Status EtcdTestClient::Compact(int64_t revision) {
  etcdserverpb::CompactionRequest req;
  req.set_revision(revision);
  req.set_physical(true);
  etcdserverpb::CompactionResponse resp;
  return kv_->Compact(Context().get(), req, &resp);
}

grpc::Status EtcdTestClient::LeaseGrant(int64_t ttl_seconds, int64_t* id) {
  etcdserverpb::LeaseGrantRequest req;
  req.set_ttl(ttl_seconds);
  etcdserverpb::LeaseGrantResponse resp;
  grpc::Status s = lease_->LeaseGrant(Context().get(), req, &resp);
  if (s.ok()) *id = resp.id();
  return s;
}

grpc::Status EtcdTestClient::MemberStatus(etcdserverpb::StatusResponse* out) {
  return maintenance_->Status(Context(std::chrono::seconds(2)).get(), {}, out);
}

grpc::Status EtcdTestClient::EnableAuth(const std::string& root_password, const std::string& user,
                                        const std::string& user_password) {
  const auto add_user = [this](const std::string& name, const std::string& password,
                               const std::string& role) {
    etcdserverpb::AuthUserAddRequest add;
    add.set_name(name);
    add.set_password(password);
    etcdserverpb::AuthUserAddResponse add_resp;
    grpc::Status s = auth_->UserAdd(Context().get(), add, &add_resp);
    if (!s.ok()) return s;
    etcdserverpb::AuthUserGrantRoleRequest grant;
    grant.set_user(name);
    grant.set_role(role);
    etcdserverpb::AuthUserGrantRoleResponse grant_resp;
    return auth_->UserGrantRole(Context().get(), grant, &grant_resp);
  };
  const auto add_role = [this](const std::string& name) {
    etcdserverpb::AuthRoleAddRequest req;
    req.set_name(name);
    etcdserverpb::AuthRoleAddResponse resp;
    return auth_->RoleAdd(Context().get(), req, &resp);
  };
  grpc::Status s = add_role("root");
  if (s.ok()) s = add_user("root", root_password, "root");
  if (s.ok()) s = add_role("reader");
  if (s.ok()) {
    etcdserverpb::AuthRoleGrantPermissionRequest req;
    req.set_name("reader");
    req.mutable_perm()->set_permtype(Permission::READ);
    req.mutable_perm()->set_key(std::string(1, '\0'));
    req.mutable_perm()->set_range_end(std::string(1, '\0'));
    etcdserverpb::AuthRoleGrantPermissionResponse resp;
    s = auth_->RoleGrantPermission(Context().get(), req, &resp);
  }
  if (s.ok()) s = add_user(user, user_password, "reader");
  if (s.ok()) {
    etcdserverpb::AuthEnableResponse resp;
    s = auth_->AuthEnable(Context().get(), {}, &resp);
  }
  return s;
}

grpc::Status EtcdTestClient::Authenticate(const std::string& name, const std::string& password) {
  etcdserverpb::AuthenticateRequest req;
  req.set_name(name);
  req.set_password(password);
  etcdserverpb::AuthenticateResponse resp;
  grpc::Status s = auth_->Authenticate(Context().get(), req, &resp);
  if (s.ok()) token_ = resp.token();
  return s;
}

grpc::Status EtcdTestClient::Fill(int64_t total_bytes, int value_size, int threads) {
  const int64_t count = (total_bytes + value_size - 1) / value_size;
  std::atomic<int64_t> next{0};
  std::vector<grpc::Status> results(threads);
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      // Distinct bytes per value so nothing downstream can dedupe or compress them away.
      std::string value(value_size, 'v');
      for (int64_t i = next++; i < count; i = next++) {
        for (size_t j = 0; j < value.size(); j += 4096) value[j] = static_cast<char>(i + j);
        etcdserverpb::PutRequest req;
        req.set_key("fill/" + std::to_string(i));
        req.set_value(value);
        etcdserverpb::PutResponse resp;
        grpc::Status s = kv_->Put(Context(std::chrono::seconds(60)).get(), req, &resp);
        if (!s.ok()) {
          results[t] = s;
          next = count;  // stop the other writers too
          return;
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  for (const auto& s : results) {
    if (!s.ok()) return s;
  }
  return grpc::Status::OK;
}

}  // namespace etcdsnap::testing
