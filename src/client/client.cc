#include "etcdsnap/client/client.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <thread>

#include "etcdsnap/util/human.h"
#include "etcdsnap/util/secret.h"
#include "rpc.grpc.pb.h"

namespace etcdsnap::client {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::system_clock::time_point DeadlineAfter(nanoseconds d) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
}

int ToMillis(nanoseconds d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 1, INT32_MAX));
}

Code CodeFromGrpc(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::UNAVAILABLE: return Code::kUnavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return Code::kDeadlineExceeded;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED: return Code::kPermissionDenied;
    case grpc::StatusCode::CANCELLED: return Code::kCancelled;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION: return Code::kInvalidArgument;
    case grpc::StatusCode::UNIMPLEMENTED: return Code::kUnsupported;
    default: return Code::kInternal;
  }
}

// etcd's errors arrive as "etcdserver: ..."; gRPC's own as free text. Keep both readable.
std::string GrpcMessage(const grpc::Status& s) {
  std::string m = s.error_message();
  if (m.empty()) m = "gRPC status " + std::to_string(static_cast<int>(s.error_code()));
  return m;
}

std::shared_ptr<spdlog::logger>& GrpcLogTarget() {
  static std::shared_ptr<spdlog::logger> log;
  return log;
}

void GrpcLogToSpdlog(gpr_log_func_args* args) {
  const auto& log = GrpcLogTarget();
  if (log) log->debug("grpc: {} ({}:{})", args->message, args->file, args->line);
}

// gRPC credentials from checked PEM material: verifying the server against the CA (or the
// system roots), or, with --insecure-skip-tls-verify, encrypting without verifying. gRPC's API
// takes the key by copy: our copies are wiped once gRPC has made its own (which we cannot reach).
std::shared_ptr<grpc::ChannelCredentials> Credentials(const TlsMaterial& m) {
  if (!m.skip_verify()) {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = m.root_pem();
    opts.pem_private_key = m.key_pem();
    opts.pem_cert_chain = m.cert_pem();
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(opts);
    ClearSecret(opts.pem_private_key);
    return creds;
  }
  using grpc::experimental::IdentityKeyCertPair;
  std::vector<IdentityKeyCertPair> pairs;
  if (!m.cert_pem().empty()) pairs.push_back(IdentityKeyCertPair{m.key_pem(), m.cert_pem()});
  grpc::experimental::TlsChannelCredentialsOptions opts;
  if (!pairs.empty() || !m.root_pem().empty()) {
    opts.set_certificate_provider(
        std::make_shared<grpc::experimental::StaticDataCertificateProvider>(m.root_pem(), pairs));
    if (!m.root_pem().empty()) opts.watch_root_certs();
    if (!pairs.empty()) opts.watch_identity_key_cert_pairs();
  }
  for (IdentityKeyCertPair& pair : pairs) ClearSecret(pair.private_key);
  opts.set_verify_server_certs(false);
  opts.set_check_call_host(false);
  opts.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
  return grpc::experimental::TlsCredentials(opts);
}


// Cancels a gRPC call when the canceller fires, for as long as it lives.
class CancelHook {
 public:
  CancelHook(Canceller* c, grpc::ClientContext* ctx) : reg_(c, [ctx] { ctx->TryCancel(); }) {}

 private:
  Canceller::Registration reg_;
};

}  // namespace

struct Connection::Impl {
  Endpoint endpoint;
  bool client_cert = false;
  nanoseconds dial_timeout;
  std::shared_ptr<grpc::Channel> channel;
  std::string token;
};

std::string GrpcVersion() { return grpc::Version(); }

void RouteGrpcLogs(std::shared_ptr<spdlog::logger> log) {
  GrpcLogTarget() = std::move(log);
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_DEBUG);
  gpr_set_log_function(GrpcLogToSpdlog);
}

namespace {

bool ClosedByPeer(const std::string& m) {
  for (const char* s : {"Endpoint read failed", "Socket closed", "Connection reset", "bad certificate"}) {
    if (m.find(s) != std::string::npos) return true;
  }
  return false;
}

// True when `target` answers Maintenance.Status in plaintext within `timeout`: a TLS client
// whose connection was closed then knows the server does not speak TLS.
bool AnswersPlaintext(const std::string& target, nanoseconds timeout) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  auto stub = etcdserverpb::Maintenance::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(DeadlineAfter(timeout));
  etcdserverpb::StatusResponse resp;
  return stub->Status(&ctx, etcdserverpb::StatusRequest(), &resp).ok();
}

}  // namespace

std::string ExplainConnectFailure(const std::string& m, const ConnectFacts& facts) {
  const bool tls = facts.tls;
  auto has = [&](const char* s) { return m.find(s) != std::string::npos; };
  std::string hint;
  if (tls && facts.server_answers_plaintext) {
    hint = "the server speaks plaintext, not TLS: use an http:// endpoint";
  } else if (has("certificate verify failed") || has("CERTIFICATE_VERIFY_FAILED")) {
    hint = "the server's certificate is not signed by the CA in --cacert (or its name does not "
           "match the endpoint's host); give the CA that signed the server's certificate";
  } else if (has("Peer name") || has("not in peer certificate")) {
    hint = "the endpoint's host is not in the server certificate's names; use a host name or IP "
           "that the certificate lists";
  } else if (tls && ClosedByPeer(m) && facts.client_cert) {
    hint = "the server closed the TLS connection: it most likely refused our client certificate; "
           "give --cert/--key signed by a CA the server trusts";
  } else if (tls && ClosedByPeer(m)) {
    hint = "the server closed the TLS connection: it most likely requires a client certificate; "
           "give --cert and --key signed by a CA the server trusts";
  } else if (!tls && ClosedByPeer(m)) {
    hint = "the server closed a plaintext connection: if it serves TLS, use an https:// "
           "endpoint or give --cacert/--cert/--key";
  } else if (tls && (has("WRONG_VERSION_NUMBER") || has("wrong version number") ||
                     has("packet length too long"))) {
    hint = "the server does not speak TLS: use an http:// endpoint";
  } else if (has("Connection refused")) {
    hint = "nothing listens there; check the host, the port and that etcd runs";
  }
  return hint.empty() ? m : m + " (" + hint + ")";
}

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<Connection> Connection::Open(Endpoint endpoint, const ConnectionOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, ToMillis(options.keepalive_time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ToMillis(options.keepalive_timeout));
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetMaxReceiveMessageSize(-1);
  // Bound what the server may push ahead of us: with gRPC's BDP probing the HTTP/2 window grew
  // until peak RSS was 90 MB on a 400 MB snapshot. A fixed 4 MiB window keeps the pipe full
  // (measured: faster than etcdctl) while memory stays flat whatever the snapshot size.
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 4 << 20);
  // Each member gets its own connection even when targets repeat.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (endpoint.tls && !options.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (endpoint.tls) {
    // An https:// endpoint with no TLS flags verifies the server against the system roots.
    if (options.tls) {
      creds = Credentials(*options.tls);
    } else {
      ETCDSNAP_ASSIGN_OR_RETURN(TlsMaterial system_roots, TlsMaterial::Load({}));
      creds = Credentials(system_roots);
    }
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  auto impl = std::make_unique<Impl>();
  impl->channel = grpc::CreateCustomChannel(endpoint.target, creds, args);
  impl->endpoint = std::move(endpoint);
  impl->dial_timeout = options.dial_timeout;
  impl->client_cert = options.tls && !options.tls->cert_pem().empty();
  return Connection(std::move(impl));
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

const Endpoint& Connection::endpoint() const { return impl_->endpoint; }

Result<MemberStatus> Connection::Probe(Canceller* canceller) {
  auto stub = etcdserverpb::Maintenance::NewStub(impl_->channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(DeadlineAfter(impl_->dial_timeout));
  ctx.set_wait_for_ready(false);
  CancelHook cancel_hook(canceller, &ctx);
  etcdserverpb::StatusResponse resp;
  grpc::Status s = stub->Status(&ctx, etcdserverpb::StatusRequest(), &resp);
  if (!s.ok()) {
    if (canceller != nullptr && canceller->cancelled()) return Status::Cancelled(canceller->reason());
    if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return Status::DeadlineExceeded("no answer from " + impl_->endpoint.original + " within " +
                                      FormatGoDuration(impl_->dial_timeout) + " (--dial-timeout)");
    }
    const std::string m = GrpcMessage(s);
    ConnectFacts facts{.tls = impl_->endpoint.tls, .client_cert = impl_->client_cert};
    if (facts.tls && ClosedByPeer(m)) {
      facts.server_answers_plaintext = AnswersPlaintext(impl_->endpoint.target, impl_->dial_timeout);
    }
    return Status(CodeFromGrpc(s.error_code()), ExplainConnectFailure(m, facts));
  }
  MemberStatus m;
  m.version = resp.version();
  m.cluster_id = resp.header().cluster_id();
  m.member_id = resp.header().member_id();
  m.leader = resp.leader();
  m.raft_index = resp.raftindex();
  m.applied_index = resp.raftappliedindex();
  m.raft_term = resp.raftterm();
  m.db_size = resp.dbsize();
  m.db_size_in_use = resp.dbsizeinuse();
  m.revision = resp.header().revision();
  m.is_learner = resp.islearner();
  return m;
}

Result<Connection::AuthOutcome> Connection::Authenticate(const std::string& user,
                                                        const std::string& password,
                                                        Canceller* canceller) {
  auto stub = etcdserverpb::Auth::NewStub(impl_->channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(DeadlineAfter(impl_->dial_timeout));
  CancelHook cancel_hook(canceller, &ctx);
  etcdserverpb::AuthenticateRequest req;
  req.set_name(user);
  req.set_password(password);
  etcdserverpb::AuthenticateResponse resp;
  grpc::Status s = stub->Authenticate(&ctx, req, &resp);
  ClearSecret(*req.mutable_password());
  if (!s.ok()) {
    if (canceller != nullptr && canceller->cancelled()) return Status::Cancelled(canceller->reason());
    // etcd's rpctypes.ErrGRPCAuthNotEnabled; clientv3 ignores it and calls without a token.
    if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
        s.error_message().find("authentication is not enabled") != std::string::npos) {
      return AuthOutcome::kAuthNotEnabled;
    }
    return Status(CodeFromGrpc(s.error_code()),
                  "authenticating user " + user + " at " + impl_->endpoint.original + ": " +
                      GrpcMessage(s));
  }
  impl_->token = resp.token();
  return AuthOutcome::kAuthenticated;
}

namespace {

// A unary call's failure: cancelled, timed out after `timeout` (`what` names the call), or
// gRPC's reason.
Status CallFailure(const grpc::Status& s, const Canceller* canceller, const std::string& what,
                   const Endpoint& ep, nanoseconds timeout, const char* timeout_flag) {
  if (canceller != nullptr && canceller->cancelled()) return Status::Cancelled(canceller->reason());
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return Status::DeadlineExceeded("no " + what + " answer from " + ep.original + " within " +
                                    FormatGoDuration(timeout) + " (" + timeout_flag + ")");
  }
  return Status(CodeFromGrpc(s.error_code()), what + " at " + ep.original + ": " + GrpcMessage(s));
}

}  // namespace

Result<HashKvAnswer> Connection::HashKv(int64_t revision, nanoseconds timeout,
                                        Canceller* canceller) {
  auto stub = etcdserverpb::Maintenance::NewStub(impl_->channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(DeadlineAfter(timeout));
  if (!impl_->token.empty()) ctx.AddMetadata("token", impl_->token);
  CancelHook cancel_hook(canceller, &ctx);
  etcdserverpb::HashKVRequest req;
  req.set_revision(revision);
  etcdserverpb::HashKVResponse resp;
  grpc::Status s = stub->HashKV(&ctx, req, &resp);
  HashKvAnswer a;
  if (!s.ok()) {
    // etcd's ErrGRPCCompacted and ErrGRPCFutureRev (OutOfRange).
    const std::string& m = s.error_message();
    if (s.error_code() == grpc::StatusCode::OUT_OF_RANGE &&
        m.find("required revision has been compacted") != std::string::npos) {
      a.kind = HashKvAnswer::Kind::kCompacted;
    } else if (s.error_code() == grpc::StatusCode::OUT_OF_RANGE &&
               m.find("required revision is a future revision") != std::string::npos) {
      a.kind = HashKvAnswer::Kind::kFutureRevision;
    } else {
      return CallFailure(s, canceller, "HashKV", impl_->endpoint, timeout, "--command-timeout");
    }
    a.message = m;
    return a;
  }
  a.hash = resp.hash();
  a.compact_revision = resp.compact_revision();
  a.hash_revision = resp.hash_revision();
  a.revision = resp.header().revision();
  a.member_id = resp.header().member_id();
  a.cluster_id = resp.header().cluster_id();
  return a;
}

Result<std::vector<ClusterMember>> Connection::MemberList(Canceller* canceller) {
  auto stub = etcdserverpb::Cluster::NewStub(impl_->channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(DeadlineAfter(impl_->dial_timeout));
  if (!impl_->token.empty()) ctx.AddMetadata("token", impl_->token);
  CancelHook cancel_hook(canceller, &ctx);
  etcdserverpb::MemberListResponse resp;
  grpc::Status s = stub->MemberList(&ctx, etcdserverpb::MemberListRequest(), &resp);
  if (!s.ok()) {
    return CallFailure(s, canceller, "MemberList", impl_->endpoint, impl_->dial_timeout,
                       "--dial-timeout");
  }
  std::vector<ClusterMember> out;
  for (const auto& m : resp.members()) {
    ClusterMember c;
    c.id = m.id();
    c.name = m.name();
    c.peer_urls.assign(m.peerurls().begin(), m.peerurls().end());
    c.client_urls.assign(m.clienturls().begin(), m.clienturls().end());
    c.is_learner = m.islearner();
    out.push_back(std::move(c));
  }
  return out;
}

Status Connection::StreamSnapshot(const StreamOptions& options, const ChunkFn& on_chunk,
                                  Canceller* canceller) {
  grpc::ClientContext ctx;
  if (options.deadline) ctx.set_deadline(DeadlineAfter(*options.deadline));
  if (!impl_->token.empty()) ctx.AddMetadata("token", impl_->token);
  CancelHook cancel_hook(canceller, &ctx);

  // The idle watchdog: cancels the call when the server sent nothing for idle_timeout while we
  // were waiting for it. While on_chunk runs (writing to disk) the clock is paused: the server
  // is held back by flow control then, and a slow disk is reported through on_slow_consumer
  // instead. Declared after ctx, so that however this function is left the thread is stopped
  // and joined (the wait wakes on the stop request) before ctx goes away.
  std::mutex mu;
  std::condition_variable_any cv;
  bool idle_fired = false;
  bool in_callback = false;
  Clock::time_point last = Clock::now();  // when we last started waiting for the server
  Clock::time_point callback_start{}, next_warning{};
  const nanoseconds warn_every = std::min<nanoseconds>(options.idle_timeout, std::chrono::seconds(10));
  std::jthread watchdog([&](std::stop_token stop) {
    std::unique_lock lock(mu);
    while (!stop.stop_requested()) {
      const auto now = Clock::now();
      if (in_callback) {
        if (now >= next_warning) {
          next_warning = now + warn_every;
          const auto busy = now - callback_start;
          if (options.on_slow_consumer) {
            lock.unlock();
            options.on_slow_consumer(std::chrono::duration_cast<nanoseconds>(busy));
            lock.lock();
          }
          continue;
        }
        cv.wait_until(lock, stop, next_warning, [] { return false; });
        continue;
      }
      const auto until = last + options.idle_timeout;
      if (now >= until) {
        idle_fired = true;
        ctx.TryCancel();
        return;
      }
      cv.wait_until(lock, stop, until, [] { return false; });
    }
  });
  auto stop_watchdog = [&] {
    watchdog.request_stop();
    watchdog.join();
  };

  // The messages are read as raw bytes (gRPC's own SerializationTraits<ByteBuffer>) on the
  // generated stub's method, and decoded in place: protobuf would copy each 32 KiB blob out of
  // the receive slices into a std::string first. The call is otherwise the stub's: same channel,
  // context (deadline, token, cancellation), request encoding.
  static const char kSnapshotMethod[] = "/etcdserverpb.Maintenance/Snapshot";
  const grpc::internal::RpcMethod method(kSnapshotMethod,
                                         grpc::internal::RpcMethod::SERVER_STREAMING,
                                         impl_->channel);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
          impl_->channel.get(), method, &ctx, etcdserverpb::SnapshotRequest()));
  grpc::ByteBuffer raw;
  std::vector<grpc::Slice> slices;  // kept across messages: no allocation per message
  std::vector<Piece> pieces;
  SnapshotMessage message;
  Status cb_status;
  while (reader->Read(&raw)) {
    {
      std::lock_guard lock(mu);
      in_callback = true;
      callback_start = Clock::now();
      next_warning = callback_start + warn_every;
    }
    // Dump takes a reference to each slice (no copy of the bytes).
    if (grpc::Status d = raw.Dump(&slices); !d.ok()) {
      cb_status = Status::Internal("reading a snapshot message from " + impl_->endpoint.original +
                                   ": " + GrpcMessage(d));
    } else {
      pieces.clear();
      for (const grpc::Slice& sl : slices) pieces.emplace_back(sl.begin(), sl.size());
      cb_status = ParseSnapshotResponse(pieces, &message);
      if (cb_status.ok()) cb_status = on_chunk(message.blob, message.remaining_bytes);
    }
    {
      std::lock_guard lock(mu);
      in_callback = false;
      last = Clock::now();
    }
    if (!cb_status.ok()) {
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status s = reader->Finish();
  stop_watchdog();
  if (!cb_status.ok()) return cb_status;
  if (canceller != nullptr && canceller->cancelled()) return Status::Cancelled(canceller->reason());
  if (idle_fired) {
    return Status::DeadlineExceeded("no data from " + impl_->endpoint.original + " for " +
                                    FormatGoDuration(options.idle_timeout) +
                                    " (--idle-timeout); the server stalled");
  }
  if (!s.ok()) {
    if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && options.deadline) {
      return Status::DeadlineExceeded("snapshot from " + impl_->endpoint.original +
                                      " did not complete within " +
                                      FormatGoDuration(*options.deadline) +
                                      " (--command-timeout); raise it or leave it unset");
    }
    return Status(CodeFromGrpc(s.error_code()), GrpcMessage(s));
  }
  return Status::Ok();
}

}  // namespace etcdsnap::client
