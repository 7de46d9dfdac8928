#include "http_edge.h"

#include <httplib.h>

#include "http_edge_gate.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <mutex>
#include <thread>

namespace dala::server {

namespace {

using Clock = std::chrono::steady_clock;

// Each connection is served start to finish by one worker thread, so the
// start of the request it is working on can live in a thread_local.
thread_local Clock::time_point t_request_start{};

std::mutex& LogMutex() {
  static std::mutex m;
  return m;
}

// Request paths are client input: keep control bytes out of the log.
std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(std::min<size_t>(s.size(), 512));
  for (char c : s.substr(0, 512)) out.push_back((c < 0x20 || c == 0x7F) ? '?' : c);
  return out;
}

void LogLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(LogMutex());
  std::cerr << line << '\n';
}

// The JSON error for a status httplib produced on its own (a request it
// could not parse, a body over the limit...).
HttpResponse ErrorForStatus(int status) {
  switch (status) {
    case 400: return JsonError(400, "bad_request", "malformed HTTP request");
    case 404: return JsonError(404, "not_found", "no such endpoint");
    case 405: return JsonError(405, "method_not_allowed", "method not allowed");
    case 411: return JsonError(411, "length_required", "a request body needs a Content-Length");
    case 413: return JsonError(413, "payload_too_large", "the request body is too large");
    case 414: return JsonError(414, "uri_too_long", "the request target is too long");
    case 415: return JsonError(415, "unsupported_media_type", "unsupported Content-Encoding");
    case 416: return JsonError(416, "range_not_satisfiable", "range not satisfiable");
    case 500: return JsonError(500, "internal", "internal server error");
    case 503: return JsonError(503, "unavailable", "the server is busy; try again");
    default: return JsonError(status, "http_error", "HTTP error " + std::to_string(status));
  }
}

// Headers every response carries, set here once: no content sniffing (a
// record's text must never run as a script or style sheet), no framing,
// no referrer leaking ids in URLs, and no caching unless a handler allows it.
void SetSecurityHeaders(httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  res.set_header("Cross-Origin-Resource-Policy", "same-origin");
}

// Milliseconds, "12.3", since a worker read this request's head (after
// any wait in the gate); empty outside a request. The server's own time:
// what a client's wall time cannot tell apart from queueing.
std::string MsSinceRequestStart() {
  if (t_request_start == Clock::time_point{}) return {};
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t_request_start).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(us) / 1000.0);
  return buf;
}

void WriteResponse(const HttpResponse& out, httplib::Response& res) {
  res.status = out.status;
  SetSecurityHeaders(res);
  if (std::string ms = MsSinceRequestStart(); !ms.empty()) res.set_header("Server-Timing", "app;dur=" + ms);
  for (const auto& [name, value] : out.headers) res.set_header(name, value);
  if (!out.headers.count("Cache-Control")) res.set_header("Cache-Control", "no-store");
  if (!out.stream) {
    res.set_content(out.body, out.content_type);
    return;
  }
  // The whole body in one call: the stream writes until it is done. A
  // failure can only cut the body short (the headers are gone): returning
  // false makes httplib drop the connection without the last chunk, which
  // every client reports as an incomplete response.
  auto stream = out.stream;
  res.set_chunked_content_provider(out.content_type, [stream](size_t, httplib::DataSink& sink) {
    Status s = stream([&sink](std::string_view piece) { return sink.write(piece.data(), piece.size()); });
    if (!s.ok()) {
      LogLine("dala-server: a streamed response stopped: " + Printable(s.ToString()));
      return false;
    }
    sink.done();
    return true;
  });
}

HttpResponse InternalError(const httplib::Request& req, std::string_view what) {
  LogLine("dala-server: internal error in " + Printable(req.method) + " " + Printable(req.path) + ": " +
          Printable(what));
  return JsonError(500, "internal", "internal server error");
}

// httplib adds these as headers itself; they are not the client's.
bool IsPseudoHeader(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT";
}

bool IsCookieHeader(const std::string& name) {
  return !CaseInsensitiveLess{}(name, "Cookie") && !CaseInsensitiveLess{}("Cookie", name);
}

// A header's lines joined with ", ", as handlers see them.
std::string JoinedHeader(const httplib::Request& req, const char* name) {
  std::string joined;
  for (size_t i = 0, n = req.get_header_value_count(name); i < n; ++i)
    joined += (i == 0 ? "" : ", ") + req.get_header_value(name, i);
  return joined;
}

// The address a request comes from (client_address.h): the peer's, or the
// client a trusted proxy names.
std::string ClientAddressOf(const httplib::Request& req, const TrustedProxies& trusted) {
  if (trusted.empty()) return req.remote_addr;
  return ClientAddress(req.remote_addr, JoinedHeader(req, "X-Forwarded-For"), trusted);
}

HttpRequest ToHttpRequest(const httplib::Request& req, bool tls, const TrustedProxies& trusted) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  r.target = req.target;
  for (const auto& [name, value] : req.params) r.query.emplace(name, value);  // the first of repeats wins
  for (const auto& [name, value] : req.headers) {
    if (IsPseudoHeader(name)) continue;
    auto [it, inserted] = r.headers.emplace(name, value);
    if (!inserted) it->second += (IsCookieHeader(name) ? "; " : ", ") + value;
  }
  r.remote_address = ClientAddressOf(req, trusted);
  r.tls = tls ||
          (!trusted.empty() && ForwardedOverTls(req.remote_addr, JoinedHeader(req, "X-Forwarded-Proto"), trusted));
  return r;
}

bool IsDecimal(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// No Dala client compresses at the HTTP level (sync bodies are gzip inside
// the protocol, and bounded there), and a small compressed body that
// expands to tens of megabytes before any handler sees it is an easy way to
// exhaust memory: bodies come as sent, or not at all.
bool IsSupportedContentEncoding(const httplib::Request& req) {
  if (req.get_header_value_count("Content-Encoding") > 1) return false;
  std::string e = req.get_header_value("Content-Encoding");
  return e.empty() || e == "identity";
}

bool HasContentEncoding(const httplib::Request& req) {
  std::string e = req.get_header_value("Content-Encoding");
  return !e.empty() && e != "identity";
}

// Media types httplib would parse on its own (and, for multipart through a
// content reader, crash on); Dala speaks JSON and raw bytes only.
bool IsFormMediaType(const httplib::Request& req) {
  std::string t = req.get_header_value("Content-Type");
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t.rfind("multipart/", 0) == 0;
}

// The library's accept loop runs each accepted socket through its task
// queue; this one runs the task at once, on the accept thread, and the
// task only hands the socket to the gate (Gated below), which never blocks.
class InlineTaskQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

// The library's server with its per-connection entry point given to the
// gate, and its request processing offered to the gate's workers.
template <typename Base>
class Gated final : public Base {
 public:
  using Base::Base;
  void SetGate(edge::Gate* gate) { gate_ = gate; }
  // The library listens with a backlog of 5, so a burst of connections
  // (a room of laptops syncing after a power cut, or 500 slow clients)
  // would have its SYNs dropped and retried seconds later. Listening
  // again on a bound socket only changes the backlog.
  void RaiseBacklog(int backlog) { ::listen(this->svr_sock_, backlog); }
  bool ServeOne(httplib::Stream& stream, bool close_connection, bool* connection_closed) {
    bool closed = false;
    bool ok = this->process_request(stream, close_connection, closed, {});
    *connection_closed = closed;
    return ok;
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    gate_->Admit(sock);
    return true;
  }
  edge::Gate* gate_ = nullptr;
};

edge::GateLimits LimitsOf(const ServerConfig& c, const EdgeOptions& options) {
  edge::GateLimits l;
  l.head_timeout_ms = int64_t{c.head_timeout_seconds} * 1000;
  l.idle_timeout_ms = int64_t{c.idle_timeout_seconds} * 1000;
  l.request_timeout_ms = int64_t{c.request_timeout_seconds} * 1000;
  l.io_timeout_ms = int64_t{c.read_timeout_seconds} * 1000;
  l.write_timeout_ms = std::max<int64_t>(int64_t{c.write_timeout_seconds} * 1000, 600'000);
  l.max_head_bytes = c.max_header_bytes;
  l.max_header_lines = c.max_header_lines;
  l.max_connections = c.max_connections;
  l.max_connections_per_address = c.max_connections_per_address;
  l.workers = static_cast<size_t>(std::max(1, c.threads));
  l.max_workers_per_address = static_cast<size_t>(std::max(1, c.max_workers_per_address));
  l.trusted_proxies = options.trusted_proxies;
  return l;
}

}  // namespace

HttpServer::HttpServer(const ServerConfig& config, Router& router, EdgeOptions options)
    : config_(config), router_(router), options_(std::move(options)) {}

HttpServer::~HttpServer() {
  // Run() must have returned (the owner joins its thread before this).
  Stop();
}

Status HttpServer::Listen(const std::string& host, int port) {
  if (server_) return Status::FailedPrecondition("the server is already listening");
  if (port < 0 || port > 65535) return Status::InvalidArgument("port " + std::to_string(port) + " is out of range");
  bool want_tls = !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
  if (want_tls) {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty())
      return Status::InvalidArgument("TLS needs both a certificate and a key file");
    auto ssl = std::make_unique<Gated<httplib::SSLServer>>(options_.tls_cert_file.c_str(),
                                                            options_.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return Status::InvalidArgument("cannot load the TLS certificate " + options_.tls_cert_file + " and key " +
                                     options_.tls_key_file + " (PEM files that belong together)");
    }
    auto* gated = ssl.get();
    gate_ = std::make_unique<edge::Gate>(
        LimitsOf(config_, options_),
        [gated](httplib::Stream& s, bool close, bool* closed) { return gated->ServeOne(s, close, closed); },
        ssl->ssl_context());
    ssl->SetGate(gate_.get());
    server_ = std::move(ssl);
    tls_ = true;
  } else {
    auto plain = std::make_unique<Gated<httplib::Server>>();
    auto* gated = plain.get();
    gate_ = std::make_unique<edge::Gate>(
        LimitsOf(config_, options_),
        [gated](httplib::Stream& s, bool close, bool* closed) { return gated->ServeOne(s, close, closed); }, nullptr);
    plain->SetGate(gate_.get());
    server_ = std::move(plain);
  }
  Configure();
  int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    server_.reset();
    return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) +
                               " (address in use, or not an address of this machine)");
  }
  port_ = bound;
  if (tls_)
    static_cast<Gated<httplib::SSLServer>*>(server_.get())->RaiseBacklog(SOMAXCONN);
  else
    static_cast<Gated<httplib::Server>*>(server_.get())->RaiseBacklog(SOMAXCONN);
  return Status::Ok();
}

void HttpServer::Configure() {
  httplib::Server& s = *server_;
  // Connections, timeouts and keep-alive are the gate's (http_edge_gate.h).
  s.new_task_queue = [] { return new InlineTaskQueue(); };
  s.set_payload_max_length(config_.max_body_bytes);
  s.set_keep_alive_max_count(edge::GateLimits{}.keep_alive_max_requests);  // for the Keep-Alive header it writes
  s.set_keep_alive_timeout(config_.idle_timeout_seconds);
  s.set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which would let a second
  // server bind the same port and silently take half the connections.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  s.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) {
        return PreRoute(req, res) ? httplib::Server::HandlerResponse::Handled
                                  : httplib::Server::HandlerResponse::Unhandled;
      });

  // Called for every response with status >= 400; ours already have a body.
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    // The library's own refusal of a request it could not read: what
    // follows on the connection cannot be trusted to be a request.
    HttpResponse e = ErrorForStatus(res.status);
    SetSecurityHeaders(res);
    res.set_header("Connection", "close");
    edge::CloseAfterResponse();
    res.set_content(e.body, e.content_type);
    return httplib::Server::HandlerResponse::Handled;
  }));

  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    res.headers.clear();
    WriteResponse(InternalError(req, what), res);
  });

  if (options_.access_log) {
    s.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      std::string duration = MsSinceRequestStart();
      duration = duration.empty() ? "-" : duration + "ms";
      t_request_start = Clock::time_point{};
      // The client, as the throttle sees it, and the proxy it came through.
      std::string from = ClientAddressOf(req, options_.trusted_proxies);
      if (from != req.remote_addr) from += " via " + req.remote_addr;
      LogLine("dala-server: " + Printable(from) + " " + Printable(req.method) + " " +
              Printable(req.path) + " " + std::to_string(res.status) + " " + duration);
    });
  }

  // One catch-all per method: the Router does the routing.
  auto plain = [this](const httplib::Request& req, httplib::Response& res) { ServePlain(req, res); };
  auto with_body = [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    ServeWithBody(req, res, reader);
  };
  const std::string any = ".*";
  s.Get(any, plain);
  s.Options(any, plain);
  s.Post(any, plain);
  s.Post(any, httplib::Server::HandlerWithContentReader(with_body));
  s.Put(any, plain);
  s.Put(any, httplib::Server::HandlerWithContentReader(with_body));
  s.Patch(any, plain);
  s.Patch(any, httplib::Server::HandlerWithContentReader(with_body));
  s.Delete(any, plain);
  s.Delete(any, httplib::Server::HandlerWithContentReader(with_body));
}

// Runs once the headers are read, before any body byte: refuse what the
// limits cannot be applied to, and what no route would take.
bool HttpServer::PreRoute(const httplib::Request& req, httplib::Response& res) {
  t_request_start = Clock::now();
  HttpResponse refusal;
  const Router::Match route = router_.Find(req.method == "HEAD" ? "GET" : req.method, req.path);
  const size_t max_body = std::min(route.max_body_bytes, config_.max_body_bytes);
  const size_t lengths = req.get_header_value_count("Content-Length");
  const std::string length = req.get_header_value("Content-Length");
  if (!route.found) {
    refusal = route.path_known ? JsonError(405, "method_not_allowed", req.method + " is not allowed here")
                               : JsonError(404, "not_found", "no such endpoint");
  } else if (lengths > 1 || (lengths == 1 && !IsDecimal(length))) {
    refusal = JsonError(400, "bad_request", "one Content-Length, in decimal, please");
  } else if (lengths == 1 && (length.size() > 18 || std::stoull(length) > max_body)) {
    // Refused before a byte of the body is read (httplib would read and
    // discard all of it first).
    refusal = JsonError(413, "payload_too_large",
                        "the request body is over the limit of " + std::to_string(max_body) + " bytes");
  } else if (req.has_header("Transfer-Encoding")) {
    refusal = JsonError(411, "length_required", "send the body with a Content-Length; chunked bodies are refused");
  } else if (!IsSupportedContentEncoding(req)) {
    refusal = JsonError(415, "unsupported_media_type", "bodies are accepted without Content-Encoding");
  } else if (IsFormMediaType(req)) {
    refusal = JsonError(415, "unsupported_media_type", "multipart bodies are not accepted");
  } else {
    return false;
  }
  // A body left unread means this connection cannot carry another request.
  if (req.has_header("Transfer-Encoding") || (lengths > 0 && length != "0")) {
    refusal.headers["Connection"] = "close";
    edge::CloseAfterResponse();
  }
  WriteResponse(refusal, res);
  return true;
}

void HttpServer::ServePlain(const httplib::Request& req, httplib::Response& res) {
  HttpResponse out;
  try {
    HttpRequest r = ToHttpRequest(req, tls_, options_.trusted_proxies);
    r.body = req.body;
    out = router_.Dispatch(r);
  } catch (const std::exception& e) {
    out = InternalError(req, e.what());
  } catch (...) {
    out = InternalError(req, "unknown exception");
  }
  WriteResponse(out, res);
}

void HttpServer::ServeWithBody(const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader) {
  HttpResponse out;
  try {
    HttpRequest r = ToHttpRequest(req, tls_, options_.trusted_proxies);
    const bool encoded = HasContentEncoding(req);
    const size_t route_limit = std::min(router_.Find(req.method, req.path).max_body_bytes, config_.max_body_bytes);
    const size_t limit = encoded ? config_.max_decompressed_bytes : route_limit;
    bool too_large = false;
    bool complete = reader([&](const char* data, size_t size) {
      if (size > limit - r.body.size()) {
        too_large = true;
        return false;
      }
      r.body.append(data, size);
      return true;
    });
    if (complete) {
      out = router_.Dispatch(r);
    } else {
      if (too_large || res.status == 413) {
        out = JsonError(413, "payload_too_large",
                        std::string("the request body is over the limit of ") +
                            std::to_string(encoded && too_large ? config_.max_decompressed_bytes : route_limit) +
                            (encoded && too_large ? " bytes once decoded" : " bytes"));
      } else if (res.status == 415) {
        out = JsonError(415, "unsupported_media_type", "unsupported Content-Encoding (gzip, br or none)");
      } else {
        out = JsonError(400, "bad_request", "the request body is incomplete or cannot be decoded");
      }
      out.headers["Connection"] = "close";
      edge::CloseAfterResponse();
    }
  } catch (const std::exception& e) {
    out = InternalError(req, e.what());
  } catch (...) {
    out = InternalError(req, "unknown exception");
  }
  WriteResponse(out, res);
}

void HttpServer::Run() {
  if (!server_) return;
  RunState expected = RunState::kIdle;
  if (!run_state_.compare_exchange_strong(expected, RunState::kRunning)) return;
  if (!stop_requested_) server_->listen_after_bind();
  // No more connections arrive: close those waiting, let those being
  // served finish.
  gate_->Stop();
  run_state_ = RunState::kDone;
}

void HttpServer::Stop() {
  stop_requested_ = true;
  if (!server_) return;
  // Run() may be between checking stop_requested_ and accepting: wait for
  // it to be either accepting (then stop it) or finished.
  while (run_state_ == RunState::kRunning) {
    if (server_->is_running()) {
      // httplib's stop() must run once: a second call finds no socket.
      if (!stop_sent_.exchange(true)) server_->stop();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool HttpServer::WaitUntilReady(int timeout_ms) const {
  if (!server_) return false;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    if (server_->is_running()) return true;
    if (run_state_ == RunState::kDone || stop_requested_) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace dala::server
