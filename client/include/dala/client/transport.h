// How the client reaches the server, behind an interface so tests can cut
// connections, drop responses or call the server in-process.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dala/base/status.h"

namespace dala::client {

struct TransportRequest {
  std::string method;  // "GET", "POST"
  std::string target;  // path and query, e.g. "/api/v1/sync"
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct TransportResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of that name (case-insensitive), or "".
  [[nodiscard]] std::string Header(std::string_view name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Unavailable when the server cannot be reached or the connection drops;
  // an HTTP error status is a response, not a failure.
  virtual Result<TransportResponse> Send(const TransportRequest& request) = 0;
};

struct HttpTransportOptions {
  int connect_timeout_seconds = 10;
  int read_timeout_seconds = 120;
  std::string ca_file;  // for https with a private CA
  // Plain http:// to anything but this machine is refused unless set: the
  // records, a coordinator's password and what comes back would cross
  // the network open to reading and to tampering.
  bool allow_plain_http = false;
};

// True for http:// and https:// addresses of this machine (localhost,
// 127.0.0.0/8, [::1]).
[[nodiscard]] bool IsLoopbackUrl(std::string_view url);

// http:// or https:// base URL, e.g. "https://dala.example.kz:8443".
Result<std::unique_ptr<Transport>> MakeHttpTransport(const std::string& base_url,
                                                     const HttpTransportOptions& options = {});

}  // namespace dala::client
