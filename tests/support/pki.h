// Pki: throwaway certificates for one test, made with the `openssl` CLI in a temp dir that is
// removed with the object. EC P-256 keys (fast to generate).
//   ca            the CA the server trusts for clients and clients trust for the server
//   server        signed by ca; SAN IP:127.0.0.1, DNS:localhost; serverAuth + clientAuth
//   client        signed by ca; clientAuth
//   other_ca      an unrelated CA; other_client is signed by it
//   expired       signed by ca, valid 2020-01-01 .. 2020-01-02 only
#ifndef ETCDSNAP_TESTS_SUPPORT_PKI_H_
#define ETCDSNAP_TESTS_SUPPORT_PKI_H_

#include <string>

#include "temp_dir.h"

namespace etcdsnap::testing {

// A certificate and its private key (PEM files).
struct CertKey {
  std::string cert;
  std::string key;
};

class Pki {
 public:
  // Generates everything; aborts the test binary when openssl fails (its output is printed).
  Pki();
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  const std::string& dir() const { return dir_.path(); }

  CertKey ca;
  CertKey server;
  CertKey client;
  CertKey other_ca;
  CertKey other_client;
  CertKey expired_client;

 private:
  TempDir dir_{"etcdsnap-pki"};
};

}  // namespace etcdsnap::testing

#endif  // ETCDSNAP_TESTS_SUPPORT_PKI_H_
