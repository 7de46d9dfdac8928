// Routes: (method, pattern) -> handler. Patterns are paths whose segments
// may be {name}, bound into HttpRequest::path_params.
#pragma once

#include <string>
#include <vector>

#include "dala/server/http_types.h"

namespace dala::server {

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler);

  // Runs the matching handler; 404 for an unknown path, 405 for a known
  // path with another method.
  HttpResponse Dispatch(HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace dala::server
