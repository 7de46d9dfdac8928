#include "transport_common.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace dala::client {

std::string TransportResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return v;
  }
  return "";
}

bool IsLoopbackUrl(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.find('@') != std::string_view::npos) return false;  // user info: not an address we write
  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty() && after.front() != ':') return false;
  } else {
    host = rest.substr(0, rest.find(':'));
  }
  if (host == "localhost" || host == "[::1]") return true;
  // 127.0.0.0/8, written as four decimal numbers.
  if (host.rfind("127.", 0) != 0) return false;
  int parts = 0;
  for (size_t from = 0; from <= host.size(); ++parts) {
    size_t dot = std::min(host.find('.', from), host.size());
    std::string_view part = host.substr(from, dot - from);
    int octet = 0;
    auto [stop, error] = std::from_chars(part.data(), part.data() + part.size(), octet);
    if (part.empty() || part.size() > 3 || error != std::errc() || stop != part.data() + part.size() || octet > 255)
      return false;
    from = dot + 1;
  }
  return parts == 4;
}

namespace transport_internal {

std::string HostOf(std::string_view url) {
  url = url.substr(url.find("://") + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (!url.empty() && url.front() == '[') return std::string(url.substr(1, url.find(']') - 1));
  return std::string(url.substr(0, url.find(':')));
}

Status CheckServerUrl(const std::string& base_url, const HttpTransportOptions& options) {
  if (base_url.rfind("http://", 0) != 0 && base_url.rfind("https://", 0) != 0)
    return Status::InvalidArgument("server address must start with http:// or https://: " + base_url);
  if (base_url.rfind("http://", 0) == 0 && !options.allow_plain_http && !IsLoopbackUrl(base_url))
    return Status::InvalidArgument(base_url + " is not encrypted: anyone on the network in between could read the "
                                   "records and slip things into what comes back. Use an https:// address, or "
                                   "--allow-http on a network you trust")
        .WithReason("plain_http");
  return Status::Ok();
}

namespace {

constexpr std::string_view kCannotReach = "cannot reach the server: ";
constexpr std::string_view kRefused = "the server's certificate was refused (";

std::string Words(std::string_view reason, const std::string& base_url, const std::string& ca_file,
                  const std::string& detail) {
  const std::string host = HostOf(base_url);
  if (reason == "tls_wrong_host")
    return "the server's certificate is not for " + host + " (make one that names it: dala-server tls init --host " +
           host + ")";
  if (reason == "tls_untrusted")
    return "the server's certificate is not signed by an authority this computer trusts; if the server made its "
           "own (dala-server tls init), give its ca.pem with --ca";
  if (reason == "tls_wrong_ca") return "the certificate is not signed by the CA you gave (" + ca_file + ")";
  if (reason == "tls_expired") return "the server's certificate has expired (or this computer's clock is wrong)";
  if (reason == "tls_not_yet_valid") return "the server's certificate is not valid yet: check this computer's clock";
  if (reason == "tls_refused") return std::string(kRefused) + detail + ")";
  if (reason == "tls_ca_unreadable") return "cannot read the CA file " + ca_file + " (a PEM certificate)";
  if (reason == "tls_no_handshake") return "no TLS handshake with the server: if it serves plain http, use http://";
  if (reason == "https_server") return "this is an https server; use https://" + base_url.substr(std::strlen("http://"));
  return detail;
}

}  // namespace

Status CannotReach(std::string_view reason, const std::string& base_url, const std::string& ca_file,
                   const std::string& detail) {
  return Status(Status::Code::kUnavailable, std::string(reason),
                std::string(kCannotReach) + Words(reason, base_url, ca_file, detail));
}

std::string RefusalDetail(const Status& s) {
  if (s.reason() != "tls_refused") return "";
  const std::string prefix = std::string(kCannotReach) + std::string(kRefused);
  const std::string& m = s.message();
  if (m.size() <= prefix.size() || m.compare(0, prefix.size(), prefix) != 0 || m.back() != ')') return "";
  return m.substr(prefix.size(), m.size() - prefix.size() - 1);
}

}  // namespace transport_internal
}  // namespace dala::client
