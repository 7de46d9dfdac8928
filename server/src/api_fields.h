// Reading a JSON request body's fields in handlers. The layer (api.h) has
// already checked that the body is a strict JSON object; these say which
// field is missing or of the wrong type, with reason "invalid_request".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api_errors.h"
#include "dala/base/status.h"

namespace dala::server {

// A required string field.
inline Result<std::string> StringField(const nlohmann::json& body, std::string_view name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) return BadField(name, "(a string) is required");
  return it->get<std::string>();
}

// An optional string field: empty when absent or null.
inline Result<std::string> OptionalStringField(const nlohmann::json& body, std::string_view name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return BadField(name, "must be a string");
  return it->get<std::string>();
}

// An optional integer field, `fallback` when absent or null.
inline Result<int64_t> OptionalIntField(const nlohmann::json& body, std::string_view name, int64_t fallback) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return BadField(name, "must be an integer");
  return it->get<int64_t>();
}

}  // namespace dala::server
