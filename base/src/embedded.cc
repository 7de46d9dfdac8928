#include "dala/base/embedded.h"

#include <sodium.h>
#include <zlib.h>

#include "dala/base/hex.h"

namespace dala {

namespace {

std::string_view Extension(std::string_view path) {
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {};
  return path.substr(dot + 1);
}

// gzip (RFC 1952) at the best compression: it is done once, at start-up.
std::string Gzip(std::string_view bytes) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, bytes.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

bool WorthCompressing(std::string_view type) {
  return type.rfind("text/", 0) == 0 || type.rfind("application/json", 0) == 0 || type == "image/svg+xml";
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
    if (WorthCompressing(a.content_type)) {
      std::string z = Gzip(f.bytes);
      if (!z.empty() && z.size() < f.bytes.size()) a.gzipped = std::move(z);
    }
    assets_.emplace(std::string(f.path), std::move(a));
  }
}

const EmbeddedAsset* AssetCatalog::Find(std::string_view path) const {
  auto it = assets_.find(path);
  return it == assets_.end() ? nullptr : &it->second;
}

}  // namespace dala
