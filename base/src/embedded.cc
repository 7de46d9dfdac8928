#include "dala/base/embedded.h"

#include <sodium.h>

#include "dala/base/hex.h"

namespace dala {

namespace {

std::string_view Extension(std::string_view path) {
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {};
  return path.substr(dot + 1);
}

}  // namespace

std::string MediaTypeOf(std::string_view path) {
  std::string_view ext = Extension(path);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "woff2") return "font/woff2";
  return "application/octet-stream";
}

AssetCatalog::AssetCatalog(std::span<const EmbeddedFile> files) : files_(files) {
  for (const EmbeddedFile& f : files) {
    EmbeddedAsset a;
    a.path = f.path;
    a.bytes = f.bytes;
    a.content_type = MediaTypeOf(f.path);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(f.bytes.data()), f.bytes.size());
    a.etag = "\"" + ToHex(digest, 16) + "\"";
    assets_.emplace(std::string(f.path), std::move(a));
  }
}

const EmbeddedAsset* AssetCatalog::Find(std::string_view path) const {
  auto it = assets_.find(path);
  return it == assets_.end() ? nullptr : &it->second;
}

}  // namespace dala
