#include "router.h"

namespace dala::server {

namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end;
  }
  return out;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back({std::move(method), Split(pattern), std::move(handler)});
}

HttpResponse Router::Dispatch(HttpRequest& request) const {
  std::vector<std::string> parts = Split(request.path);
  bool path_known = false;
  for (const Route& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      const std::string& s = r.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        params[s.substr(1, s.size() - 2)] = parts[i];
      } else {
        match = s == parts[i];
      }
    }
    if (!match) continue;
    path_known = true;
    if (r.method != request.method) continue;
    request.path_params = std::move(params);
    return r.handler(request);
  }
  if (path_known) return JsonError(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
  return JsonError(404, "not_found", "no such endpoint: " + request.path);
}

}  // namespace dala::server
