// Verifying envelopes in context: the conditions 11-13 of sync/README.md
// that need more than the envelope itself. Condition 14 (parents) needs
// every earlier envelope: the server and the auditor check it.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "dala/base/status.h"
#include "dala/schema/form.h"
#include "dala/sync/envelope.h"

namespace dala::sync {

// Where the verifier finds form documents by their hash.
class FormRegistry {
 public:
  virtual ~FormRegistry() = default;
  virtual std::shared_ptr<const schema::Form> FindForm(const Hash& form_hash) const = 0;
};

// The body of a revision envelope.
struct RevisionBody {
  std::string answers_json;  // the "answers" object, as JSON text
  int32_t utc_offset_minutes = 0;
  std::string by;            // set when the server signed for a coordinator
  std::string note;
};
Result<RevisionBody> ParseRevisionBody(std::string_view body);
// The JSON text of a revision body; `by` and `note` are omitted when empty.
[[nodiscard]] std::string MakeRevisionBody(const std::string& answers_json, int32_t utc_offset_minutes,
                                           const std::string& by = "", const std::string& note = "");

// The body of an event envelope; fields not used by its type are empty.
struct EventBody {
  std::string type;  // review, duplicate, enroll, revoke, person_key_enrolled, person_key_revoked
  std::string by;
  std::string state, comment;      // review
  std::string decision, other;     // duplicate
  std::string device, volunteer, label, reason;  // enroll, revoke (label, reason also for person keys)
  std::string person, role, key;   // person_key_enrolled, person_key_revoked
  // revoke, person_key_revoked: the revoked key's last sequence the server
  // accepted, in decimal; "" in revocations logged before it was kept.
  std::string through;
};
Result<EventBody> ParseEventBody(std::string_view body);
[[nodiscard]] std::string MakeEventBody(const EventBody& event);

// The last envelope accepted from one author.
struct ChainTip {
  uint64_t sequence = 0;  // 0: nothing yet
  Hash id{};
};

// Condition 11: `e` is the next link after `tip`.
[[nodiscard]] Status CheckChainLink(const Envelope& e, const ChainTip& tip);

// Conditions 12-13 for a revision: its form is known and its answers are
// valid for it at the revision's own time. Events pass trivially. A
// revision's failure names its reason(): "unknown_form", "invalid_revision"
// (the form hash names another form) or "invalid_answers" (the body or the
// answers do not fit).
//
// `answers_out`, if given, receives the parsed answers of a valid revision,
// for callers that need them next. `parsed_body`, if given, is the body
// Envelope::Parse handed back (moved from), so it is not parsed again.
[[nodiscard]] Status VerifyRevisionContent(const Envelope& e, const FormRegistry& forms,
                                           nlohmann::json* answers_out = nullptr,
                                           nlohmann::json* parsed_body = nullptr);

// ParseRevisionBody and VerifyRevisionContent together, for a verifier that
// checks many revisions (the auditor): the same conditions and messages,
// but the body is parsed once instead of three times. Fails as
// ParseRevisionBody does; otherwise `content` is VerifyRevisionContent's
// verdict. `parsed_body`, if given, is the body Envelope::Parse handed back
// (moved from).
struct CheckedRevision {
  RevisionBody body;
  Status content;
};
[[nodiscard]] Result<CheckedRevision> CheckRevision(const Envelope& e, const FormRegistry& forms,
                                                   nlohmann::json* parsed_body = nullptr);

}  // namespace dala::sync
