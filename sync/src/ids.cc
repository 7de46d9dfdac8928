#include "dala/sync/ids.h"

#include <cctype>

#include <algorithm>

namespace dala::sync {

SubmissionId NewSubmissionId(const Clock& clock, Random& random) {
  SubmissionId id;
  random.Fill(id.data(), id.size());
  const uint64_t ms = static_cast<uint64_t>(clock.NowMs());
  for (int i = 0; i < 6; ++i) id[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  id[6] = static_cast<uint8_t>(0x70 | (id[6] & 0x0F));
  id[8] = static_cast<uint8_t>(0x80 | (id[8] & 0x3F));
  return id;
}

bool IsUuidV7(const SubmissionId& id) { return (id[6] & 0xF0) == 0x70 && (id[8] & 0xC0) == 0x80; }

std::string FormatSubmissionId(const SubmissionId& id) {
  std::string hex = ToHex(id);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Result<SubmissionId> ParseSubmissionId(std::string_view text) {
  std::string hex;
  if (text.size() == 36) {
    for (size_t i = 0; i < text.size(); ++i) {
      bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
      if ((text[i] == '-') != dash_here)
        return Status::InvalidArgument("not a submission id: " + std::string(text));
      if (!dash_here) hex.push_back(text[i]);
    }
  } else {
    hex = std::string(text);
  }
  SubmissionId id;
  if (!FromHex(hex, &id)) return Status::InvalidArgument("not a submission id: " + std::string(text));
  return id;
}

bool IsZero(const SubmissionId& id) {
  return std::all_of(id.begin(), id.end(), [](uint8_t b) { return b == 0; });
}

bool IsZero(const Hash& h) {
  return std::all_of(h.begin(), h.end(), [](uint8_t b) { return b == 0; });
}

std::string ShortId(const SubmissionId& id) { return ToHex(id).substr(32 - kShortIdDigits); }

Result<std::string> ShortIdDigits(std::string_view given) {
  std::string hex;
  for (char c : given) {
    if (c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return Status(Status::Code::kInvalidArgument, "bad_record_id", "'" + std::string(given) + "' is not a submission id");
    hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (hex.size() < kShortIdDigits || hex.size() > 32)
    return Status(Status::Code::kInvalidArgument, "bad_record_id",
                  "'" + std::string(given) + "' is not a submission id: give the whole id or its last 8 to 32 hex digits");
  return hex;
}

}  // namespace dala::sync
