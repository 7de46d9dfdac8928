#include "router.h"

#include "dala/base/strings.h"

namespace dala::server {

namespace {

std::vector<std::string> Split(const std::string& path) {
  auto parts = dala::Split(path, '/', EmptyParts::kSkip);
  return {parts.begin(), parts.end()};
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, size_t max_body_bytes) {
  routes_.push_back({std::move(method), Split(pattern), std::move(handler), max_body_bytes});
}

const Router::Route* Router::Lookup(const std::string& method, const std::string& path, bool* path_known,
                                    std::map<std::string, std::string>* params) const {
  std::vector<std::string> parts = Split(path);
  *path_known = false;
  for (const Route& r : routes_) {
    // A last segment "{name...}" takes the rest of the path (one segment or
    // more, joined with '/').
    const bool rest = !r.segments.empty() && r.segments.back().size() > 5 &&
                      r.segments.back().compare(r.segments.back().size() - 4, 4, "...}") == 0;
    if (rest ? parts.size() < r.segments.size() : r.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> bound;
    bool match = true;
    for (size_t i = 0; i < r.segments.size() && match; ++i) {
      const std::string& s = r.segments[i];
      if (rest && i + 1 == r.segments.size()) {
        std::string joined;
        for (size_t k = i; k < parts.size(); ++k) joined += (k == i ? "" : "/") + parts[k];
        bound[s.substr(1, s.size() - 5)] = joined;
      } else if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        bound[s.substr(1, s.size() - 2)] = parts[i];
      } else {
        match = s == parts[i];
      }
    }
    if (!match) continue;
    *path_known = true;
    if (r.method != method) continue;
    if (params != nullptr) *params = std::move(bound);
    return &r;
  }
  return nullptr;
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match m;
  const Route* r = Lookup(method, path, &m.path_known, nullptr);
  if (r != nullptr) {
    m.found = true;
    m.max_body_bytes = r->max_body_bytes;
  }
  return m;
}

HttpResponse Router::Dispatch(HttpRequest& request) const {
  bool path_known = false;
  const Route* r = Lookup(request.method, request.path, &path_known, &request.path_params);
  if (r != nullptr) return r->handler(request);
  if (path_known) return JsonError(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
  return JsonError(404, "not_found", "no such endpoint: " + request.path);
}

}  // namespace dala::server
