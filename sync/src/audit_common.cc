#include "audit_common.h"

namespace dala::sync::internal {

std::string KeyPrefix(const PublicKey& key) { return ToHex(key).substr(0, 16); }
std::string IdPrefix(const Hash& id) { return ToHex(id).substr(0, 12); }

std::string JoinIndices(const std::vector<uint64_t>& indices) {
  std::string out;
  for (uint64_t i : indices) out += (out.empty() ? "" : ", ") + std::to_string(i);
  return out;
}

std::string SequenceRange(uint64_t first, uint64_t last) {
  return first == last ? std::to_string(first) : std::to_string(first) + ".." + std::to_string(last);
}

AuditProblem Problem(std::string code, std::string message) {
  AuditProblem p;
  p.code = std::move(code);
  p.message = std::move(message);
  return p;
}

std::optional<ReviewInput> ReviewFromEvent(const EventBody& event, const Hash& id, const std::vector<Hash>& parents,
                                           HlcTimestamp hlc) {
  if (event.type != "review") return std::nullopt;
  auto state = ParseReviewState(event.state);
  if (!state.ok()) return std::nullopt;
  return ReviewInput{id, parents, hlc, *state, event.by, event.comment};
}

}  // namespace dala::sync::internal
