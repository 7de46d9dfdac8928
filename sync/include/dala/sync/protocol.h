// The sync protocol's messages: one exchange pushes and pulls.
//
// A laptop sends the envelopes the server has not acknowledged and its
// cursor; the server answers with per-envelope rejections, a signed
// checkpoint with a receipt, what the laptop should receive, and a new
// cursor. Both bodies are gzip-compressed frames; the layout, with field
// tables and validity conditions, is in sync/PROTOCOL.md. No HTTP here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dala/base/status.h"
#include "dala/sync/crypto.h"

namespace dala::sync {

inline constexpr std::string_view kSyncContentType = "application/x-dala-sync";
inline constexpr std::string_view kSyncPath = "/api/v1/sync";

inline constexpr size_t kMaxFormsWanted = 100;

// The reason with which a server refuses a sync whose checkpoint_size is
// larger than its log: the laptop has verified a log the server no longer
// holds (rolled back to an old copy, or forked).
inline constexpr std::string_view kLogBehindCheckpoint = "log_behind_checkpoint";

struct SyncRequest {
  std::string cursor;            // opaque; "" on the first sync
  uint64_t checkpoint_size = 0;  // the last checkpoint this laptop verified; 0 if none
  // The highest own sequence the laptop holds a verified receipt for: the
  // server proves anything it claims beyond it.
  uint64_t receipted_through = 0;
  // Forms the laptop lacks for envelopes it received and set aside: the
  // server sends them again, whatever the cursor says. At most
  // kMaxFormsWanted.
  std::vector<Hash> forms_wanted;
  std::vector<std::string> envelopes;  // own envelopes, ascending sequence
};

// Why one envelope was not accepted.
struct EnvelopeRejection {
  uint64_t sequence = 0;
  Hash id{};
  std::string code;    // stable: see PROTOCOL.md
  std::string reason;  // for people
};

// Proof that the envelope at `leaf_index` is in the tree of the response's
// checkpoint. The receipted envelope is the device's latest the server
// holds (sequence = accepted_through); the device chain links it to every
// earlier one. Sent whenever accepted_through passes the request's
// receipted_through.
struct SyncReceipt {
  uint64_t sequence = 0;
  Hash envelope{};
  uint64_t leaf_index = 0;
  std::vector<Hash> proof;
};

struct SyncResponse {
  uint64_t accepted_through = 0;  // the server holds this device's 1..accepted_through
  std::vector<EnvelopeRejection> rejected;
  int64_t server_time_ms = 0;
  std::string checkpoint;         // a signed note; "" only while the log is empty
  std::vector<Hash> consistency;  // from the request's checkpoint_size to this checkpoint
  std::optional<SyncReceipt> receipt;
  std::string cursor;
  bool more = false;              // more to receive: sync again
  std::vector<std::string> envelopes;  // envelopes for this laptop, in log order
  std::vector<std::string> forms;      // form documents for this laptop
};

struct SyncLimits {
  size_t max_inflated_bytes = 64u << 20;
  size_t max_envelopes = 2000;
  size_t max_forms = 200;
  size_t max_header_bytes = 1u << 20;
  size_t max_item_bytes = (1u << 20) + 4096;  // an envelope or form document
};

// gzip level: 1 is fastest; 6 is zlib's default balance.
Result<std::string> EncodeSyncRequest(const SyncRequest& request, int gzip_level = 6);

// A request's envelopes (their count and each one, as the request frames
// them), deflated apart from its header. The header depends on the answer
// to the previous exchange; the envelopes do not, so a laptop deflates the
// next batch while the server is still answering this one, and splices the
// header in front when the answer is in. The body is the same gzip member
// a reader inflates in one go: the header's DEFLATE stream is flushed to a
// byte boundary without a final block, and the envelopes' stream follows.
struct DeflatedEnvelopes {
  std::string deflate;         // raw DEFLATE (RFC 1951), ending in a final block
  uint32_t crc32 = 0;          // of the inflated bytes
  uint64_t inflated_size = 0;
  size_t count = 0;
};
Result<DeflatedEnvelopes> DeflateRequestEnvelopes(const std::vector<std::string>& envelopes, int gzip_level = 6);

// The same, gathered one envelope at a time straight into the request's
// framing: a laptop reads its envelopes from its database into this
// without a copy of each of its own.
class RequestEnvelopeFrames {
 public:
  // `expected_bytes`: about how many bytes the envelopes take, reserved at
  // once (memory never written costs nothing).
  explicit RequestEnvelopeFrames(size_t expected_bytes = 0);
  void Add(std::string_view envelope);
  size_t count() const { return count_; }
  Result<DeflatedEnvelopes> Deflate(int gzip_level = 6) const;

 private:
  std::string frames_;  // the count (kept up to date by Add), then each envelope framed
  uint32_t count_ = 0;
};
// `request.envelopes` must be empty: they are `envelopes`.
Result<std::string> EncodeSyncRequest(const SyncRequest& request, const DeflatedEnvelopes& envelopes,
                                      int gzip_level = 6);
Result<SyncRequest> DecodeSyncRequest(std::string_view body, const SyncLimits& limits = {});
Result<std::string> EncodeSyncResponse(const SyncResponse& response, int gzip_level = 6);
Result<SyncResponse> DecodeSyncResponse(std::string_view body, const SyncLimits& limits = {});

// gzip (RFC 1952): compressed whole by libdeflate (levels 0-12), inflated
// by zlib with a bound on the inflated size so a small body cannot expand
// without limit.
Result<std::string> Gzip(std::string_view data, int level);
Result<std::string> Gunzip(std::string_view data, size_t max_output);

}  // namespace dala::sync
