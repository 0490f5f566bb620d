#include "pki.h"

#include <cstdio>
#include <cstdlib>

#include "subprocess.h"

namespace etcdsnap::testing {
namespace {

// OpenSSL 3.0 (Debian 12) has no `x509 -not_before`; a certificate valid only in the past comes
// from `openssl ca` with explicit -startdate/-enddate and a minimal config.
constexpr char kScript[] = R"sh(
set -eu
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1.key" -out "$1.crt" -days 3650 -subj "/CN=etcdsnap-test-$1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() {  # name issuer extensions
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial \
    -out "$1.crt" -days 3650 -extfile "$1.ext"
}
ca ca
ca other-ca
leaf server ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
leaf client ca "extendedKeyUsage=clientAuth"
leaf other-client other-ca "extendedKeyUsage=clientAuth"
mkdir -p expdb && : > expdb/index.txt && echo 1000 > expdb/serial
cat > expired.cnf <<EOT
[ca]
default_ca = d
[d]
database = expdb/index.txt
serial = expdb/serial
new_certs_dir = expdb
default_md = sha256
policy = p
unique_subject = no
x509_extensions = e
[p]
commonName = supplied
[e]
extendedKeyUsage = clientAuth
EOT
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout expired.key -out expired.csr -subj "/CN=expired"
openssl ca -batch -notext -config expired.cnf -cert ca.crt -keyfile ca.key -in expired.csr \
  -out expired.crt -startdate 20200101000000Z -enddate 20200102000000Z
chmod 600 *.key
)sh";

CertKey Pair(const TempDir& dir, const std::string& name) {
  return {dir.Join(name + ".crt"), dir.Join(name + ".key")};
}

}  // namespace

Pki::Pki() {
  SubprocessOptions options;
  options.cwd = dir_.path();
  const CommandResult r = RunCommand({"/bin/sh", "-c", kScript}, options, std::chrono::seconds(60));
  if (r.exit_code != 0) {
    std::fprintf(stderr, "generating test PKI with openssl failed:\n%s\n", r.Describe().c_str());
    std::abort();
  }
  ca = Pair(dir_, "ca");
  server = Pair(dir_, "server");
  client = Pair(dir_, "client");
  other_ca = Pair(dir_, "other-ca");
  other_client = Pair(dir_, "other-client");
  expired_client = Pair(dir_, "expired");
}

}  // namespace etcdsnap::testing
