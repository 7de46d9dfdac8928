// The signed envelope: the byte string that carries one revision of a
// submission, or one event, from its author to every replica and auditor.
//
// The author signs exact bytes. Those bytes are stored and sent verbatim;
// verification never re-serializes anything, so no two programs can
// disagree about what was signed. The format, with its field table and
// numbered validity conditions, is in sync/README.md.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"
#include "dala/sync/hlc.h"
#include "dala/sync/ids.h"
#include "dala/sync/signature_domains.h"

namespace dala::sync {

enum class EnvelopeKind : uint8_t {
  kRevision = 1,  // a version of a submission's answers
  kEvent = 2,     // a review decision, a duplicate decision, an enrolment...
};

inline constexpr size_t kMaxEnvelopeParents = 16;
inline constexpr size_t kMaxEnvelopeBody = 1u << 20;
inline constexpr size_t kMaxFormIdLength = 64;

// What an author fills in to make an envelope.
struct EnvelopeFields {
  EnvelopeKind kind = EnvelopeKind::kRevision;
  SubmissionId submission{};
  uint64_t sequence = 0;  // the author's 1-based counter
  Hash previous{};        // id of the author's envelope sequence-1; zero for 1
  HlcTimestamp hlc;
  int64_t wall_ms = 0;    // the author's wall clock, as claimed
  Hash form_hash{};       // SHA-256 of the form document; zero if none
  std::vector<Hash> parents;
  std::string form_id;
  std::string form_version;
  std::string body;       // a JSON object, UTF-8
};

// Builds and signs an envelope. Parents are sorted so that the same set
// always gives the same bytes. Fails on fields that break a validity
// condition, so a valid signer never produces an invalid envelope.
Result<std::string> SealEnvelope(EnvelopeFields fields, const SigningKey& author);

// A parsed envelope. It owns its bytes; the accessors read fields decoded
// once by Parse. Parse checks structure (conditions 1-9 of the README);
// VerifySignature checks condition 10. Checks that need context (the
// device chain, the form) are in verify.h.
class Envelope {
 public:
  static Result<Envelope> Parse(std::string bytes);
  // Parse, also handing back the body's JSON value, built in the pass that
  // checks its strictness (condition 9), for a caller that reads the body
  // next (VerifyRevisionContent and CheckRevision take it): the body is
  // lexed once. `*body` is set only when the envelope parses.
  static Result<Envelope> Parse(std::string bytes, nlohmann::json* body);
  // Parse for bytes this program verified before (read back from its own
  // store): the structure is checked, the body's JSON strictness (condition
  // 9) is not checked again. Never for bytes from outside.
  static Result<Envelope> ParseVerified(std::string bytes);

  [[nodiscard]] Status VerifySignature() const;

  const std::string& bytes() const { return bytes_; }
  // The signed bytes: everything but the trailing signature.
  std::string_view signed_bytes() const;
  // SHA-256 of the signed bytes.
  const Hash& id() const { return id_; }

  EnvelopeKind kind() const { return kind_; }
  const SubmissionId& submission() const { return submission_; }
  const PublicKey& author() const { return author_; }
  uint64_t sequence() const { return sequence_; }
  const Hash& previous() const { return previous_; }
  HlcTimestamp hlc() const { return hlc_; }
  int64_t wall_ms() const { return wall_ms_; }
  const Hash& form_hash() const { return form_hash_; }
  const std::vector<Hash>& parents() const { return parents_; }
  const std::string& form_id() const { return form_id_; }
  const std::string& form_version() const { return form_version_; }
  std::string_view body() const;
  Signature signature() const;

 private:
  static Result<Envelope> ParseImpl(std::string bytes, bool check_body, nlohmann::json* body);

  std::string bytes_;
  Hash id_{};
  EnvelopeKind kind_ = EnvelopeKind::kRevision;
  SubmissionId submission_{};
  PublicKey author_{};
  uint64_t sequence_ = 0;
  Hash previous_{};
  HlcTimestamp hlc_;
  int64_t wall_ms_ = 0;
  Hash form_hash_{};
  std::vector<Hash> parents_;
  std::string form_id_;
  std::string form_version_;
  size_t body_offset_ = 0;
  size_t body_size_ = 0;
};

// Peeks at single header fields of bytes that have not been parsed, and may
// never parse: to sort a batch, look up the forms it names, or name a damaged
// log entry in a report. The values are only what the bytes claim (nothing
// is checked, not even the magic); `bytes` may be just a prefix of an
// envelope, and a field it does not reach is nullopt. The offsets are those
// of the table in sync/README.md, and this is the only code outside
// envelope.cc that knows them.
inline constexpr size_t kEnvelopeSubmissionEnd = 21;  // a prefix this long holds kind and submission
[[nodiscard]] std::optional<uint8_t> PeekKindByte(std::string_view bytes);
[[nodiscard]] std::optional<SubmissionId> PeekSubmission(std::string_view bytes);
[[nodiscard]] std::optional<PublicKey> PeekAuthor(std::string_view bytes);
[[nodiscard]] std::optional<uint64_t> PeekSequence(std::string_view bytes);
[[nodiscard]] std::optional<Hash> PeekFormHash(std::string_view bytes);

// Checks that `text` is a UTF-8 JSON object in which no object repeats a
// key. Duplicate keys are refused because two JSON parsers may keep
// different copies, and then a signature would vouch for two meanings.
[[nodiscard]] Status CheckStrictJsonObject(std::string_view text);
// The same check, keeping the parsed object in `*out` (null on failure).
[[nodiscard]] Status ParseStrictJsonObject(std::string_view text, nlohmann::json* out);

}  // namespace dala::sync
