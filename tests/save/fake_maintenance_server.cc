#include "fake_maintenance_server.h"

#include <openssl/sha.h>

#include <thread>

namespace etcdsnap::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string Sha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// Deterministic, non-repeating bytes.
std::string MakeImage(size_t size) {
  std::string image(size, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (char& c : image) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return image;
}

}  // namespace

FakeMaintenanceServer::FakeMaintenanceServer(FakeSnapshotOptions options)
    : options_(options),
      image_(MakeImage(static_cast<size_t>(options.chunks) * options.chunk_size)),
      sha256_(Sha256(image_)) {}

FakeMaintenanceServer::~FakeMaintenanceServer() { Shutdown(); }

bool FakeMaintenanceServer::Start() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  return server_ != nullptr && port_ != 0;
}

void FakeMaintenanceServer::Shutdown() {
  shutting_down_ = true;
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
    server_.reset();
  }
}

std::string FakeMaintenanceServer::ExpectedFile() const { return image_ + sha256_; }

grpc::Status FakeMaintenanceServer::Status(grpc::ServerContext* context,
                                           const etcdserverpb::StatusRequest* request,
                                           etcdserverpb::StatusResponse* response) {
  response->mutable_header()->set_cluster_id(0x1000);
  response->mutable_header()->set_member_id(options_.member_id);
  response->mutable_header()->set_revision(7);
  response->mutable_header()->set_raft_term(2);
  response->set_version("3.4.23");
  response->set_dbsize(static_cast<int64_t>(image_.size()));
  response->set_dbsizeinuse(static_cast<int64_t>(image_.size()));
  response->set_leader(options_.leader_id);
  response->set_raftindex(options_.raft_applied_index);
  response->set_raftterm(2);
  response->set_raftappliedindex(options_.raft_applied_index);
  return grpc::Status::OK;
}

grpc::Status FakeMaintenanceServer::Snapshot(
    grpc::ServerContext* context, const etcdserverpb::SnapshotRequest* request,
    grpc::ServerWriter<etcdserverpb::SnapshotResponse>* writer) {
  ++snapshot_calls_;
  const bool faulty_stream = options_.fault == SnapshotFault::kCutOk ||
                             options_.fault == SnapshotFault::kCutUnavailable ||
                             options_.fault == SnapshotFault::kStall ||
                             options_.fault == SnapshotFault::kPause;
  const int chunks = faulty_stream ? options_.chunks_before_fault : options_.chunks;
  const size_t total = image_.size();
  size_t sent = 0;
  etcdserverpb::SnapshotResponse resp;
  for (int i = 0; i < chunks; ++i) {
    if (options_.chunk_delay.count() > 0) std::this_thread::sleep_for(options_.chunk_delay);
    resp.set_blob(image_.substr(sent, options_.chunk_size));
    sent += resp.blob().size();
    resp.set_remaining_bytes(total - sent);
    if (!options_.extra_wire.empty()) {
      // Parsed, the extra fields become the message's unknown fields, which protobuf's lite
      // runtime keeps as bytes and sends after the known ones.
      const std::string known = resp.SerializeAsString();
      if (!resp.ParseFromString(known + options_.extra_wire)) {
        return grpc::Status(grpc::StatusCode::INTERNAL, "fake: extra_wire is not protobuf");
      }
    }
    if (!writer->Write(resp)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  }
  resp.Clear();
  switch (options_.fault) {
    case SnapshotFault::kCutOk:
      return grpc::Status::OK;
    case SnapshotFault::kCutUnavailable:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake: transport is closing");
    case SnapshotFault::kStall: {
      stalling_ = true;
      const auto until = Clock::now() + options_.stall_for;
      while (Clock::now() < until && !context->IsCancelled() && !shutting_down_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      return grpc::Status(grpc::StatusCode::CANCELLED, "fake: stalled");
    }
    case SnapshotFault::kPause: {
      stalling_ = true;
      while (!resumed_ && !context->IsCancelled() && !shutting_down_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      stalling_ = false;
      while (sent < total) {
        resp.set_blob(image_.substr(sent, options_.chunk_size));
        sent += resp.blob().size();
        resp.set_remaining_bytes(total - sent);
        if (!writer->Write(resp)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
      }
      break;
    }
    default:
      break;
  }
  std::string trailer = sha256_;
  if (options_.fault == SnapshotFault::kWrongHash) trailer[0] = static_cast<char>(trailer[0] ^ 1);
  resp.set_remaining_bytes(0);
  if (options_.split_trailer) {
    resp.set_blob(trailer.substr(0, 16));
    writer->Write(resp);
    trailer = trailer.substr(16);
  }
  resp.set_blob(trailer);
  writer->Write(resp);
  return grpc::Status::OK;
}

}  // namespace etcdsnap::testing
