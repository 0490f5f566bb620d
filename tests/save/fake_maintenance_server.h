// FakeMaintenanceServer: an in-process, plaintext gRPC server on a loopback port that serves
// etcdserverpb.Maintenance with faults a real etcd cannot be made to produce: a wrong sha256
// trailer, a stream cut before the trailer, a stall. Status answers like a healthy leader.
// Start() before use; Shutdown() (or the destructor) cancels handlers that are stalling.
#ifndef ETCDSNAP_TESTS_SAVE_FAKE_MAINTENANCE_SERVER_H_
#define ETCDSNAP_TESTS_SAVE_FAKE_MAINTENANCE_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "rpc.grpc.pb.h"

namespace etcdsnap::testing {

enum class SnapshotFault {
  kNone,              // chunks, then the correct sha256 of them
  kWrongHash,         // chunks, then 32 bytes that are not their sha256
  kCutOk,             // some chunks, then OK without the trailer
  kCutUnavailable,    // some chunks, then UNAVAILABLE
  kStall,             // some chunks, then nothing until the client gives up
  kPause,             // some chunks, then nothing until Resume(), then the rest and the trailer
};

struct FakeSnapshotOptions {
  SnapshotFault fault = SnapshotFault::kNone;
  int chunks = 64;          // data chunks in the whole image
  int chunk_size = 32768;   // bytes per chunk (a multiple of 512, like etcd's)
  int chunks_before_fault = 8;  // for the cut and stall faults
  // Pause before each data chunk: a slow server.
  std::chrono::milliseconds chunk_delay{0};
  // Sends the sha256 trailer as two 16-byte messages (the stream is bytes, not messages).
  bool split_trailer = false;
  // Protobuf fields (wire bytes) added to every data message as unknown fields (the lite
  // runtime sends them after the known ones): what a newer etcd might add.
  std::string extra_wire;
  // How long a stall lasts at most (the handler also ends when the client cancels).
  std::chrono::seconds stall_for{120};
  // What Status reports: this member, the leader it knows, its raft applied index.
  uint64_t member_id = 0x2a;
  uint64_t leader_id = 0x2a;
  uint64_t raft_applied_index = 12;
};

class FakeMaintenanceServer final : public etcdserverpb::Maintenance::Service {
 public:
  explicit FakeMaintenanceServer(FakeSnapshotOptions options);
  ~FakeMaintenanceServer() override;

  // Listens on 127.0.0.1 on a free port; false on failure.
  bool Start();
  void Shutdown();
  // "127.0.0.1:port"
  std::string Endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

  // The image the server streams (without the trailer), and image + sha256 as etcd would save.
  const std::string& image() const { return image_; }
  std::string ExpectedFile() const;
  int snapshot_calls() const { return snapshot_calls_; }
  // True once a kStall or kPause handler has sent its chunks and is stalling.
  bool stalling() const { return stalling_; }
  // Lets a kPause handler go on with the rest of the snapshot.
  void Resume() { resumed_ = true; }

  grpc::Status Status(grpc::ServerContext* context, const etcdserverpb::StatusRequest* request,
                      etcdserverpb::StatusResponse* response) override;
  grpc::Status Snapshot(grpc::ServerContext* context,
                        const etcdserverpb::SnapshotRequest* request,
                        grpc::ServerWriter<etcdserverpb::SnapshotResponse>* writer) override;

 private:
  FakeSnapshotOptions options_;
  std::string image_;
  std::string sha256_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<int> snapshot_calls_{0};
  std::atomic<bool> stalling_{false};
  std::atomic<bool> resumed_{false};
};

}  // namespace etcdsnap::testing

#endif  // ETCDSNAP_TESTS_SAVE_FAKE_MAINTENANCE_SERVER_H_
