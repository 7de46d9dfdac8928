// People's keys and the decisions they sign (sync/README.md, "Decisions").
//
// A decision is drafted here the same way whoever signs it: the server for
// a person without a key (attested), or the person, in their browser or
// with `dala coord`, who gets the draft, checks it, completes the chain
// and clocks, signs, and sends it back. The server then checks that the
// signed envelope is the decision it would have drafted, from an enrolled
// key of the person whose session sent it, and appends it unchanged.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dala/sync/enrolment.h"
#include "dala/sync/hlc.h"
#include "dala/sync/merge.h"
#include "dala/sync/person_keys.h"
#include "record_service.h"

namespace dala::server {

using nlohmann::json;
using sync::Envelope;
using sync::Hash;
using sync::SubmissionId;

namespace {

// The hash of the form a stored submission names, which the store keeps
// as hex text: a damaged row is reported, never read as a zero hash.
Result<Hash> FormHashOf(const SubmissionSummary& s) {
  Hash h;
  if (!FromHex(s.form_hash, &h))
    return Status::Corruption("submissions row " + sync::FormatSubmissionId(s.id) + ": form_hash is not 64 hex digits");
  return h;
}

Status Refused(std::string_view reason, std::string message) {
  return Status(Status::Code::kInvalidArgument, reason, std::move(message));
}

}  // namespace

int32_t RecordUtcOffset(const std::vector<Envelope>& envelopes, int32_t fallback) {
  int32_t offset = fallback;
  sync::HlcTimestamp newest;
  bool found = false;
  for (const Envelope& e : envelopes) {
    if (e.kind() != sync::EnvelopeKind::kRevision || (found && e.hlc() < newest)) continue;
    auto body = sync::ParseRevisionBody(e.body());
    if (!body.ok() || !body->by.empty()) continue;
    offset = body->utc_offset_minutes;
    newest = e.hlc();
    found = true;
  }
  return offset;
}

// --- drafts ------------------------------------------------------------------------------------

Result<std::vector<sync::EnvelopeFields>> RecordService::DraftReview(const SubmissionId& id, std::string_view by,
                                                                     std::string_view state, std::string_view comment) {
  DALA_ASSIGN_OR_RETURN(sync::ReviewState parsed, sync::ParseReviewState(state));
  if (parsed == sync::ReviewState::kHasIssues && comment.empty())
    return Status::InvalidArgument("'has_issues' needs a comment telling the volunteer what to fix");
  DALA_ASSIGN_OR_RETURN(auto summary, ctx_.store.FindSubmission(id));
  if (!summary) return Status::NotFound("no submission " + sync::FormatSubmissionId(id));
  sync::EventBody body;
  body.type = "review";
  body.by = std::string(by);
  body.state = sync::ReviewStateName(parsed);
  body.comment = std::string(comment);
  sync::EnvelopeFields f;
  f.kind = sync::EnvelopeKind::kEvent;
  f.submission = id;
  DALA_ASSIGN_OR_RETURN(f.parents, HeadsOf(id));
  f.form_id = summary->form_id;
  f.form_version = summary->form_version;
  DALA_ASSIGN_OR_RETURN(f.form_hash, FormHashOf(*summary));
  f.body = sync::MakeEventBody(body);
  return std::vector<sync::EnvelopeFields>{std::move(f)};
}

Result<std::vector<sync::EnvelopeFields>> RecordService::DraftEdit(const SubmissionId& id, const CoordinatorEdit& edit) {
  DALA_ASSIGN_OR_RETURN(auto summary, ctx_.store.FindSubmission(id));
  if (!summary) return Status::NotFound("no submission " + sync::FormatSubmissionId(id));
  DALA_ASSIGN_OR_RETURN(Hash form_hash, FormHashOf(*summary));
  std::shared_ptr<const schema::Form> form = FindForm(form_hash);
  if (form == nullptr) return Status::FailedPrecondition("the submission's form is not on the server");
  json answers;
  try {
    answers = json::parse(edit.answers_json);
  } catch (const json::exception&) {
    return Status::InvalidArgument("answers are not JSON");
  }
  DALA_ASSIGN_OR_RETURN(auto stored, ctx_.store.EnvelopesOf(id));
  std::vector<Envelope> envelopes;
  for (const StoredEnvelope& s : stored) {
    DALA_ASSIGN_OR_RETURN(Envelope e, Envelope::Parse(s.bytes));
    envelopes.push_back(std::move(e));
  }
  const int32_t zone = RecordUtcOffset(envelopes, ctx_.clock.UtcOffsetMinutes());
  ZonedClock clock(ctx_.clock, zone);
  form->Recalculate(&answers, clock, /*clear_irrelevant=*/true);
  auto problems = form->Validate(answers, clock, "en");
  if (!problems.empty())
    return Status::InvalidArgument("the edit does not fit form " + form->id() + ": " + problems[0].field + ": " +
                                   problems[0].message);
  std::vector<Hash> heads = edit.parents;
  if (heads.empty()) {
    DALA_ASSIGN_OR_RETURN(heads, HeadsOf(id));
  } else {
    for (const Hash& h : heads) {
      bool known = std::any_of(stored.begin(), stored.end(), [&](const StoredEnvelope& e) { return e.id == h; });
      if (!known) return Status::InvalidArgument("parent " + ToHex(h).substr(0, 12) + " is not a revision of this submission");
    }
  }
  sync::EnvelopeFields f;
  f.kind = sync::EnvelopeKind::kRevision;
  f.submission = id;
  f.parents = heads;
  f.form_hash = form_hash;
  f.form_id = form->id();
  f.form_version = form->version();
  f.body = sync::MakeRevisionBody(answers.dump(), zone, edit.by, edit.note);
  return std::vector<sync::EnvelopeFields>{std::move(f)};
}

Result<std::vector<sync::EnvelopeFields>> RecordService::DraftDuplicate(const SubmissionId& subject,
                                                                        const SubmissionId& other,
                                                                        std::string_view decision,
                                                                        std::string_view by) {
  if (decision != "merged_into" && decision != "not_duplicate")
    return Status::InvalidArgument("decision must be merged_into or not_duplicate");
  if (subject == other) return Status::InvalidArgument("a submission cannot be a duplicate of itself");
  DALA_ASSIGN_OR_RETURN(auto a, ctx_.store.FindSubmission(subject));
  DALA_ASSIGN_OR_RETURN(auto b, ctx_.store.FindSubmission(other));
  if (!a) return Status::NotFound("no submission " + sync::FormatSubmissionId(subject));
  if (!b) return Status::NotFound("no submission " + sync::FormatSubmissionId(other));
  if (a->form_id != b->form_id) return Status::InvalidArgument("the two submissions are of different forms");
  if (decision == "merged_into" && !b->merged_into.empty())
    return Status::FailedPrecondition("cannot merge into a submission that was itself merged away");
  // "Not a duplicate" is recorded on both, so each stops being flagged.
  std::vector<std::pair<SubmissionSummary*, SubmissionSummary*>> pairs = {{&*a, &*b}};
  if (decision == "not_duplicate") pairs.push_back({&*b, &*a});
  std::vector<sync::EnvelopeFields> drafts;
  for (auto [x, y] : pairs) {
    sync::EventBody body;
    body.type = "duplicate";
    body.by = std::string(by);
    body.decision = std::string(decision);
    body.other = sync::FormatSubmissionId(y->id);
    sync::EnvelopeFields f;
    f.kind = sync::EnvelopeKind::kEvent;
    f.submission = x->id;
    DALA_ASSIGN_OR_RETURN(f.parents, HeadsOf(x->id));
    f.form_id = x->form_id;
    f.form_version = x->form_version;
    DALA_ASSIGN_OR_RETURN(f.form_hash, FormHashOf(*x));
    f.body = sync::MakeEventBody(body);
    drafts.push_back(std::move(f));
  }
  return drafts;
}

uint64_t RecordService::hlc_floor() {
  std::lock_guard<std::mutex> lock(append_mutex_);
  return server_hlc_;
}

// --- who signs -----------------------------------------------------------------------------------

Result<bool> RecordService::SignsOwnDecisions(std::string_view person) {
  DALA_ASSIGN_OR_RETURN(auto keys, ctx_.store.PersonKeysOf(person));
  return !keys.empty() && !person.empty();
}

Status RecordService::RefuseIfKeyed(std::string_view by) {
  DALA_ASSIGN_OR_RETURN(bool keyed, SignsOwnDecisions(by));
  if (!keyed) return Status::Ok();
  return Status(Status::Code::kPermissionDenied, "decision_must_be_signed",
                std::string(by) + " has an enrolled key: the server no longer signs decisions in their name; "
                                  "sign the decision with the key (POST /api/v1/decisions)");
}

Status RecordService::QueueDecisionForOwner(const Envelope& e, uint64_t index) {
  DALA_ASSIGN_OR_RETURN(std::string owner, OwnerOf(e.submission()));
  if (owner.empty()) return Status::Ok();
  if (e.author() != server_key()) {
    // The laptop takes a person's decision only with the server-signed
    // event that enrolled that person's key (sync/README.md, D3).
    DALA_ASSIGN_OR_RETURN(auto key, ctx_.store.FindPersonKey(e.author()));
    if (key) DALA_RETURN_IF_ERROR(ctx_.store.AddToOutboxOnce(owner, key->enrolled_index, server_key()));
  }
  return ctx_.store.AddToOutbox(owner, index, e.author());
}

// --- enrolment and revocation ---------------------------------------------------------------------

Result<PersonKeyRow> RecordService::EnrollPersonKey(const User& person, std::string_view code,
                                                    const sync::PublicKey& key, const sync::Signature& proof,
                                                    std::string_view label) {
  const char* role = RoleName(person.role);
  if (!sync::IsDecidingRole(role)) return Status::PermissionDenied("only coordinators and admins hold decision keys");
  DALA_ASSIGN_OR_RETURN(const std::string normalized, NormalizedEnrollCode(code));
  if (!sync::VerifyPersonKeyProof(key, normalized, proof))
    return Status(Status::Code::kUnauthenticated, "bad_signature",
                  "the proof does not verify: it must be the key's signature over the code and the key");
  std::lock_guard<std::mutex> lock(append_mutex_);
  DALA_RETURN_IF_ERROR(CatchUpTree());
  if (key == server_key()) return Status::InvalidArgument("that key is the server's own");
  const int64_t now = ctx_.clock.NowMs();
  DALA_ASSIGN_OR_RETURN(auto device, ctx_.store.FindDevice(key));
  DALA_ASSIGN_OR_RETURN(auto existing, ctx_.store.FindPersonKey(key));
  if (device || existing) return Status(Status::Code::kAlreadyExists, "already_enrolled", "this key is already enrolled");
  PersonKeyRow row{key, person.name, role, std::string(label), 0, "", 0, "", "", tree_.size()};
  sync::EventBody body;
  body.type = "person_key_enrolled";
  body.person = person.name;
  body.role = role;
  body.key = ToHex(key);
  body.label = std::string(label);
  // The code is consumed in the transaction that appends the event, which
  // names the admin who issued it.
  auto consume = [&](sync::EventBody* event) -> Status {
    auto issued = ctx_.store.ConsumePersonKeyCode(ToHex(sync::Sha256(normalized)), person.name, now);
    if (!issued.ok())
      return issued.status().code() == Status::Code::kNotFound ? issued.status().WithReason("bad_enroll_code")
                                                               : issued.status();
    event->by = row.enrolled_by = issued->created_by;
    return Status::Ok();
  };
  auto event = AppendServerEvent(
      body,
      [&](const Envelope& e) {
        row.enrolled_ms = e.wall_ms();
        return ctx_.store.AddPersonKey(row);
      },
      consume);
  if (!event.ok()) return event.status();
  return row;
}

Status RecordService::RevokePersonKey(const sync::PublicKey& key, std::string_view by, std::string_view reason) {
  std::lock_guard<std::mutex> lock(append_mutex_);
  DALA_RETURN_IF_ERROR(CatchUpTree());
  DALA_ASSIGN_OR_RETURN(auto row, ctx_.store.FindPersonKey(key));
  if (!row) return Status::NotFound("no person key " + ToHex(key));
  if (row->revoked_ms != 0)
    return Status(Status::Code::kFailedPrecondition, "already_revoked", "the key was revoked before, by " + row->revoked_by);
  sync::EventBody body;
  body.type = "person_key_revoked";
  body.by = std::string(by);
  body.person = row->person;
  body.key = ToHex(key);
  body.reason = std::string(reason);
  auto event = AppendServerEvent(
      body,
      [&](const Envelope& e) {
        DALA_RETURN_IF_ERROR(ctx_.store.RevokePersonKey(key, by, reason, e.wall_ms()));
        // Every volunteer whose laptops were sent the enrolment, and so
        // take this key's decisions in, gets the revocation after them.
        // The tree moves only after the commit: its size is this event's index.
        DALA_ASSIGN_OR_RETURN(auto volunteers, ctx_.store.VolunteersQueued(row->enrolled_index));
        for (const std::string& v : volunteers) DALA_RETURN_IF_ERROR(ctx_.store.AddToOutbox(v, tree_.size(), e.author()));
        return Status::Ok();
      },
      [&](sync::EventBody* b) -> Status {
        // Laptops see no log positions: the event says where in the key's
        // chain the revocation falls (README "Decisions", D4).
        DALA_ASSIGN_OR_RETURN(sync::ChainTip tip, ctx_.store.Tip(key));
        b->through = std::to_string(tip.sequence);
        return Status::Ok();
      });
  return event.ok() ? Status::Ok() : event.status();
}

// --- signed decisions ------------------------------------------------------------------------------

Result<std::vector<Hash>> RecordService::AppendSignedDecisions(const User& person,
                                                               const std::vector<std::string>& envelopes) {
  if (envelopes.empty() || envelopes.size() > 2)
    return Refused("invalid_decision", "a decision is one envelope, or two for \"not a duplicate\"");
  std::vector<Envelope> parsed;
  for (const std::string& bytes : envelopes) {
    auto e = Envelope::Parse(bytes);
    if (!e.ok()) return Refused("invalid_decision", e.status().message());
    if (!e->VerifySignature().ok())
      return Status(Status::Code::kUnauthenticated, "bad_signature", "the decision's signature does not verify");
    if (!parsed.empty() && e->author() != parsed[0].author())
      return Refused("invalid_decision", "the envelopes of one decision have one signer");
    parsed.push_back(std::move(*e));
  }
  // D3-D4: an enrolled, unrevoked key of the person whose session this is,
  // judged under the lock a revocation takes, so that none comes between
  // the check and the append.
  const sync::PublicKey& author = parsed[0].author();
  std::lock_guard<std::mutex> lock(append_mutex_);
  DALA_RETURN_IF_ERROR(CatchUpTree());
  DALA_ASSIGN_OR_RETURN(auto key, ctx_.store.FindPersonKey(author));
  if (!key || key->person != person.name)
    return Status(Status::Code::kPermissionDenied, "unknown_person_key",
                  "key " + sync::KeyFingerprint(author) + " is not enrolled for " + person.name);
  if (key->revoked_ms != 0)
    return Status(Status::Code::kPermissionDenied, "revoked_person_key",
                  "key " + sync::KeyFingerprint(author) + " was revoked by " + key->revoked_by + "; enrol a new one");
  for (const Envelope& e : parsed) {
    DALA_ASSIGN_OR_RETURN(std::string by, sync::DecisionMaker(e));
    if (by != person.name)
      return Refused("invalid_decision", "the decision names \"" + by + "\", not the signer " + person.name);
  }
  DALA_ASSIGN_OR_RETURN(sync::ChainTip tip, ctx_.store.Tip(author));
  const int64_t latest = ctx_.clock.NowMs() + ctx_.config.max_clock_ahead_ms;
  for (const Envelope& e : parsed) {
    if (Status link = sync::CheckChainLink(e, tip); !link.ok())
      return Status(Status::Code::kFailedPrecondition, "chain_conflict",
                    link.message() + ": another decision of this key came first; draft again");
    if (static_cast<int64_t>(e.hlc().physical_ms()) > latest || e.wall_ms() > latest)
      return Refused("invalid_decision", "the decision is stamped too far in the future; check the clock");
    DALA_RETURN_IF_ERROR(CheckSignedDecision(e));
    tip = {e.sequence(), e.id()};
  }
  DALA_RETURN_IF_ERROR(AppendAll(parsed));
  sync::HybridClock hlc(ctx_.clock, sync::HlcTimestamp{server_hlc_});
  for (const Envelope& e : parsed) hlc.Observe(e.hlc());
  server_hlc_ = hlc.last().packed;
  std::vector<Hash> ids;
  for (const Envelope& e : parsed) ids.push_back(e.id());
  return ids;
}

Status RecordService::CheckSignedDecision(const Envelope& e) {
  DALA_ASSIGN_OR_RETURN(auto summary, ctx_.store.FindSubmission(e.submission()));
  if (!summary) return Refused("invalid_decision", "no submission " + sync::FormatSubmissionId(e.submission()));
  // README condition 14, and D2: a decision is made on what exists.
  if (e.parents().empty()) return Refused("invalid_decision", "a decision names the revisions it was made on");
  for (const Hash& p : e.parents()) {
    DALA_ASSIGN_OR_RETURN(auto stored, ctx_.store.FindEnvelopeSubject(p));
    if (!stored || stored->submission != e.submission() || !stored->revision)
      return Refused("invalid_decision", "parent " + ToHex(p).substr(0, 12) + " is not a revision of the submission");
  }
  if (e.kind() == sync::EnvelopeKind::kRevision) {
    Status content = sync::VerifyRevisionContent(e, *this);
    if (!content.ok()) return Refused("invalid_answers", content.message());
    return Status::Ok();
  }
  DALA_ASSIGN_OR_RETURN(sync::EventBody event, sync::ParseEventBody(e.body()));
  if (event.type == "review") {
    auto state = sync::ParseReviewState(event.state);
    if (!state.ok()) return Refused("invalid_decision", state.status().message());
    if (*state == sync::ReviewState::kHasIssues && event.comment.empty())
      return Refused("invalid_decision", "'has_issues' needs a comment telling the volunteer what to fix");
    return Status::Ok();
  }
  auto other_id = sync::ParseSubmissionId(event.other);
  if (!other_id.ok() || *other_id == e.submission())
    return Refused("invalid_decision", "the other submission is not a valid id of another record");
  DALA_ASSIGN_OR_RETURN(auto other, ctx_.store.FindSubmission(*other_id));
  if (!other) return Refused("invalid_decision", "no submission " + event.other);
  if (other->form_id != summary->form_id) return Refused("invalid_decision", "the two submissions are of different forms");
  return Status::Ok();
}

}  // namespace dala::server
