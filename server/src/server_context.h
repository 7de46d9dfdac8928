// What every part of the server shares, set up once in one place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "auth_throttle.h"
#include "dala/base/clock.h"
#include "dala/server/store.h"
#include "dala/sync/crypto.h"

namespace dala::server {

// Every limit of the server, in one place. (The per-route body limits are
// in the route table, api_routes.cc.)
struct ServerConfig {
  size_t max_body_bytes = 16u << 20;          // a compressed sync batch is far smaller
  size_t max_decompressed_bytes = 64u << 20;  // bounds a sync batch after gunzip
  size_t max_envelopes_per_request = 2000;
  size_t max_envelopes_per_response = 1000;
  size_t max_response_bytes = 4u << 20;
  // Connections (the gate in front of the HTTP library, http_edge_gate.h).
  int threads = 8;                            // workers serving requests whose head has arrived
  int max_workers_per_address = 4;            // one client may hold at most this many of them
  size_t max_connections = 1024;              // open at once; the excess is refused with 503
  size_t max_connections_per_address = 256;
  int head_timeout_seconds = 10;              // to send a whole request head
  int request_timeout_seconds = 60;           // to send a whole request, head and body
  int read_timeout_seconds = 30;              // one read of a body
  int write_timeout_seconds = 60;             // one write of a response
  int idle_timeout_seconds = 5;               // a keep-alive connection between requests
  size_t max_header_bytes = 32u << 10;        // a request head; 431 past it
  size_t max_header_lines = 100;
  int64_t max_clock_ahead_ms = 10 * 60 * 1000;   // HLCs further ahead of the server are refused
  int64_t request_freshness_ms = 5 * 60 * 1000;  // device request timestamps must be this fresh
  int64_t session_lifetime_ms = 12 * 3600 * 1000;
  ThrottlePolicy login_throttle;                 // delays after failed logins (auth_throttle.h)
  std::string origin = "dala.local/log";  // the checkpoint origin line
  // Where exports written as files (XLSX, the audit bundle) wait to be
  // sent: the data directory, which has room for the database; empty: the
  // system's temporary directory.
  std::string scratch_dir;
};

struct ServerContext {
  Store& store;
  const Clock& clock;
  sync::Random& random;
  const sync::SigningKey& server_key;
  ServerConfig config;
};

}  // namespace dala::server
