#include "etcdsnap/util/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>

namespace etcdsnap {
namespace {

// "OpenSSL: <what>: <the library's first queued error>".
Status OpenSslError(const std::string& what) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  char buf[256] = "no error queued";
  if (e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  return Status::Internal("OpenSSL: " + what + ": " + buf);
}

}  // namespace

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  Status error;  // the first failure; once set, Update does nothing
  bool finished = false;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr) {
    impl_->error = OpenSslError("cannot allocate a SHA-256 context");
  } else if (EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    impl_->error = OpenSslError("cannot initialise SHA-256");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::Update(const void* data, size_t n) {
  if (!impl_->error.ok() || impl_->finished) return;
  if (EVP_DigestUpdate(impl_->ctx, data, n) != 1) impl_->error = OpenSslError("SHA-256 update");
}

Result<Sha256Digest> Sha256::Finish() {
  if (impl_->finished) return Status::Internal("SHA-256 finished twice");
  impl_->finished = true;
  if (!impl_->error.ok()) return impl_->error;
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) != 1) {
    return OpenSslError("SHA-256 final");
  }
  if (len != out.size()) {
    return Status::Internal("OpenSSL: SHA-256 gave " + std::to_string(len) + " bytes, not 32");
  }
  return out;
}

std::string HexString(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

}  // namespace etcdsnap
