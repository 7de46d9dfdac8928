#include "dala/sync/protocol.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "dala/sync/envelope.h"

namespace dala::sync {

using nlohmann::json;

namespace {

constexpr char kRequestMagic[4] = {'D', 'S', 'Q', '1'};
constexpr char kResponseMagic[4] = {'D', 'S', 'R', '1'};

void PutU32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutItem(std::string* out, std::string_view item) {
  PutU32(out, static_cast<uint32_t>(item.size()));
  out->append(item);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ReadU32(uint32_t* v) {
    if (data_.size() - pos_ < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v = (*v << 8) | static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool ReadItem(size_t max, std::string* out) {
    uint32_t n;
    if (!ReadU32(&n) || n > max || data_.size() - pos_ < n) return false;
    out->assign(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool Magic(const char (&m)[4]) {
    if (data_.size() < 4 || data_.substr(0, 4) != std::string_view(m, 4)) return false;
    pos_ = 4;
    return true;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

Status ReadItems(Reader& r, size_t max_count, size_t max_size, const char* what, std::vector<std::string>* out) {
  uint32_t count;
  if (!r.ReadU32(&count)) return Status::InvalidArgument(std::string("sync message truncated before its ") + what);
  if (count > max_count)
    return Status::ResourceExhausted(std::string("sync message carries ") + std::to_string(count) + " " + what +
                                     ", more than the limit of " + std::to_string(max_count));
  out->reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string item;
    if (!r.ReadItem(max_size, &item))
      return Status::InvalidArgument(std::string("sync message has a truncated or oversized item among its ") + what);
    out->push_back(std::move(item));
  }
  return Status::Ok();
}

std::string HashB64(const Hash& h) { return ToBase64(AsBytes(h)); }

Result<Hash> HashFromB64(const json& v) {
  if (!v.is_string()) return Status::InvalidArgument("a hash is not a string");
  DALA_ASSIGN_OR_RETURN(std::string raw, FromBase64(v.get<std::string>()));
  if (raw.size() != 32) return Status::InvalidArgument("a hash is not 32 bytes");
  Hash h;
  std::copy(raw.begin(), raw.end(), h.begin());
  return h;
}

Result<Hash> HashFromHex(const json& v) {
  Hash h;
  if (!v.is_string() || !FromHex(v.get<std::string>(), &h)) return Status::InvalidArgument("an id is not 64 hex digits");
  return h;
}

// A repeated key is refused (docs/ARCHITECTURE.md): nlohmann would keep the
// last copy and another parser the first, and the two would act on
// different checkpoint sizes or cursors.
Result<json> ParseHeader(const std::string& text) {
  if (Status strict = CheckStrictJsonObject(text); !strict.ok())
    return Status::InvalidArgument("sync header: " + strict.message());
  try {
    json j = json::parse(text);
    if (!j.is_object()) return Status::InvalidArgument("sync header is not a JSON object");
    return j;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("sync header is not JSON: ") + e.what());
  }
}

// A gzip member's header and `data` deflated (RFC 1952), flushed to a byte
// boundary without a final block: open for another DEFLATE stream to
// follow, which ends the member (RFC 1951 3.2.3: only the last block
// carries BFINAL). The member's trailer is the caller's.
Result<std::string> GzipOpenMember(std::string_view data, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, /*gzip member, 32 KiB window*/ 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Status::Internal("zlib deflateInit2 failed");
  // deflateBound covers Z_FINISH; a sync flush adds at most an empty stored block.
  std::string out(deflateBound(&z, data.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_SYNC_FLUSH);
  const size_t written = z.total_out;
  const bool done = rc == Z_OK && z.avail_in == 0 && z.avail_out > 0;
  deflateEnd(&z);
  if (!done) return Status::Internal("zlib deflate did not finish");
  out.resize(written);
  return out;
}

// Whole buffers are compressed by libdeflate: on a laptop's batch of
// envelopes it takes half zlib's time at the same level for the same size
// (4.3 against 8.0 us an envelope at level 6, 177 against 178 bytes, on
// 5,000 envelopes of a bench profile), and deflating was half the
// laptop's CPU in a sync.
// zlib stays for what libdeflate cannot do: a stream left open for another
// to follow (the request's header, below), and inflating with a bound.
struct CompressorFree {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
using Compressor = std::unique_ptr<libdeflate_compressor, CompressorFree>;

enum class Container { kGzipMember, kRawDeflate };

// `data` compressed whole, as a gzip member (RFC 1952) or a raw DEFLATE
// stream ending in a final block (RFC 1951).
Result<std::string> CompressWhole(std::string_view data, int level, Container container) {
  Compressor c(libdeflate_alloc_compressor(level));
  if (!c) return Status::InvalidArgument("no DEFLATE compression level " + std::to_string(level));
  const bool gzip = container == Container::kGzipMember;
  const size_t bound = gzip ? libdeflate_gzip_compress_bound(c.get(), data.size())
                            : libdeflate_deflate_compress_bound(c.get(), data.size());
  // Into memory nothing has touched: the bound is about the input's size,
  // and zero-filling it cost more than copying out what is written.
  std::unique_ptr<char[]> buffer(new char[bound]);
  const size_t written = gzip ? libdeflate_gzip_compress(c.get(), data.data(), data.size(), buffer.get(), bound)
                              : libdeflate_deflate_compress(c.get(), data.data(), data.size(), buffer.get(), bound);
  if (written == 0) return Status::Internal("libdeflate could not compress within its own bound");
  return std::string(buffer.get(), written);
}

}  // namespace

Result<std::string> Gzip(std::string_view data, int level) {
  return CompressWhole(data, level, Container::kGzipMember);
}

Result<std::string> Gunzip(std::string_view data, size_t max_output) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return Status::Internal("zlib inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return Status::InvalidArgument("body is not valid gzip data");
    }
    size_t produced = sizeof(buffer) - z.avail_out;
    if (out.size() + produced > max_output) {
      inflateEnd(&z);
      return Status::ResourceExhausted("body inflates beyond " + std::to_string(max_output) + " bytes");
    }
    out.append(buffer, produced);
    if (rc == Z_OK && z.avail_in == 0 && produced == 0) {
      inflateEnd(&z);
      return Status::InvalidArgument("gzip data is truncated");
    }
  }
  bool trailing = z.avail_in != 0;
  inflateEnd(&z);
  if (trailing) return Status::InvalidArgument("bytes after the end of the gzip data");
  return out;
}

namespace {

uint32_t Crc32(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

void PutU32LittleEndian(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

RequestEnvelopeFrames::RequestEnvelopeFrames(size_t expected_bytes) {
  frames_.reserve(4 + expected_bytes);
  PutU32(&frames_, 0);
}

void RequestEnvelopeFrames::Add(std::string_view envelope) {
  PutItem(&frames_, envelope);
  ++count_;
  for (int i = 0; i < 4; ++i) frames_[static_cast<size_t>(i)] = static_cast<char>(count_ >> (8 * (3 - i)));
}

Result<DeflatedEnvelopes> RequestEnvelopeFrames::Deflate(int gzip_level) const {
  DeflatedEnvelopes out;
  DALA_ASSIGN_OR_RETURN(out.deflate, CompressWhole(frames_, gzip_level, Container::kRawDeflate));
  out.crc32 = libdeflate_crc32(0, frames_.data(), frames_.size());
  out.inflated_size = frames_.size();
  out.count = count_;
  return out;
}

Result<DeflatedEnvelopes> DeflateRequestEnvelopes(const std::vector<std::string>& envelopes, int gzip_level) {
  size_t total = 0;
  for (const std::string& e : envelopes) total += 4 + e.size();
  RequestEnvelopeFrames frames(total);
  for (const std::string& e : envelopes) frames.Add(e);
  return frames.Deflate(gzip_level);
}

namespace {

// The request's header and `envelopes` as one gzip member; the request's
// own envelopes are not looked at.
Result<std::string> SpliceRequest(const SyncRequest& request, const DeflatedEnvelopes& envelopes, int gzip_level) {
  json header = {{"cursor", request.cursor},
                 {"checkpoint_size", request.checkpoint_size},
                 {"receipted_through", request.receipted_through}};
  if (!request.forms_wanted.empty()) {
    json wanted = json::array();
    for (const Hash& h : request.forms_wanted) wanted.push_back(ToHex(h));
    header["forms_wanted"] = std::move(wanted);
  }
  std::string head(kRequestMagic, 4);
  PutItem(&head, header.dump());
  // zlib writes the member's header and the header frame's DEFLATE data,
  // flushed; the envelopes' stream follows, then the member's trailer
  // (RFC 1952: CRC-32 and ISIZE of the whole, little-endian).
  // zlib's levels stop at 9, libdeflate's at 12.
  DALA_ASSIGN_OR_RETURN(std::string body, GzipOpenMember(head, std::min(gzip_level, 9)));
  body.reserve(body.size() + envelopes.deflate.size() + 8);
  body += envelopes.deflate;
  const uint32_t crc = static_cast<uint32_t>(crc32_combine(Crc32(head), envelopes.crc32,
                                                           static_cast<z_off_t>(envelopes.inflated_size)));
  PutU32LittleEndian(&body, crc);
  PutU32LittleEndian(&body, static_cast<uint32_t>(head.size() + envelopes.inflated_size));
  return body;
}

}  // namespace

Result<std::string> EncodeSyncRequest(const SyncRequest& request, const DeflatedEnvelopes& envelopes,
                                      int gzip_level) {
  if (!request.envelopes.empty())
    return Status::InvalidArgument("a sync request's envelopes are either in it or deflated apart, not both");
  return SpliceRequest(request, envelopes, gzip_level);
}

Result<std::string> EncodeSyncRequest(const SyncRequest& request, int gzip_level) {
  DALA_ASSIGN_OR_RETURN(DeflatedEnvelopes envelopes, DeflateRequestEnvelopes(request.envelopes, gzip_level));
  return SpliceRequest(request, envelopes, gzip_level);
}

Result<SyncRequest> DecodeSyncRequest(std::string_view body, const SyncLimits& limits) {
  DALA_ASSIGN_OR_RETURN(std::string raw, Gunzip(body, limits.max_inflated_bytes));
  Reader r(raw);
  if (!r.Magic(kRequestMagic)) return Status::InvalidArgument("not a Dala sync request (magic DSQ1 missing)");
  std::string header_text;
  if (!r.ReadItem(limits.max_header_bytes, &header_text)) return Status::InvalidArgument("sync request header is truncated");
  DALA_ASSIGN_OR_RETURN(json header, ParseHeader(header_text));
  SyncRequest out;
  auto cursor = header.find("cursor");
  auto size = header.find("checkpoint_size");
  if (cursor == header.end() || !cursor->is_string() || size == header.end() || !size->is_number_unsigned())
    return Status::InvalidArgument("sync request header needs a string cursor and an unsigned checkpoint_size");
  out.cursor = cursor->get<std::string>();
  out.checkpoint_size = size->get<uint64_t>();
  // Optional, so that laptops from before it existed still sync.
  if (auto r = header.find("receipted_through"); r != header.end()) {
    if (!r->is_number_unsigned()) return Status::InvalidArgument("sync request receipted_through is not unsigned");
    out.receipted_through = r->get<uint64_t>();
  }
  if (auto w = header.find("forms_wanted"); w != header.end()) {
    if (!w->is_array() || w->size() > kMaxFormsWanted)
      return Status::InvalidArgument("sync request forms_wanted is not an array of at most " +
                                     std::to_string(kMaxFormsWanted) + " form hashes");
    for (const json& h : *w) {
      Hash hash;
      if (!h.is_string() || !FromHex(h.get<std::string>(), &hash))
        return Status::InvalidArgument("sync request forms_wanted holds something other than a 64-hex form hash");
      out.forms_wanted.push_back(hash);
    }
  }
  DALA_RETURN_IF_ERROR(ReadItems(r, limits.max_envelopes, limits.max_item_bytes, "envelopes", &out.envelopes));
  if (!r.AtEnd()) return Status::InvalidArgument("bytes after the end of the sync request");
  return out;
}

Result<std::string> EncodeSyncResponse(const SyncResponse& response, int gzip_level) {
  json rejected = json::array();
  for (const auto& x : response.rejected)
    rejected.push_back({{"sequence", x.sequence}, {"id", ToHex(x.id)}, {"code", x.code}, {"reason", x.reason}});
  json consistency = json::array();
  for (const Hash& h : response.consistency) consistency.push_back(HashB64(h));
  json header = {{"accepted_through", response.accepted_through},
                 {"rejected", rejected},
                 {"server_time_ms", response.server_time_ms},
                 {"checkpoint", response.checkpoint},
                 {"consistency", consistency},
                 {"cursor", response.cursor},
                 {"more", response.more}};
  if (response.receipt) {
    json proof = json::array();
    for (const Hash& h : response.receipt->proof) proof.push_back(HashB64(h));
    header["receipt"] = {{"sequence", response.receipt->sequence},
                         {"envelope", ToHex(response.receipt->envelope)},
                         {"leaf_index", response.receipt->leaf_index},
                         {"proof", proof}};
  }
  std::string raw(kResponseMagic, 4);
  PutItem(&raw, header.dump());
  PutU32(&raw, static_cast<uint32_t>(response.envelopes.size()));
  for (const std::string& e : response.envelopes) PutItem(&raw, e);
  PutU32(&raw, static_cast<uint32_t>(response.forms.size()));
  for (const std::string& f : response.forms) PutItem(&raw, f);
  return Gzip(raw, gzip_level);
}

Result<SyncResponse> DecodeSyncResponse(std::string_view body, const SyncLimits& limits) {
  DALA_ASSIGN_OR_RETURN(std::string raw, Gunzip(body, limits.max_inflated_bytes));
  Reader r(raw);
  if (!r.Magic(kResponseMagic)) return Status::InvalidArgument("not a Dala sync response (magic DSR1 missing)");
  std::string header_text;
  if (!r.ReadItem(limits.max_header_bytes, &header_text))
    return Status::InvalidArgument("sync response header is truncated");
  DALA_ASSIGN_OR_RETURN(json h, ParseHeader(header_text));
  SyncResponse out;
  try {
    out.accepted_through = h.at("accepted_through").get<uint64_t>();
    out.server_time_ms = h.at("server_time_ms").get<int64_t>();
    out.checkpoint = h.at("checkpoint").get<std::string>();
    out.cursor = h.at("cursor").get<std::string>();
    out.more = h.at("more").get<bool>();
    for (const json& x : h.at("rejected")) {
      EnvelopeRejection rej;
      rej.sequence = x.at("sequence").get<uint64_t>();
      DALA_ASSIGN_OR_RETURN(rej.id, HashFromHex(x.at("id")));
      rej.code = x.at("code").get<std::string>();
      rej.reason = x.at("reason").get<std::string>();
      out.rejected.push_back(std::move(rej));
    }
    for (const json& x : h.at("consistency")) {
      DALA_ASSIGN_OR_RETURN(Hash hh, HashFromB64(x));
      out.consistency.push_back(hh);
    }
    if (auto it = h.find("receipt"); it != h.end() && !it->is_null()) {
      SyncReceipt receipt;
      receipt.sequence = it->at("sequence").get<uint64_t>();
      DALA_ASSIGN_OR_RETURN(receipt.envelope, HashFromHex(it->at("envelope")));
      receipt.leaf_index = it->at("leaf_index").get<uint64_t>();
      for (const json& x : it->at("proof")) {
        DALA_ASSIGN_OR_RETURN(Hash hh, HashFromB64(x));
        receipt.proof.push_back(hh);
      }
      out.receipt = std::move(receipt);
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("sync response header is malformed: ") + e.what());
  }
  DALA_RETURN_IF_ERROR(ReadItems(r, limits.max_envelopes, limits.max_item_bytes, "envelopes", &out.envelopes));
  DALA_RETURN_IF_ERROR(ReadItems(r, limits.max_forms, limits.max_item_bytes, "forms", &out.forms));
  if (!r.AtEnd()) return Status::InvalidArgument("bytes after the end of the sync response");
  return out;
}

}  // namespace dala::sync
