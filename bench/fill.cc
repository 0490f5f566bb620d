// etcdsnap-fill: loads a local etcd with about --bytes of values, fast, for the benchmarks.
// Keeps --concurrency async Puts in flight on one channel (gRPC completion queue).
//
//   etcdsnap-fill --endpoint 127.0.0.1:2379 --bytes 1073741824 --value-size 262144
//                 [--concurrency 16] [--prefix bench/] [--content random|kube]
//                 [--cacert ca --cert c --key k]
//
// The server needs --max-request-bytes above --value-size and a --quota-backend-bytes above the
// target. Exits 0 when every Put succeeded, 1 on the first failure (printed).
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "rpc.grpc.pb.h"

namespace {

struct Options {
  std::string endpoint = "127.0.0.1:2379";
  int64_t bytes = 1LL << 30;
  int value_size = 256 * 1024;
  int concurrency = 16;
  std::string prefix = "bench/";
  std::string content = "random";  // or "kube"

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
    if (i + 1 >= argc) {
      std::fprintf(stderr, "etcdsnap-fill: %s needs a value\n", flag.c_str());
      std::exit(2);
    }
    const std::string value = argv[++i];
    if (flag == "--endpoint") o.endpoint = value;
    else if (flag == "--bytes") o.bytes = std::stoll(value);
    else if (flag == "--value-size") o.value_size = std::stoi(value);
    else if (flag == "--concurrency") o.concurrency = std::stoi(value);
    else if (flag == "--prefix") o.prefix = value;
    else if (flag == "--content") o.content = value;
    else if (flag == "--cacert") o.cacert = value;
    else if (flag == "--cert") o.cert = value;
    else if (flag == "--key") o.key = value;
    else {
      std::fprintf(stderr, "etcdsnap-fill: unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  if (o.value_size <= 0 || o.concurrency <= 0 || o.bytes <= 0) {
    std::fprintf(stderr, "etcdsnap-fill: sizes and concurrency must be positive\n");
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

// One Put in flight.
struct Call {
  grpc::ClientContext context;
  etcdserverpb::PutResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> reader;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  auto kv = etcdserverpb::KV::NewStub(Connect(o));
  grpc::CompletionQueue cq;
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
                    "T10:" + std::to_string(10 + n % 50) + ":00Z\",\"labels\":{\"app\":\"web\","
                    "\"pod-template-hash\":\"" + std::to_string(next() % 100000) + "\"}},"
                    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"registry.example/"
                    "web:1." + std::to_string(n % 9) + "\",\"resources\":{\"requests\":{\"cpu\":"
                    "\"100m\",\"memory\":\"128Mi\"}}}],\"nodeName\":\"node-" +
                    std::to_string(n % 50) + "\"},\"status\":{\"phase\":\"Running\",\"podIP\":"
                    "\"10.244." + std::to_string(next() % 256) + "." + std::to_string(next() % 256) +
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
  const auto start = std::chrono::steady_clock::now();
  int64_t issued = 0;
  int64_t done = 0;
  const auto issue = [&] {
    auto* call = new Call;
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    etcdserverpb::PutRequest req;
    req.set_key(o.prefix + std::to_string(issued));
    if (o.content == "kube") {
      req.set_value(kube_value(issued));
    } else {
      // Vary the first bytes per key so values are distinct.
      value.replace(0, 8, reinterpret_cast<const char*>(&issued), 8);
      req.set_value(value);
    }
    call->reader = kv->AsyncPut(&call->context, req, &cq);
    call->reader->Finish(&call->response, &call->status, call);
    ++issued;
  };
  while (issued < count && issued < o.concurrency) issue();
  void* tag = nullptr;
  bool ok = false;
  int64_t last_report = 0;
  while (done < count && cq.Next(&tag, &ok)) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    if (!ok || !call->status.ok()) {
      std::fprintf(stderr, "etcdsnap-fill: put failed after %lld values: %s\n",
                   static_cast<long long>(done), call->status.error_message().c_str());
      return 1;
    }
    ++done;
    if (issued < count) issue();
    const int64_t written = done * o.value_size;
    if (written - last_report >= (64LL << 20) || done == count) {
      last_report = written;
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "etcdsnap-fill: %lld MiB in %.1f s (%.0f MiB/s)\n",
                   static_cast<long long>(written >> 20), secs, (written >> 20) / secs);
    }
  }
  cq.Shutdown();
  return 0;
}
