// The dashboard's files as served: type, security policy, ETag, and
// nothing served that is not embedded.
#include "web.h"

#include <gtest/gtest.h>

#include <string>

namespace dala::server {
namespace {

class WebTest : public ::testing::Test {
 protected:
  WebTest() : catalog_(DashboardFiles()) { RegisterWebRoutes(router_, catalog_); }

  HttpResponse Get(const std::string& path, HeaderMap headers = {}) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.target = path;
    r.headers = std::move(headers);
    return router_.Dispatch(r);
  }

  AssetCatalog catalog_;
  Router router_;
};

TEST_F(WebTest, ThePageIsServedAtTheRootWithAStrictPolicy) {
  HttpResponse r = Get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<script type=\"module\" src=\"/assets/js/app.js\">"), std::string::npos);
  const std::string& csp = r.headers["Content-Security-Policy"];
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
}

TEST_F(WebTest, ThePageHoldsNoInlineScriptOrStyle) {
  // The policy would block them: they must not be needed.
  for (const EmbeddedFile& f : DashboardFiles()) {
    if (f.path.size() < 5 || f.path.substr(f.path.size() - 5) != ".html") continue;
    std::string html(f.bytes);
    for (size_t at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1))
      EXPECT_NE(html.substr(at, 60).find("src="), std::string::npos) << f.path << ": an inline script";
    EXPECT_EQ(html.find("<style"), std::string::npos) << f.path;
    EXPECT_EQ(html.find(" style="), std::string::npos) << f.path;
    EXPECT_EQ(html.find(" on"), std::string::npos) << f.path << ": an inline event handler";
  }
}

TEST_F(WebTest, FilesAreRevalidatedByEtag) {
  HttpResponse plain = Get("/assets/js/app.js");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(plain.headers["Cache-Control"], "no-cache");
  const std::string etag = plain.headers["ETag"];
  ASSERT_FALSE(etag.empty());
  HttpResponse again = Get("/assets/js/app.js", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get("/assets/js/app.js", {{"If-None-Match", "\"stale\""}}).status, 200);
}

TEST_F(WebTest, NothingOutsideTheEmbeddedFilesIsServed) {
  for (const char* path : {"/assets/", "/assets/nope.js", "/assets/../CMakeLists.txt", "/assets/js/../../server/API.md",
                           "/assets//etc/passwd", "/assets/js/app.js%00.png", "/index.html/x"}) {
    HttpResponse r = Get(path);
    EXPECT_EQ(r.status, 404) << path;
  }
}

}  // namespace
}  // namespace dala::server
