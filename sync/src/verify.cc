#include "dala/sync/verify.h"

#include <nlohmann/json.hpp>

#include "dala/base/clock.h"

namespace dala::sync {

using nlohmann::json;

namespace {

constexpr int32_t kMaxOffsetMinutes = 14 * 60;

Result<json> ParseObject(std::string_view body) {
  try {
    json j = json::parse(body);
    if (!j.is_object()) return Status::InvalidArgument("body is not a JSON object");
    return j;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("body is not JSON: ") + e.what());
  }
}

// The body's JSON object: the one Envelope::Parse handed back, or parsed
// here (also when what was handed is not an object, as from a Parse that
// failed or was not asked for it).
Result<json> BodyObject(const Envelope& e, json* parsed) {
  if (parsed != nullptr && parsed->is_object()) return std::move(*parsed);
  return ParseObject(e.body());
}

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

namespace {

// The fields of a parsed revision body, all but answers_json; *answers is
// left pointing at the answers object inside `j`.
Status ReadRevisionBody(const json& j, RevisionBody* out_ptr, const json** answers_out) {
  RevisionBody& out = *out_ptr;
  auto answers = j.find("answers");
  if (answers == j.end() || !answers->is_object())
    return Status::InvalidArgument("revision body has no \"answers\" object");
  *answers_out = &*answers;
  // Read so that every reader sees one number: an unsigned value is
  // compared as unsigned (not wrapped to a negative), and the range check
  // comes before any arithmetic.
  auto tz = j.find("tz");
  if (tz == j.end()) return Status::InvalidArgument("revision body has no \"tz\" (minutes east of UTC, e.g. 300)");
  // A sender that wrote 300.0 or "300" needs to hear that the form is
  // wrong, not that the field is missing.
  if (!tz->is_number_integer())
    return Status::InvalidArgument("revision body's \"tz\" is " + tz->dump() +
                                   ", not an integer: write minutes east of UTC as digits, e.g. 300");
  bool tz_ok = true;
  if (tz->is_number_unsigned()) {
    tz_ok = tz->get<uint64_t>() <= static_cast<uint64_t>(kMaxOffsetMinutes);
  } else {
    int64_t v = tz->get<int64_t>();
    tz_ok = v >= -kMaxOffsetMinutes && v <= kMaxOffsetMinutes;
  }
  if (!tz_ok) return Status::InvalidArgument("revision body's \"tz\" " + tz->dump() + " is outside -840..840 minutes");
  out.utc_offset_minutes = static_cast<int32_t>(tz->get<int64_t>());
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "by" || k == "note") {
      if (!it->is_string()) return Status::InvalidArgument("revision body field \"" + k + "\" is not a string");
    } else if (k != "answers" && k != "tz") {
      return Status::InvalidArgument("revision body has an unknown field \"" + k + "\"");
    }
  }
  out.by = StringField(j, "by");
  out.note = StringField(j, "note");
  return Status::Ok();
}

}  // namespace

Result<RevisionBody> ParseRevisionBody(std::string_view body) {
  DALA_ASSIGN_OR_RETURN(json j, ParseObject(body));
  RevisionBody out;
  const json* answers = nullptr;
  DALA_RETURN_IF_ERROR(ReadRevisionBody(j, &out, &answers));
  out.answers_json = answers->dump();
  return out;
}

std::string MakeRevisionBody(const std::string& answers_json, int32_t utc_offset_minutes, const std::string& by,
                             const std::string& note) {
  json j = json::object();
  j["answers"] = json::parse(answers_json);
  j["tz"] = utc_offset_minutes;
  if (!by.empty()) j["by"] = by;
  if (!note.empty()) j["note"] = note;
  return j.dump();
}

Result<EventBody> ParseEventBody(std::string_view body) {
  DALA_ASSIGN_OR_RETURN(json j, ParseObject(body));
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!it->is_string()) return Status::InvalidArgument("event field \"" + it.key() + "\" is not a string");
  EventBody e;
  e.type = StringField(j, "type");
  e.by = StringField(j, "by");
  e.state = StringField(j, "state");
  e.comment = StringField(j, "comment");
  e.decision = StringField(j, "decision");
  e.other = StringField(j, "other");
  e.device = StringField(j, "device");
  e.volunteer = StringField(j, "volunteer");
  e.label = StringField(j, "label");
  e.reason = StringField(j, "reason");
  e.person = StringField(j, "person");
  e.role = StringField(j, "role");
  e.key = StringField(j, "key");
  e.through = StringField(j, "through");
  if (e.type == "review") {
    if (e.state.empty()) return Status::InvalidArgument("review event without a state");
  } else if (e.type == "duplicate") {
    if (e.decision != "merged_into" && e.decision != "not_duplicate")
      return Status::InvalidArgument("duplicate event with an unknown decision");
    if (e.other.empty()) return Status::InvalidArgument("duplicate event without the other submission");
  } else if (e.type == "enroll" || e.type == "revoke") {
    if (e.device.size() != 64) return Status::InvalidArgument(e.type + " event without a device key");
  } else if (e.type == "person_key_enrolled" || e.type == "person_key_revoked") {
    PublicKey k;
    if (!FromHex(e.key, &k)) return Status::InvalidArgument(e.type + " event without a key of 64 hex digits");
    if (e.person.empty()) return Status::InvalidArgument(e.type + " event without the person");
    if (e.type == "person_key_enrolled" && e.role != "coordinator" && e.role != "admin")
      return Status::InvalidArgument("person_key_enrolled event with a role other than coordinator or admin");
  } else {
    return Status::InvalidArgument("unknown event type \"" + e.type + "\"");
  }
  // Readers turn it into a number: only digits, and few enough to fit.
  if (!e.through.empty() && (e.through.size() > 19 || e.through.find_first_not_of("0123456789") != std::string::npos))
    return Status::InvalidArgument(e.type + " event whose through is not a sequence number");
  return e;
}

std::string MakeEventBody(const EventBody& e) {
  json j = json::object();
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  put("type", e.type);
  put("by", e.by);
  put("state", e.state);
  put("comment", e.comment);
  put("decision", e.decision);
  put("other", e.other);
  put("device", e.device);
  put("volunteer", e.volunteer);
  put("label", e.label);
  put("reason", e.reason);
  put("person", e.person);
  put("role", e.role);
  put("key", e.key);
  put("through", e.through);
  return j.dump();
}

Status CheckChainLink(const Envelope& e, const ChainTip& tip) {
  if (e.sequence() != tip.sequence + 1) {
    if (e.sequence() <= tip.sequence)
      return Status::Corruption("sequence " + std::to_string(e.sequence()) + " repeats an earlier one (fork)");
    return Status::FailedPrecondition("sequence " + std::to_string(e.sequence()) + " leaves a gap after " +
                                      std::to_string(tip.sequence));
  }
  if (e.previous() != tip.id)
    return Status::Corruption("previous hash does not match the author's envelope " + std::to_string(tip.sequence));
  return Status::Ok();
}

namespace {

// The revision's own moment, for today() and now() while validating.
class RevisionClock final : public Clock {
 public:
  RevisionClock(int64_t ms, int32_t offset) : ms_(ms), offset_(offset) {}
  int64_t NowMs() const override { return ms_; }
  int32_t UtcOffsetMinutes() const override { return offset_; }

 private:
  int64_t ms_;
  int32_t offset_;
};

// Condition 12: the form the revision names is known and is the one it says.
Result<std::shared_ptr<const schema::Form>> RevisionForm(const Envelope& e, const FormRegistry& forms) {
  auto form = forms.FindForm(e.form_hash());
  if (form == nullptr)
    return Status(Status::Code::kFailedPrecondition, "unknown_form",
                  "form " + e.form_id() + " version " + e.form_version() + " (hash " +
                      ToHex(e.form_hash()).substr(0, 12) + ") is not known");
  if (form->id() != e.form_id() || form->version() != e.form_version())
    return Status(Status::Code::kCorruption, "invalid_revision",
                  "form hash names " + form->id() + " " + form->version() + ", but the revision says " +
                      e.form_id() + " " + e.form_version());
  return form;
}

// Condition 13: the answers fit the form at the revision's own time.
Status ValidateAnswers(const Envelope& e, const schema::Form& form, const json& answers, int32_t offset) {
  RevisionClock clock(e.wall_ms(), offset);
  auto problems = form.Validate(answers, clock, "en");
  if (!problems.empty()) {
    std::string m = "answers do not fit form " + form.id() + " " + form.version() + ": " +
                    (problems[0].field.empty() ? "" : problems[0].field + ": ") + problems[0].message;
    if (problems.size() > 1) m += " (and " + std::to_string(problems.size() - 1) + " more)";
    return Status(Status::Code::kInvalidArgument, "invalid_answers", m);
  }
  return Status::Ok();
}

}  // namespace

Status VerifyRevisionContent(const Envelope& e, const FormRegistry& forms, json* answers_out, json* parsed_body) {
  if (e.kind() != EnvelopeKind::kRevision) {
    auto event = ParseEventBody(e.body());
    return event.ok() ? Status::Ok() : event.status();
  }
  DALA_ASSIGN_OR_RETURN(auto form, RevisionForm(e, forms));
  // A body that is not a revision body (no answers object, no tz, an
  // unknown field) is the sender's encoding, not the volunteer's answers:
  // its own code, so a client author is not sent to the form's rules.
  auto j = BodyObject(e, parsed_body);
  if (!j.ok()) return j.status().WithReason("invalid_revision");
  RevisionBody body;
  const json* answers = nullptr;
  if (Status s = ReadRevisionBody(*j, &body, &answers); !s.ok()) return s.WithReason("invalid_revision");
  DALA_RETURN_IF_ERROR(ValidateAnswers(e, *form, *answers, body.utc_offset_minutes));
  if (answers_out != nullptr) *answers_out = std::move((*j)["answers"]);
  return Status::Ok();
}

Result<CheckedRevision> CheckRevision(const Envelope& e, const FormRegistry& forms, json* parsed_body) {
  if (e.kind() != EnvelopeKind::kRevision) return Status::InvalidArgument("not a revision");
  DALA_ASSIGN_OR_RETURN(json j, BodyObject(e, parsed_body));
  CheckedRevision out;
  const json* answers = nullptr;
  DALA_RETURN_IF_ERROR(ReadRevisionBody(j, &out.body, &answers));
  out.body.answers_json = answers->dump();
  auto form = RevisionForm(e, forms);
  out.content = form.ok() ? ValidateAnswers(e, **form, *answers, out.body.utc_offset_minutes) : form.status();
  return out;
}

}  // namespace dala::sync
