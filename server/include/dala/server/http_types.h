// Dala's own request and response types. Route handlers are plain
// functions of these; only the HTTP edge (http_edge.cc) knows httplib.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "dala/base/status.h"

namespace dala::server {

// Header names compared without regard to case, as HTTP requires.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HeaderMap = std::map<std::string, std::string, CaseInsensitiveLess>;

struct HttpRequest {
  std::string method;               // "GET", "POST"
  std::string path;                 // "/api/v1/submissions/0193.../review", no query
  std::string target;               // path plus "?query" exactly as sent (device signatures cover it)
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> path_params;  // from route patterns like /x/{id}
  HeaderMap headers;
  std::string body;
  std::string remote_address;       // the client: the peer, or whom a trusted proxy names (client_address.h)
  bool tls = false;                 // the client used TLS, to this server or to a trusted proxy

  std::string Header(std::string_view name) const;
  std::string Query(std::string_view name) const;
  std::string Cookie(std::string_view name) const;
};

// Where a streamed body goes, a piece at a time; false once the client is
// gone (stop writing).
using BodySink = std::function<bool(std::string_view piece)>;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  HeaderMap headers;
  // A body too large to hold (an export): when set, it replaces `body` and
  // is called once, after the handler returns, by the worker that sends
  // the response, which sends what it writes as it comes (chunked). The
  // status and headers are sent first, so a failure here can only cut the
  // body short: check what can fail before returning. Whatever it holds
  // (a file to delete) is released when the response is.
  std::function<Status(const BodySink& sink)> stream;
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// {"error": {"code": code, "message": message}} with `status`.
HttpResponse JsonError(int status, std::string_view code, std::string_view message);
// A JSON body (already serialized) with `status`.
HttpResponse JsonBody(int status, std::string body);

}  // namespace dala::server
