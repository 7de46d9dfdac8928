// `dala-server tls init`: a small private certificate authority and a
// server certificate it signs, for a server that laptops reach by a name
// or address no public authority will certify (an office LAN address, a
// host without a public name). For a public host, certbot's fullchain.pem
// and privkey.pem work as they are (README.md).
//
// The directory it fills (mode 0700):
//   ca.pem       the authority's certificate: what volunteers and
//                coordinators are given (`dala enroll URL CODE --ca ca.pem`)
//   ca-key.pem   its private key (0600); only needed to issue the next
//                server certificate
//   cert.pem     the server certificate, then ca.pem (for --tls-cert)
//   key.pem      the server's private key (0600) (for --tls-key)
//
// Run again with ca.pem and ca-key.pem present, it keeps the authority
// and issues a new server certificate (new names, or before it expires),
// so that laptops keep the ca.pem they have. Keys are ECDSA P-256,
// signatures SHA-256, made with OpenSSL's library (libssl-dev).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/clock.h"
#include "dala/base/status.h"

namespace dala::server {

inline constexpr const char* kTlsCaFile = "ca.pem";
inline constexpr const char* kTlsCaKeyFile = "ca-key.pem";
inline constexpr const char* kTlsCertFile = "cert.pem";
inline constexpr const char* kTlsKeyFile = "key.pem";

struct TlsInitOptions {
  std::vector<std::string> hosts;  // DNS names or IP addresses, each a subjectAltName
  std::string dir;
  int ca_days = 3650;
  int cert_days = 1825;
};

struct TlsInitResult {
  bool new_ca = false;            // false: the authority already in `dir` was kept
  std::string ca_fingerprint;     // SHA-256 of ca.pem's certificate, hex with colons
  int64_t cert_expires_ms = 0;
  std::vector<std::string> hosts;  // as written into the certificate
};

// A host a certificate may name: an IPv4 or IPv6 address, or a DNS name
// (letters, digits and hyphens in dot-separated labels; no wildcards).
// Returns it normalised (lower case, IPv6 compressed).
Result<std::string> NormalizeTlsHost(std::string_view host);

Result<TlsInitResult> InitTls(const TlsInitOptions& options, const Clock& clock);

}  // namespace dala::server
