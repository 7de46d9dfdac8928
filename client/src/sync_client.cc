#include "dala/client/sync_client.h"

#include <algorithm>
#include <cstdlib>
#include <future>
#include <set>
#include <nlohmann/json.hpp>

#include "dala/client/clock_check.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/hlc.h"
#include "dala/sync/merkle.h"
#include "dala/sync/person_keys.h"
#include "dala/sync/protocol.h"
#include "dala/sync/request_auth.h"
#include "dala/sync/verify.h"

namespace dala::client {

using nlohmann::json;
using sync::Hash;

namespace {

Status::Code CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 401: return Status::Code::kUnauthenticated;
    case 403: return Status::Code::kPermissionDenied;
    case 404: return Status::Code::kNotFound;
    case 409: return Status::Code::kAlreadyExists;
    case 413:
    case 429: return Status::Code::kResourceExhausted;
    case 400:
    case 422: return Status::Code::kInvalidArgument;
    default: return http_status >= 500 ? Status::Code::kUnavailable : Status::Code::kInternal;
  }
}

// A reason is a stable snake_case name (base/status.h); anything else the
// server calls a code is not one, and programs must not branch on it.
bool IsReasonName(std::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

}  // namespace

Status ErrorFromResponse(const TransportResponse& r) {
  std::string code, message;
  try {
    json j = json::parse(r.body);
    code = j.at("error").at("code").get<std::string>();
    message = j.at("error").at("message").get<std::string>();
  } catch (const std::exception&) {
    message = "the server answered HTTP " + std::to_string(r.status);
  }
  return Status(CodeForHttpStatus(r.status), IsReasonName(code) ? code : std::string(), std::move(message));
}

Result<EnrollResult> Enroll(LocalStore& store, const Device& device, Transport& transport,
                            const std::string& server_url, std::string_view code, std::string_view label,
                            const Clock& clock, const EnrollSettings& settings) {
  DALA_ASSIGN_OR_RETURN(auto existing, store.Get(profile_key::kServerUrl));
  const bool again = existing && !existing->empty();
  if (again && *existing != server_url)
    return Status(Status::Code::kAlreadyExists, "enrolled_elsewhere",
                  "this laptop is already enrolled with " + *existing);
  std::string key_hex = ToHex(device.public_key());
  std::string normalized = sync::NormalizeEnrollCode(code);
  if (normalized.empty())
    return Status(Status::Code::kInvalidArgument, "bad_enrol_code",
                  "'" + std::string(code) + "' is not an enrolment code: it has 12 letters and digits, "
                  "like K7MX-Q4TR-P2NW");
  sync::Signature proof = sync::SignEnrollProof(device.key(), normalized);
  json body = {{"code", std::string(code)},
               {"public_key", key_hex},
               {"label", std::string(label)},
               {"proof", ToHex(proof)}};
  TransportRequest request{"POST", "/api/v1/enroll", "application/json", body.dump(), {}};
  DALA_ASSIGN_OR_RETURN(TransportResponse response, transport.Send(request));
  if (response.status != 200) return ErrorFromResponse(response);
  EnrollResult result;
  std::string checkpoint;
  try {
    json j = json::parse(response.body);
    result.volunteer = j.at("volunteer").get<std::string>();
    result.server_key_hex = j.at("server_key").get<std::string>();
    result.origin = j.at("origin").get<std::string>();
    checkpoint = j.at("checkpoint").get<std::string>();
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("the server's enrolment answer is malformed: ") + e.what());
  }
  sync::PublicKey server_key;
  if (!FromHex(result.server_key_hex, &server_key))
    return Status::InvalidArgument("the server's key is not 64 hex digits");
  auto cp = sync::VerifyCheckpoint(checkpoint, result.origin, server_key, result.origin);
  if (!cp.ok()) return Status::Unauthenticated("the server's checkpoint does not verify: " + cp.status().message());
  DALA_ASSIGN_OR_RETURN(auto tx, sql::Transaction::Begin(store.db()));
  if (again) {
    // Enrolled before: the server must be the one pinned then, and the
    // log, cursor and checkpoint already learnt stay as they are.
    DALA_ASSIGN_OR_RETURN(std::string pinned, store.GetOr(profile_key::kServerKey, ""));
    DALA_ASSIGN_OR_RETURN(std::string volunteer, store.GetOr(profile_key::kVolunteer, ""));
    if (pinned != result.server_key_hex || volunteer != result.volunteer)
      return Status(Status::Code::kAlreadyExists, "enrolled_differently",
                    "this laptop is already enrolled with " + server_url + " under another key or "
                    "volunteer than it answers now");
  } else {
    DALA_RETURN_IF_ERROR(store.Put(profile_key::kServerUrl, server_url));
    DALA_RETURN_IF_ERROR(store.Put(profile_key::kServerKey, result.server_key_hex));
    DALA_RETURN_IF_ERROR(store.Put(profile_key::kServerOrigin, result.origin));
    DALA_RETURN_IF_ERROR(store.Put(profile_key::kVolunteer, result.volunteer));
    DALA_RETURN_IF_ERROR(store.Put(profile_key::kCheckpoint, checkpoint));
    DALA_RETURN_IF_ERROR(store.Put(profile_key::kDownloadCursor, ""));
  }
  // Said once, at enrolment, for every later sync.
  if (!settings.ca_file.empty()) DALA_RETURN_IF_ERROR(store.Put(profile_key::kServerCaFile, settings.ca_file));
  if (settings.allow_http) DALA_RETURN_IF_ERROR(store.Put(profile_key::kAllowPlainHttp, "1"));
  (void)clock;
  DALA_RETURN_IF_ERROR(tx.Commit());
  return result;
}

Result<TransportResponse> SyncClient::SignAndSend(const std::string& target, const std::string& body) {
  TransportRequest request;
  request.method = "POST";
  request.target = target;
  request.content_type = std::string(sync::kSyncContentType);
  request.body = body;
  request.headers =
      sync::SignRequest(device_.key(), "POST", target, body, clock_.NowMs() + clock_offset_ms_, random_);
  return transport_.Send(request);
}

Result<TransportResponse> SyncClient::Post(const std::string& target, const std::string& body) {
  DALA_ASSIGN_OR_RETURN(TransportResponse r, SignAndSend(target, body));
  if (r.status != 401 || clock_offset_ms_ != 0 || ErrorFromResponse(r).reason() != sync::kStaleRequest) return r;
  // The laptop's clock is off by more than the server's freshness window.
  // Ask the server for its time, and sign with that: the signature is still
  // fresh and unique (nonce), and the records themselves keep the laptop's
  // own clock, which the server judges separately.
  DALA_ASSIGN_OR_RETURN(TransportResponse t, transport_.Send({"GET", "/api/v1/time", "", "", {}}));
  if (t.status != 200) return r;
  int64_t server_now = 0;
  try {
    server_now = json::parse(t.body).at("now_ms").get<int64_t>();
  } catch (const std::exception&) {
    return r;
  }
  clock_offset_ms_ = server_now - clock_.NowMs();
  return SignAndSend(target, body);
}

// --- one sync run ------------------------------------------------------------------

struct SyncClient::ServerProfile {
  sync::PublicKey key{};
  std::string origin;
  std::string volunteer;
};

struct SyncClient::Exchange {
  // The last checkpoint this laptop saw and could still verify: the server's
  // new one must extend it.
  std::optional<sync::Checkpoint> previous;
  // The highest own sequence a stored receipt covers, as the request said.
  uint64_t receipted_through = 0;
  sync::SyncResponse response;
};

struct SyncClient::Acceptance {
  std::optional<ReceiptRow> receipt;  // to keep, when it proved inclusion
  uint64_t through = 0;               // own records counted as accepted
};

struct SyncClient::Admission {
  enum class Verdict { kStore, kNothingToStore, kRefuse, kSetAside };
  Verdict verdict = Verdict::kStore;
  std::string why;        // for kRefuse and kSetAside
  std::string form_hash;  // for kSetAside: the form it waits for

  static Admission Store() { return {}; }
  static Admission NothingToStore() { return {Verdict::kNothingToStore, {}, {}}; }
  static Admission Refuse(std::string why) { return {Verdict::kRefuse, std::move(why), {}}; }
  static Admission SetAside(std::string why, std::string form_hash) {
    return {Verdict::kSetAside, std::move(why), std::move(form_hash)};
  }
};

struct SyncClient::Batch {
  sync::DeflatedEnvelopes envelopes;
  uint64_t first_sequence = 0;  // of the envelopes; 0 when there are none
  uint64_t last_sequence = 0;
};

struct SyncClient::TakeIn {
  SyncOutcome& outcome;
  sync::HybridClock& hlc;
  std::set<sync::SubmissionId> touched;
};

Result<SyncOutcome> SyncClient::Run(const std::function<void(const SyncProgress&)>& progress) {
  DALA_ASSIGN_OR_RETURN(const ServerProfile server, LoadServerProfile());
  SyncOutcome outcome;
  SyncProgress p;
  DALA_ASSIGN_OR_RETURN(int64_t pending, store_.CountPending());
  p.to_send = static_cast<uint64_t>(pending);
  if (progress) progress(p);

  // The batch after the one in flight, read and deflated while the server
  // answers: without it the server would wait, idle, for the laptop to
  // prepare each request (about a fifth of a first sync's time).
  std::optional<Batch> prepared;
  for (size_t exchange = 0; exchange < options_.max_exchanges; ++exchange) {
    DALA_ASSIGN_OR_RETURN(Batch batch, NextBatch(std::move(prepared)));
    prepared.reset();
    DALA_ASSIGN_OR_RETURN(Exchange x, SendBatch(server, batch, &prepared, outcome));
    std::optional<sync::Checkpoint> checkpoint = CheckLog(server, x, outcome);
    if (!checkpoint) return outcome;  // nothing more is trusted from this server
    DALA_ASSIGN_OR_RETURN(Acceptance acceptance, TakeReceipt(*checkpoint, x, outcome));
    DALA_ASSIGN_OR_RETURN(uint64_t newly_accepted, StoreExchange(server, x, acceptance, outcome));

    p.sent = outcome.accepted;
    p.received = outcome.received_envelopes;
    if (progress) progress(p);

    DALA_ASSIGN_OR_RETURN(bool restamped, RestampIfClockFixed(x.response, outcome));
    if (restamped) continue;
    DALA_ASSIGN_OR_RETURN(bool set_aside, SetAsideRefusedForGood(x.response, acceptance, outcome));
    if (set_aside) continue;
    DALA_ASSIGN_OR_RETURN(bool again, WorthAnotherExchange(x.response, newly_accepted));
    if (!again) break;
  }
  return outcome;
}

// Everything the run needs to know about the server comes from enrolment:
// a laptop that was never enrolled has nobody to trust.
Result<SyncClient::ServerProfile> SyncClient::LoadServerProfile() {
  DALA_ASSIGN_OR_RETURN(auto key_hex, store_.Get(profile_key::kServerKey));
  DALA_ASSIGN_OR_RETURN(auto origin, store_.Get(profile_key::kServerOrigin));
  ServerProfile server;
  if (!key_hex || !origin || !FromHex(*key_hex, &server.key))
    return Status::FailedPrecondition("this laptop is not enrolled with a server (run `dala enroll URL CODE`)");
  server.origin = *origin;
  DALA_ASSIGN_OR_RETURN(server.volunteer, store_.GetOr(profile_key::kVolunteer, ""));
  return server;
}

// Pending envelopes after `after_sequence`, as many as one exchange takes,
// deflated for the request.
Result<SyncClient::Batch> SyncClient::ReadBatch(uint64_t after_sequence) {
  Batch batch;
  // No more than a server takes in one request (sync/PROTOCOL.md, request
  // condition 4), whatever `--batch` asked: more is refused whole.
  const size_t most = std::min(options_.batch_envelopes, sync::SyncLimits{}.max_envelopes);
  // The envelopes' bytes, and their frames' four bytes each.
  sync::RequestEnvelopeFrames frames(options_.batch_bytes + 4 * most);
  DALA_RETURN_IF_ERROR(store_.ForEachPendingEnvelope(most, options_.batch_bytes, after_sequence,
                                                     [&](uint64_t sequence, std::string_view envelope) {
                                                       if (frames.count() == 0) batch.first_sequence = sequence;
                                                       batch.last_sequence = sequence;
                                                       frames.Add(envelope);
                                                     }));
  DALA_ASSIGN_OR_RETURN(batch.envelopes, frames.Deflate(options_.gzip_level));
  return batch;
}

// The batch prepared during the last exchange, when it is still exactly
// what is pending next: every envelope before it has left the pending ones
// (accepted or refused for good), and all of its own are still pending.
// Otherwise the batch is read again: the server held some back or proved
// less than it was sent (they stay pending before it), a record refused
// for good had the rest of the chain signed again under new sequences
// (SetAsideRefusedForGood), or another `dala sync` ran beside this one.
// A restamp (RestampIfClockFixed) re-signs in place, but only while an
// envelope the server refused is still pending before the batch.
Result<SyncClient::Batch> SyncClient::NextBatch(std::optional<Batch> prepared) {
  if (prepared && prepared->envelopes.count > 0) {
    DALA_ASSIGN_OR_RETURN(LocalStore::PendingSpan span, store_.PendingThrough(prepared->last_sequence));
    if (span.count == static_cast<int64_t>(prepared->envelopes.count) && span.first == prepared->first_sequence)
      return std::move(*prepared);
  }
  return ReadBatch(0);
}

// One request: a batch of pending envelopes, where the download stopped,
// and the log size the laptop last saw (so the server can prove its log
// grew from there). While the server answers, the batch after this one is
// read and deflated into `prepared` (left empty when there is none, or the
// read failed: the next exchange reads again and says why). Only transport
// and HTTP failures are errors.
Result<SyncClient::Exchange> SyncClient::SendBatch(const ServerProfile& server, const Batch& batch,
                                                   std::optional<Batch>* prepared, SyncOutcome& outcome) {
  Exchange x;
  DALA_ASSIGN_OR_RETURN(std::string cursor, store_.GetOr(profile_key::kDownloadCursor, ""));
  DALA_ASSIGN_OR_RETURN(std::string old_note, store_.GetOr(profile_key::kCheckpoint, ""));
  if (!old_note.empty()) {
    auto cp = sync::VerifyCheckpoint(old_note, server.origin, server.key, server.origin);
    if (cp.ok()) x.previous = *cp;
  }
  sync::SyncRequest request;
  request.cursor = cursor;
  request.checkpoint_size = x.previous ? x.previous->size : 0;
  DALA_ASSIGN_OR_RETURN(request.receipted_through, store_.ReceiptedThrough());
  DALA_ASSIGN_OR_RETURN(request.forms_wanted, store_.FormsLacked(sync::kMaxFormsWanted));
  x.receipted_through = request.receipted_through;
  DALA_ASSIGN_OR_RETURN(std::string body, sync::EncodeSyncRequest(request, batch.envelopes, options_.gzip_level));
  outcome.bytes_sent += body.size();
  // Only the transport runs beside this thread: the store stays on it.
  std::future<Result<TransportResponse>> answer =
      std::async(std::launch::async, [this, &body] { return Post(std::string(sync::kSyncPath), body); });
  if (batch.envelopes.count > 0) {
    auto next = ReadBatch(batch.last_sequence);
    if (next.ok()) *prepared = std::move(*next);
  }
  DALA_ASSIGN_OR_RETURN(TransportResponse http, answer.get());
  ++outcome.exchanges;
  if (http.status != 200) return ErrorFromResponse(http);
  outcome.bytes_received += http.body.size();
  DALA_ASSIGN_OR_RETURN(x.response, sync::DecodeSyncResponse(http.body));
  outcome.server_time_ms = x.response.server_time_ms;
  outcome.clock_offset_ms = clock_offset_ms_;
  // Kept for `dala collect` to compare its clock with; never moved back,
  // and moved on only by half the slack that check allows, so that a sync
  // with nothing to do writes (and fsyncs) nothing.
  DALA_ASSIGN_OR_RETURN(uint64_t seen, store_.GetNumber(profile_key::kLastServerTimeMs, 0));
  if (x.response.server_time_ms > 0 &&
      static_cast<uint64_t>(x.response.server_time_ms) >= seen + static_cast<uint64_t>(kClockSlackMs / 2))
    DALA_RETURN_IF_ERROR(
        store_.Put(profile_key::kLastServerTimeMs, std::to_string(x.response.server_time_ms)));
  return x;
}

namespace {

// Why the log under `now` cannot be the one under `before` grown by
// appending, or "" if it can.
std::string LogRewriting(const sync::Checkpoint& before, const sync::Checkpoint& now,
                         const std::vector<Hash>& consistency) {
  if (now.size < before.size)
    return "the server's log shrank from " + std::to_string(before.size) + " to " + std::to_string(now.size) +
           " entries";
  if (now.size == before.size) {
    if (now.root == before.root) return "";
    return "the server signed two different logs of " + std::to_string(now.size) + " entries";
  }
  if (before.size == 0) return "";
  Status s = sync::VerifyConsistency(before.size, now.size, before.root, now.root, consistency);
  if (s.ok()) return "";
  return "the server's log of " + std::to_string(now.size) + " entries does not extend the one of " +
         std::to_string(before.size) + " it showed before: " + s.message();
}

}  // namespace

// The checkpoint must be the server's, and must extend the last one this
// laptop saw; otherwise the server has rewritten its log, which is said
// loudly, and nothing more from this server is trusted (nullopt).
std::optional<sync::Checkpoint> SyncClient::CheckLog(const ServerProfile& server, const Exchange& x,
                                                     SyncOutcome& outcome) {
  auto cp = sync::VerifyCheckpoint(x.response.checkpoint, server.origin, server.key, server.origin);
  if (!cp.ok()) {
    outcome.log_warnings.push_back("the server's checkpoint does not verify with its key: " + cp.status().message());
    return std::nullopt;
  }
  if (x.previous) {
    std::string rewriting = LogRewriting(*x.previous, *cp, x.response.consistency);
    if (!rewriting.empty()) {
      outcome.log_warnings.push_back(std::move(rewriting));
      return std::nullopt;
    }
  }
  return *cp;
}

// The receipt: the server's claim that it holds this laptop's envelopes up
// to accepted_through, proved by the inclusion of the last one under the
// signed checkpoint. Nothing is counted as accepted beyond proof: a server
// that only claims could drop the records once the laptop forgets them.
Result<SyncClient::Acceptance> SyncClient::TakeReceipt(const sync::Checkpoint& cp, const Exchange& x,
                                                       SyncOutcome& outcome) {
  const sync::SyncResponse& response = x.response;
  Acceptance acceptance;
  uint64_t proven_through = x.receipted_through;
  if (response.receipt) {
    const sync::SyncReceipt& r = *response.receipt;
    DALA_ASSIGN_OR_RETURN(auto mine, store_.OwnEnvelope(r.sequence));
    Status s = !mine || mine->id != r.envelope
                   ? Status::InvalidArgument("the receipt names an envelope this laptop did not sign")
                   : sync::VerifyInclusion(r.leaf_index, cp.size, sync::LeafHash(mine->bytes), r.proof, cp.root);
    if (!s.ok()) {
      outcome.log_warnings.push_back("the server's receipt does not prove inclusion: " + s.message());
    } else {
      acceptance.receipt =
          ReceiptRow{0, r.envelope, r.sequence, r.leaf_index, cp.size, r.proof, response.checkpoint, clock_.NowMs()};
      proven_through = std::max(proven_through, r.sequence);
    }
  }
  if (response.accepted_through > proven_through) {
    outcome.log_warnings.push_back("the server says it holds this laptop's records up to " +
                                   std::to_string(response.accepted_through) + " but proves only up to " +
                                   std::to_string(proven_through) + "; the rest stay pending");
  }
  acceptance.through = std::min(response.accepted_through, proven_through);
  return acceptance;
}

// Everything learnt from this exchange is stored in one transaction: a
// crash leaves the laptop as before the exchange or after it, never with a
// download taken in but its cursor not moved. Returns how many own records
// became accepted.
Result<uint64_t> SyncClient::StoreExchange(const ServerProfile& server, const Exchange& x,
                                           const Acceptance& acceptance, SyncOutcome& outcome) {
  DALA_ASSIGN_OR_RETURN(auto tx, sql::Transaction::Begin(store_.db()));
  DALA_ASSIGN_OR_RETURN(uint64_t newly_accepted, RecordVerdicts(x.response, acceptance.through, outcome));
  DALA_RETURN_IF_ERROR(TakeInDownload(server, x.response, outcome));
  if (acceptance.receipt) DALA_RETURN_IF_ERROR(store_.AddReceipt(*acceptance.receipt));
  DALA_RETURN_IF_ERROR(store_.Put(profile_key::kCheckpoint, x.response.checkpoint));
  DALA_RETURN_IF_ERROR(store_.Put(profile_key::kDownloadCursor, x.response.cursor));
  DALA_RETURN_IF_ERROR(store_.Put(profile_key::kAcceptedThrough, std::to_string(acceptance.through)));
  DALA_RETURN_IF_ERROR(tx.Commit());
  return newly_accepted;
}

// The server's verdict on what this laptop sent: accepted up to what the
// receipt proved, and each refusal beyond it kept with the envelope, so
// the volunteer sees why. A refusal that may pass later leaves the
// envelope pending; a final one marks it rejected.
Result<uint64_t> SyncClient::RecordVerdicts(const sync::SyncResponse& response, uint64_t accepted_through,
                                            SyncOutcome& outcome) {
  DALA_ASSIGN_OR_RETURN(int64_t changed, store_.MarkAccepted(accepted_through));
  const uint64_t newly_accepted = static_cast<uint64_t>(changed);
  outcome.accepted += newly_accepted;
  for (const sync::EnvelopeRejection& rej : response.rejected) {
    if (rej.sequence <= accepted_through) continue;
    outcome.rejections.push_back(rej);
    outcome.clock_ahead = outcome.clock_ahead || rej.code == rejection_code::kClockAhead;
    std::string reason = FormatRejection(rej.code, rej.reason);
    if (IsRetryableRejection(rej.code)) {
      DALA_RETURN_IF_ERROR(store_.NoteRetryableRejection(rej.sequence, reason));
    } else {
      DALA_RETURN_IF_ERROR(store_.MarkRejected(rej.sequence, reason));
    }
  }
  return newly_accepted;
}

// What the server sent for this laptop. Forms come first: the records
// that follow may need them.
Status SyncClient::TakeInDownload(const ServerProfile& server, const sync::SyncResponse& response,
                                  SyncOutcome& outcome) {
  DALA_RETURN_IF_ERROR(TakeInForms(response.forms, outcome));
  return TakeInEnvelopes(server, response.envelopes, outcome);
}

// A form this dala cannot read (made for a newer one), or one that collides
// with a form loaded here by hand, is said and left out, and so are the
// records that need it (TakeInEnvelopes), instead of failing every sync.
Status SyncClient::TakeInForms(const std::vector<std::string>& forms, SyncOutcome& outcome) {
  for (const std::string& doc : forms) {
    auto form = store_.AddForm(doc, "server", clock_.NowMs());
    if (form.ok()) {
      ++outcome.received_forms;
      continue;
    }
    const Status::Code code = form.status().code();
    if (code != Status::Code::kInvalidArgument && code != Status::Code::kAlreadyExists &&
        code != Status::Code::kCorruption)
      return form.status();
    outcome.refused_updates.push_back("a form from the server: " + form.status().message());
  }
  return Status::Ok();
}

// Stores the envelopes Admit lets in and moves the laptop's hybrid clock
// past them, so its next records order after what it has seen. What cannot
// be taken in is left out, said, and does not stop the rest: one bad
// envelope must not block every later download. What cannot be taken in
// yet (its form has not arrived) is set aside, and tried again at every
// sync after the new download, until it is taken in or refused for good.
Status SyncClient::TakeInEnvelopes(const ServerProfile& server, const std::vector<std::string>& envelopes,
                                   SyncOutcome& outcome) {
  DALA_ASSIGN_OR_RETURN(uint64_t last_hlc, store_.GetNumber(profile_key::kHlc, 0));
  sync::HybridClock hlc(clock_, sync::HlcTimestamp{last_hlc});
  TakeIn t{outcome, hlc, {}};
  for (const std::string& bytes : envelopes) DALA_RETURN_IF_ERROR(TakeInOne(server, bytes, false, t).status());
  DALA_ASSIGN_OR_RETURN(std::vector<SetAsideUpdate> waiting, store_.SetAsideUpdates());
  for (const SetAsideUpdate& u : waiting) {
    DALA_ASSIGN_OR_RETURN(bool done, TakeInOne(server, u.bytes, true, t));
    if (done) DALA_RETURN_IF_ERROR(store_.DropSetAsideUpdate(u.id));
  }
  // Only what arrived changes a record's state; acceptance changes its
  // upload column, which list and show read directly.
  for (const sync::SubmissionId& id : t.touched) DALA_RETURN_IF_ERROR(store_.RefreshSubmission(id));
  return store_.Put(profile_key::kHlc, std::to_string(hlc.last().packed));
}

namespace {

// People's keys as the server-signed events this laptop received say
// (sync/README.md, "Decisions"): the server queues the event enrolling a
// key before the first decision it signed for this volunteer, and the
// event revoking it, which says up to where its decisions stand, after
// the last.
Result<sync::PersonKeyRegistry> ReceivedPersonKeys(LocalStore& store) {
  DALA_ASSIGN_OR_RETURN(auto stored, store.Get(profile_key::kPersonKeyEvents));
  sync::PersonKeyRegistry keys;
  nlohmann::json events = nlohmann::json::parse(stored.value_or("[]"), nullptr, false);
  if (!events.is_array()) return Status::Corruption("the profile's person_key_events is not a JSON array");
  uint64_t index = 0;
  for (const auto& body : events) {
    auto event = sync::ParseEventBody(body.is_string() ? body.get<std::string>() : std::string());
    if (event.ok() && sync::PersonKeyRegistry::Concerns(*event)) (void)keys.Apply(*event, index++, 0);
  }
  return keys;
}

Status RememberPersonKeyEvent(LocalStore& store, std::string_view body) {
  DALA_ASSIGN_OR_RETURN(auto stored, store.Get(profile_key::kPersonKeyEvents));
  nlohmann::json events = nlohmann::json::parse(stored.value_or("[]"), nullptr, false);
  if (!events.is_array()) events = nlohmann::json::array();
  events.push_back(std::string(body));
  return store.Put(profile_key::kPersonKeyEvents, events.dump());
}

}  // namespace

// True when the envelope is done with: taken in, or refused for good.
Result<bool> SyncClient::TakeInOne(const ServerProfile& server, std::string_view bytes, bool set_aside, TakeIn& t) {
  auto parsed = sync::Envelope::Parse(std::string(bytes));
  if (!parsed.ok()) {
    t.outcome.refused_updates.push_back("an update of " + std::to_string(bytes.size()) +
                                        " bytes that is not a valid envelope: " + parsed.status().message());
    return true;
  }
  const sync::Envelope& e = *parsed;
  DALA_ASSIGN_OR_RETURN(Admission admission, Admit(server, e));
  const std::string what =
      "update " + ToHex(e.id()).substr(0, 12) + " (record " + sync::FormatSubmissionId(e.submission()) + "): ";
  switch (admission.verdict) {
    case Admission::Verdict::kRefuse:
      t.outcome.refused_updates.push_back(what + admission.why);
      return true;
    case Admission::Verdict::kSetAside:
      if (set_aside) return false;  // said when it arrived
      t.outcome.refused_updates.push_back(what + admission.why + "; kept, to be taken in once it arrives");
      DALA_RETURN_IF_ERROR(store_.AddSetAsideUpdate(e.id(), e.bytes(), admission.form_hash, clock_.NowMs()));
      return false;
    case Admission::Verdict::kNothingToStore:
      return true;
    case Admission::Verdict::kStore:
      break;
  }
  DALA_ASSIGN_OR_RETURN(bool have, store_.HasEnvelope(e.id()));
  if (!have) DALA_RETURN_IF_ERROR(store_.InsertEnvelope(e, /*own=*/false, clock_.NowMs()));
  t.hlc.Observe(e.hlc());
  t.touched.insert(e.submission());
  ++t.outcome.received_envelopes;
  return true;
}

// Who may put what on this laptop. The server delivers what coordinators
// did, signed with their own keys or, for those without one, its key; the
// events vouching for the volunteer's other laptops, and revoking them
// (taken in here); and what those laptops signed, but only from keys so
// vouched for, and from a revoked one only what it signed before its
// revocation. Anything else could be a forgery slipped in by whoever sits
// between the laptop and the server, by the server itself, or by a thief
// holding a stolen laptop's key.
Result<SyncClient::Admission> SyncClient::Admit(const ServerProfile& server, const sync::Envelope& e) {
  if (Status s = e.VerifySignature(); !s.ok()) return Admission::Refuse(s.message());
  if (e.author() == server.key) {
    if (e.kind() == sync::EnvelopeKind::kEvent && sync::IsZero(e.submission())) return AdmitEvent(server, e);
    // A decision the server signed: only for someone who never had a key.
    DALA_ASSIGN_OR_RETURN(sync::PersonKeyRegistry keys, ReceivedPersonKeys(store_));
    auto by = sync::DecisionMaker(e);
    if (!by.ok()) return Admission::Refuse(by.status().message());
    sync::DecisionCheck check = sync::CheckDecisionSigner(e.author(), *by, e.sequence(), server.key, keys);
    if (!check.ok()) return Admission::Refuse(check.message);
  } else if (auto person = ReceivedPersonKeys(store_); !person.ok()) {
    return person.status();
  } else if (person->Find(e.author()) != nullptr) {
    // A decision signed by a coordinator's own key: enrolled for the person
    // it names, by an event the server signed, and if the server revoked
    // it since, made before that, whatever order the two arrive in (D3-D4).
    auto by = sync::DecisionMaker(e);
    if (!by.ok()) return Admission::Refuse(by.status().message());
    sync::DecisionCheck check = sync::CheckDecisionSigner(e.author(), *by, e.sequence(), server.key, *person);
    if (!check.ok()) return Admission::Refuse(check.message);
    if (e.kind() == sync::EnvelopeKind::kRevision && e.parents().empty())
      return Admission::Refuse("a coordinator's key made a record instead of correcting one");
  } else if (e.kind() != sync::EnvelopeKind::kRevision) {
    return Admission::Refuse("an event not signed by the server");
  } else if (e.author() == device_.public_key()) {
    DALA_ASSIGN_OR_RETURN(bool mine, store_.HasEnvelope(e.id()));
    if (!mine) return Admission::Refuse("a record version in this laptop's name that this laptop never made");
    return Admission::NothingToStore();
  } else {
    DALA_ASSIGN_OR_RETURN(auto laptop, store_.FindVolunteerLaptop(e.author()));
    if (!laptop)
      return Admission::Refuse("signed by key " + ToHex(e.author()).substr(0, 16) +
                               ", which the server never enrolled as one of this volunteer's laptops");
    if (laptop->revoked && e.sequence() > laptop->revoked_through)
      return Admission::Refuse("signed by laptop " + ToHex(e.author()).substr(0, 16) + " after the server revoked it");
  }
  if (Status s = sync::VerifyRevisionContent(e, store_); !s.ok()) {
    if (s.reason() == "unknown_form")
      return Admission::SetAside(s.message() + " (form " + e.form_id() + " " + e.form_version() + ")",
                                 ToHex(e.form_hash()));
    return Admission::Refuse(s.message());
  }
  return Admission::Store();
}

// The server's events that are about laptops rather than records: an
// enrolment of another laptop of this volunteer vouches for it; a
// revocation of one ends what it may still bring.
Result<SyncClient::Admission> SyncClient::AdmitEvent(const ServerProfile& server, const sync::Envelope& e) {
  auto event = sync::ParseEventBody(e.body());
  if (!event.ok()) return Admission::NothingToStore();  // not about a record, nor a laptop
  sync::PublicKey laptop;
  if (event->type == "enroll" && event->volunteer == server.volunteer) {
    if (!FromHex(event->device, &laptop)) return Admission::Refuse("an enrolment naming a malformed key");
    if (laptop != device_.public_key())
      DALA_RETURN_IF_ERROR(store_.AddVolunteerLaptop(laptop, event->label, e.bytes()));
  } else if (event->type == "revoke") {
    if (!FromHex(event->device, &laptop)) return Admission::Refuse("a revocation naming a malformed key");
    // Revocations from before they named the volunteer: any key this
    // laptop trusts is one of its volunteer's.
    DALA_ASSIGN_OR_RETURN(auto known, store_.FindVolunteerLaptop(laptop));
    if (laptop != device_.public_key() && (event->volunteer == server.volunteer || known)) {
      std::optional<uint64_t> through;
      if (!event->through.empty()) through = std::stoull(event->through);  // digits only: ParseEventBody
      DALA_RETURN_IF_ERROR(store_.RevokeVolunteerLaptop(laptop, through, e.bytes()));
    }
  }
  if (sync::PersonKeyRegistry::Concerns(*event)) DALA_RETURN_IF_ERROR(RememberPersonKeyEvent(store_, e.body()));
  return Admission::NothingToStore();
}

// Records stamped by a clock that ran ahead are refused until the laptop's
// clock agrees with the server's again; then they are re-stamped once and
// sent at once (true: exchange again), instead of waiting forever.
Result<bool> SyncClient::RestampIfClockFixed(const sync::SyncResponse& response, SyncOutcome& outcome) {
  bool refused_for_clock = std::any_of(response.rejected.begin(), response.rejected.end(),
                                       [](const auto& r) { return r.code == rejection_code::kClockAhead; });
  const int64_t laptop_skew = response.server_time_ms - clock_.NowMs();
  if (!refused_for_clock || outcome.restamped != 0 || std::llabs(laptop_skew) >= 5 * 60 * 1000) return false;
  DALA_ASSIGN_OR_RETURN(outcome.restamped, RestampPending(store_, device_.key(), clock_));
  outcome.clock_ahead = false;
  outcome.rejections.erase(std::remove_if(outcome.rejections.begin(), outcome.rejections.end(),
                                          [](const auto& r) { return IsRetryableRejection(r.code); }),
                           outcome.rejections.end());
  return outcome.restamped > 0;
}

// A record refused for good holds back every later one of this device's
// chain; it goes back to the volunteer as a draft and the rest of the chain
// is rebuilt and sent (true: exchange again). Only when the server holds
// nothing beyond what its receipt proved, and never after a history
// conflict, where the rebuilt chain would collide with what it holds.
Result<bool> SyncClient::SetAsideRefusedForGood(const sync::SyncResponse& response, const Acceptance& acceptance,
                                                SyncOutcome& outcome) {
  const auto& rejected = response.rejected;
  bool due = std::any_of(rejected.begin(), rejected.end(),
                         [&](const auto& r) { return r.sequence > acceptance.through && CanSetAside(r.code); });
  bool conflict =
      std::any_of(rejected.begin(), rejected.end(), [](const auto& r) { return IsHistoryConflict(r.code); });
  if (!due || conflict || response.accepted_through > acceptance.through) return false;
  DALA_ASSIGN_OR_RETURN(std::string language, store_.GetOr(profile_key::kLanguage, ""));
  auto aside = SetAsideRefused(store_, device_.key(), clock_, language);
  if (!aside.ok()) {
    if (aside.status().code() != Status::Code::kFailedPrecondition) return aside.status();
    return false;
  }
  if (aside->empty()) return false;
  outcome.set_aside.insert(outcome.set_aside.end(), aside->begin(), aside->end());
  // What was refused is now reported as set aside; what was held back
  // behind it is re-signed and goes in the next exchange.
  outcome.rejections.clear();
  return true;
}

// Go on while something moved and more remains; stop when an exchange makes
// no progress (what is left was refused or must wait), or the run would
// loop sending the same refused batch.
Result<bool> SyncClient::WorthAnotherExchange(const sync::SyncResponse& response, uint64_t newly_accepted) {
  DALA_ASSIGN_OR_RETURN(bool left, store_.HasPending());
  const bool uploads_moved = newly_accepted > 0;
  const bool uploads_left = left && uploads_moved;
  if (!uploads_left && !response.more) return false;
  if (!uploads_moved && response.envelopes.empty() && response.forms.empty()) return false;
  return true;
}

}  // namespace dala::client
