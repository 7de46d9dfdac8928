#include "dala/client/device.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "dala/client/rejection.h"
#include "dala/sync/hlc.h"
#include "dala/sync/verify.h"

namespace dala::client {

Result<RecordTarget> RecordTargetOf(LocalStore& store, const DraftRow& draft, const Clock& clock,
                                    sync::Random& random) {
  RecordTarget t;
  if (!draft.submission) {
    t.id = sync::NewSubmissionId(clock, random);
    return t;
  }
  t.id = *draft.submission;
  DALA_ASSIGN_OR_RETURN(sync::MergedState merged, store.MergedStateOf(t.id));
  t.parents = std::move(merged.heads);
  return t;
}


using nlohmann::json;
using sync::Hash;

Status InitDevice(LocalStore& store, std::string_view passphrase, sync::Random& random, const Clock& clock,
                  const sync::KdfParams& kdf) {
  DALA_ASSIGN_OR_RETURN(auto existing, store.Get(profile_key::kDeviceKey));
  if (existing) return Status::AlreadyExists("this profile already has a device key");
  if (passphrase.size() < 8) return Status::InvalidArgument("the passphrase must be at least 8 characters long");
  sync::SigningKey key = sync::SigningKey::Generate(random);
  DALA_ASSIGN_OR_RETURN(sync::SealedKey sealed, sync::SealKey(key, passphrase, random, kdf));
  DALA_ASSIGN_OR_RETURN(auto tx, sql::Transaction::Begin(store.db()));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kDeviceKey, sealed.Serialize()));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kDevicePublic, ToHex(key.public_key())));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kCreatedMs, std::to_string(clock.NowMs())));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kHlc, "0"));
  return tx.Commit();
}

Result<Device> Device::Unlock(LocalStore& store, std::string_view passphrase) {
  DALA_ASSIGN_OR_RETURN(auto line, store.Get(profile_key::kDeviceKey));
  if (!line) return Status::FailedPrecondition("this profile has no device key (run `dala init`)");
  DALA_ASSIGN_OR_RETURN(sync::SealedKey sealed, sync::SealedKey::Parse(*line));
  DALA_ASSIGN_OR_RETURN(sync::SigningKey key, sync::OpenKey(sealed, passphrase));
  return Device(store, std::move(key));
}

Result<sync::Envelope> Device::SignNext(sync::EnvelopeFields fields, const Clock& clock) {
  DALA_ASSIGN_OR_RETURN(sync::ChainTip tip, store_->OwnTip());
  DALA_ASSIGN_OR_RETURN(uint64_t last_hlc, store_->GetNumber(profile_key::kHlc, 0));
  sync::HybridClock hlc(clock, sync::HlcTimestamp{last_hlc});
  fields.sequence = tip.sequence + 1;
  fields.previous = tip.id;
  fields.hlc = hlc.Now();
  fields.wall_ms = clock.NowMs();
  DALA_ASSIGN_OR_RETURN(std::string bytes, sync::SealEnvelope(std::move(fields), key_));
  DALA_ASSIGN_OR_RETURN(sync::Envelope e, sync::Envelope::Parse(std::move(bytes)));
  DALA_RETURN_IF_ERROR(store_->Put(profile_key::kHlc, std::to_string(hlc.last().packed)));
  DALA_RETURN_IF_ERROR(store_->InsertEnvelope(e, /*own=*/true, clock.NowMs()));
  return e;
}

Result<Hash> Device::SaveRevision(const schema::Form& form, const sync::SubmissionId& submission,
                                  const std::vector<Hash>& parents, const std::string& answers_json,
                                  const Clock& clock, std::string_view language, int64_t finished_draft) {
  json answers;
  try {
    answers = json::parse(answers_json);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("answers are not JSON: ") + e.what());
  }
  auto problems = form.Validate(answers, clock, language);
  if (!problems.empty()) {
    std::string m = (problems[0].field.empty() ? "" : problems[0].field + ": ") + problems[0].message;
    if (problems.size() > 1) m += " (and " + std::to_string(problems.size() - 1) + " more problems)";
    return Status::InvalidArgument(m);
  }
  sync::EnvelopeFields f;
  f.kind = sync::EnvelopeKind::kRevision;
  f.submission = submission;
  f.form_hash = form.hash();
  f.parents = parents;
  f.form_id = form.id();
  f.form_version = form.version();
  f.body = sync::MakeRevisionBody(answers.dump(), clock.UtcOffsetMinutes());

  DALA_ASSIGN_OR_RETURN(auto tx, sql::Transaction::Begin(store_->db()));
  DALA_ASSIGN_OR_RETURN(sync::Envelope e, SignNext(std::move(f), clock));
  // The same check every verifier will make, on the bytes just signed.
  DALA_RETURN_IF_ERROR(sync::VerifyRevisionContent(e, *store_));
  DALA_RETURN_IF_ERROR(store_->RefreshSubmission(submission));
  if (finished_draft != 0) DALA_RETURN_IF_ERROR(store_->DeleteDraft(finished_draft));
  DALA_RETURN_IF_ERROR(tx.Commit());
  return e.id();
}

namespace {

// Re-signs every pending envelope of this device, in sequence order, as an
// unbroken chain after the accepted tip, with fresh hybrid-clock times and
// parents renamed to the new ids. In the caller's transaction.
Result<int> ResignPendingChain(LocalStore& store, const sync::SigningKey& key, const Clock& clock) {
  DALA_ASSIGN_OR_RETURN(std::vector<EnvelopeRow> pending, store.PendingEnvelopes());
  if (pending.empty()) return 0;
  DALA_ASSIGN_OR_RETURN(sync::ChainTip tip, store.AcceptedTip());
  // The clock restarts after everything the server has accepted or sent.
  uint64_t known = 0;
  {
    DALA_ASSIGN_OR_RETURN(auto st, store.db().Prepare(
        "SELECT coalesce(max(hlc), 0) FROM envelopes WHERE id NOT IN (SELECT envelope FROM uploads WHERE state = 'pending')"));
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) known = static_cast<uint64_t>(st.ColumnInt(0));
  }
  sync::HybridClock hlc(clock, sync::HlcTimestamp{known});
  const int64_t now = clock.NowMs();
  std::map<Hash, Hash> renamed;
  std::set<sync::SubmissionId> touched;
  DALA_ASSIGN_OR_RETURN(auto del, store.db().Prepare("DELETE FROM envelopes WHERE id = ?"));
  for (const EnvelopeRow& row : pending) {
    DALA_ASSIGN_OR_RETURN(sync::Envelope old, sync::Envelope::Parse(row.bytes));
    sync::EnvelopeFields f;
    f.kind = old.kind();
    f.submission = old.submission();
    f.sequence = tip.sequence + 1;
    f.previous = tip.id;
    f.hlc = hlc.Now();
    // A claimed time later than now (the clock, now right, says so) was
    // wrong when it was made; now is the best honest claim left.
    f.wall_ms = std::min(old.wall_ms(), now);
    f.form_hash = old.form_hash();
    for (const Hash& p : old.parents()) f.parents.push_back(renamed.count(p) ? renamed[p] : p);
    f.form_id = old.form_id();
    f.form_version = old.form_version();
    f.body = std::string(old.body());
    DALA_ASSIGN_OR_RETURN(std::string bytes, sync::SealEnvelope(std::move(f), key));
    DALA_ASSIGN_OR_RETURN(sync::Envelope fresh, sync::Envelope::Parse(std::move(bytes)));
    DALA_RETURN_IF_ERROR(del.BindBytes(1, old.id()).Run());
    DALA_RETURN_IF_ERROR(store.InsertEnvelope(fresh, /*own=*/true, now));
    renamed[old.id()] = fresh.id();
    touched.insert(fresh.submission());
    tip = {fresh.sequence(), fresh.id()};
  }
  for (const auto& id : touched) DALA_RETURN_IF_ERROR(store.RefreshSubmission(id));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kHlc, std::to_string(hlc.last().packed)));
  return static_cast<int>(pending.size());
}

}  // namespace

Result<int> RestampPending(LocalStore& store, const sync::SigningKey& key, const Clock& clock) {
  DALA_ASSIGN_OR_RETURN(auto tx, sql::Transaction::Begin(store.db()));
  DALA_ASSIGN_OR_RETURN(int count, ResignPendingChain(store, key, clock));
  DALA_RETURN_IF_ERROR(tx.Commit());
  return count;
}

Result<std::vector<SetAsideRecord>> SetAsideRefused(LocalStore& store, const sync::SigningKey& key,
                                                    const Clock& clock, std::string_view language) {
  DALA_ASSIGN_OR_RETURN(auto tx, sql::Transaction::Begin(store.db()));
  // The refused envelopes, and every pending one built on them (an edit of
  // a refused revision cannot be accepted either), in sequence order.
  DALA_ASSIGN_OR_RETURN(auto st, store.db().Prepare("SELECT e.bytes, u.state, u.reject_reason FROM uploads u "
                                                    "JOIN envelopes e ON e.id = u.envelope "
                                                    "WHERE u.state IN ('rejected', 'pending') ORDER BY u.sequence"));
  struct Unaccepted {
    sync::Envelope envelope;
    bool rejected;
    std::string reason;
  };
  std::vector<Unaccepted> unaccepted;
  bool any_rejected = false;
  while (true) {
    DALA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    bool rejected = st.ColumnText(1) == "rejected";
    std::string reason = st.ColumnText(2);
    // A fork or broken link means the server holds a different history of
    // this device; a chain rebuilt from the accepted tip would collide with
    // it again. That needs a person, not a rebuild.
    if (rejected && IsHistoryConflict(RejectionCodeOf(reason)))
      return Status::FailedPrecondition("the server holds a different history of this laptop's records");
    DALA_ASSIGN_OR_RETURN(sync::Envelope e, sync::Envelope::Parse(st.ColumnBlob(0)));
    any_rejected = any_rejected || rejected;
    unaccepted.push_back({std::move(e), rejected, std::move(reason)});
  }
  if (!any_rejected) return std::vector<SetAsideRecord>{};

  // Per submission, the newest refused revision holds the volunteer's
  // latest answers; it becomes the draft.
  std::map<Hash, std::string> refused;  // id -> the server's reason
  std::map<sync::SubmissionId, std::pair<const sync::Envelope*, std::string>> newest;
  std::vector<sync::SubmissionId> submission_order;
  DALA_ASSIGN_OR_RETURN(auto del, store.db().Prepare("DELETE FROM envelopes WHERE id = ?"));
  for (const Unaccepted& u : unaccepted) {
    const sync::Envelope& e = u.envelope;
    auto refused_parent = std::find_if(e.parents().begin(), e.parents().end(),
                                       [&](const Hash& p) { return refused.count(p) > 0; });
    if (!u.rejected && refused_parent == e.parents().end()) continue;
    // An edit built on a refused revision carries that refusal's reason.
    std::string reason = u.rejected ? u.reason : refused.at(*refused_parent);
    refused.emplace(e.id(), reason);
    if (!newest.count(e.submission())) submission_order.push_back(e.submission());
    newest.insert_or_assign(e.submission(), std::make_pair(&e, std::move(reason)));
    DALA_RETURN_IF_ERROR(del.BindBytes(1, e.id()).Run());
  }

  std::vector<SetAsideRecord> out;
  for (const sync::SubmissionId& submission : submission_order) {
    const auto& [e, reason] = newest.at(submission);
    DALA_ASSIGN_OR_RETURN(sync::RevisionBody body, sync::ParseRevisionBody(e->body()));
    DALA_ASSIGN_OR_RETURN(auto remaining, store.EnvelopesOf(submission));
    DraftRow draft;
    draft.form_hash = ToHex(e->form_hash());
    // A record the server holds an earlier version of is edited again; a
    // record it never had starts afresh, under the same id.
    if (!remaining.empty()) draft.submission = submission;
    draft.answers_json = body.answers_json;
    draft.language = std::string(language);
    draft.updated_ms = clock.NowMs();
    draft.note = reason;
    DALA_ASSIGN_OR_RETURN(int64_t draft_id, store.SaveDraft(draft));
    DALA_RETURN_IF_ERROR(store.RefreshSubmission(submission));
    out.push_back({submission, draft_id, reason});
  }
  DALA_RETURN_IF_ERROR(ResignPendingChain(store, key, clock).status());
  DALA_RETURN_IF_ERROR(tx.Commit());
  return out;
}

// --- verification -----------------------------------------------------------------

Result<VerifyReport> VerifyLocalStore(LocalStore& store) {
  VerifyReport report;
  auto problem = [&](std::string record, std::string what) {
    report.problems.push_back({std::move(record), std::move(what)});
  };
  {
    DALA_ASSIGN_OR_RETURN(auto st, store.db().Prepare("PRAGMA quick_check"));
    while (true) {
      auto row = st.Step();
      if (!row.ok()) {
        problem("database", row.status().message());
        break;
      }
      if (!*row) break;
      if (st.ColumnText(0) != "ok") problem("database", st.ColumnText(0));
    }
  }
  DALA_ASSIGN_OR_RETURN(auto own_hex, store.Get(profile_key::kDevicePublic));
  sync::PublicKey own{};
  if (!own_hex || !FromHex(*own_hex, &own)) problem("profile", "the device public key is missing or malformed");

  DALA_ASSIGN_OR_RETURN(std::vector<EnvelopeRow> rows, store.AllEnvelopes());
  std::map<sync::PublicKey, std::map<uint64_t, Hash>> chains;  // author -> sequence -> id
  std::map<Hash, sync::SubmissionId> revision_submission;
  std::set<sync::SubmissionId> submissions;
  std::vector<std::pair<std::string, sync::Envelope>> parsed;
  for (EnvelopeRow& r : rows) {
    ++report.envelopes;
    std::string record = sync::FormatSubmissionId(r.submission) + " (envelope " + ToHex(r.id).substr(0, 12) + ")";
    auto e = sync::Envelope::Parse(r.bytes);
    if (!e.ok()) {
      problem(record, e.status().message());
      continue;
    }
    if (e->id() != r.id) problem(record, "stored id does not match the SHA-256 of the signed bytes");
    if (e->submission() != r.submission || e->author() != r.author || e->sequence() != r.sequence ||
        e->hlc().packed != r.hlc || static_cast<int>(e->kind()) != r.kind) {
      problem(record, "stored columns do not match the envelope's own fields");
    }
    if (r.own != (e->author() == own)) problem(record, "marked as " + std::string(r.own ? "" : "not ") + "this device's own, but signed by " + (e->author() == own ? "it" : "another key"));
    if (Status s = e->VerifySignature(); !s.ok()) problem(record, s.message());
    if (Status s = sync::VerifyRevisionContent(*e, store); !s.ok()) problem(record, s.message());
    auto& chain = chains[e->author()];
    if (!chain.emplace(e->sequence(), e->id()).second)
      problem(record, "a second envelope with sequence " + std::to_string(e->sequence()) + " from the same author (fork)");
    if (e->kind() == sync::EnvelopeKind::kRevision) {
      revision_submission[e->id()] = e->submission();
      submissions.insert(e->submission());
    }
    parsed.emplace_back(record, std::move(*e));
  }
  // Chain links: every envelope's previous must be the id of the author's
  // envelope one sequence earlier, where we hold that one.
  for (const auto& [record, e] : parsed) {
    const auto& chain = chains[e.author()];
    if (e.sequence() > 1) {
      auto prev = chain.find(e.sequence() - 1);
      if (prev != chain.end() && prev->second != e.previous())
        problem(record, "chain broken: previous hash does not match sequence " + std::to_string(e.sequence() - 1));
    }
    if (e.kind() == sync::EnvelopeKind::kRevision) {
      for (const Hash& p : e.parents()) {
        auto it = revision_submission.find(p);
        if (it == revision_submission.end()) {
          if (e.author() == own) problem(record, "parent " + ToHex(p).substr(0, 12) + " is missing");
        } else if (it->second != e.submission()) {
          problem(record, "parent " + ToHex(p).substr(0, 12) + " belongs to another record");
        }
      }
    }
  }
  // This device's own chain must be complete: 1, 2, ... tip.
  if (auto it = chains.find(own); it != chains.end()) {
    uint64_t expected = 1;
    for (const auto& [seq, id] : it->second) {
      if (seq != expected) {
        problem("device chain", "sequence " + std::to_string(expected) + (seq > expected ? " is missing" : " repeats"));
        break;
      }
      ++expected;
    }
    report.own_sequence = static_cast<int64_t>(it->second.rbegin()->first);
  }
  // The derived submission table must be what the envelopes give.
  for (const sync::SubmissionId& id : submissions) {
    ++report.submissions;
    auto merged = store.MergedStateOf(id);
    auto cached = store.FindSubmission(id);
    if (!merged.ok()) {
      problem(sync::FormatSubmissionId(id), merged.status().message());
    } else if (!cached.ok() || !*cached) {
      problem(sync::FormatSubmissionId(id), "has revisions but no current state");
    } else if (json::parse((*cached)->answers_json, nullptr, false) != json::parse(merged->answers_json)) {
      problem(sync::FormatSubmissionId(id), "current state differs from the merge of its revisions");
    }
  }
  return report;
}

}  // namespace dala::client
