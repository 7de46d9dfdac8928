#include "dala/sync/envelope.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "dala/base/utf8.h"

namespace dala::sync {
namespace {

constexpr char kMagic[4] = {'D', 'L', 'E', '1'};
// magic, kind, submission, author, sequence, previous, hlc, wall, form hash,
// parent count: the fixed header before the parents.
constexpr size_t kFixedHeader = 4 + 1 + 16 + 32 + 8 + 32 + 8 + 8 + 32 + 1;
constexpr size_t kSignatureSize = 64;
constexpr size_t kMaxNestingDepth = 32;
// Offsets of the header fields the Peek functions read (sync/README.md).
constexpr size_t kKindOffset = 4;
constexpr size_t kSubmissionOffset = 5;
constexpr size_t kAuthorOffset = 21;
constexpr size_t kSequenceOffset = 53;
constexpr size_t kFormHashOffset = 109;
static_assert(kSubmissionOffset + 16 == kEnvelopeSubmissionEnd);
static_assert(kFormHashOffset + 32 + 1 == kFixedHeader);

void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

template <size_t N>
void PutBytes(std::string* out, const std::array<uint8_t, N>& a) {
  out->append(reinterpret_cast<const char*>(a.data()), N);
}

// Reads fixed-width fields from the envelope, refusing to run past its end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Has(size_t n) const { return data_.size() - pos_ >= n; }
  size_t pos() const { return pos_; }

  uint8_t U8() { return static_cast<uint8_t>(data_[pos_++]); }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_++]);
    return v;
  }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_++]);
    return v;
  }
  template <size_t N>
  void Bytes(std::array<uint8_t, N>* out) {
    std::copy_n(reinterpret_cast<const uint8_t*>(data_.data() + pos_), N, out->data());
    pos_ += N;
  }
  std::string_view Take(size_t n) {
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Parses a JSON object strictly (condition 9 of sync/README.md) and builds
// its value in the same pass, so that a verifier that checks the body and
// then reads it lexes it once. A key repeated in one object is found by the
// object being built: its map already holds the key.
class StrictObjectParser {
 public:
  using json = nlohmann::json;
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit StrictObjectParser(json* root) : root_(root) {}

  bool null() { return Put(nullptr) != nullptr; }
  bool boolean(bool v) { return Put(v) != nullptr; }
  bool number_integer(number_integer_t v) { return Put(v) != nullptr; }
  bool number_unsigned(number_unsigned_t v) { return Put(v) != nullptr; }
  bool number_float(number_float_t v, const string_t&) { return Put(v) != nullptr; }
  bool string(string_t& v) { return Put(std::move(v)) != nullptr; }
  bool binary(binary_t&) { return false; }
  bool start_object(std::size_t) {
    json* object = open_.empty() ? Root(json::value_t::object) : Put(json::value_t::object);
    return Open(object);
  }
  bool key(string_t& k) {
    auto [it, fresh] = open_.back()->get_ref<json::object_t&>().try_emplace(std::move(k));
    if (!fresh) return Fail("the key \"" + it->first + "\" appears twice in one object");
    slot_ = &it->second;
    return true;
  }
  bool end_object() {
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    if (open_.empty()) return Fail("the body is not a JSON object");
    return Open(Put(json::value_t::array));
  }
  bool end_array() {
    open_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    if (problem_.empty()) problem_ = "invalid JSON at byte " + std::to_string(position) + " (" + ex.what() + ")";
    return false;
  }

  const std::string& problem() const { return problem_; }
  bool saw_object() const { return seen_object_; }

 private:
  // The top-level value: one object, once.
  json* Root(json::value_t type) {
    if (seen_object_) return nullptr;
    seen_object_ = true;
    *root_ = json(type);
    return root_;
  }
  // A value inside the innermost open object (at the key just read) or array.
  template <typename V>
  json* Put(V&& v) {
    if (open_.empty()) return nullptr;
    json& parent = *open_.back();
    if (parent.is_array()) {
      auto& items = parent.get_ref<json::array_t&>();
      items.emplace_back(std::forward<V>(v));
      return &items.back();
    }
    *slot_ = json(std::forward<V>(v));
    return slot_;
  }
  bool Open(json* container) {
    if (container == nullptr) return false;
    open_.push_back(container);
    return open_.size() <= kMaxNestingDepth || Fail("nested more than 32 levels deep");
  }
  bool Fail(std::string why) {
    if (problem_.empty()) problem_ = std::move(why);
    return false;
  }

  json* root_;
  std::vector<json*> open_;  // the objects and arrays not yet closed, outermost first
  json* slot_ = nullptr;     // where the value after the last key goes
  bool seen_object_ = false;
  std::string problem_;
};

}  // namespace

Status ParseStrictJsonObject(std::string_view text, nlohmann::json* out) {
  *out = nlohmann::json();
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{')
    return Status::InvalidArgument("the body is not a JSON object");
  StrictObjectParser parser(out);
  bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &parser, nlohmann::json::input_format_t::json,
                                      /*strict=*/true);
  if (!ok || !parser.saw_object()) {
    *out = nlohmann::json();  // never half an object
    return Status::InvalidArgument(parser.problem().empty() ? "the body is not a JSON object" : parser.problem());
  }
  return Status::Ok();
}

Status CheckStrictJsonObject(std::string_view text) {
  nlohmann::json unused;
  return ParseStrictJsonObject(text, &unused);
}

Result<std::string> SealEnvelope(EnvelopeFields f, const SigningKey& author) {
  std::sort(f.parents.begin(), f.parents.end());
  if (std::adjacent_find(f.parents.begin(), f.parents.end()) != f.parents.end())
    return Status::InvalidArgument("a parent is listed twice");
  if (f.parents.size() > kMaxEnvelopeParents)
    return Status::InvalidArgument("more than 16 parents");
  if (f.sequence == 0) return Status::InvalidArgument("sequence numbers start at 1");
  if ((f.sequence == 1) != IsZero(f.previous))
    return Status::InvalidArgument("only the first envelope of a device has no previous hash");
  if (f.form_id.size() > kMaxFormIdLength || f.form_version.size() > kMaxFormIdLength)
    return Status::InvalidArgument("form id or version longer than 64 bytes");
  if (!utf8::IsValid(f.form_id) || !utf8::IsValid(f.form_version))
    return Status::InvalidArgument("form id or version is not UTF-8");
  if (f.kind == EnvelopeKind::kRevision && (f.form_id.empty() || IsZero(f.submission)))
    return Status::InvalidArgument("a revision needs a submission id and a form");
  if (f.body.size() > kMaxEnvelopeBody) return Status::ResourceExhausted("body larger than 1 MiB");
  DALA_RETURN_IF_ERROR(CheckStrictJsonObject(f.body));

  std::string out;
  out.reserve(kFixedHeader + 32 * f.parents.size() + 2 + f.form_id.size() + f.form_version.size() +
              4 + f.body.size() + kSignatureSize);
  out.append(kMagic, 4);
  out.push_back(static_cast<char>(f.kind));
  PutBytes(&out, f.submission);
  PutBytes(&out, author.public_key());
  PutU64(&out, f.sequence);
  PutBytes(&out, f.previous);
  PutU64(&out, f.hlc.packed);
  PutU64(&out, static_cast<uint64_t>(f.wall_ms));
  PutBytes(&out, f.form_hash);
  out.push_back(static_cast<char>(f.parents.size()));
  for (const Hash& p : f.parents) PutBytes(&out, p);
  out.push_back(static_cast<char>(f.form_id.size()));
  out.append(f.form_id);
  out.push_back(static_cast<char>(f.form_version.size()));
  out.append(f.form_version);
  PutU32(&out, static_cast<uint32_t>(f.body.size()));
  out.append(f.body);
  Signature sig = author.Sign(kEnvelopeSignatureDomain, out);
  out.append(reinterpret_cast<const char*>(sig.data()), sig.size());
  return out;
}

Result<Envelope> Envelope::Parse(std::string bytes) { return ParseImpl(std::move(bytes), true, nullptr); }

Result<Envelope> Envelope::Parse(std::string bytes, nlohmann::json* body) {
  return ParseImpl(std::move(bytes), true, body);
}

Result<Envelope> Envelope::ParseVerified(std::string bytes) { return ParseImpl(std::move(bytes), false, nullptr); }

namespace {

template <size_t N>
std::optional<std::array<uint8_t, N>> PeekArray(std::string_view bytes, size_t offset) {
  if (bytes.size() < offset + N) return std::nullopt;
  std::array<uint8_t, N> out;
  std::copy_n(reinterpret_cast<const uint8_t*>(bytes.data() + offset), N, out.data());
  return out;
}

}  // namespace

std::optional<uint8_t> PeekKindByte(std::string_view bytes) {
  if (bytes.size() <= kKindOffset) return std::nullopt;
  return static_cast<uint8_t>(bytes[kKindOffset]);
}

std::optional<SubmissionId> PeekSubmission(std::string_view bytes) { return PeekArray<16>(bytes, kSubmissionOffset); }

std::optional<PublicKey> PeekAuthor(std::string_view bytes) { return PeekArray<32>(bytes, kAuthorOffset); }

std::optional<uint64_t> PeekSequence(std::string_view bytes) {
  auto raw = PeekArray<8>(bytes, kSequenceOffset);
  if (!raw) return std::nullopt;
  uint64_t v = 0;
  for (uint8_t b : *raw) v = (v << 8) | b;
  return v;
}

std::optional<Hash> PeekFormHash(std::string_view bytes) { return PeekArray<32>(bytes, kFormHashOffset); }

Result<Envelope> Envelope::ParseImpl(std::string bytes, bool check_body, nlohmann::json* body) {
  auto bad = [](std::string why) { return Status::Corruption("malformed envelope: " + why); };
  Envelope e;
  Reader r(bytes);
  if (!r.Has(kFixedHeader)) return bad("shorter than its fixed header");
  // 1. magic and kind
  if (r.Take(4) != std::string_view(kMagic, 4)) return bad("wrong magic (not a DLE1 envelope)");
  uint8_t kind = r.U8();
  if (kind != 1 && kind != 2) return bad("unknown kind " + std::to_string(kind));
  e.kind_ = static_cast<EnvelopeKind>(kind);
  r.Bytes(&e.submission_);
  r.Bytes(&e.author_);
  e.sequence_ = r.U64();
  r.Bytes(&e.previous_);
  e.hlc_.packed = r.U64();
  e.wall_ms_ = static_cast<int64_t>(r.U64());
  r.Bytes(&e.form_hash_);
  // 4. sequence and previous
  if (e.sequence_ == 0) return bad("sequence 0");
  if ((e.sequence_ == 1) != IsZero(e.previous_))
    return bad("sequence " + std::to_string(e.sequence_) +
               (e.sequence_ == 1 ? " with a previous hash" : " without a previous hash"));
  // 5. parents: at most 16, strictly ascending
  size_t parent_count = r.U8();
  if (parent_count > kMaxEnvelopeParents) return bad("more than 16 parents");
  if (!r.Has(32 * parent_count)) return bad("truncated in its parents");
  e.parents_.resize(parent_count);
  for (size_t i = 0; i < parent_count; ++i) {
    r.Bytes(&e.parents_[i]);
    if (i > 0 && !(e.parents_[i - 1] < e.parents_[i])) return bad("parents not strictly ascending");
  }
  // 6. form id and version
  for (std::string* field : {&e.form_id_, &e.form_version_}) {
    if (!r.Has(1)) return bad("truncated before the form fields");
    size_t n = r.U8();
    if (n > kMaxFormIdLength || !r.Has(n)) return bad("form field too long or truncated");
    *field = std::string(r.Take(n));
    if (!utf8::IsValid(*field)) return bad("form field is not UTF-8");
  }
  // 7. body
  if (!r.Has(4)) return bad("truncated before the body length");
  size_t body_size = r.U32();
  if (body_size > kMaxEnvelopeBody) return bad("body larger than 1 MiB");
  if (!r.Has(body_size)) return bad("truncated in its body");
  e.body_offset_ = r.pos();
  e.body_size_ = body_size;
  r.Take(body_size);
  // 8. exactly a signature remains
  if (!r.Has(kSignatureSize)) return bad("truncated in its signature");
  if (bytes.size() - r.pos() != kSignatureSize) return bad("trailing bytes after the signature");
  // 3. a revision belongs to a submission and names its form
  if (e.kind_ == EnvelopeKind::kRevision && (IsZero(e.submission_) || e.form_id_.empty()))
    return bad("a revision without a submission id or form id");
  // 9. the body is a strict JSON object
  if (check_body) {
    std::string_view text = std::string_view(bytes).substr(e.body_offset_, body_size);
    Status body_ok = body != nullptr ? ParseStrictJsonObject(text, body) : CheckStrictJsonObject(text);
    if (!body_ok.ok()) return bad("body: " + body_ok.message());
  }

  e.bytes_ = std::move(bytes);
  e.id_ = Sha256(e.signed_bytes());
  return e;
}

std::string_view Envelope::signed_bytes() const {
  return std::string_view(bytes_).substr(0, bytes_.size() - kSignatureSize);
}

std::string_view Envelope::body() const {
  return std::string_view(bytes_).substr(body_offset_, body_size_);
}

Signature Envelope::signature() const {
  Signature s;
  std::copy_n(reinterpret_cast<const uint8_t*>(bytes_.data() + bytes_.size() - kSignatureSize),
              kSignatureSize, s.data());
  return s;
}

Status Envelope::VerifySignature() const {
  if (!sync::VerifySignature(author_, kEnvelopeSignatureDomain, signed_bytes(), signature()))
    return Status::Corruption("signature does not verify against the author key");
  return Status::Ok();
}

}  // namespace dala::sync
