// The auditor's report as text for people and as JSON for programs
// (`dala audit verify [--json]`). Problem codes are listed in sync/BUNDLE.md.
#pragma once

#include <string>

#include "dala/sync/audit.h"

namespace dala::sync {

// Counts, tallies by volunteer and by form, every problem with the records
// it concerns, and a verdict; a self-asserted server key is said loudly.
[[nodiscard]] std::string AuditReportText(const AuditReport& report);
// The same as one JSON object (2-space indented).
[[nodiscard]] std::string AuditReportJson(const AuditReport& report);

}  // namespace dala::sync
