#include "dala/base/embedded.h"

#include <gtest/gtest.h>

namespace dala {
namespace {

TEST(AssetCatalogTest, EachFileIsFoundByItsPathWithItsTypeAndBytes) {
  std::string page = "<!doctype html><p>Қазақша</p>";
  EmbeddedFile files[] = {{"index.html", page}, {"js/app.js", "let x;"}};
  AssetCatalog catalog(files);
  EXPECT_EQ(catalog.size(), 2u);
  const EmbeddedAsset* a = catalog.Find("index.html");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(a->bytes, page);
  EXPECT_EQ(catalog.Find("js/app.js")->content_type, "text/javascript; charset=utf-8");
}

TEST(AssetCatalogTest, TheEtagChangesWithTheBytesAndOnlyWithThem) {
  EmbeddedFile one[] = {{"a.js", "let x = 1;"}};
  EmbeddedFile same[] = {{"b.js", "let x = 1;"}};
  EmbeddedFile other[] = {{"a.js", "let x = 2;"}};
  AssetCatalog c1(one), c2(same), c3(other);
  EXPECT_EQ(c1.Find("a.js")->etag, c2.Find("b.js")->etag);
  EXPECT_NE(c1.Find("a.js")->etag, c3.Find("a.js")->etag);
  EXPECT_EQ(c1.Find("a.js")->etag.front(), '"');
}

TEST(AssetCatalogTest, UnknownPathsAndPathTricksFindNothing) {
  EmbeddedFile files[] = {{"js/app.js", "1"}};
  AssetCatalog catalog(files);
  for (std::string_view p : {"", "app.js", "js/../js/app.js", "/js/app.js", "js/app.js/", "JS/app.js"})
    EXPECT_EQ(catalog.Find(p), nullptr) << p;
}

TEST(MediaTypeTest, UnknownExtensionsAreOpaqueBytes) {
  EXPECT_EQ(MediaTypeOf("a.exe"), "application/octet-stream");
  EXPECT_EQ(MediaTypeOf("noext"), "application/octet-stream");
  EXPECT_EQ(MediaTypeOf("dir.d/file"), "application/octet-stream");
  EXPECT_EQ(MediaTypeOf("i18n/kk.json"), "application/json");
}

}  // namespace
}  // namespace dala
