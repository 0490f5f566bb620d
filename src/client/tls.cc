#include "etcdsnap/client/tls.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "etcdsnap/util/secret.h"

namespace etcdsnap::client {
namespace {

// Reads a whole PEM file into one string. A key file's bytes must not stay behind in freed
// memory, so no stream buffers (an ifstream's and a stringstream's would each keep a copy) and a
// buffer that has to grow is wiped before it is freed.
Result<std::string> ReadPemFile(const std::string& flag, const std::string& path) {
  const std::string unreadable =
      "cannot read " + flag + " file " + path + ": no such file or not readable";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::InvalidArgument(unreadable);
  std::string pem(4096, '\0');
  size_t n = 0;
  bool failed = false;
  while (true) {
    if (n == pem.size()) {
      std::string bigger(2 * pem.size(), '\0');
      std::memcpy(bigger.data(), pem.data(), n);
      ClearSecret(pem);
      pem.swap(bigger);
    }
    const ssize_t got = ::read(fd, pem.data() + n, pem.size() - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      failed = got < 0;
      break;
    }
    n += static_cast<size_t>(got);
  }
  ::close(fd);
  pem.resize(n);
  if (failed) {
    ClearSecret(pem);
    return Status::InvalidArgument(unreadable);
  }
  if (pem.empty()) return Status::InvalidArgument(flag + " file " + path + " is empty");
  return pem;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

BioPtr MemBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// A password callback that refuses: an encrypted key must not make OpenSSL prompt on the tty.
int NoPassword(char*, int, int, void*) { return -1; }

std::string Asn1Time(const ASN1_TIME* t) {
  BioPtr b(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(b.get(), t);
  char* data = nullptr;
  long n = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<X509Ptr> ParseCert(const std::string& flag, const std::string& path,
                          const std::string& pem) {
  auto bio = MemBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr));
  ERR_clear_error();
  if (!cert) {
    return Status::InvalidArgument(flag + " file " + path +
                                   " holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
  }
  return cert;
}

}  // namespace

Result<TlsMaterial> TlsMaterial::Load(const TlsFiles& files) {
  TlsMaterial m;
  m.skip_verify_ = files.skip_verify;
  if (files.cert.empty() != files.key.empty()) {
    return Status::InvalidArgument(files.cert.empty()
                                       ? "--key given without --cert: give both or neither"
                                       : "--cert given without --key: give both or neither");
  }
  if (!files.cacert.empty()) {
    ETCDSNAP_ASSIGN_OR_RETURN(m.root_pem_, ReadPemFile("--cacert", files.cacert));
    ETCDSNAP_RETURN_IF_ERROR(ParseCert("--cacert", files.cacert, m.root_pem_).status());
  }
  if (!files.cert.empty()) {
    ETCDSNAP_ASSIGN_OR_RETURN(m.cert_pem_, ReadPemFile("--cert", files.cert));
    ETCDSNAP_ASSIGN_OR_RETURN(m.key_pem_, ReadPemFile("--key", files.key));
    ETCDSNAP_ASSIGN_OR_RETURN(X509Ptr cert, ParseCert("--cert", files.cert, m.cert_pem_));
    auto bio = MemBio(m.key_pem_);
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
    ERR_clear_error();
    if (!key) {
      return Status::InvalidArgument(
          "--key file " + files.key +
          " holds no unencrypted PEM private key (encrypted keys are not supported)");
    }
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
      ERR_clear_error();
      return Status::InvalidArgument("--key file " + files.key +
                                     " does not match the certificate in --cert file " +
                                     files.cert);
    }
    if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0) {
      return Status::InvalidArgument("client certificate " + files.cert + " expired on " +
                                     Asn1Time(X509_get0_notAfter(cert.get())) +
                                     ": renew it (the server would refuse it)");
    }
    if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) > 0) {
      return Status::InvalidArgument("client certificate " + files.cert +
                                     " is not valid before " +
                                     Asn1Time(X509_get0_notBefore(cert.get())) +
                                     ": check this machine's clock");
    }
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn,
                                  sizeof cn) > 0) {
      m.cert_cn_ = cn;
    }
  }
  return m;
}

TlsMaterial::~TlsMaterial() { ClearSecret(key_pem_); }

TlsMaterial::TlsMaterial(const TlsMaterial& other) = default;

TlsMaterial& TlsMaterial::operator=(const TlsMaterial& other) {
  if (this != &other) {
    ClearSecret(key_pem_);  // the assignment may free this buffer or only partly overwrite it
    root_pem_ = other.root_pem_;
    cert_cn_ = other.cert_cn_;
    cert_pem_ = other.cert_pem_;
    key_pem_ = other.key_pem_;
    skip_verify_ = other.skip_verify_;
  }
  return *this;
}

TlsMaterial::TlsMaterial(TlsMaterial&& other) noexcept
    : root_pem_(std::move(other.root_pem_)),
      cert_cn_(std::move(other.cert_cn_)),
      cert_pem_(std::move(other.cert_pem_)),
      key_pem_(std::move(other.key_pem_)),
      skip_verify_(other.skip_verify_) {
  // A key short enough for the string's inline buffer is copied, not taken: wipe the source.
  ClearSecret(other.key_pem_);
}

TlsMaterial& TlsMaterial::operator=(TlsMaterial&& other) noexcept {
  if (this != &other) {
    // libstdc++'s move assignment hands this string's buffer to `other` instead of freeing it:
    // wipe it first, and `other`'s after.
    ClearSecret(key_pem_);
    root_pem_ = std::move(other.root_pem_);
    cert_cn_ = std::move(other.cert_cn_);
    cert_pem_ = std::move(other.cert_pem_);
    key_pem_ = std::move(other.key_pem_);
    skip_verify_ = other.skip_verify_;
    ClearSecret(other.key_pem_);
  }
  return *this;
}

}  // namespace etcdsnap::client
