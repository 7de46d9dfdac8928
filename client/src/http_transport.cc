// The client's HTTP edge: the only client file that includes httplib.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>
#include <httplib.h>
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
#include <openssl/x509_vfy.h>
#endif

#include "dala/client/transport.h"

namespace dala::client {

std::string TransportResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return v;
  }
  return "";
}

namespace {

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
// "host" of "https://host:8443/..." or "[::1]" of "http://[::1]:80".
std::string HostOf(std::string_view url) {
  url = url.substr(url.find("://") + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (!url.empty() && url.front() == '[') return std::string(url.substr(1, url.find(']') - 1));
  return std::string(url.substr(0, url.find(':')));
}
#endif

class HttpTransport final : public Transport {
 public:
  HttpTransport(const std::string& base_url, const HttpTransportOptions& options)
      : client_(base_url), base_url_(base_url), ca_file_(options.ca_file) {
    client_.set_connection_timeout(options.connect_timeout_seconds, 0);
    client_.set_read_timeout(options.read_timeout_seconds, 0);
    client_.set_write_timeout(options.read_timeout_seconds, 0);
    // Sync bodies are compressed by the protocol itself, and their byte
    // counts are measured: no transparent compression on top.
    client_.set_compress(false);
    client_.set_decompress(false);
    client_.set_keep_alive(true);
    // Small requests and answers: without this, Nagle and delayed ACKs add
    // tens of milliseconds to every exchange.
    client_.set_tcp_nodelay(true);
    // Targets go out exactly as signed (device signatures cover them).
    client_.set_url_encode(false);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    if (!options.ca_file.empty()) client_.set_ca_cert_path(options.ca_file.c_str());
#endif
  }

  Result<TransportResponse> Send(const TransportRequest& request) override {
    httplib::Headers headers;
    for (const auto& [k, v] : request.headers) headers.emplace(k, v);
    httplib::Result r = request.method == "GET"
                            ? client_.Get(request.target.c_str(), headers)
                            : client_.Post(request.target.c_str(), headers, request.body,
                                           request.content_type.empty() ? "application/octet-stream"
                                                                        : request.content_type.c_str());
    if (!r) {
      // The reason names what went wrong, so the command line can say it
      // in the volunteer's language; the message stays for logs and tests.
      Failure f = Explain(r.error());
      return Status(Status::Code::kUnavailable, f.reason, "cannot reach the server: " + f.words);
    }
    TransportResponse out;
    out.status = r->status;
    out.content_type = r->get_header_value("Content-Type");
    out.body = std::move(r->body);
    for (const auto& [k, v] : r->headers) out.headers.emplace_back(k, v);
    return out;
  }

 private:
  bool Https() const { return base_url_.rfind("https://", 0) == 0; }

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  bool AnswersPlainHttp() const {
    httplib::Client plain(base_url_);
    plain.set_connection_timeout(5, 0);
    plain.set_read_timeout(5, 0);
    return static_cast<bool>(plain.Get("/api/v1/health"));
  }
#endif

  struct Failure {
    const char* reason;
    std::string words;
  };

  // What went wrong, in words a volunteer can act on.
  Failure Explain(httplib::Error error) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    using E = httplib::Error;
    if (error == E::SSLServerVerification) {
      const long v = client_.get_openssl_verify_result();
      switch (v) {
        case X509_V_OK:  // the chain is good, so the name did not match
          return {"tls_wrong_host", "the server's certificate is not for " + HostOf(base_url_) +
                                        " (make one that names it: dala-server tls init --host " +
                                        HostOf(base_url_) + ")"};
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
          if (ca_file_.empty())
            return {"tls_untrusted",
                    "the server's certificate is not signed by an authority this computer trusts; if the server "
                    "made its own (dala-server tls init), give its ca.pem with --ca"};
          return {"tls_wrong_ca", "the certificate is not signed by the CA you gave (" + ca_file_ + ")"};
        case X509_V_ERR_CERT_HAS_EXPIRED:
          return {"tls_expired", "the server's certificate has expired (or this computer's clock is wrong)"};
        case X509_V_ERR_CERT_NOT_YET_VALID:
          return {"tls_not_yet_valid", "the server's certificate is not valid yet: check this computer's clock"};
        default:
          return {"tls_refused",
                  "the server's certificate was refused (OpenSSL verify error " + std::to_string(v) + ")"};
      }
    }
    if (error == E::SSLLoadingCerts)
      return {"tls_ca_unreadable", "cannot read the CA file " + ca_file_ + " (a PEM certificate)"};
    if (error == E::SSLConnection && Https())
      return {"tls_no_handshake", "no TLS handshake with the server: if it serves plain http, use http://"};
    // A TLS server drops a plain request unanswered; ask it in TLS, only to
    // name the mistake (nothing is sent but a health check). Unless it
    // answers in plain HTTP: then the answer was lost on the way, and a
    // TLS handshake would only wait out the read timeout.
    if ((error == E::Read || error == E::Write) && !Https() && !AnswersPlainHttp()) {
      const std::string https = "https://" + base_url_.substr(std::strlen("http://"));
      httplib::Client probe(https);
      probe.enable_server_certificate_verification(false);
      probe.set_connection_timeout(5, 0);
      probe.set_read_timeout(5, 0);
      if (probe.Get("/api/v1/health")) return {"https_server", "this is an https server; use " + https};
    }
#endif
    return {"unreachable", httplib::to_string(error)};
  }

  httplib::Client client_;
  std::string base_url_;
  std::string ca_file_;
};

}  // namespace

Result<std::unique_ptr<Transport>> MakeHttpTransport(const std::string& base_url,
                                                     const HttpTransportOptions& options) {
  if (base_url.rfind("http://", 0) != 0 && base_url.rfind("https://", 0) != 0)
    return Status::InvalidArgument("server address must start with http:// or https://: " + base_url);
  if (base_url.rfind("https://", 0) == 0) {
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
    return Status::InvalidArgument("this build of dala has no TLS support");
#endif
  } else if (!options.allow_plain_http && !IsLoopbackUrl(base_url)) {
    return Status::InvalidArgument(base_url + " is not encrypted: anyone on the network in between could read the "
                                   "records and slip things into what comes back. Use an https:// address, or "
                                   "--allow-http on a network you trust");
  }
  return std::unique_ptr<Transport>(new HttpTransport(base_url, options));
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

}  // namespace dala::client
