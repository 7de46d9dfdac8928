// `dala-server export --bundle`: everything an auditor needs, in one file.
#pragma once

#include <cstdint>
#include <string>

#include "dala/base/status.h"
#include "record_service.h"

namespace dala::server {

struct BundleStats {
  uint64_t log_size = 0;
  uint64_t submissions = 0;
};

// Writes a consistent snapshot: the log up to a signed checkpoint, and the
// devices, forms and submission states as they were at that size.
Result<BundleStats> WriteBundle(Store& store, RecordService& records, const std::string& path);

}  // namespace dala::server
