// The laptop's side of sync: enrolment, and exchanges that push pending
// envelopes and pull what the server has for this volunteer, checking the
// server's signed checkpoints, consistency proofs and receipts as they come.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dala/base/clock.h"
#include "dala/client/device.h"
#include "dala/client/rejection.h"
#include "dala/client/store.h"
#include "dala/client/transport.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/crypto.h"
#include "dala/sync/protocol.h"

namespace dala::client {

struct EnrollResult {
  std::string volunteer;
  std::string server_key_hex;
  std::string origin;
};

// How later syncs reach the server, recorded with the enrolment.
struct EnrollSettings {
  std::string ca_file;      // the CA that signed the server's certificate; empty: the system's
  bool allow_http = false;  // plain http:// to a server that is not this machine
};

// Registers this laptop's key with the server under a one-time code. The
// laptop records its enrolment, in one transaction, only once it has the
// server's verified answer; until then it holds nothing of it. Asking
// again is safe: the server answers again the key that used the code, so
// a laptop whose answer was lost (or which could not record it) finishes
// by running this again, and one already enrolled with `server_url` is
// told so again, changing nothing but `settings`.
Result<EnrollResult> Enroll(LocalStore& store, const Device& device, Transport& transport,
                            const std::string& server_url, std::string_view code, std::string_view label,
                            const Clock& clock, const EnrollSettings& settings = {});

struct SyncOptions {
  // Per exchange: the most a request may carry (sync/PROTOCOL.md, request
  // condition 4). Each exchange ends in a commit the server syncs to disk
  // before it answers, and nothing of this laptop's runs on the server
  // meanwhile; half as many exchanges took a first sync of 100,000 records
  // 15 % less time than batches of 1,000 (docs/BENCHMARKS.md B).
  size_t batch_envelopes = 2000;
  size_t batch_bytes = 2u << 20;     // raw envelope bytes per exchange
  int gzip_level = 6;
  size_t max_exchanges = 100000;     // a safety stop
};

struct SyncProgress {
  uint64_t sent = 0;        // envelopes acknowledged in this run
  uint64_t to_send = 0;     // pending when the run started
  uint64_t received = 0;    // envelopes received in this run
};

struct SyncOutcome {
  uint64_t accepted = 0;
  uint64_t received_envelopes = 0;
  uint64_t received_forms = 0;
  uint64_t exchanges = 0;
  uint64_t bytes_sent = 0;      // request bodies, compressed
  uint64_t bytes_received = 0;  // response bodies, compressed
  std::vector<sync::EnvelopeRejection> rejections;
  // Loud problems with the server's log: a checkpoint that does not verify,
  // a log that does not extend the one seen before, a receipt that does not
  // prove inclusion.
  std::vector<std::string> log_warnings;
  // Envelopes the server sent that this laptop did not take in (and why):
  // they are not stored, and the sync goes on without them.
  std::vector<std::string> refused_updates;
  bool clock_ahead = false;
  // Records re-stamped after the laptop's clock was corrected.
  int restamped = 0;
  // Records the server refused for good, now drafts again.
  std::vector<SetAsideRecord> set_aside;
  // How far the laptop's clock is from the server's, when the server had to
  // say so (0 otherwise): the laptop signed with the server's time instead.
  int64_t clock_offset_ms = 0;
  int64_t server_time_ms = 0;
};

class SyncClient {
 public:
  SyncClient(LocalStore& store, const Device& device, Transport& transport, const Clock& clock,
             sync::Random& random, SyncOptions options = {})
      : store_(store), device_(device), transport_(transport), clock_(clock), random_(random), options_(options) {}

  // Exchanges with the server until nothing moves or nothing is left.
  // Problems with the server's log end the run with log_warnings set;
  // updates it cannot take in are left out and listed.
  Result<SyncOutcome> Run(const std::function<void(const SyncProgress&)>& progress = nullptr);

 private:
  // Who this laptop syncs with, as enrolment recorded it.
  struct ServerProfile;
  // One request and the server's answer to it.
  struct Exchange;
  // How far the server has proved it holds this laptop's records.
  struct Acceptance;
  // What to do with one envelope the server sent.
  struct Admission;
  // Own envelopes read and deflated for one exchange.
  struct Batch;

  Result<TransportResponse> Post(const std::string& target, const std::string& body);
  Result<TransportResponse> SignAndSend(const std::string& target, const std::string& body);

  // Run's steps, in the order it takes them; sync_client.cc says why each
  // exists.
  Result<ServerProfile> LoadServerProfile();
  Result<Batch> ReadBatch(uint64_t after_sequence);
  Result<Batch> NextBatch(std::optional<Batch> prepared);
  Result<Exchange> SendBatch(const ServerProfile& server, const Batch& batch, std::optional<Batch>* prepared,
                             SyncOutcome& outcome);
  static std::optional<sync::Checkpoint> CheckLog(const ServerProfile& server, const Exchange& exchange,
                                                  SyncOutcome& outcome);
  Result<Acceptance> TakeReceipt(const sync::Checkpoint& checkpoint, const Exchange& exchange,
                                 SyncOutcome& outcome);
  Result<uint64_t> StoreExchange(const ServerProfile& server, const Exchange& exchange,
                                 const Acceptance& acceptance, SyncOutcome& outcome);
  Result<uint64_t> RecordVerdicts(const sync::SyncResponse& response, uint64_t accepted_through,
                                  SyncOutcome& outcome);
  Status TakeInDownload(const ServerProfile& server, const sync::SyncResponse& response, SyncOutcome& outcome);
  Status TakeInForms(const std::vector<std::string>& forms, SyncOutcome& outcome);
  Status TakeInEnvelopes(const ServerProfile& server, const std::vector<std::string>& envelopes,
                         SyncOutcome& outcome);
  // One envelope, sent now or set aside before (`set_aside`); true when stored.
  struct TakeIn;
  Result<bool> TakeInOne(const ServerProfile& server, std::string_view bytes, bool set_aside, TakeIn& t);
  Result<Admission> Admit(const ServerProfile& server, const sync::Envelope& envelope);
  Result<Admission> AdmitEvent(const ServerProfile& server, const sync::Envelope& envelope);
  Result<bool> RestampIfClockFixed(const sync::SyncResponse& response, SyncOutcome& outcome);
  Result<bool> SetAsideRefusedForGood(const sync::SyncResponse& response, const Acceptance& acceptance,
                                      SyncOutcome& outcome);
  Result<bool> WorthAnotherExchange(const sync::SyncResponse& response, uint64_t newly_accepted);

  // Added to the laptop's clock when signing requests, once the server has
  // said the laptop's clock is off (stale_request).
  int64_t clock_offset_ms_ = 0;

  LocalStore& store_;
  const Device& device_;
  Transport& transport_;
  const Clock& clock_;
  sync::Random& random_;
  SyncOptions options_;
};

// A failed HTTP answer as a Status: the code follows the HTTP status, the
// reason is the JSON error's "code" (see server/API.md), the message its
// "message"; without a JSON error, the message names the HTTP status.
Status ErrorFromResponse(const TransportResponse& response);

}  // namespace dala::client
