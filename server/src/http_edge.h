// The HTTP edge: the one place that knows cpp-httplib. It turns each
// httplib request into an HttpRequest, asks the Router, and turns the
// HttpResponse back; every limit of the listener is set here, from
// ServerConfig, and every failure becomes a JSON error.
//
// What reaches a handler:
//  - path: URL-decoded by httplib; target: the request target byte for byte
//    as the client sent it on the request line (httplib 0.11 keeps it in
//    Request::target; only a "#fragment", which clients never send, is
//    cut), which is what device signatures cover.
//  - body: at most max_body_bytes on the wire. Bodies must carry a
//    Content-Length (chunked transfer encoding is refused with 411), so the
//    limit is checked before anything is read. httplib undoes a gzip or br
//    Content-Encoding itself; such a body is bounded again after decoding by
//    max_decompressed_bytes, and HttpRequest::body is the decoded body.
//  - headers: repeated headers are joined with ", " (Cookie with "; "), as
//    HTTP allows, so a header sent twice cannot smuggle a second value past
//    a check of the first.
//  - remote_address: the peer's address; from a trusted proxy
//    (EdgeOptions::trusted_proxies), the client X-Forwarded-For names
//    (client_address.h). tls: this connection's, or, from a trusted proxy,
//    the client's as X-Forwarded-Proto says.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "client_address.h"
#include "dala/base/status.h"
#include "router.h"
#include "server_context.h"

namespace httplib {
class Server;
class ContentReader;
struct Request;
struct Response;
}

namespace dala::server::edge {
class Gate;
}

namespace dala::server {

// How the listener is reached and observed; the limits are in ServerConfig.
struct EdgeOptions {
  std::string tls_cert_file;  // both set: HTTPS (PEM files); neither: plain HTTP
  std::string tls_key_file;
  bool access_log = false;  // one line per request on stderr: address method path status duration
  // Reverse proxies whose X-Forwarded-For names the client, and which the
  // gate holds to its overall connection and worker caps only.
  TrustedProxies trusted_proxies;
};

class HttpServer {
 public:
  HttpServer(const ServerConfig& config, Router& router, EdgeOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `host`:`port` (0: an ephemeral port, see port()). Connections
  // queue in the kernel until Run() accepts them.
  Status Listen(const std::string& host, int port);
  int port() const { return port_; }
  bool tls() const { return tls_; }

  // Serves until Stop(); returns once every worker has finished. Call after
  // a successful Listen.
  void Run();
  // Stops accepting and makes Run() return; safe from any thread, before,
  // during or after Run(). Requests in flight complete.
  void Stop();
  // True once Run() is accepting connections; false after `timeout_ms`, or
  // at once if the server stopped or never listened.
  bool WaitUntilReady(int timeout_ms = 5000) const;

 private:
  void Configure();
  // The library's hooks, each a member so Configure only wires them.
  // True when it answered the request itself (a refusal).
  bool PreRoute(const httplib::Request& req, httplib::Response& res);
  void ServePlain(const httplib::Request& req, httplib::Response& res);
  void ServeWithBody(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);

  const ServerConfig config_;
  Router& router_;
  const EdgeOptions options_;
  std::unique_ptr<edge::Gate> gate_;  // destroyed after server_, which hands it sockets
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  bool tls_ = false;

  enum class RunState { kIdle, kRunning, kDone };
  std::atomic<RunState> run_state_{RunState::kIdle};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stop_sent_{false};
};

}  // namespace dala::server
