// A connection to one etcd member over gRPC: probe (Maintenance.Status), authenticate
// (Auth.Authenticate, token sent as metadata "token" afterwards), and stream
// Maintenance.Snapshot chunk by chunk to a callback. Every call is bounded: probes and
// authentication by the dial timeout, the stream by an idle timeout and, when given, an overall
// deadline. A Canceller (util/cancel.h) lets another thread (the signal thread) abort whatever is
// in flight. No gRPC type appears here: the channel lives behind a pointer to an opaque Impl.
//
// A Connection is used from one thread at a time; the Canceller is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "etcdsnap/client/endpoint.h"
#include "etcdsnap/client/snapshot_message.h"
#include "etcdsnap/client/tls.h"
#include "etcdsnap/util/cancel.h"
#include "etcdsnap/util/status.h"

namespace spdlog {
class logger;
}

namespace etcdsnap::client {

using std::chrono::nanoseconds;

// The version of the gRPC library linked in (grpc::Version(), "1.51.1"), for `etcdsnap version`.
std::string GrpcVersion();

// Sends gRPC's own diagnostics (handshake errors and the like) to `log` at debug level instead
// of raw lines on stderr: the caller reports failures as one clear error line. Call once,
// before the first connection.
void RouteGrpcLogs(std::shared_ptr<spdlog::logger> log);

// What is known about a failed connection besides gRPC's text.
struct ConnectFacts {
  bool tls = false;                       // we spoke TLS
  bool client_cert = false;               // and offered a client certificate
  bool server_answers_plaintext = false;  // the same address answered a plaintext probe
};
// Adds what to do next to gRPC's connection-failure text, which names the symptom only.
std::string ExplainConnectFailure(const std::string& grpc_message, const ConnectFacts& facts);

struct ConnectionOptions {
  std::optional<TlsMaterial> tls;  // used for endpoints that want TLS
  nanoseconds dial_timeout = std::chrono::seconds(2);
  nanoseconds keepalive_time = std::chrono::seconds(2);
  nanoseconds keepalive_timeout = std::chrono::seconds(6);
  // The name the server's certificate must carry, instead of the endpoint's host: the
  // discovery domain with --discovery-srv and --insecure-discovery=false, as etcdctl does.
  std::string tls_server_name;
};

// What Maintenance.Status says about a member.
struct MemberStatus {
  std::string version;
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;
  uint64_t leader = 0;
  uint64_t raft_index = 0;
  uint64_t applied_index = 0;
  uint64_t raft_term = 0;
  int64_t db_size = 0;
  int64_t db_size_in_use = 0;
  int64_t revision = 0;  // the store's revision when the member answered
  bool is_learner = false;
  bool is_leader() const { return member_id != 0 && member_id == leader; }
};

struct StreamOptions {
  std::optional<nanoseconds> deadline;  // whole transfer (--command-timeout, when given)
  // No bytes from the server for this long: abort. Only time spent waiting for the server
  // counts: while the chunk callback runs (a slow local disk), gRPC's flow control holds the
  // server back, so that time is not the server's.
  nanoseconds idle_timeout = std::chrono::seconds(30);
  // Called from the watchdog thread each time the chunk callback has been running for another
  // min(idle_timeout, 10 s), with how long it has run so far (a slow disk, reported as such).
  std::function<void(nanoseconds busy)> on_slow_consumer;
};

// What Maintenance.HashKV answered: the hash, or etcd's refusal of the revision.
struct HashKvAnswer {
  enum class Kind {
    kHash,            // hash and compact_revision are the member's
    kCompacted,       // "required revision has been compacted": the member compacted past it
    kFutureRevision,  // "required revision is a future revision": the member is behind
  };
  Kind kind = Kind::kHash;
  uint32_t hash = 0;
  int64_t compact_revision = 0;
  int64_t hash_revision = 0;  // etcd 3.6+; 0 from older members
  int64_t revision = 0;       // the member's current revision (response header)
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
  std::string message;  // etcd's words for a refusal
};

// One entry of Cluster.MemberList.
struct ClusterMember {
  uint64_t id = 0;
  std::string name;  // empty for a member added but not started yet
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;  // empty until the member has started
  bool is_learner = false;
};

// Called per message with its blob and remaining_bytes; a non-ok return aborts the stream. The
// blob comes as the pieces of gRPC's receive buffers it lies in (not copied; valid during the
// call only), in order, none empty; a message may have an empty blob (no pieces).
using ChunkFn = std::function<Status(std::span<const Piece> blob, uint64_t remaining)>;

class Connection {
 public:
  // Builds the channel (no network traffic yet). Fails (kInvalidArgument) only when the TLS
  // material for an https:// endpoint given without TLS flags cannot be set up.
  static Result<Connection> Open(Endpoint endpoint, const ConnectionOptions& options);
  ~Connection();
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;

  const Endpoint& endpoint() const;

  // Maintenance.Status, failing fast: kUnavailable with gRPC's reason when the member cannot be
  // reached (refused, TLS handshake failure), kDeadlineExceeded after the dial timeout.
  Result<MemberStatus> Probe(Canceller* canceller);

  // Auth.Authenticate; on success later calls carry the token. A server with authentication
  // disabled answers kAuthNotEnabled (not an error: etcdctl then goes on without a token).
  // The request's copy of the password is overwritten once the call returns.
  enum class AuthOutcome { kAuthenticated, kAuthNotEnabled };
  Result<AuthOutcome> Authenticate(const std::string& user, const std::string& password,
                                   Canceller* canceller);

  // Maintenance.HashKV(revision) (0: the member's current revision), bounded by `timeout`
  // (a large member takes seconds to hash, and blocks its writes meanwhile). A refusal of the
  // revision is an answer (HashKvAnswer::Kind), not an error; errors are the call's failures.
  Result<HashKvAnswer> HashKv(int64_t revision, nanoseconds timeout, Canceller* canceller);

  // Cluster.MemberList, bounded by the dial timeout.
  Result<std::vector<ClusterMember>> MemberList(Canceller* canceller);

  // Maintenance.Snapshot: calls `on_chunk` for every message, in order. The messages are read
  // as raw bytes and decoded by ParseSnapshotResponse; a malformed one fails the call
  // (kCorruption).
  Status StreamSnapshot(const StreamOptions& options, const ChunkFn& on_chunk,
                        Canceller* canceller);

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace etcdsnap::client
