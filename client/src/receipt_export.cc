#include "receipt_export.h"

#include <zip.h>

#include <memory>

#include "dala/base/hex.h"
#include "dala/sync/receipt_file.h"

namespace dala::client {

Result<std::vector<ReceiptFile>> ReceiptFiles(LocalStore& store) {
  DALA_ASSIGN_OR_RETURN(auto receipts, store.ListReceipts());
  DALA_ASSIGN_OR_RETURN(auto device_hex, store.Get(profile_key::kDevicePublic));
  sync::PublicKey device{};
  if (!device_hex || !FromHex(*device_hex, &device))
    return Status::Corruption("the profile's device key is missing or damaged").WithReason("no_device_key");
  std::vector<ReceiptFile> out;
  for (const ReceiptRow& r : receipts) {
    sync::ReceiptInput in{device, r.sequence, r.envelope, r.leaf_index, r.tree_size, r.proof, r.checkpoint, ""};
    out.push_back({"receipt-" + std::to_string(r.sequence) + ".json", sync::ReceiptJson(in) + "\n"});
  }
  return out;
}

namespace {
struct SourceFree {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};
}  // namespace

Result<std::string> ZipFiles(const std::vector<ReceiptFile>& files) {
  zip_error_t error;
  zip_error_init(&error);
  std::unique_ptr<zip_source_t, SourceFree> buffer(zip_source_buffer_create(nullptr, 0, 0, &error));
  if (!buffer) return Status::Internal("zip: cannot make a buffer");
  zip_source_keep(buffer.get());  // zip_close would free it; its bytes are read afterwards
  zip_t* archive = zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    zip_source_free(buffer.get());  // the reference zip_open_from_source did not take
    return Status::Internal("zip: cannot open an archive in memory");
  }
  for (const ReceiptFile& f : files) {
    zip_source_t* src = zip_source_buffer(archive, f.text.data(), f.text.size(), 0);
    if (src == nullptr || zip_file_add(archive, f.name.c_str(), src, ZIP_FL_ENC_UTF_8) < 0) {
      if (src != nullptr) zip_source_free(src);
      zip_discard(archive);
      return Status::Internal(std::string("zip: cannot add ") + f.name);
    }
  }
  if (zip_close(archive) < 0) {
    zip_discard(archive);
    return Status::Internal("zip: cannot write the archive");
  }
  zip_stat_t st;
  if (zip_source_open(buffer.get()) < 0) return Status::Internal("zip: cannot read the archive back");
  std::string out;
  if (zip_source_stat(buffer.get(), &st) == 0 && (st.valid & ZIP_STAT_SIZE)) {
    out.resize(st.size);
    zip_int64_t n = zip_source_read(buffer.get(), out.data(), st.size);
    if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) out.clear();
  }
  zip_source_close(buffer.get());
  if (out.empty()) return Status::Internal("zip: cannot read the archive back");
  return out;
}

}  // namespace dala::client
