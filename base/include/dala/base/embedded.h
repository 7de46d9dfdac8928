// Files compiled into a binary (its web pages), and what serving one needs:
// its media type and an ETag. The server's dashboard and the laptop's page
// both use this; the bytes come from cmake/EmbedFiles.cmake, so building
// Dala needs no JavaScript tooling. (Compression is the HTTP library's: it
// gzips or brotli-compresses every text answer for a browser that asks.)
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

namespace dala {

struct EmbeddedFile {
  std::string_view path;   // relative to the embedded folder, '/'-separated
  std::string_view bytes;
};

struct EmbeddedAsset {
  std::string_view path;
  std::string_view bytes;
  std::string content_type;  // with "; charset=utf-8" for text
  std::string etag;          // a quoted strong validator: the first 16 bytes of SHA-256, hex
};

class AssetCatalog {
 public:
  // Computes every asset's type and ETag now, once.
  explicit AssetCatalog(std::span<const EmbeddedFile> files);

  // Null for a path that is not embedded (no path is ever read from disk).
  const EmbeddedAsset* Find(std::string_view path) const;
  size_t size() const { return assets_.size(); }
  std::span<const EmbeddedFile> files() const { return files_; }

 private:
  std::span<const EmbeddedFile> files_;
  std::map<std::string, EmbeddedAsset, std::less<>> assets_;
};

// The media type of a file name, by its extension.
std::string MediaTypeOf(std::string_view path);

}  // namespace dala
