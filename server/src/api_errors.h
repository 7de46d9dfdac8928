// How a failure becomes an answer: every refusal the API sends is
// {"error": {"code": REASON, "message": TEXT}} with an HTTP status derived
// from the Status's reason() (a table here, documented in server/API.md)
// or, without a reason, from its code(). Nothing reads a code out of text.
//
// Failures that are the server's own (a store error, a bug) are logged and
// answered 500 "internal" or 503 "unavailable" without their detail: the
// client learns nothing of the server's internals.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "dala/base/status.h"
#include "dala/server/http_types.h"

namespace dala::server {

// A refusal the client is meant to act on: its reason and HTTP status.
struct ApiReason {
  std::string_view reason;
  int http_status;
  std::string_view meaning;  // one line, as in API.md
};

// Every reason the API names, with its HTTP status.
std::span<const ApiReason> ApiReasons();

// The HTTP status a failure is answered with.
int HttpStatusOf(const Status& status);

// The JSON refusal for a failed request (see above). `retry_after_s` > 0
// adds Retry-After.
HttpResponse ErrorResponse(const Status& status, int64_t retry_after_s = 0);

// A refusal of the client's request with a reason of the table.
Status ApiFailure(Status::Code code, std::string_view reason, std::string message);
// The usual refusal of a missing or malformed field.
Status BadField(std::string_view field, std::string_view what);

// How a query parameter that is a whole number is read: absent, it is
// `fallback` (none: it must be given); above `max` it is `max` when
// `clamp`, else refused as one below `min` is. `what` names it in the
// refusal ("a tree size"), if its name does not say.
struct WholeNumberRule {
  std::optional<uint64_t> fallback;
  uint64_t min = 0;
  uint64_t max = UINT64_MAX;
  bool clamp = false;
  std::string_view what;
};
// The parameter `name` of `request`, all of its text a decimal number ("7x"
// is not 7, "-1" is not 2^64-1, "+7" and " 7" are not 7), by `rule`;
// refused "invalid_request" with the range in words.
Result<uint64_t> WholeNumberParam(const HttpRequest& request, std::string_view name, const WholeNumberRule& rule);

// `value` as the JSON body of a response. Bytes that are not UTF-8 (a
// record may hold anything a laptop signed) are replaced, never thrown on.
HttpResponse JsonResponse(const nlohmann::json& value, int status = 200);
std::string DumpJson(const nlohmann::json& value);

}  // namespace dala::server
