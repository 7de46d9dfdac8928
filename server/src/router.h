// Routes: (method, pattern) -> handler. Patterns are paths whose segments
// may be {name}, bound into HttpRequest::path_params; a last segment
// {name...} takes the rest of the path. Each route carries the
// most body bytes it accepts, so the HTTP edge can refuse a larger body
// before reading any of it. Which routes exist, and who may call them, is
// the API's table (api.h); the router only matches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dala/server/http_types.h"

namespace dala::server {

class Router {
 public:
  // `max_body_bytes`: SIZE_MAX leaves the edge's own limit.
  void Add(std::string method, std::string pattern, Handler handler, size_t max_body_bytes = SIZE_MAX);

  // What a request would reach, known from its method and path alone.
  struct Match {
    bool path_known = false;  // some route has this path
    bool found = false;       // ...with this method
    size_t max_body_bytes = 0;
  };
  Match Find(const std::string& method, const std::string& path) const;

  // Runs the matching handler; 404 for an unknown path, 405 for a known
  // path with another method.
  HttpResponse Dispatch(HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    size_t max_body_bytes;
  };
  // The route for (method, path), binding its parameters into `params`
  // when given; null when none matches (`*path_known` says whether another
  // method would).
  const Route* Lookup(const std::string& method, const std::string& path, bool* path_known,
                      std::map<std::string, std::string>* params) const;
  std::vector<Route> routes_;
};

}  // namespace dala::server
