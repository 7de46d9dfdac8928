// The envelope cases: JSON edges, closed bodies, header conditions, domain
// labels and Ed25519 edges, each built byte by byte from the README's table
// (not with SealEnvelope, which refuses to make most of them).
#include <sodium.h>

#include <algorithm>

#include "generate.h"

namespace dala::conformance {
namespace {

using sync::Hash;
using sync::PublicKey;
using sync::SigningKey;

void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

template <size_t N>
void PutArray(std::string* out, const std::array<uint8_t, N>& a) {
  out->append(reinterpret_cast<const char*>(a.data()), N);
}

// One envelope's fields, as the README's byte table has them.
struct Raw {
  uint8_t kind = 2;
  std::array<uint8_t, 16> submission{};
  PublicKey author{};
  uint64_t sequence = 1;
  Hash previous{};
  uint64_t hlc = static_cast<uint64_t>(kWorldMs) << 16;
  uint64_t wall = kWorldMs;
  Hash form_hash{};
  std::vector<Hash> parents;
  std::string form_id, form_version, body;
  std::string magic = "DLE1";
};

std::string SignedBytes(const Raw& r) {
  std::string out = r.magic;
  out.push_back(static_cast<char>(r.kind));
  PutArray(&out, r.submission);
  PutArray(&out, r.author);
  PutU64(&out, r.sequence);
  PutArray(&out, r.previous);
  PutU64(&out, r.hlc);
  PutU64(&out, r.wall);
  PutArray(&out, r.form_hash);
  out.push_back(static_cast<char>(r.parents.size()));
  for (const Hash& p : r.parents) PutArray(&out, p);
  out.push_back(static_cast<char>(r.form_id.size()));
  out += r.form_id;
  out.push_back(static_cast<char>(r.form_version.size()));
  out += r.form_version;
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(r.body.size() >> (8 * i)));
  out += r.body;
  return out;
}

std::string Seal(Raw r, const SigningKey& key, std::string_view domain = sync::kEnvelopeSignatureDomain) {
  r.author = key.public_key();
  std::string bytes = SignedBytes(r);
  sync::Signature sig = key.Sign(domain, bytes);
  return bytes + std::string(reinterpret_cast<const char*>(sig.data()), sig.size());
}

Hash Filled(uint8_t b) {
  Hash h;
  h.fill(b);
  return h;
}

Raw Revision(std::string body) {
  Raw r;
  r.kind = 1;
  r.submission = WorldSubmission(1);
  r.form_hash = sync::Sha256(kTallyForm);
  r.form_id = "tally";
  r.form_version = "1";
  r.body = std::move(body);
  return r;
}

Raw Review(std::string comment_json) {
  Raw r;
  r.submission = WorldSubmission(1);
  r.parents = {Filled(0x42)};
  r.body = R"({"type":"review","by":"anna","state":"approved","comment":)" + comment_json + "}";
  return r;
}

std::string Nested(int depth) {  // depth levels counting the outer object
  std::string inner = "1";
  for (int i = 2; i < depth; ++i) inner = "[" + inner + "]";
  return R"({"answers":{"a":)" + inner + R"(},"tz":300})";
}

// Ed25519 encodings (little-endian y, x sign in the top bit).
std::array<uint8_t, 32> Encoding(std::string_view hex) {
  std::array<uint8_t, 32> out{};
  if (!FromHex(hex, &out)) std::abort();
  return out;
}
const char* kIdentity = "0100000000000000000000000000000000000000000000000000000000000000";
const char* kOrder8 = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";
const char* kIdentityNonCanonical = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";

// An envelope with a chosen author and signature (R, S) instead of a real one.
std::string Forged(Raw r, const std::array<uint8_t, 32>& author, const std::array<uint8_t, 32>& big_r,
                   const std::array<uint8_t, 32>& s) {
  r.author = author;
  std::string out = SignedBytes(r);
  PutArray(&out, big_r);
  PutArray(&out, s);
  return out;
}

// k = SHA-512(R || A || M) mod L, as RFC 8032 has it.
std::array<uint8_t, 32> Challenge(const std::array<uint8_t, 32>& big_r, const std::array<uint8_t, 32>& a,
                                  const std::string& message) {
  std::array<uint8_t, 64> h;
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, big_r.data(), 32);
  crypto_hash_sha512_update(&st, a.data(), 32);
  crypto_hash_sha512_update(&st, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  crypto_hash_sha512_final(&st, h.data());
  std::array<uint8_t, 32> k;
  crypto_core_ed25519_scalar_reduce(k.data(), h.data());
  return k;
}

void HeaderCases(Cases& out, const SigningKey& key) {
  Raw ok = Revision(R"({"answers":{"n":5},"tz":300})");
  std::string good = Seal(ok, key);
  out.Add("header_valid_revision", "a revision that breaks no rule", good, "ok");
  out.Add("header_wrong_magic", "starts with DLE2", [&] { Raw r = ok; r.magic = "DLE2"; return Seal(r, key); }(),
          "envelope.malformed");
  out.Add("header_kind_3", "kind 3", [&] { Raw r = ok; r.kind = 3; return Seal(r, key); }(), "envelope.malformed");
  out.Add("header_revision_zero_submission", "a revision about no submission",
          [&] { Raw r = ok; r.submission = {}; return Seal(r, key); }(), "envelope.malformed");
  out.Add("header_revision_no_form_id", "a revision without a form id",
          [&] { Raw r = ok; r.form_id.clear(); return Seal(r, key); }(), "envelope.malformed");
  out.Add("header_sequence_0", "sequence 0", [&] { Raw r = ok; r.sequence = 0; return Seal(r, key); }(),
          "envelope.malformed");
  out.Add("header_first_with_previous", "sequence 1 with a previous id",
          [&] { Raw r = ok; r.previous = Filled(1); return Seal(r, key); }(), "envelope.malformed");
  out.Add("header_second_without_previous", "sequence 2 with a zero previous id",
          [&] { Raw r = ok; r.sequence = 2; return Seal(r, key); }(), "envelope.malformed");
  out.Add("header_second_with_previous", "sequence 2 naming a previous id (the chain is checked in context)",
          [&] { Raw r = ok; r.sequence = 2; r.previous = Filled(9); return Seal(r, key); }(), "ok");
  out.Add("header_parents_descending", "parents not in ascending order",
          [&] { Raw r = ok; r.parents = {Filled(2), Filled(1)}; return Seal(r, key); }(), "envelope.malformed");
  out.Add("header_parent_twice", "one parent listed twice",
          [&] { Raw r = ok; r.parents = {Filled(1), Filled(1)}; return Seal(r, key); }(), "envelope.malformed");
  out.Add("header_16_parents", "16 parents, the most allowed", [&] {
    Raw r = ok;
    for (int i = 0; i < 16; ++i) r.parents.push_back(Filled(static_cast<uint8_t>(i + 1)));
    return Seal(r, key);
  }(), "ok");
  out.Add("header_17_parents", "17 parents", [&] {
    Raw r = ok;
    for (int i = 0; i < 17; ++i) r.parents.push_back(Filled(static_cast<uint8_t>(i + 1)));
    return Seal(r, key);
  }(), "envelope.malformed");
  out.Add("header_form_id_65_bytes", "a form id of 65 bytes",
          [&] { Raw r = ok; r.form_id = std::string(65, 'a'); return Seal(r, key); }(), "envelope.malformed");
  out.Add("header_form_version_not_utf8", "a form version holding byte FF",
          [&] { Raw r = ok; r.form_version = "\xff"; return Seal(r, key); }(), "envelope.malformed");
  out.Add("header_byte_after_signature", "one byte after the signature", good + std::string(1, '\0'),
          "envelope.malformed");
  out.Add("header_signature_cut", "the last byte of the signature missing", good.substr(0, good.size() - 1),
          "envelope.malformed");
  Raw smallest;
  smallest.body = "{}";
  std::string s = Seal(smallest, key);
  out.Add("header_smallest_214_bytes",
          "the smallest well-formed envelope (214 bytes): an event with body {}, which is no event type", s,
          "event.invalid");
  out.Add("header_213_bytes", "the smallest envelope cut by one byte", s.substr(0, 213), "envelope.malformed");
}

void JsonCases(Cases& out, const SigningKey& key) {
  auto review = [&](const std::string& comment) { return Seal(Review(comment), key); };
  auto revision = [&](const std::string& body) { return Seal(Revision(body), key); };
  out.Add("json_whitespace_around", "space, tab, CR and LF before and after the object",
          revision(" \t\r\n{\"answers\":{},\"tz\":300}\n\r\t "), "ok");
  out.Add("json_bom", "a UTF-8 byte-order mark before the object", revision("\xef\xbb\xbf{\"answers\":{},\"tz\":300}"),
          "envelope.malformed");
  out.Add("json_second_value", "a second object after the first", revision(R"({"answers":{},"tz":300} {})"),
          "envelope.malformed");
  out.Add("json_top_level_array", "an array, not an object", revision(R"([{"answers":{},"tz":300}])"),
          "envelope.malformed");
  out.Add("json_escaped_nul", "a string holding \\u0000", review(R"("a\u0000b")"), "ok");
  out.Add("json_surrogate_pair", "an escaped surrogate pair (U+1F600)", review(R"("\ud83d\ude00")"), "ok");
  out.Add("json_lone_high_surrogate", "\\ud800 alone", review(R"("\ud800")"), "envelope.malformed");
  out.Add("json_lone_low_surrogate", "\\udc00 alone", review(R"("\udc00")"), "envelope.malformed");
  out.Add("json_high_surrogate_then_letter", "\\ud800 followed by x", review(R"("\ud800x")"), "envelope.malformed");
  out.Add("json_unknown_escape", "\\x41", review(R"("\x41")"), "envelope.malformed");
  out.Add("json_raw_control_character", "a raw tab inside a string", review("\"a\tb\""), "envelope.malformed");
  out.Add("json_overlong_utf8", "C0 AF, an overlong '/'", review("\"\xc0\xaf\""), "envelope.malformed");
  out.Add("json_encoded_surrogate_utf8", "ED A0 80, a surrogate encoded in UTF-8", review("\"\xed\xa0\x80\""),
          "envelope.malformed");
  out.Add("json_repeated_key", "\"type\" twice", Seal([&] {
    Raw r = Review("\"x\"");
    r.body = R"({"type":"review","type":"review","by":"anna","state":"approved"})";
    return r;
  }(), key), "envelope.malformed");
  out.Add("json_repeated_key_after_unescaping", "\"\\u0074ype\" repeats \"type\"", Seal([&] {
    Raw r = Review("\"x\"");
    r.body = R"({"type":"review","\u0074ype":"review","by":"anna","state":"approved"})";
    return r;
  }(), key), "envelope.malformed");
  out.Add("json_keys_differ_in_normalisation", "\"é\" precomposed and decomposed are two keys",
          revision("{\"answers\":{\"\xc3\xa9\":1,\"e\xcc\x81\":2},\"tz\":300}"), "ok");
  out.Add("json_depth_32", "32 levels counting the outer object", revision(Nested(32)), "ok");
  out.Add("json_depth_33", "33 levels counting the outer object", revision(Nested(33)), "envelope.malformed");
  out.Add("json_number_overflow", "1e400 overflows a double", revision(R"({"answers":{"a":1e400},"tz":300})"),
          "envelope.malformed");
  out.Add("json_negative_overflow", "-1e400", revision(R"({"answers":{"a":-1e400},"tz":300})"), "envelope.malformed");
  out.Add("json_number_underflow", "1e-400 underflows to 0", revision(R"({"answers":{"a":1e-400},"tz":300})"), "ok");
  out.Add("json_integer_beyond_64_bits", "18446744073709551616 (2^64)",
          revision(R"({"answers":{"a":18446744073709551616},"tz":300})"), "ok");
  out.Add("json_negative_zero", "-0", revision(R"({"answers":{"a":-0},"tz":300})"), "ok");
  out.Add("json_leading_zero", "01", revision(R"({"answers":{"a":01},"tz":300})"), "envelope.malformed");
  out.Add("json_plus_sign", "+1", revision(R"({"answers":{"a":+1},"tz":300})"), "envelope.malformed");
  out.Add("json_nan", "NaN", revision(R"({"answers":{"a":NaN},"tz":300})"), "envelope.malformed");
  out.Add("json_comment", "a /* comment */", revision(R"({"answers":{}, /* c */ "tz":300})"), "envelope.malformed");
  out.Add("json_trailing_comma", "a trailing comma", revision(R"({"answers":{},"tz":300,})"), "envelope.malformed");
  out.Add("json_single_quotes", "a single-quoted string", review("'x'"), "envelope.malformed");
}

void BodyCases(Cases& out, const SigningKey& key) {
  auto revision = [&](const std::string& body) { return Seal(Revision(body), key); };
  auto event = [&](const std::string& body) {
    Raw r = Review("\"\"");
    r.body = body;
    return Seal(r, key);
  };
  out.Add("body_revision_extra_key", "a revision body with a key the table does not list",
          revision(R"({"answers":{},"tz":300,"extra":"x"})"), "revision.body_invalid");
  out.Add("body_revision_by_and_note", "by and note, as a coordinator's correction has them",
          revision(R"({"answers":{},"tz":300,"by":"anna","note":"checked"})"), "ok");
  out.Add("body_revision_by_not_string", "by is a number", revision(R"({"answers":{},"tz":300,"by":1})"),
          "revision.body_invalid");
  out.Add("body_revision_no_answers", "no answers", revision(R"({"tz":300})"), "revision.body_invalid");
  out.Add("body_revision_answers_array", "answers is an array", revision(R"({"answers":[],"tz":300})"),
          "revision.body_invalid");
  out.Add("body_tz_missing", "no tz", revision(R"({"answers":{}})"), "revision.body_invalid");
  out.Add("body_tz_fraction", "tz written 300.0", revision(R"({"answers":{},"tz":300.0})"), "revision.body_invalid");
  out.Add("body_tz_exponent", "tz written 3e2", revision(R"({"answers":{},"tz":3e2})"), "revision.body_invalid");
  out.Add("body_tz_string", "tz written \"300\"", revision(R"({"answers":{},"tz":"300"})"), "revision.body_invalid");
  out.Add("body_tz_841", "tz beyond 14 hours", revision(R"({"answers":{},"tz":841})"), "revision.body_invalid");
  out.Add("body_tz_minus_840", "tz at -14 hours", revision(R"({"answers":{},"tz":-840})"), "ok");
  out.Add("body_tz_negative_zero", "tz written -0", revision(R"({"answers":{},"tz":-0})"), "ok");
  out.Add("body_integer_answer_with_fraction", "an answer written 5.0 (the form judges it, not the body rules)",
          revision(R"({"answers":{"n":5.0},"tz":300})"), "ok");
  out.Add("body_event_number_field", "an event field that is a number",
          event(R"({"type":"review","by":"anna","state":"approved","round":2})"), "event.invalid");
  out.Add("body_event_null_field", "an event field that is null",
          event(R"({"type":"review","by":"anna","state":"approved","comment":null})"), "event.invalid");
  out.Add("body_event_extra_string_field", "an extra string field: ignored",
          event(R"({"type":"review","by":"anna","state":"approved","mood":"calm"})"), "ok");
  out.Add("body_event_unknown_type", "type \"vote\"", event(R"({"type":"vote","by":"anna"})"), "event.invalid");
  out.Add("body_event_no_type", "no type", event(R"({"by":"anna","state":"approved"})"), "event.invalid");
  out.Add("body_review_without_state", "a review without a state", event(R"({"type":"review","by":"anna"})"),
          "event.invalid");
  out.Add("body_duplicate_bad_decision", "a duplicate decision \"maybe\"",
          event(R"({"type":"duplicate","by":"anna","decision":"maybe","other":"0190000000007000800000000000000a"})"),
          "event.invalid");
  out.Add("body_enroll_short_device", "an enroll event with 63 hex digits of device",
          event(R"({"type":"enroll","by":"cli","device":")" + std::string(63, 'a') + R"(","volunteer":"v"})"),
          "event.invalid");
  out.Add("body_revoke_bad_through", "a revoke event whose through is not decimal",
          event(R"({"type":"revoke","by":"cli","device":")" + std::string(64, 'a') + R"(","through":"x"})"),
          "event.invalid");
  out.Add("body_person_key_bad_role", "a person_key_enrolled event for role volunteer",
          event(R"({"type":"person_key_enrolled","by":"admin","person":"anna","role":"volunteer","key":")" +
                std::string(64, 'b') + R"("})"),
          "event.invalid");
}

void DomainCases(Cases& out, const SigningKey& key) {
  Raw r = Revision(R"({"answers":{"n":5},"tz":300})");
  for (const auto& [name, label] : std::vector<std::pair<std::string, std::string>>{
           {"request", "dala-request-v1\n"},
           {"enroll", "dala-enroll-v1\n"},
           {"person_key", "dala-person-key-v1\n"},
           {"v2", "dala-envelope-v2\n"},
           {"no_newline", "dala-envelope-v1"},
           {"none", ""}}) {
    out.Add("domain_" + name, "signed under the label \"" + Escaped(label) + "\" instead of \"dala-envelope-v1\\n\"",
            Seal(r, key, label), "envelope.bad_signature");
  }
}

void Ed25519Cases(Cases& out, const SigningKey& key) {
  Raw r = Revision(R"({"answers":{"n":5},"tz":300})");
  std::string good = Seal(r, key);
  // S + L: the same point equation, a non-canonical scalar.
  static const uint8_t kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                 0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                 0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  std::string malleable = good;
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    size_t at = good.size() - 32 + i;
    unsigned v = static_cast<uint8_t>(good[at]) + kL[i] + carry;
    malleable[at] = static_cast<char>(v & 0xff);
    carry = v >> 8;
  }
  out.Add("ed25519_s_plus_l", "the valid signature with L added to S (rule 1)", malleable, "envelope.bad_signature");
  std::array<uint8_t, 32> zero{};
  out.Add("ed25519_identity_key", "A = identity, R = identity, S = 0: Go's crypto/ed25519 accepts (rule 4)",
          Forged(r, Encoding(kIdentity), Encoding(kIdentity), zero), "envelope.bad_signature");
  out.Add("ed25519_identity_key_non_canonical",
          "A = the identity encoded with y = p + 1, R = identity, S = 0 (rules 3 and 4)",
          Forged(r, Encoding(kIdentityNonCanonical), Encoding(kIdentity), zero), "envelope.bad_signature");
  // A of order 8 with R = identity and S = 0 holds exactly when 8 divides
  // k: vary the wall time until it does, so a cofactorless verifier that
  // skips the small-order check would accept it.
  Raw small = r;
  const auto a8 = Encoding(kOrder8);
  for (;; ++small.wall) {
    small.author = a8;
    auto k = Challenge(Encoding(kIdentity), a8,
                       std::string(sync::kEnvelopeSignatureDomain) + SignedBytes(small));
    if ((k[0] & 7) == 0) break;
  }
  out.Add("ed25519_small_order_key",
          "A of order 8, R = identity, S = 0, the wall time chosen so that [S]B - [k]A = R holds (rule 4)",
          Forged(small, a8, Encoding(kIdentity), zero), "envelope.bad_signature");
  std::array<uint8_t, 32> real_r;
  std::copy_n(reinterpret_cast<const uint8_t*>(good.data() + good.size() - 64), 32, real_r.data());
  std::array<uint8_t, 32> real_s;
  std::copy_n(reinterpret_cast<const uint8_t*>(good.data() + good.size() - 32), 32, real_s.data());
  out.Add("ed25519_small_order_r", "a real key with R of order 8 (rule 2)",
          Forged(r, key.public_key(), a8, real_s), "envelope.bad_signature");
  // An author that is no point: the first y from 2 whose x^2 has no root.
  std::array<uint8_t, 32> off{};
  for (uint8_t y = 2;; ++y) {
    off.fill(0);
    off[0] = y;
    if (!crypto_core_ed25519_is_valid_point(off.data())) break;
  }
  out.Add("ed25519_key_not_on_curve", "an author whose y has no x on the curve (rule 5)", Forged(r, off, real_r, real_s),
          "envelope.bad_signature");
  std::string flipped = good;
  flipped[flipped.size() - 40] ^= 1;
  out.Add("ed25519_s_bit_flipped", "one bit of S flipped (rule 6)", flipped, "envelope.bad_signature");
  std::string other_key = Seal(r, WorldKey(0x77));
  other_key.replace(21, 32, reinterpret_cast<const char*>(key.public_key().data()), 32);
  out.Add("ed25519_signed_by_another_key", "signed by another key than the author field's (rule 6)", other_key,
          "envelope.bad_signature");
}

}  // namespace

json EnvelopeCases() {
  Cases out;
  SigningKey key = WorldKey(0x11);
  HeaderCases(out, key);
  JsonCases(out, key);
  BodyCases(out, key);
  DomainCases(out, key);
  Ed25519Cases(out, key);
  return out.Json();
}

}  // namespace dala::conformance
