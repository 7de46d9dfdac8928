// Administering: password resets, clearing login delays, retiring forms.
// The same operations as the `dala-server` commands (admin.h), which go
// through a running server's admin socket (admin_control.h).

#include <nlohmann/json.hpp>

#include "admin.h"
#include "api_errors.h"
#include "api_fields.h"
#include "api_handlers.h"

namespace dala::server::handlers {

using nlohmann::json;

namespace {

Result<User> NamedUser(const Call& call) {
  const std::string& name = call.request.path_params.at("name");
  DALA_ASSIGN_OR_RETURN(std::optional<User> user, call.api.store().FindUser(name));
  if (!user) return ApiFailure(Status::Code::kNotFound, "not_found", "no user named '" + name + "'");
  return std::move(*user);
}

}  // namespace

Result<HttpResponse> SetPassword(const Call& call) {
  DALA_ASSIGN_OR_RETURN(User user, NamedUser(call));
  DALA_ASSIGN_OR_RETURN(std::string password, StringField(*call.body, "password"));
  DALA_RETURN_IF_ERROR(ResetPassword(call.api.store(), user.name, password));
  // A new password is a fresh start: no delays left from the old one.
  DALA_RETURN_IF_ERROR(call.api.sessions().Unlock(user.name).status());
  return JsonResponse({{"user", user.name}, {"sessions_ended", true}});
}

Result<HttpResponse> UnlockUser(const Call& call) {
  DALA_ASSIGN_OR_RETURN(User user, NamedUser(call));
  DALA_ASSIGN_OR_RETURN(size_t cleared, call.api.sessions().Unlock(user.name));
  return JsonResponse({{"user", user.name}, {"cleared", cleared}});
}

Result<HttpResponse> RetireForm(const Call& call) {
  const std::string& hash = call.request.path_params.at("hash");
  Status s = call.api.store().RetireForm(hash, call.person->name, call.api.ctx().clock.NowMs());
  if (s.code() == Status::Code::kFailedPrecondition) return s.WithReason("already_retired");
  if (s.code() == Status::Code::kNotFound)
    return ApiFailure(Status::Code::kNotFound, "not_found", "no form with that hash (see GET /api/v1/forms)");
  DALA_RETURN_IF_ERROR(s);
  return JsonResponse({{"retired", hash}});
}

}  // namespace dala::server::handlers
