// The trace of one submission: its whole history as the log tells it.
//
// HOW IT IS MADE
//
// One pass over the log, in order. Every enroll and revoke event signed by
// the server key is replayed (enrolment_replay.h, the auditor's own replay),
// so that each entry's author is named as the log stood at that entry: a
// volunteer, a volunteer whose device was already revoked, an unenrolled
// key, or the server signing for a coordinator. The entries kept are the
// submission's own revisions and events, and duplicate decisions naming it
// as the other submission. Each authentic revision is compared field by
// field with its parents' answers (absent and null are the same, as in the
// merge); a revision with no parents shows its answers as created. Then the
// authentic revisions and the server's reviews are merged exactly as the
// auditor merges them, and the result is compared with the server's row in
// the submissions table.
//
// WORKED EXAMPLE
//
// Log: 0 enroll A for aigerim; 1 A's revision r1 of S, queue_length 12;
// 2 A's revision r2 of S (parent r1), queue_length 13; 3 revoke A. The trace
// of S shows #1 "log 1 revision (created)", author "volunteer aigerim",
// answers "queue_length: 12"; #2 "log 2 revision", "queue_length: 12 → 13";
// then the state: heads [r2], no conflicts, answers {"queue_length":13}. The
// revocation at 3 does not change how 1 and 2 are named: at their time the
// device was enrolled. Had A signed a revision at 4, it would be named
// "volunteer aigerim (device REVOKED at log 3)".
#include "dala/sync/trace.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include "audit_common.h"
#include "dala/base/utf8.h"
#include "dala/schema/value.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merge.h"
#include "dala/sync/verify.h"
#include "dala/sync/person_keys.h"
#include "enrolment_replay.h"

namespace dala::sync {

using nlohmann::json;

namespace {

using namespace internal;

// A field a revision set differently from its parent(s). Absent and null
// are the same to the merge, so both are null here.
struct FieldChange {
  std::string field;
  std::vector<json> old_values;  // one per distinct value among the parents
  json new_value;
};

struct TraceEntry {
  uint64_t index = 0;
  std::string problem;  // set when the entry does not parse
  std::optional<Envelope> envelope;
  bool signature_ok = false;
  std::string author_name;  // at the time of the entry
  std::string by, note;     // revision body
  int32_t tz = 0;
  std::optional<json> answers;
  std::optional<EventBody> event;
  std::vector<FieldChange> changes;
  bool creation = false;
  bool parents_missing = false;  // some parent is not in the log: changes are partial
};

// Everything the trace found, before it is rendered as text or JSON.
struct Trace {
  SubmissionId submission{};
  PublicKey server_key{};
  bool self_asserted = false;
  std::vector<TraceEntry> entries;
  size_t merged_revisions = 0;
  std::optional<MergedState> state;
  std::string merge_error;
  ReviewSummary review;
  std::optional<BundleSubmission> claim;
  std::vector<std::string> differences;  // fields where the claim and the log disagree
  std::map<Hash, std::string> author_of_revision;

  const std::string& AuthorOf(const Hash& revision) const {
    static const std::string kNobody;
    auto it = author_of_revision.find(revision);
    return it == author_of_revision.end() ? kNobody : it->second;
  }
};

const json& kEmptyObject() {
  static const json kEmpty = json::object();
  return kEmpty;
}

std::string ValueText(const json& v) { return v.is_null() ? "(none)" : v.dump(); }

std::vector<FieldChange> Changes(const json& now, const std::vector<const json*>& parents) {
  std::set<std::string> fields;
  for (auto it = now.begin(); it != now.end(); ++it) fields.insert(it.key());
  for (const json* p : parents)
    for (auto it = p->begin(); it != p->end(); ++it) fields.insert(it.key());
  auto value = [](const json& obj, const std::string& f) { return obj.contains(f) ? obj.at(f) : json(nullptr); };
  std::vector<FieldChange> out;
  for (const std::string& f : fields) {
    json mine = value(now, f);
    bool changed = false;
    std::vector<json> olds;
    for (const json* p : parents) {
      json theirs = value(*p, f);
      if (theirs != mine) changed = true;
      if (std::find(olds.begin(), olds.end(), theirs) == olds.end()) olds.push_back(theirs);
    }
    if (changed) out.push_back({f, std::move(olds), std::move(mine)});
  }
  return out;
}

std::string ValuesText(const std::vector<json>& values) {
  std::string out;
  for (const json& v : values) out += (out.empty() ? "" : " | ") + ValueText(v);
  return out;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

// --- reading the log -------------------------------------------------------------------

// Reads the log in order, replaying enrolments, and keeps the entries that
// concern the submission.
class TraceReader {
 public:
  TraceReader(const SubmissionId& submission, const PublicKey& server_key)
      : submission_(submission), server_key_(server_key) {}

  Status Visit(uint64_t index, std::string_view bytes);

  std::vector<TraceEntry> entries;
  HashMap<size_t> by_id;  // authentic revision id -> index into entries

 private:
  std::string AuthorName(const Envelope& e, const TraceEntry& t) const;
  void CompareWithParents(TraceEntry& t);

  const SubmissionId submission_;
  const PublicKey server_key_;
  EnrolmentReplay enrolments_;
  PersonKeyRegistry persons_;
  std::set<Hash> seen_ids_;
};

Status TraceReader::Visit(uint64_t index, std::string_view bytes) {
  std::optional<SubmissionId> claimed = PeekSubmission(bytes);
  if (!claimed) return Status::Ok();
  const bool is_event = PeekKindByte(bytes) == static_cast<uint8_t>(EnvelopeKind::kEvent);
  const bool ours = *claimed == submission_;
  if (!ours && !is_event) return Status::Ok();
  auto e = Envelope::Parse(std::string(bytes));
  if (!e.ok()) {
    if (ours) {
      TraceEntry t;
      t.index = index;
      t.problem = e.status().message();
      entries.push_back(std::move(t));
    }
    return Status::Ok();
  }
  const bool signature_ok = e->VerifySignature().ok();
  std::optional<EventBody> event;
  if (e->kind() == EnvelopeKind::kEvent) {
    auto ev = ParseEventBody(e->body());
    if (ev.ok()) event = std::move(*ev);
  }
  // Enrolment as the log states it, to name authors at their time.
  if (event && signature_ok && e->author() == server_key_) {
    // The auditor reports what these refuse.
    if (EnrolmentReplay::Concerns(*event)) (void)enrolments_.Apply(*event, index, e->wall_ms());
    if (PersonKeyRegistry::Concerns(*event)) (void)persons_.Apply(*event, index, e->wall_ms());
  }
  bool concerns = ours;
  if (!ours && event && event->type == "duplicate") {
    auto other = ParseSubmissionId(event->other);
    concerns = other.ok() && *other == submission_;
  }
  if (!concerns) return Status::Ok();

  TraceEntry t;
  t.index = index;
  t.signature_ok = signature_ok;
  t.event = std::move(event);
  if (e->kind() == EnvelopeKind::kRevision) {
    auto body = ParseRevisionBody(e->body());
    if (body.ok()) {
      t.by = body->by;
      t.note = body->note;
      t.tz = body->utc_offset_minutes;
      t.answers = json::parse(body->answers_json);
    }
  }
  t.author_name = AuthorName(*e, t);
  t.envelope = std::move(*e);
  CompareWithParents(t);
  entries.push_back(std::move(t));
  return Status::Ok();
}

std::string TraceReader::AuthorName(const Envelope& e, const TraceEntry& t) const {
  const std::string by = t.event ? t.event->by : t.by;
  if (e.author() == server_key_ || persons_.Find(e.author()) != nullptr) {
    // A decision: signed by the person, or only attested by the server.
    DecisionCheck c = CheckDecisionSigner(e.author(), by, e.sequence(), server_key_, persons_);
    std::string name = by.empty() ? std::string("(no name)") : by;
    std::string who = c.signer == DecisionSigner::kPerson
                          ? "signed by " + name + " (key " + KeyFingerprint(e.author()) + ")"
                          : "server for " + name + " (attested only, not signed by them)";
    return c.ok() ? who : who + ": REFUSED, " + c.message;
  }
  const Enrolment* enrolment = enrolments_.Find(e.author());
  if (enrolment == nullptr) return "UNENROLLED key";
  return "volunteer " + enrolment->volunteer +
         (enrolment->revoked ? " (device REVOKED at log " + std::to_string(enrolment->revoked_index) + ")"
                             : std::string());
}

// The fields an authentic revision changed from its parents, once per id.
void TraceReader::CompareWithParents(TraceEntry& t) {
  const Envelope& e = *t.envelope;
  if (e.kind() != EnvelopeKind::kRevision || !t.answers || !t.signature_ok || !seen_ids_.insert(e.id()).second)
    return;
  std::vector<const json*> parents;
  for (const Hash& p : e.parents()) {
    auto it = by_id.find(p);
    if (it != by_id.end() && entries[it->second].answers)
      parents.push_back(&*entries[it->second].answers);
    else
      t.parents_missing = true;
  }
  t.creation = e.parents().empty();
  t.changes = Changes(*t.answers, t.creation ? std::vector<const json*>{&kEmptyObject()} : parents);
  by_id[e.id()] = entries.size();
}

// --- merging and comparing -----------------------------------------------------------

// The merged state, from the authentic revisions as the auditor merges.
void MergeTraced(const HashMap<size_t>& by_id, Trace& trace) {
  std::vector<MergeInput> revisions;
  std::vector<ReviewInput> reviews;
  for (size_t i = 0; i < trace.entries.size(); ++i) {
    const TraceEntry& t = trace.entries[i];
    if (!t.envelope || !t.signature_ok) continue;
    const Envelope& e = *t.envelope;
    if (e.submission() != trace.submission) continue;
    auto first = by_id.find(e.id());
    if (e.kind() == EnvelopeKind::kRevision && t.answers && first != by_id.end() && first->second == i)
      revisions.push_back({e.id(), e.parents(), e.hlc(), e.author(), t.answers->dump()});
    if (t.event && e.author() == trace.server_key)
      if (auto review = ReviewFromEvent(*t.event, e.id(), e.parents(), e.hlc())) reviews.push_back(std::move(*review));
  }
  trace.merged_revisions = revisions.size();
  if (revisions.empty()) return;
  auto m = Merge(revisions);
  if (!m.ok()) {
    trace.merge_error = m.status().message();
    return;
  }
  trace.state = std::move(*m);
  trace.review = SummarizeReviews(revisions, trace.state->heads, reviews);
}

// What the server claims, against what the log gives.
void CompareClaim(Trace& trace) {
  if (!trace.claim || !trace.state) return;
  const BundleSubmission& claim = *trace.claim;
  const MergedState& state = *trace.state;
  json mine = json::parse(state.answers_json);
  json theirs;
  try {
    theirs = json::parse(claim.answers_json);
  } catch (const json::exception&) {
  }
  if (mine != theirs) trace.differences.push_back("answers");
  if (claim.heads != state.heads) trace.differences.push_back("heads");
  if (claim.conflicts != static_cast<int64_t>(state.conflicts.size())) trace.differences.push_back("conflicts");
  if (claim.review_state != ReviewStateName(trace.review.state)) trace.differences.push_back("review_state");
}

// --- JSON --------------------------------------------------------------------------------

json EntryJson(const TraceEntry& t) {
  json x = {{"log_index", t.index}};
  if (!t.envelope) {
    x["malformed"] = t.problem;
    return x;
  }
  const Envelope& e = *t.envelope;
  x["kind"] = e.kind() == EnvelopeKind::kRevision ? "revision" : "event";
  x["id"] = ToHex(e.id());
  x["hlc"] = e.hlc().packed;
  x["hlc_time"] = e.hlc().ToString();
  x["wall_ms"] = e.wall_ms();
  x["wall_time"] = schema::FormatIsoDateTime(e.wall_ms(), t.tz);
  x["author"] = ToHex(e.author());
  x["author_name"] = t.author_name;
  x["sequence"] = e.sequence();
  x["signature"] = ToHex(e.signature());
  x["signature_ok"] = t.signature_ok;
  x["parents"] = json::array();
  for (const Hash& p : e.parents()) x["parents"].push_back(ToHex(p));
  if (e.kind() == EnvelopeKind::kRevision) {
    x["form_id"] = e.form_id();
    x["form_version"] = e.form_version();
    if (!t.by.empty()) x["by"] = t.by;
    if (!t.note.empty()) x["note"] = t.note;
    x["changes"] = json::array();
    for (const FieldChange& c : t.changes)
      x["changes"].push_back({{"field", c.field}, {"old", c.old_values}, {"new", c.new_value}});
    if (t.parents_missing) x["parents_missing"] = true;
  }
  if (t.event) {
    x["type"] = t.event->type;
    x["by"] = t.event->by;
    if (t.event->type == "review") {
      x["state"] = t.event->state;
      x["comment"] = t.event->comment;
    } else if (t.event->type == "duplicate") {
      x["decision"] = t.event->decision;
      x["other"] = t.event->other;
    }
  }
  return x;
}

json StateJson(const Trace& trace) {
  const MergedState& state = *trace.state;
  json st;
  st["heads"] = json::array();
  for (const Hash& h : state.heads) st["heads"].push_back(ToHex(h));
  st["answers"] = json::parse(state.answers_json);
  st["conflicts"] = json::array();
  for (const FieldConflict& c : state.conflicts) {
    json cands = json::array();
    for (const FieldCandidate& k : c.candidates)
      cands.push_back({{"value", json::parse(k.value_json)},
                       {"revision", ToHex(k.revision)},
                       {"author", ToHex(k.author)},
                       {"author_name", trace.AuthorOf(k.revision)}});
    st["conflicts"].push_back({{"field", c.field}, {"candidates", cands}});
  }
  st["review"] = {{"state", ReviewStateName(trace.review.state)},
                  {"by", trace.review.by},
                  {"comment", trace.review.comment},
                  {"changed_since_review", trace.review.changed_since_review}};
  return st;
}

std::string TraceJson(const Trace& trace) {
  json j;
  j["submission"] = FormatSubmissionId(trace.submission);
  j["server_key"] = ToHex(trace.server_key);
  j["server_key_self_asserted"] = trace.self_asserted;
  j["entries"] = json::array();
  for (const TraceEntry& t : trace.entries) j["entries"].push_back(EntryJson(t));
  if (trace.state) {
    j["state"] = StateJson(trace);
  } else {
    j["state"] = nullptr;
    if (!trace.merge_error.empty()) j["merge_error"] = trace.merge_error;
  }
  if (trace.claim) {
    j["claim"] = {{"matches", trace.differences.empty() && trace.state.has_value()},
                  {"differences", trace.differences}};
  } else {
    j["claim"] = nullptr;
  }
  // Messages may quote a damaged envelope's bytes and names come from the
  // bundle's tables: a byte that is not UTF-8 becomes U+FFFD rather than an
  // exception out of the auditor.
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

// --- text --------------------------------------------------------------------------------

void RevisionText(std::ostream& o, const TraceEntry& t) {
  if (!t.note.empty()) o << "    note      " << t.note << "\n";
  if (!t.answers) o << "    (the body does not parse)\n";
  if (t.parents_missing) o << "    (a parent is not in the log: changes against it cannot be shown)\n";
  if (!t.changes.empty()) o << (t.creation ? "    answers:\n" : "    changed:\n");
  for (const FieldChange& c : t.changes) {
    if (t.creation)
      o << "      " << c.field << ": " << ValueText(c.new_value) << "\n";
    else
      o << "      " << c.field << ": " << ValuesText(c.old_values) << " → "
        << (c.new_value.is_null() ? std::string("(removed)") : c.new_value.dump()) << "\n";
  }
  if (!t.creation && !t.parents_missing && t.changes.empty() && t.answers) o << "    (no answer changed)\n";
}

void EventText(std::ostream& o, const EventBody& event) {
  if (event.type == "review")
    o << "    decision  " << event.state << " by " << event.by
      << (event.comment.empty() ? std::string() : ": \"" + event.comment + "\"") << "\n";
  else if (event.type == "duplicate")
    o << "    decision  " << event.decision << " (other submission " << event.other << ") by " << event.by << "\n";
}

void EntryText(std::ostream& o, const TraceEntry& t, size_t n) {
  o << "#" << n << "  log " << t.index << "  ";
  if (!t.envelope) {
    o << "MALFORMED ENTRY: " << t.problem << "\n\n";
    return;
  }
  const Envelope& e = *t.envelope;
  if (e.kind() == EnvelopeKind::kRevision) {
    o << (t.creation ? "revision (created)" : "revision") << "  " << e.form_id() << " " << e.form_version() << "\n";
  } else {
    o << (t.event ? t.event->type : std::string("event")) << "\n";
  }
  o << "    time      " << e.hlc().ToString() << " (HLC); claimed wall clock "
    << schema::FormatIsoDateTime(e.wall_ms(), t.tz) << "\n";
  o << "    author    " << t.author_name << " (key " << KeyPrefix(e.author()) << "…, sequence " << e.sequence()
    << ")\n";
  o << "    signature " << ToHex(e.signature()).substr(0, 16) << "… "
    << (t.signature_ok ? "verifies" : "DOES NOT VERIFY: these bytes are not what the author signed") << "\n";
  o << "    id        " << IdPrefix(e.id()) << "…";
  if (!e.parents().empty()) {
    std::vector<std::string> ps;
    for (const Hash& p : e.parents()) ps.push_back(IdPrefix(p) + "…");
    o << "  parents " << Join(ps, ", ");
  }
  o << "\n";
  if (e.kind() == EnvelopeKind::kRevision)
    RevisionText(o, t);
  else if (t.event)
    EventText(o, *t.event);
  o << "\n";
}

void StateText(std::ostream& o, const Trace& trace) {
  const MergedState& state = *trace.state;
  const ReviewSummary& review = trace.review;
  o << "Current state (merged from " << trace.merged_revisions << " signed revision"
    << (trace.merged_revisions == 1 ? "" : "s") << ")\n";
  std::vector<std::string> hs;
  for (const Hash& h : state.heads) hs.push_back(IdPrefix(h) + "…");
  o << "  heads      " << Join(hs, ", ") << "\n";
  o << "  review     " << ReviewStateName(review.state);
  if (!review.by.empty()) o << " by " << review.by;
  if (!review.comment.empty()) o << ": \"" << review.comment << "\"";
  if (review.changed_since_review) o << " (changed since the last review)";
  o << "\n";
  o << "  conflicts  " << state.conflicts.size() << "\n";
  for (const FieldConflict& c : state.conflicts) {
    o << "    " << c.field << ":\n";
    for (size_t k = 0; k < c.candidates.size(); ++k) {
      const FieldCandidate& cand = c.candidates[k];
      o << "      " << cand.value_json << "  from " << IdPrefix(cand.revision) << "… ("
        << trace.AuthorOf(cand.revision) << ")" << (k == 0 ? "  shown until resolved" : "") << "\n";
    }
  }
  o << "  answers    " << json::parse(state.answers_json).dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
}

std::string TraceText(const Trace& trace) {
  std::ostringstream o;
  o << "Submission " << FormatSubmissionId(trace.submission) << "\n";
  o << "Server key " << ToHex(trace.server_key).substr(0, 16) << "…"
    << (trace.self_asserted ? " (SELF-ASSERTED by the bundle: give --server-key to trust it)"
                            : " (given out of band)")
    << "\n\n";
  size_t n = 0;
  for (const TraceEntry& t : trace.entries) EntryText(o, t, ++n);
  if (trace.state)
    StateText(o, trace);
  else if (!trace.merge_error.empty())
    o << "The revisions cannot be merged: " << trace.merge_error << "\n";
  else
    o << "No signed revision of this submission is in the log.\n";
  if (!trace.claim)
    o << "Server's claim: the submissions table does not list this submission.\n";
  else if (trace.differences.empty() && trace.state)
    o << "Server's claim: matches the log.\n";
  else
    o << "Server's claim: DIFFERS from the log in "
      << (trace.differences.empty() ? "everything" : Join(trace.differences, ", ")) << ".\n";
  // Answers, names and notes come from the bundle: no malformed text or
  // escape sequences on the auditor's terminal.
  return utf8::Printable(o.str());
}

}  // namespace

Result<std::string> TraceSubmission(BundleReader& bundle, const SubmissionId& submission, const PublicKey* trusted_key,
                                    TraceFormat format) {
  DALA_RETURN_IF_ERROR(InitCrypto());
  Trace trace;
  trace.submission = submission;
  if (trusted_key != nullptr) {
    trace.server_key = *trusted_key;
  } else if (bundle.meta().server_key) {
    trace.server_key = *bundle.meta().server_key;
    trace.self_asserted = true;
  } else {
    return Status::InvalidArgument("the bundle names no valid server key; give one with --server-key");
  }

  TraceReader reader(submission, trace.server_key);
  DALA_RETURN_IF_ERROR(
      bundle.ForEachLogEntry([&](uint64_t index, std::string_view bytes) { return reader.Visit(index, bytes); }));
  trace.entries = std::move(reader.entries);
  DALA_ASSIGN_OR_RETURN(trace.claim, bundle.FindSubmission(submission));
  if (trace.entries.empty() && !trace.claim)
    return Status::NotFound("submission " + FormatSubmissionId(submission) + " is not in this bundle");
  MergeTraced(reader.by_id, trace);
  CompareClaim(trace);
  for (const TraceEntry& t : trace.entries)
    if (t.envelope) trace.author_of_revision[t.envelope->id()] = t.author_name;
  return format == TraceFormat::kJson ? TraceJson(trace) : TraceText(trace);
}

}  // namespace dala::sync
