// Receipt files: a receipt a laptop kept, as the JSON file "dala receipts
// --export" writes and "dala audit verify --receipts" reads. The fields and
// the conditions a file must meet are in sync/BUNDLE.md ("Receipt files").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"

namespace dala::sync {

// A receipt a device kept: the server's signed word that the device's
// envelope `sequence` (id `envelope_id`) is leaf `leaf_index` of the log of
// `tree_size` leaves whose checkpoint is `checkpoint_note`.
struct ReceiptInput {
  PublicKey device{};
  uint64_t sequence = 0;
  Hash envelope_id{};
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  std::vector<Hash> proof;  // inclusion proof, nearest the leaf first
  std::string checkpoint_note;
  std::string source;  // where it came from (a file name), for messages
};

// InvalidArgument, naming the field, for a file that breaks a condition.
// Whether the receipt is true (its checkpoint signed, its proof leading to
// the checkpoint's root) is the auditor's question, not the parser's.
[[nodiscard]] Result<ReceiptInput> ParseReceiptJson(std::string_view text);
// The file's text; `source` is not written.
[[nodiscard]] std::string ReceiptJson(const ReceiptInput& receipt);

}  // namespace dala::sync
