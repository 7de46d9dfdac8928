// The laptop's receipts as files for an auditor, in the format of
// sync/BUNDLE.md ("Receipt files"): `dala receipts --export DIR` writes
// them into a directory, `dala ui`'s Laptop page offers the same files in
// one zip (a browser downloads one file). Either way the auditor runs
// `dala audit verify --receipts DIR` on the files.
#pragma once

#include <string>
#include <vector>

#include "dala/base/status.h"
#include "dala/client/store.h"

namespace dala::client {

struct ReceiptFile {
  std::string name;  // receipt-SEQUENCE.json
  std::string text;  // sync::ReceiptJson
};

// One file per receipt the store holds, by sequence.
Result<std::vector<ReceiptFile>> ReceiptFiles(LocalStore& store);

// The files as one zip archive (libzip, deflated), in memory.
Result<std::string> ZipFiles(const std::vector<ReceiptFile>& files);

}  // namespace dala::client
