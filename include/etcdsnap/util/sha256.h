// Incremental SHA-256 over OpenSSL's EVP interface. Not thread-safe; one hasher per stream.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace etcdsnap {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t n);
  void Update(std::span<const uint8_t> data) { Update(data.data(), data.size()); }
  // Returns the digest; the hasher must not be updated afterwards.
  Sha256Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lowercase hex of bytes.
std::string HexString(std::span<const uint8_t> bytes);

}  // namespace etcdsnap
