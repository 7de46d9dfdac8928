// The accounts endpoints: login and logout, who am I, health, users,
// enrolment codes and the device list. API.md documents each.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth.h"
#include "router.h"
#include "server_context.h"

namespace dala::server {

void RegisterAccountRoutes(Router& router, ServerContext& ctx, SessionAuth& sessions);

// Shared by every JSON endpoint: the body as an object (400
// "malformed_json" otherwise), and its fields (400 "invalid_request"
// naming the field). Exceptions from nlohmann/json stop here.
class JsonFields {
 public:
  // Empty `error()` on success. Requests with a body must send
  // Content-Type application/json: a cross-site form cannot, so this also
  // keeps login and other calls from being forged by another site.
  static JsonFields Parse(const HttpRequest& request);

  const std::optional<HttpResponse>& error() const { return error_; }

  // A required string field; sets error() when missing or not a string.
  std::string String(std::string_view name);
  // An optional string field (empty when absent).
  std::string OptionalString(std::string_view name);
  // An optional integer field, `fallback` when absent.
  int64_t OptionalInt(std::string_view name, int64_t fallback);

 private:
  struct Impl;
  JsonFields();
  std::shared_ptr<Impl> impl_;
  std::optional<HttpResponse> error_;
};

}  // namespace dala::server
