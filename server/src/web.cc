#include "web.h"

namespace dala::server {

namespace {

HttpResponse Serve(const HttpRequest& r, const EmbeddedAsset* asset) {
  if (asset == nullptr) return JsonError(404, "not_found", "no such page or file");
  HttpResponse out;
  out.headers["ETag"] = asset->etag;
  // Revalidated on every load, answered 304 when unchanged: a new
  // dala-server is never mixed with a cached old page.
  out.headers["Cache-Control"] = "no-cache";
  out.headers["Content-Security-Policy"] = kPageSecurityPolicy;
  out.content_type = asset->content_type;
  if (r.Header("If-None-Match") == asset->etag) {
    out.status = 304;
    return out;
  }
  out.body = std::string(asset->bytes);
  return out;
}

}  // namespace

void RegisterWebRoutes(Router& router, const AssetCatalog& assets) {
  router.Add("GET", "/", [&assets](const HttpRequest& r) { return Serve(r, assets.Find("index.html")); }, 0);
  router.Add("GET", "/assets/{path...}",
             [&assets](const HttpRequest& r) { return Serve(r, assets.Find(r.path_params.at("path"))); }, 0);
}

}  // namespace dala::server
