// What the submission handlers share: finding a submission by a short id,
// loading it with its envelopes and merged state, and showing it as JSON.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dala/server/http_types.h"
#include "dala/server/store.h"
#include "dala/sync/envelope.h"
#include "dala/sync/merge.h"

namespace dala::server {

// A submission named by its full id, or by a unique end of at least 8 hex
// digits (sync::ShortIdDigits; "ambiguous_id" when several end so).
Result<sync::SubmissionId> ResolveSubmissionId(Store& store, const std::string& text);

struct LoadedSubmission {
  SubmissionSummary summary;
  std::vector<StoredEnvelope> stored;
  std::vector<sync::Envelope> envelopes;  // parallel to `stored`
  std::vector<sync::MergeInput> revisions;
  sync::MergedState merged;
};
Result<LoadedSubmission> LoadSubmission(Store& store, const sync::SubmissionId& id);

nlohmann::json SummaryJson(const SubmissionSummary& s);

// The filters of GET /api/v1/submissions (server/API.md), which the
// overview, indicators and exports take too: "invalid_request" naming a
// parameter that is not what it should be.
Result<SubmissionFilter> SubmissionFilterOf(const HttpRequest& request);

// Who signed an envelope: the volunteer of a laptop, a person with their
// own key, or the server attesting for the person its decision names. As
// JSON {"kind": "laptop"|"person"|"server"|"unknown", "name", "laptop"?}
// for pages that say it in their own language, and `who`, in English
// words, for the command line. Caches key lookups.
class SignerNames {
 public:
  SignerNames(Store& store, const sync::PublicKey& server) : store_(store), server_(server) {}
  nlohmann::json Of(const sync::Envelope& e);
  // "askar (askar-laptop)", "signed by aigerim", "attested by the server for aigerim".
  static std::string Who(const nlohmann::json& signer);

 private:
  Store& store_;
  sync::PublicKey server_;
  std::map<sync::PublicKey, nlohmann::json> cache_;
};

}  // namespace dala::server
