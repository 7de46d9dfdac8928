// The gate in front of the HTTP library: Dala's own waiting room for
// connections, so that slow or silent clients never hold a worker thread.
//
// cpp-httplib serves each connection on one worker from first byte to
// last, and bounds only each read. Eight clients sending a byte every 25 s
// would hold eight workers for ever, and a client may send any number of
// header lines. So the edge hands every accepted socket to this gate
// instead (http_edge.cc overrides the library's per-connection entry
// point), and the gate:
//
//   - keeps every connection that has not yet sent a whole request head in
//     one thread, polling all of them at once, with a deadline for the
//     whole head (not for each read) and limits on its bytes and lines
//     (431 past them);
//   - reads small bodies there too, so a JSON request reaches a worker
//     complete;
//   - caps connections in all and per address, refusing the excess at once;
//   - gives a worker only a connection whose request is ready, and lets one
//     address hold at most a share of the workers, so that one client
//     dripping a large body cannot starve the others;
//   - holds a trusted reverse proxy (client_address.h) to the overall caps
//     only: its address is every client's, and it limits each of them
//     itself;
//   - takes the connection back between keep-alive requests, so an idle
//     connection holds no worker either.
//
// TLS handshakes and reads happen in the waiting room as well, without
// blocking (OpenSSL on non-blocking sockets). The library still parses
// every request and writes every response: the gate only decides when a
// request is ready, by finding the blank line that ends its head.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "client_address.h"

struct ssl_ctx_st;

namespace httplib {
class Stream;
}

namespace dala::server::edge {

struct GateLimits {
  int64_t head_timeout_ms = 10'000;      // from the first byte (or the accept) to the end of the head
  int64_t idle_timeout_ms = 5'000;       // a keep-alive connection waiting for its next request
  int64_t request_timeout_ms = 60'000;   // the whole request, head and body
  int64_t io_timeout_ms = 30'000;        // one read or write in a worker
  int64_t write_timeout_ms = 600'000;    // a whole response (an audit bundle over a slow link)
  size_t max_head_bytes = 32u << 10;
  size_t max_header_lines = 100;
  size_t max_prefetched_body = 64u << 10;  // bodies up to this are read before a worker is used
  size_t max_connections = 1024;
  size_t max_connections_per_address = 256;
  size_t workers = 8;
  size_t max_workers_per_address = 4;
  size_t keep_alive_max_requests = 100;
  // Exempt from the two per-address caps: one address for many clients.
  TrustedProxies trusted_proxies;
};

// Serves one request on `stream`, whose head is already buffered: the
// library's own request processing. `close_connection` asks for
// "Connection: close"; `*connection_closed` says the client asked for it.
using ServeRequest = std::function<bool(httplib::Stream& stream, bool close_connection, bool* connection_closed)>;

class Gate {
 public:
  // `tls`: the context to accept TLS with; null for plain HTTP.
  Gate(const GateLimits& limits, ServeRequest serve, ssl_ctx_st* tls);
  ~Gate();  // stops
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // Takes ownership of an accepted socket. Never blocks.
  void Admit(int fd);
  // Closes every connection and joins the threads; requests being served
  // finish first. Idempotent.
  void Stop();

  // For tests and the access log.
  struct Counts {
    size_t connections = 0;  // open, in the waiting room or at a worker
    size_t waiting = 0;
    size_t refused = 0;      // over a connection cap, or a head over its limits
  };
  Counts counts() const;

  struct State;  // the implementation's, in http_edge_gate.cc

 private:
  std::shared_ptr<State> state_;
};

// Called by the edge, on the worker serving a request, when it answers
// without reading the request's body: the connection is closed after this
// response instead of reading the body as the next request.
void CloseAfterResponse();

}  // namespace dala::server::edge
