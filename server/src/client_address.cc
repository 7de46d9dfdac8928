#include "client_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace dala::server {

namespace {

struct ParsedIp {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
};

// inet_pton takes a NUL-terminated string and stops at the first NUL, so
// one inside `text` would hide what follows; anything else after the
// address (a space, a port) makes it refuse, as it should.
std::optional<ParsedIp> ParseIp(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos)
    return std::nullopt;
  const std::string z(text);
  ParsedIp ip;
  if (::inet_pton(AF_INET, z.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (::inet_pton(AF_INET6, z.c_str(), ip.bytes.data()) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(ip.bytes.data(), kMapped, sizeof kMapped) == 0) {
      // The same IPv4 peer, seen through a dual-stack socket.
      std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
      std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
      ip.family = AF_INET;
    } else {
      ip.family = AF_INET6;
    }
    return ip;
  }
  return std::nullopt;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> CanonicalIp(std::string_view text) {
  auto ip = ParseIp(text);
  if (!ip) return std::nullopt;
  char out[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(ip->family, ip->bytes.data(), out, sizeof out) == nullptr) return std::nullopt;
  return std::string(out);
}

Result<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& entries) {
  TrustedProxies trusted;
  for (const std::string& entry : entries) {
    auto bad = [&] {
      return Status::InvalidArgument("a trusted proxy is an IP address (10.0.0.2, fd00::2) or a CIDR block "
                                     "(10.0.0.0/24), not '" + entry + "'");
    };
    std::string_view text = entry;
    std::string_view prefix_text;
    if (size_t slash = text.find('/'); slash != std::string_view::npos) {
      prefix_text = text.substr(slash + 1);
      text = text.substr(0, slash);
      if (prefix_text.empty() || prefix_text.size() > 3) return bad();
    }
    auto ip = ParseIp(text);
    if (!ip) return bad();
    // A mapped IPv6 entry became IPv4 above; its prefix counts IPv6 bits.
    const bool mapped = ip->family == AF_INET && text.find(':') != std::string_view::npos;
    const int max_bits = ip->family == AF_INET ? 32 : 128;
    int bits = max_bits;
    if (!prefix_text.empty()) {
      bits = 0;
      for (char c : prefix_text) {
        if (c < '0' || c > '9') return bad();
        bits = bits * 10 + (c - '0');
      }
      if (mapped) bits -= 96;
      if (bits < 0 || bits > max_bits) return bad();
    }
    trusted.blocks_.push_back(Block{ip->family, ip->bytes, bits});
  }
  return trusted;
}

bool TrustedProxies::Contains(std::string_view peer) const {
  if (blocks_.empty()) return false;
  auto ip = ParseIp(peer);
  if (!ip) return false;
  return std::any_of(blocks_.begin(), blocks_.end(), [&](const Block& b) {
    if (b.family != ip->family) return false;
    const int whole = b.prefix_bits / 8;
    if (std::memcmp(b.bytes.data(), ip->bytes.data(), static_cast<size_t>(whole)) != 0) return false;
    const int rest = b.prefix_bits % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
    return (b.bytes[static_cast<size_t>(whole)] & mask) == (ip->bytes[static_cast<size_t>(whole)] & mask);
  });
}

std::string ClientAddress(const std::string& peer, std::string_view x_forwarded_for, const TrustedProxies& trusted) {
  if (x_forwarded_for.empty() || !trusted.Contains(peer)) return peer;
  size_t comma = x_forwarded_for.rfind(',');
  std::string_view last = Trim(comma == std::string_view::npos ? x_forwarded_for : x_forwarded_for.substr(comma + 1));
  auto client = CanonicalIp(last);
  return client ? *client : peer;
}

bool ForwardedOverTls(const std::string& peer, std::string_view x_forwarded_proto, const TrustedProxies& trusted) {
  if (x_forwarded_proto.empty() || !trusted.Contains(peer)) return false;
  size_t comma = x_forwarded_proto.rfind(',');
  std::string_view last =
      Trim(comma == std::string_view::npos ? x_forwarded_proto : x_forwarded_proto.substr(comma + 1));
  return last.size() == 5 && std::equal(last.begin(), last.end(), "https", [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
         });
}

}  // namespace dala::server
