#include "dala/base/embedded.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace dala {
namespace {

std::string Gunzip(const std::string& z) {
  z_stream s{};
  inflateInit2(&s, 15 + 16);
  std::string out(1 << 20, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
  s.avail_in = static_cast<uInt>(z.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  inflate(&s, Z_FINISH);
  out.resize(s.total_out);
  inflateEnd(&s);
  return out;
}

TEST(AssetCatalogTest, TextIsGzippedAndRoundTripsByteForByte) {
  std::string page = "<!doctype html><p>" + std::string(2000, 'a') + " Қазақша</p>";
  EmbeddedFile files[] = {{"index.html", page}};
  AssetCatalog catalog(files);
  const EmbeddedAsset* a = catalog.Find("index.html");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->content_type, "text/html; charset=utf-8");
  ASSERT_FALSE(a->gzipped.empty());
  EXPECT_LT(a->gzipped.size(), page.size());
  EXPECT_EQ(Gunzip(a->gzipped), page);
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

TEST(AssetCatalogTest, BinaryAndTinyFilesAreNotGzipped) {
  EmbeddedFile files[] = {{"logo.png", std::string("\x89PNG\r\n", 6)}, {"x.css", "a{}"}};
  AssetCatalog catalog(files);
  EXPECT_EQ(catalog.Find("logo.png")->content_type, "image/png");
  EXPECT_TRUE(catalog.Find("logo.png")->gzipped.empty());
  EXPECT_TRUE(catalog.Find("x.css")->gzipped.empty()) << "gzip would make it larger";
}

TEST(MediaTypeTest, UnknownExtensionsAreOpaqueBytes) {
  EXPECT_EQ(MediaTypeOf("a.exe"), "application/octet-stream");
  EXPECT_EQ(MediaTypeOf("noext"), "application/octet-stream");
  EXPECT_EQ(MediaTypeOf("dir.d/file"), "application/octet-stream");
  EXPECT_EQ(MediaTypeOf("i18n/kk.json"), "application/json");
}

}  // namespace
}  // namespace dala
