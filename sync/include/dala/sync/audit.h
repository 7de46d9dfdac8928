// The offline auditor: verifies an audit bundle (bundle.h) without trusting
// the server that wrote it. What each check proves, and why together they
// prove that the records are authentic, unaltered and complete, is the
// essay at the top of audit.cc. Problem codes are listed in sync/BUNDLE.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dala/base/status.h"
#include "dala/sync/bundle.h"
#include "dala/sync/crypto.h"
#include "dala/sync/ids.h"
#include "dala/sync/receipt_file.h"

namespace dala::sync {

struct AuditProgress {
  std::string_view phase;  // "log", "submissions"
  uint64_t done = 0;
  uint64_t total = 0;
};

struct AuditOptions {
  // The server's key as the auditor knows it, out of band. Without it the
  // bundle's own server_key is used, and the report says it is
  // self-asserted: a server that forged everything would also forge that.
  std::optional<PublicKey> trusted_server_key;
  // The log's name, when the auditor's key came as a verifier key line
  // (which names it); the bundle's origin must then be the same.
  std::optional<std::string> trusted_origin;
  // Checkpoint notes the auditor collected elsewhere (from volunteers,
  // witnesses, earlier audits).
  std::vector<std::string> checkpoints;
  std::vector<ReceiptInput> receipts;
  // `--strict-after`: a decision only attested by the server (not signed
  // by the person) made at or after this (Unix ms) is a problem,
  // "decision.attested_only": one the server dates so, or one logged after
  // a laptop's or a person's envelope dated so (BUNDLE.md 13b). Unset:
  // attested decisions are reported, not failed.
  std::optional<int64_t> strict_after_ms;
  unsigned threads = std::thread::hardware_concurrency();  // 0 means 1
  std::function<void(const AuditProgress&)> progress;
};

// One thing wrong, with the records it concerns.
struct AuditProblem {
  std::string code;     // stable, machine-readable: "chain.fork", ...
  std::string message;  // one sentence for people
  std::vector<uint64_t> log_indices;
  std::vector<Hash> envelope_ids;
  std::optional<SubmissionId> submission;
  std::optional<PublicKey> author;
  uint64_t sequence = 0;  // 0 if none
};

struct AuditCounts {
  uint64_t log_size = 0;   // entries in the log table
  uint64_t envelopes = 0;  // entries that parse and whose signature verifies
  uint64_t revisions = 0;
  uint64_t events = 0;
  uint64_t submissions = 0;  // submissions with a revision in the log
  uint64_t devices = 0;      // devices enrolled by the log
  uint64_t person_keys = 0;  // people's keys enrolled by the log
  uint64_t decisions_signed = 0;    // decisions signed by the person who made them
  uint64_t decisions_attested = 0;  // decisions only the server vouches for
  uint64_t forms = 0;        // rows of the forms table
  uint64_t checkpoints = 0;  // in the bundle
  uint64_t auditor_checkpoints = 0;
  uint64_t receipts = 0;
};

struct AuditTally {
  uint64_t revisions = 0;
  uint64_t submissions = 0;  // submissions this volunteer (or form) created
};

// One coordinator's decision (a correction or resolution, a review, a
// duplicate decision), and who vouches for it.
struct AuditDecision {
  uint64_t log_index = 0;
  Hash envelope{};
  SubmissionId submission{};
  std::string what;  // "correction", "review", "duplicate decision"
  std::string by;    // the person the decision names
  bool signed_by_person = false;  // else attested by the server only
  PublicKey signer{};             // the person's key, or the server's
  int64_t wall_ms = 0;            // as the signer claims
  std::string problem;            // the decision.* problem code, if any
};

struct AuditReport {
  std::string bundle_path;
  std::string origin;
  PublicKey server_key{};
  bool server_key_self_asserted = false;
  Hash root{};  // the root of the whole log, as computed
  AuditCounts counts;
  // By volunteer ("server for <name>" for coordinators' revisions,
  // "unenrolled <key prefix>" for keys the log never enrolled).
  std::map<std::string, AuditTally> by_volunteer;
  std::map<std::string, AuditTally> by_form;  // by form id
  // Every decision in log order.
  std::vector<AuditDecision> decisions;
  std::vector<AuditProblem> problems;

  [[nodiscard]] bool ok() const { return problems.empty(); }
};

// Runs every check of audit.cc over the bundle. Fails (rather than reporting
// problems) only when the bundle cannot be read at all: the problems of a
// readable bundle, however many, are all in the report. The report is
// rendered by audit_report.h; one submission's history by trace.h.
[[nodiscard]] Result<AuditReport> AuditBundle(BundleReader& bundle, const AuditOptions& options);

}  // namespace dala::sync
