// Receipt files (sync/BUNDLE.md, "Receipt files"): `dala audit verify
// --receipts` reads files volunteers hand over. A file that parses must
// write back to a file that parses to the same receipt.
#include "dala/sync/receipt_file.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto receipt = dala::sync::ParseReceiptJson(dala::fuzz::Bytes(data, size));
  if (!receipt.ok()) return 0;
  auto again = dala::sync::ParseReceiptJson(dala::sync::ReceiptJson(*receipt));
  if (!again.ok()) dala::fuzz::Fail("a receipt written from a parsed one does not parse");
  if (again->device != receipt->device || again->sequence != receipt->sequence ||
      again->envelope_id != receipt->envelope_id || again->leaf_index != receipt->leaf_index ||
      again->tree_size != receipt->tree_size || again->proof != receipt->proof ||
      again->checkpoint_note != receipt->checkpoint_note)
    dala::fuzz::Fail("a receipt changes on a round trip");
  return 0;
}
