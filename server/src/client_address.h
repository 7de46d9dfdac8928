// Whose request it is, when the server sits behind a reverse proxy.
//
// Behind nginx or a load balancer every connection comes from the proxy,
// so what is kept per client address (the login throttle, auth_throttle.h;
// the gate's per-address caps, http_edge_gate.h) would see one client. The
// operator names the proxies (`serve --trusted-proxy ADDR`); a request
// from one of them is taken to come from the LAST entry of its
// X-Forwarded-For, the one that proxy appended (nginx's
// $proxy_add_x_forwarded_for). Earlier entries were written by whoever
// sent the request to the proxy and are ignored. From any other peer,
// X-Forwarded-For is ignored entirely: a client must not pick its address.
//
// The proxy usually ends TLS itself and talks plain HTTP to the server; its
// X-Forwarded-Proto says whether the client used TLS, which decides the
// Secure cookie flag and the origin a browser's request must come from.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"

namespace dala::server {

// `text` as inet_ntop writes it (lowercase, "::" compressed), with an
// IPv4-mapped IPv6 address ("::ffff:10.0.0.5", as a dual-stack listener
// sees an IPv4 peer) as plain IPv4; nullopt unless `text` is exactly one
// IPv4 or IPv6 address (no port, brackets, zone or spaces).
std::optional<std::string> CanonicalIp(std::string_view text);

// The reverse proxies whose X-Forwarded-For is believed.
class TrustedProxies {
 public:
  TrustedProxies() = default;  // none: every peer is the client

  // Each entry an IPv4 or IPv6 address, or a block of them in CIDR
  // notation (10.0.0.0/24, fd00::/64). InvalidArgument naming the first
  // entry that is neither.
  static Result<TrustedProxies> Parse(const std::vector<std::string>& entries);

  bool empty() const { return blocks_.empty(); }
  // Whether `peer` (a connection's address as inet_ntop gives it) is one.
  bool Contains(std::string_view peer) const;

 private:
  struct Block {
    int family = 0;  // AF_INET or AF_INET6
    std::array<unsigned char, 16> bytes{};
    int prefix_bits = 0;
  };
  std::vector<Block> blocks_;
};

// The address a request comes from: `peer`, unless `peer` is a trusted
// proxy and the last comma-separated entry of `x_forwarded_for` (the
// header's lines joined with ", ") is an IP address, which is then
// returned in CanonicalIp's form.
std::string ClientAddress(const std::string& peer, std::string_view x_forwarded_for, const TrustedProxies& trusted);

// Whether a request that reached the server over plain HTTP came from its
// client over TLS: only when `peer` is a trusted proxy whose
// X-Forwarded-Proto (its last entry) is "https".
bool ForwardedOverTls(const std::string& peer, std::string_view x_forwarded_proto, const TrustedProxies& trusted);

}  // namespace dala::server
