// The client's HTTP edge on Linux (cpp-httplib with OpenSSL); on Windows
// http_transport_windows.cc (WinHTTP) takes its place.
#include <cstring>
#include <string>
#include <httplib.h>
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
#include <openssl/x509_vfy.h>
#endif

#include "dala/client/transport.h"
#include "transport_common.h"

namespace dala::client {

namespace {

using transport_internal::CannotReach;

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
      return Explain(r.error());
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

  // What went wrong, with the reason the command line words (transport_common.cc).
  Status Explain(httplib::Error error) {
    using E = httplib::Error;
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    if (error == E::SSLServerVerification) {
      const long v = client_.get_openssl_verify_result();
      switch (v) {
        case X509_V_OK:  // the chain is good, so the name did not match
          return CannotReach("tls_wrong_host", base_url_, ca_file_);
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
          return CannotReach(ca_file_.empty() ? "tls_untrusted" : "tls_wrong_ca", base_url_, ca_file_);
        case X509_V_ERR_CERT_HAS_EXPIRED:
          return CannotReach("tls_expired", base_url_, ca_file_);
        case X509_V_ERR_CERT_NOT_YET_VALID:
          return CannotReach("tls_not_yet_valid", base_url_, ca_file_);
        default:
          return CannotReach("tls_refused", base_url_, ca_file_, "OpenSSL verify error " + std::to_string(v));
      }
    }
    if (error == E::SSLLoadingCerts) return CannotReach("tls_ca_unreadable", base_url_, ca_file_);
    if (error == E::SSLConnection && Https()) return CannotReach("tls_no_handshake", base_url_, ca_file_);
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
      if (probe.Get("/api/v1/health")) return CannotReach("https_server", base_url_, ca_file_);
    }
#endif
    return CannotReach("unreachable", base_url_, ca_file_, httplib::to_string(error));
  }

  httplib::Client client_;
  std::string base_url_;
  std::string ca_file_;
};

}  // namespace

Result<std::unique_ptr<Transport>> MakeHttpTransport(const std::string& base_url,
                                                     const HttpTransportOptions& options) {
  if (Status valid = transport_internal::CheckServerUrl(base_url, options); !valid.ok()) return valid;
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (base_url.rfind("https://", 0) == 0) return Status::InvalidArgument("this build of dala has no TLS support");
#endif
  return std::unique_ptr<Transport>(new HttpTransport(base_url, options));
}

}  // namespace dala::client
