// One submission's whole history, for an auditor's report (`dala audit
// trace`). It reads the same bundle as the auditor (audit.h) and names
// authors from the same replay of the log's enrolments.
#pragma once

#include <string>

#include "dala/base/status.h"
#include "dala/sync/bundle.h"
#include "dala/sync/crypto.h"
#include "dala/sync/ids.h"

namespace dala::sync {

enum class TraceFormat { kText, kJson };

// Every revision and event that concerns the submission, in log order, who
// signed it and whether the signature holds, what changed, the reviews, and
// the merged state with its conflicts, compared with the server's claim.
// `trusted_key` null means the bundle's own key, which the trace then says
// is self-asserted. InvalidArgument when there is no key at all; NotFound
// when the bundle does not mention the submission.
[[nodiscard]] Result<std::string> TraceSubmission(BundleReader& bundle, const SubmissionId& submission,
                                                  const PublicKey* trusted_key,
                                                  TraceFormat format = TraceFormat::kText);

}  // namespace dala::sync
