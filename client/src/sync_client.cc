#include "dala/client/sync_client.h"

#include <algorithm>
#include <set>
#include <nlohmann/json.hpp>

#include "dala/sync/checkpoint.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/hlc.h"
#include "dala/sync/merkle.h"
#include "dala/sync/request_auth.h"
#include "dala/sync/verify.h"

namespace dala::client {

using nlohmann::json;
using sync::Hash;

Status ErrorFromResponse(const TransportResponse& r) {
  std::string code, message;
  try {
    json j = json::parse(r.body);
    code = j.at("error").at("code").get<std::string>();
    message = j.at("error").at("message").get<std::string>();
  } catch (const std::exception&) {
    message = "the server answered HTTP " + std::to_string(r.status);
  }
  std::string text = message + (code.empty() ? "" : " (" + code + ")");
  switch (r.status) {
    case 401: return Status::Unauthenticated(text);
    case 403: return Status::PermissionDenied(text);
    case 404: return Status::NotFound(text);
    case 409: return Status::AlreadyExists(text);
    case 413:
    case 429: return Status::ResourceExhausted(text);
    case 400:
    case 422: return Status::InvalidArgument(text);
    default: return r.status >= 500 ? Status::Unavailable(text) : Status::Internal(text);
  }
}

bool IsRetryableRejection(std::string_view code) {
  return code == "clock_ahead" || code == "held_back" || code == "gap";
}

bool CanSetAside(std::string_view code) {
  return !IsRetryableRejection(code) && code != "fork" && code != "chain_broken";
}

Result<EnrollResult> Enroll(LocalStore& store, const Device& device, Transport& transport,
                            const std::string& server_url, std::string_view code, std::string_view label,
                            const Clock& clock) {
  DALA_ASSIGN_OR_RETURN(auto existing, store.Get(profile_key::kServerUrl));
  if (existing && !existing->empty())
    return Status::AlreadyExists("this laptop is already enrolled with " + *existing);
  std::string key_hex = ToHex(device.public_key());
  std::string normalized = sync::NormalizeEnrollCode(code);
  if (normalized.empty())
    return Status::InvalidArgument("'" + std::string(code) + "' is not an enrolment code: it has 12 letters and digits, "
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
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kServerUrl, server_url));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kServerKey, result.server_key_hex));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kServerOrigin, result.origin));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kVolunteer, result.volunteer));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kCheckpoint, checkpoint));
  DALA_RETURN_IF_ERROR(store.Put(profile_key::kDownloadCursor, ""));
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
  if (r.status != 401 || r.body.find("stale_request") == std::string::npos || clock_offset_ms_ != 0) return r;
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

Result<SyncOutcome> SyncClient::Run(const std::function<void(const SyncProgress&)>& progress) {
  DALA_ASSIGN_OR_RETURN(auto key_hex, store_.Get(profile_key::kServerKey));
  DALA_ASSIGN_OR_RETURN(auto origin, store_.Get(profile_key::kServerOrigin));
  sync::PublicKey server_key;
  if (!key_hex || !origin || !FromHex(*key_hex, &server_key))
    return Status::FailedPrecondition("this laptop is not enrolled with a server (run `dala enroll URL CODE`)");

  DALA_ASSIGN_OR_RETURN(std::string volunteer, store_.GetOr(profile_key::kVolunteer, ""));
  SyncOutcome outcome;
  SyncProgress p;
  DALA_ASSIGN_OR_RETURN(int64_t pending, store_.CountPending());
  p.to_send = static_cast<uint64_t>(pending);
  if (progress) progress(p);

  for (size_t exchange = 0; exchange < options_.max_exchanges; ++exchange) {
    DALA_ASSIGN_OR_RETURN(std::string cursor, store_.GetOr(profile_key::kDownloadCursor, ""));
    DALA_ASSIGN_OR_RETURN(std::string old_note, store_.GetOr(profile_key::kCheckpoint, ""));
    std::optional<sync::Checkpoint> old_cp;
    if (!old_note.empty()) {
      auto cp = sync::VerifyCheckpoint(old_note, *origin, server_key, *origin);
      if (cp.ok()) old_cp = *cp;
    }
    DALA_ASSIGN_OR_RETURN(std::vector<EnvelopeRow> batch,
                          store_.PendingEnvelopes(options_.batch_envelopes, options_.batch_bytes));
    sync::SyncRequest request;
    request.cursor = cursor;
    request.checkpoint_size = old_cp ? old_cp->size : 0;
    DALA_ASSIGN_OR_RETURN(request.receipted_through, store_.ReceiptedThrough());
    for (const EnvelopeRow& r : batch) request.envelopes.push_back(r.bytes);
    DALA_ASSIGN_OR_RETURN(std::string body, sync::EncodeSyncRequest(request, options_.gzip_level));
    outcome.bytes_sent += body.size();
    DALA_ASSIGN_OR_RETURN(TransportResponse http, Post(std::string(sync::kSyncPath), body));
    ++outcome.exchanges;
    if (http.status != 200) return ErrorFromResponse(http);
    outcome.bytes_received += http.body.size();
    DALA_ASSIGN_OR_RETURN(sync::SyncResponse response, sync::DecodeSyncResponse(http.body));
    outcome.server_time_ms = response.server_time_ms;
    outcome.clock_offset_ms = clock_offset_ms_;

    // The checkpoint must be the server's, and must extend the last one
    // this laptop saw; otherwise the server has rewritten its log.
    auto cp = sync::VerifyCheckpoint(response.checkpoint, *origin, server_key, *origin);
    if (!cp.ok()) {
      outcome.log_warnings.push_back("the server's checkpoint does not verify with its key: " + cp.status().message());
      return outcome;
    }
    bool consistent = true;
    if (old_cp) {
      if (cp->size < old_cp->size) {
        consistent = false;
        outcome.log_warnings.push_back("the server's log shrank from " + std::to_string(old_cp->size) + " to " +
                                       std::to_string(cp->size) + " entries");
      } else if (cp->size == old_cp->size) {
        if (cp->root != old_cp->root) {
          consistent = false;
          outcome.log_warnings.push_back("the server signed two different logs of " + std::to_string(cp->size) +
                                         " entries");
        }
      } else if (old_cp->size > 0) {
        Status s = sync::VerifyConsistency(old_cp->size, cp->size, old_cp->root, cp->root, response.consistency);
        if (!s.ok()) {
          consistent = false;
          outcome.log_warnings.push_back("the server's log of " + std::to_string(cp->size) +
                                         " entries does not extend the one of " + std::to_string(old_cp->size) +
                                         " it showed before: " + s.message());
        }
      }
    }
    if (!consistent) return outcome;  // nothing more is trusted from this server

    // The receipt: the server's claim that it holds this laptop's envelopes
    // up to accepted_through, proved by the inclusion of the last one under
    // the signed checkpoint. Nothing is counted as accepted beyond proof.
    std::optional<ReceiptRow> receipt;
    uint64_t proven_through = request.receipted_through;
    if (response.receipt) {
      const sync::SyncReceipt& r = *response.receipt;
      DALA_ASSIGN_OR_RETURN(auto mine, store_.OwnEnvelope(r.sequence));
      Status s = !mine || mine->id != r.envelope
                     ? Status::InvalidArgument("the receipt names an envelope this laptop did not sign")
                     : sync::VerifyInclusion(r.leaf_index, cp->size, sync::LeafHash(mine->bytes), r.proof, cp->root);
      if (!s.ok()) {
        outcome.log_warnings.push_back("the server's receipt does not prove inclusion: " + s.message());
      } else {
        receipt = ReceiptRow{0, r.envelope, r.sequence, r.leaf_index, cp->size, r.proof, response.checkpoint,
                             clock_.NowMs()};
        proven_through = std::max(proven_through, r.sequence);
      }
    }
    if (response.accepted_through > proven_through) {
      outcome.log_warnings.push_back("the server says it holds this laptop's records up to " +
                                     std::to_string(response.accepted_through) + " but proves only up to " +
                                     std::to_string(proven_through) + "; the rest stay pending");
    }
    const uint64_t accepted_through = std::min(response.accepted_through, proven_through);

    // Everything learnt from this exchange is stored in one transaction:
    // a crash leaves the laptop as before the exchange or after it.
    DALA_ASSIGN_OR_RETURN(auto tx, sql::Transaction::Begin(store_.db()));
    DALA_ASSIGN_OR_RETURN(int64_t changed, store_.MarkAccepted(accepted_through));
    uint64_t newly_accepted = static_cast<uint64_t>(changed);
    outcome.accepted += newly_accepted;
    for (const sync::EnvelopeRejection& rej : response.rejected) {
      if (rej.sequence <= accepted_through) continue;
      outcome.rejections.push_back(rej);
      outcome.clock_ahead = outcome.clock_ahead || rej.code == "clock_ahead";
      std::string reason = rej.code + ": " + rej.reason;
      if (IsRetryableRejection(rej.code)) {
        DALA_ASSIGN_OR_RETURN(auto st, store_.db().Prepare(
                                           "UPDATE envelopes SET reject_reason = ? WHERE own = 1 AND sequence = ?"));
        DALA_RETURN_IF_ERROR(st.Bind(1, reason).Bind(2, static_cast<int64_t>(rej.sequence)).Run());
      } else {
        DALA_RETURN_IF_ERROR(store_.MarkRejected(rej.sequence, reason));
      }
    }
    for (const std::string& doc : response.forms) {
      auto form = store_.AddForm(doc, "server", clock_.NowMs());
      if (form.ok()) {
        ++outcome.received_forms;
        continue;
      }
      // A form this dala cannot read (made for a newer one), or one that
      // collides with a form loaded here by hand: said, and the records
      // that need it are left out below, instead of failing every sync.
      const Status::Code code = form.status().code();
      if (code != Status::Code::kInvalidArgument && code != Status::Code::kAlreadyExists &&
          code != Status::Code::kCorruption)
        return form.status();
      outcome.refused_updates.push_back("a form from the server: " + form.status().message());
    }
    DALA_ASSIGN_OR_RETURN(std::string hlc_text, store_.GetOr(profile_key::kHlc, "0"));
    sync::HybridClock hlc(clock_, sync::HlcTimestamp{std::stoull(hlc_text)});
    std::set<sync::SubmissionId> touched;
    for (const std::string& bytes : response.envelopes) {
      auto parsed = sync::Envelope::Parse(bytes);
      if (!parsed.ok()) {
        outcome.refused_updates.push_back("an update of " + std::to_string(bytes.size()) +
                                          " bytes that is not a valid envelope: " + parsed.status().message());
        continue;
      }
      const sync::Envelope& e = *parsed;
      // What cannot be taken in is left out, said, and does not stop the
      // rest: one bad envelope must not block every later download.
      auto refuse = [&](const std::string& why) {
        outcome.refused_updates.push_back("update " + ToHex(e.id()).substr(0, 12) + " (record " +
                                          sync::FormatSubmissionId(e.submission()) + "): " + why);
      };
      if (Status s = e.VerifySignature(); !s.ok()) {
        refuse(s.message());
        continue;
      }
      // The server delivers what coordinators did, signed with its key;
      // the events vouching for the volunteer's other laptops; and what
      // those laptops signed, but only from keys so vouched for.
      if (e.author() == server_key) {
        if (e.kind() == sync::EnvelopeKind::kEvent && sync::IsZero(e.submission())) {
          auto event = sync::ParseEventBody(e.body());
          if (event.ok() && event->type == "enroll" && event->volunteer == volunteer) {
            sync::PublicKey laptop;
            if (!FromHex(event->device, &laptop)) {
              refuse("an enrolment naming a malformed key");
              continue;
            }
            if (laptop != device_.public_key())
              DALA_RETURN_IF_ERROR(store_.AddVolunteerLaptop(laptop, event->label, e.bytes()));
          }
          continue;  // not about a record: nothing to store
        }
      } else if (e.kind() != sync::EnvelopeKind::kRevision) {
        refuse("an event not signed by the server");
        continue;
      } else if (e.author() == device_.public_key()) {
        DALA_ASSIGN_OR_RETURN(bool mine, store_.HasEnvelope(e.id()));
        if (!mine) refuse("a record version in this laptop's name that this laptop never made");
        continue;
      } else {
        DALA_ASSIGN_OR_RETURN(bool vouched, store_.IsVolunteerLaptop(e.author()));
        if (!vouched) {
          refuse("signed by key " + ToHex(e.author()).substr(0, 16) +
                 ", which the server never enrolled as one of this volunteer's laptops");
          continue;
        }
      }
      if (Status s = sync::VerifyRevisionContent(e, store_); !s.ok()) {
        refuse(s.message());
        continue;
      }
      DALA_ASSIGN_OR_RETURN(bool have, store_.HasEnvelope(e.id()));
      if (!have) DALA_RETURN_IF_ERROR(store_.InsertEnvelope(e, false, UploadState::kReceived, clock_.NowMs()));
      hlc.Observe(e.hlc());
      touched.insert(e.submission());
      ++outcome.received_envelopes;
      ++p.received;
    }
    // Only what arrived changes a record's state; acceptance changes its
    // upload column, which list and show read directly.
    for (const sync::SubmissionId& id : touched) DALA_RETURN_IF_ERROR(store_.RefreshSubmission(id));
    DALA_RETURN_IF_ERROR(store_.Put(profile_key::kHlc, std::to_string(hlc.last().packed)));
    if (receipt) DALA_RETURN_IF_ERROR(store_.AddReceipt(*receipt));
    DALA_RETURN_IF_ERROR(store_.Put(profile_key::kCheckpoint, response.checkpoint));
    DALA_RETURN_IF_ERROR(store_.Put(profile_key::kDownloadCursor, response.cursor));
    DALA_RETURN_IF_ERROR(store_.Put(profile_key::kAcceptedThrough, std::to_string(accepted_through)));
    DALA_RETURN_IF_ERROR(tx.Commit());

    p.sent += newly_accepted;
    if (progress) progress(p);

    // Records stamped by a clock that ran ahead are re-stamped once the
    // laptop's clock agrees with the server's again, and sent at once.
    bool refused_for_clock = std::any_of(response.rejected.begin(), response.rejected.end(),
                                         [](const auto& r) { return r.code == "clock_ahead"; });
    const int64_t laptop_skew = response.server_time_ms - clock_.NowMs();
    if (refused_for_clock && outcome.restamped == 0 && std::llabs(laptop_skew) < 5 * 60 * 1000) {
      DALA_ASSIGN_OR_RETURN(outcome.restamped, RestampPending(store_, device_.key(), clock_));
      outcome.clock_ahead = false;
      outcome.rejections.erase(std::remove_if(outcome.rejections.begin(), outcome.rejections.end(),
                                              [](const auto& r) { return IsRetryableRejection(r.code); }),
                               outcome.rejections.end());
      if (outcome.restamped > 0) continue;
    }

    // A record refused for good holds back every later one of this
    // device's chain; it goes back to the volunteer as a draft and the
    // rest of the chain is rebuilt and sent. Only when the server holds
    // nothing beyond what its receipt proved, or the rebuilt chain would
    // collide with what it holds.
    bool set_aside_due = std::any_of(response.rejected.begin(), response.rejected.end(),
                                     [&](const auto& r) { return r.sequence > accepted_through && CanSetAside(r.code); });
    bool has_fork = std::any_of(response.rejected.begin(), response.rejected.end(),
                                [](const auto& r) { return !IsRetryableRejection(r.code) && !CanSetAside(r.code); });
    if (set_aside_due && !has_fork && response.accepted_through <= accepted_through) {
      DALA_ASSIGN_OR_RETURN(std::string language, store_.GetOr(profile_key::kLanguage, ""));
      auto aside = SetAsideRefused(store_, device_.key(), clock_, language);
      if (aside.ok() && !aside->empty()) {
        outcome.set_aside.insert(outcome.set_aside.end(), aside->begin(), aside->end());
        // What was refused is now reported as set aside; what was held
        // back behind it is re-signed and goes in the next exchange.
        outcome.rejections.clear();
        continue;
      }
      if (!aside.ok() && aside.status().code() != Status::Code::kFailedPrecondition) return aside.status();
    }

    // Go on while something moved and more remains; stop when an exchange
    // makes no progress (what is left was refused or must wait).
    DALA_ASSIGN_OR_RETURN(int64_t left, store_.CountPending());
    bool uploads_moved = newly_accepted > 0;
    bool uploads_left = left > 0 && uploads_moved;
    if (!uploads_left && !response.more) break;
    if (!uploads_moved && !response.more && batch.empty()) break;
    if (!uploads_moved && response.envelopes.empty() && response.forms.empty()) break;
  }
  return outcome;
}

}  // namespace dala::client
