// The sync request and answer frames (sync/PROTOCOL.md): the server decodes
// requests from laptops, laptops decode answers from the server. Byte 0
// picks the frame (bit 0: answer) and whether the rest is the body as sent
// (bit 1 clear) or the inflated frame, gzipped here so that the fuzzer
// reaches the frame parser past the gzip checksum. Whatever decodes must
// encode, and decode again to the same message.
#include "dala/sync/protocol.h"
#include "fuzz_util.h"

namespace {

using namespace dala::sync;

// Small limits, so inputs of a few kilobytes reach every limit check.
SyncLimits Limits() {
  SyncLimits l;
  l.max_inflated_bytes = 1u << 20;
  l.max_envelopes = 64;
  l.max_forms = 8;
  l.max_header_bytes = 64u << 10;
  l.max_item_bytes = 64u << 10;
  return l;
}

bool Same(const SyncRequest& a, const SyncRequest& b) {
  return a.cursor == b.cursor && a.checkpoint_size == b.checkpoint_size &&
         a.receipted_through == b.receipted_through && a.envelopes == b.envelopes;
}

bool Same(const SyncResponse& a, const SyncResponse& b) {
  bool receipts = a.receipt.has_value() == b.receipt.has_value();
  if (receipts && a.receipt) {
    receipts = a.receipt->sequence == b.receipt->sequence && a.receipt->envelope == b.receipt->envelope &&
               a.receipt->leaf_index == b.receipt->leaf_index && a.receipt->proof == b.receipt->proof;
  }
  bool rejected = a.rejected.size() == b.rejected.size();
  for (size_t i = 0; rejected && i < a.rejected.size(); ++i) {
    rejected = a.rejected[i].sequence == b.rejected[i].sequence && a.rejected[i].id == b.rejected[i].id &&
               a.rejected[i].code == b.rejected[i].code && a.rejected[i].reason == b.rejected[i].reason;
  }
  return receipts && rejected && a.accepted_through == b.accepted_through &&
         a.server_time_ms == b.server_time_ms && a.checkpoint == b.checkpoint &&
         a.consistency == b.consistency && a.cursor == b.cursor && a.more == b.more &&
         a.envelopes == b.envelopes && a.forms == b.forms;
}

template <typename Message, typename Decode, typename Encode>
void RoundTrip(std::string_view body, Decode decode, Encode encode) {
  auto message = decode(body, Limits());
  if (!message.ok()) return;
  auto encoded = encode(*message, 1);
  if (!encoded.ok()) dala::fuzz::Fail("a decoded sync frame does not encode");
  auto again = decode(*encoded, Limits());
  if (!again.ok()) dala::fuzz::Fail("an encoded sync frame does not decode");
  if (!Same(*message, *again)) dala::fuzz::Fail("a sync frame changes on a round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool answer = (data[0] & 1) != 0;
  std::string body(dala::fuzz::Bytes(data + 1, size - 1));
  if ((data[0] & 2) != 0) {
    auto zipped = Gzip(body, 1);
    if (!zipped.ok()) return 0;
    body = std::move(*zipped);
  }
  if (answer) {
    RoundTrip<SyncResponse>(body, DecodeSyncResponse, EncodeSyncResponse);
  } else {
    // A lambda: EncodeSyncRequest is overloaded (envelopes in the request,
    // or deflated apart), and the one-shot form takes the spliced path too.
    RoundTrip<SyncRequest>(body, DecodeSyncRequest,
                           [](const SyncRequest& q, int level) { return EncodeSyncRequest(q, level); });
  }
  return 0;
}
