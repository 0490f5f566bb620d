// etcdsnap-fill: loads a local etcd for the benchmarks, fast: keeps --concurrency async requests
// in flight on one channel (gRPC completion queue).
//
//   etcdsnap-fill --endpoint 127.0.0.1:2379 --bytes 1073741824 [--shape fixed|kube]
//                 [--value-size 262144] [--concurrency 16] [--prefix bench/]
//                 [--content random|kube] [--cacert ca --cert c --key k] [--dry-run]
//
// --shape fixed (the default): about --bytes of values of --value-size bytes under --prefix,
// --content random (incompressible) or kube (Pod-like JSON, see bench/compress.sh).
// --shape kube: a Kubernetes-like etcd whose backend file comes to about --bytes, with history,
// leases, deletions and compactions (bench/kube_shape.h); --dry-run prints the plan's counts
// without a server.
// Both are deterministic: the same flags give the same keys and values.
// The server needs --max-request-bytes above --value-size and a --quota-backend-bytes above the
// target. Exits 0 when every request succeeded, 1 on the first failure (printed); a put or
// delete or compaction that etcd answers UNAVAILABLE ("request timed out") is sent again, up
// to 5 times.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kube_shape.h"
#include "rpc.grpc.pb.h"

namespace {

struct Options {
  std::string endpoint = "127.0.0.1:2379";
  int64_t bytes = 1LL << 30;
  int value_size = 256 * 1024;
  int concurrency = 16;
  std::string prefix = "bench/";
  std::string content = "random";  // or "kube"
  std::string shape = "fixed";     // or "kube"
  bool dry_run = false;

  std::string cacert, cert, key;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "etcdsnap-fill: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--dry-run") {
      o.dry_run = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "etcdsnap-fill: %s needs a value\n", flag.c_str());
      std::exit(2);
    }
    const std::string value = argv[++i];
    if (flag == "--endpoint")
      o.endpoint = value;
    else if (flag == "--bytes")
      o.bytes = std::stoll(value);
    else if (flag == "--value-size")
      o.value_size = std::stoi(value);
    else if (flag == "--concurrency")
      o.concurrency = std::stoi(value);
    else if (flag == "--prefix")
      o.prefix = value;
    else if (flag == "--content")
      o.content = value;
    else if (flag == "--shape")
      o.shape = value;
    else if (flag == "--cacert")
      o.cacert = value;
    else if (flag == "--cert")
      o.cert = value;
    else if (flag == "--key")
      o.key = value;
    else {
      std::fprintf(stderr, "etcdsnap-fill: unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  if (o.value_size <= 0 || o.concurrency <= 0 || o.bytes <= 0) {
    std::fprintf(stderr, "etcdsnap-fill: sizes and concurrency must be positive\n");
    std::exit(2);
  }
  if ((o.shape != "fixed" && o.shape != "kube") || (o.content != "random" && o.content != "kube")) {
    std::fprintf(stderr, "etcdsnap-fill: --shape is fixed or kube, --content random or kube\n");
    std::exit(2);
  }
  return o;
}

std::shared_ptr<grpc::Channel> Connect(const Options& o) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  if (o.cacert.empty() && o.cert.empty()) {
    return grpc::CreateCustomChannel(o.endpoint, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  if (!o.cacert.empty()) ssl.pem_root_certs = ReadFile(o.cacert);
  if (!o.cert.empty()) ssl.pem_cert_chain = ReadFile(o.cert);
  if (!o.key.empty()) ssl.pem_private_key = ReadFile(o.key);
  return grpc::CreateCustomChannel(o.endpoint, grpc::SslCredentials(ssl), args);
}

using etcdsnap::bench::Op;

// Keeps up to `concurrency` requests in flight; Drain() waits for all of them (the barrier
// between the phases of a plan). Exits on the first failure.
class Pipeline {
 public:
  Pipeline(const std::shared_ptr<grpc::Channel>& channel, int concurrency)
      : kv_(etcdserverpb::KV::NewStub(channel)),
        lease_(etcdserverpb::Lease::NewStub(channel)),
        concurrency_(concurrency) {}
  ~Pipeline() {
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) delete static_cast<Call*>(tag);
  }

  void Send(const Op& op, int attempt = 1) {
    while (in_flight_ >= concurrency_) Complete();
    auto* call = new Call;
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    call->what = op.key;
    call->attempt = attempt;
    if (op.kind != Op::Kind::kGrant) call->op = op;  // a put or delete can be sent again
    switch (op.kind) {
      case Op::Kind::kPut: {
        etcdserverpb::PutRequest req;
        req.set_key(op.key);
        req.set_value(op.value);
        req.set_lease(op.lease);
        call->put = kv_->AsyncPut(&call->context, req, &cq_);
        call->put->Finish(&call->put_response, &call->status, call);
        if (attempt == 1) bytes_ += static_cast<int64_t>(op.value.size());
        break;
      }
      case Op::Kind::kDelete: {
        etcdserverpb::DeleteRangeRequest req;
        req.set_key(op.key);
        call->del = kv_->AsyncDeleteRange(&call->context, req, &cq_);
        call->del->Finish(&call->del_response, &call->status, call);
        break;
      }
      case Op::Kind::kGrant: {
        etcdserverpb::LeaseGrantRequest req;
        req.set_id(op.lease);
        req.set_ttl(op.ttl);
        call->what = "lease " + std::to_string(op.lease);
        call->grant = lease_->AsyncLeaseGrant(&call->context, req, &cq_);
        call->grant->Finish(&call->grant_response, &call->status, call);
        break;
      }
    }
    ++in_flight_;
  }
  void Drain() {
    while (in_flight_ > 0) Complete();
  }
  // Compacts at the newest revision any answer has shown, waiting until the backend has
  // removed the old revisions (physical).
  void Compact() {
    Drain();
    etcdserverpb::CompactionRequest req;
    req.set_revision(revision_);
    req.set_physical(true);
    for (int attempt = 1;; ++attempt) {
      grpc::ClientContext context;
      etcdserverpb::CompactionResponse response;
      const grpc::Status status = kv_->Compact(&context, req, &response);
      if (status.ok()) return;
      // As a put: sent again when etcd timed it out; an earlier attempt that was applied after
      // all makes the next one "already compacted" (OUT_OF_RANGE), which is done.
      if (attempt > 1 && status.error_code() == grpc::StatusCode::OUT_OF_RANGE) return;
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE || attempt == kAttempts) {
        Fail("compact at " + std::to_string(revision_), status);
      }
      ++retries_;
      std::this_thread::sleep_for(std::chrono::seconds(attempt));
    }
  }

  int64_t done() const { return done_; }
  int64_t bytes() const { return bytes_; }
  int64_t revision() const { return revision_; }

 private:
  // One request in flight.
  struct Call {
    grpc::ClientContext context;
    grpc::Status status;
    std::string what;
    std::optional<Op> op;  // for a put or delete, to send again
    int attempt = 1;
    etcdserverpb::PutResponse put_response;
    etcdserverpb::DeleteRangeResponse del_response;
    etcdserverpb::LeaseGrantResponse grant_response;
    std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> put;
    std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::DeleteRangeResponse>> del;
    std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::LeaseGrantResponse>> grant;
  };

  void Complete() {
    void* tag = nullptr;
    bool ok = false;
    if (!cq_.Next(&tag, &ok)) Fail("completion queue shut down", grpc::Status::CANCELLED);
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    --in_flight_;
    // etcd answers "etcdserver: request timed out" (UNAVAILABLE) when its apply falls behind,
    // as on a machine busy with something else: an hour-long fill must not die of it. A put or
    // delete is sent again, up to kAttempts - 1 times (each may add a revision of the same key;
    // no key is twice in a phase, so nothing is reordered); a lease grant is not.
    if (ok && call->status.error_code() == grpc::StatusCode::UNAVAILABLE && call->op &&
        call->attempt < kAttempts) {
      ++retries_;
      std::this_thread::sleep_for(std::chrono::seconds(call->attempt));  // a restart: wait
      Send(*call->op, call->attempt + 1);
      return;
    }
    if (!ok || !call->status.ok()) Fail(call->what, call->status);
    if (call->grant && !call->grant_response.error().empty()) {
      Fail(call->what, grpc::Status(grpc::StatusCode::UNKNOWN, call->grant_response.error()));
    }
    for (const etcdserverpb::ResponseHeader* h :
         {&call->put_response.header(), &call->del_response.header()}) {
      revision_ = std::max(revision_, h->revision());
    }
    ++done_;
  }
  [[noreturn]] void Fail(const std::string& what, const grpc::Status& status) const {
    std::fprintf(stderr, "etcdsnap-fill: %s failed after %lld requests (%lld sent again): %s\n",
                 what.c_str(), static_cast<long long>(done_), static_cast<long long>(retries_),
                 status.error_message().c_str());
    std::exit(1);
  }

  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  grpc::CompletionQueue cq_;
  const int concurrency_;
  static constexpr int kAttempts = 6;  // the first and 5 more
  int in_flight_ = 0;
  int64_t done_ = 0, bytes_ = 0, revision_ = 0, retries_ = 0;
};

// Progress on stderr, every 64 MiB of values and at the end of each phase.
class Progress {
 public:
  void Maybe(const Pipeline& p, const std::string& phase, bool force) {
    if (!force && p.bytes() - last_ < (64LL << 20)) return;
    last_ = p.bytes();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr,
                 "etcdsnap-fill: %s: %lld requests, %lld MiB of values in %.1f s (%.0f MiB/s)\n",
                 phase.c_str(), static_cast<long long>(p.done()),
                 static_cast<long long>(p.bytes() >> 20), secs, (p.bytes() >> 20) / secs);
  }

 private:
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  int64_t last_ = 0;
};

// --shape fixed: values of --value-size bytes, keys prefix + 0, 1, ...
void ForEachFixedOp(const Options& o, const std::function<void(const Op&)>& send) {
  const int64_t count = (o.bytes + o.value_size - 1) / o.value_size;
  std::string value(o.value_size, '\0');
  uint64_t x = 0x243f6a8885a308d3ULL;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (char& c : value) c = static_cast<char>(next());  // incompressible by default
  // --content kube: a Pod-like JSON object per key (what a Kubernetes etcd mostly holds, if in
  // JSON rather than protobuf): repeated field names and labels, unique ids, IPs and times.
  auto kube_value = [&](int64_t n) {
    char uid[40];
    std::snprintf(uid, sizeof uid, "%08llx-%04llx-%04llx-%012llx",
                  static_cast<unsigned long long>(next() & 0xffffffff),
                  static_cast<unsigned long long>(next() & 0xffff),
                  static_cast<unsigned long long>(next() & 0xffff),
                  static_cast<unsigned long long>(next() & 0xffffffffffff));
    const std::string ns = "ns-" + std::to_string(n % 37);
    std::string v = "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-" +
                    std::to_string(n) + "\",\"namespace\":\"" + ns + "\",\"uid\":\"" + uid +
                    "\",\"resourceVersion\":\"" + std::to_string(1000 + n) +
                    "\",\"creationTimestamp\":\"2026-11-" + std::to_string(10 + n % 20) +
                    "T10:" + std::to_string(10 + n % 50) +
                    ":00Z\",\"labels\":{\"app\":\"web\","
                    "\"pod-template-hash\":\"" +
                    std::to_string(next() % 100000) +
                    "\"}},"
                    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"registry.example/"
                    "web:1." +
                    std::to_string(n % 9) +
                    "\",\"resources\":{\"requests\":{\"cpu\":"
                    "\"100m\",\"memory\":\"128Mi\"}}}],\"nodeName\":\"node-" +
                    std::to_string(n % 50) +
                    "\"},\"status\":{\"phase\":\"Running\",\"podIP\":"
                    "\"10.244." +
                    std::to_string(next() % 256) + "." + std::to_string(next() % 256) +
                    "\",\"annotations\":[";
    // Padding with some entropy (a hash per entry), so that the whole compresses about as a
    // Kubernetes etcd does (3x to 6x), not as a text file of repeats.
    while (v.size() + 64 < static_cast<size_t>(o.value_size)) {
      char hash[24];
      std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(next()));
      v += std::string("\"checksum/config-") + std::to_string(next() % 8) + "=" + hash + "\",";
    }
    v += "\"end\"]}}";
    return v;
  };
  Op op;
  for (int64_t i = 0; i < count; ++i) {
    op.key = o.prefix + std::to_string(i);
    if (o.content == "kube") {
      op.value = kube_value(i);
    } else {
      // Vary the first bytes per key so values are distinct.
      value.replace(0, 8, reinterpret_cast<const char*>(&i), 8);
      op.value = value;
    }
    send(op);
  }
}

// --shape kube --dry-run: what the plan would send.
int DryRun(const etcdsnap::bench::KubePlan& plan) {
  std::printf("%s", plan.Describe().c_str());
  int64_t total_bytes = 0;
  std::vector<size_t> sizes;  // of the values created
  for (int phase = 0; phase < plan.phases(); ++phase) {
    int64_t puts = 0, deletes = 0, grants = 0, bytes = 0;
    plan.ForEachOp(phase, [&](const Op& op) {
      if (phase == 1) sizes.push_back(op.value.size());
      puts += op.kind == Op::Kind::kPut;
      deletes += op.kind == Op::Kind::kDelete;
      grants += op.kind == Op::Kind::kGrant;
      bytes += static_cast<int64_t>(op.key.size() + op.value.size());
    });
    total_bytes += bytes;
    std::printf("phase %2d %-20s %9lld puts %8lld deletes %6lld leases %8.1f MiB%s\n", phase,
                plan.PhaseName(phase).c_str(), static_cast<long long>(puts),
                static_cast<long long>(deletes), static_cast<long long>(grants),
                static_cast<double>(bytes) / (1 << 20),
                plan.CompactAfter(phase) ? ", then compact" : "");
  }
  std::printf("%lld objects, %.1f MiB of keys and values sent\n",
              static_cast<long long>(plan.objects()), static_cast<double>(total_bytes) / (1 << 20));
  std::sort(sizes.begin(), sizes.end());
  std::printf("values created:");
  for (const double p : {0.1, 0.5, 0.9, 0.99, 0.999}) {
    std::printf(" p%g %zu B,", p * 100, sizes[static_cast<size_t>(p * (sizes.size() - 1))]);
  }
  std::printf(" max %zu B, mean %.0f B\n", sizes.back(),
              static_cast<double>(std::accumulate(sizes.begin(), sizes.end(), size_t{0})) /
                  static_cast<double>(sizes.size()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  if (o.shape == "kube" && o.dry_run) return DryRun(etcdsnap::bench::KubePlan(o.bytes));
  Pipeline pipeline(Connect(o), o.concurrency);
  Progress progress;
  if (o.shape == "fixed") {
    ForEachFixedOp(o, [&](const Op& op) {
      pipeline.Send(op);
      progress.Maybe(pipeline, "put", false);
    });
    pipeline.Drain();
    progress.Maybe(pipeline, "put", true);
    return 0;
  }
  const etcdsnap::bench::KubePlan plan(o.bytes);
  for (int phase = 0; phase < plan.phases(); ++phase) {
    const std::string name = plan.PhaseName(phase);
    plan.ForEachOp(phase, [&](const Op& op) {
      pipeline.Send(op);
      progress.Maybe(pipeline, name, false);
    });
    pipeline.Drain();
    progress.Maybe(pipeline, name, true);
    if (plan.CompactAfter(phase)) {
      pipeline.Compact();
      std::fprintf(stderr, "etcdsnap-fill: compacted at revision %lld\n",
                   static_cast<long long>(pipeline.revision()));
    }
  }
  std::fprintf(stderr, "etcdsnap-fill: %lld objects, revision %lld\n",
               static_cast<long long>(plan.objects()), static_cast<long long>(pipeline.revision()));
  return 0;
}
