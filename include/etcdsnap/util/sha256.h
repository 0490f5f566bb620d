// Incremental SHA-256 over OpenSSL's low-level SHA256_* functions (no provider, no
// configuration: see sha256.cc). Not thread-safe; one hasher per stream. Never throws: an
// OpenSSL failure is kept and returned by Finish(), like a stream's error state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "etcdsnap/util/status.h"

namespace etcdsnap {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Does nothing once an error is kept.
  void Update(const void* data, size_t n);
  void Update(std::span<const uint8_t> data) { Update(data.data(), data.size()); }
  // The digest, or the first error (kInternal). The hasher must not be used afterwards; a
  // second Finish() is an error.
  Result<Sha256Digest> Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lowercase hex of bytes.
std::string HexString(std::span<const uint8_t> bytes);

}  // namespace etcdsnap
