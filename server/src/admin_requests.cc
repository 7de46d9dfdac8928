#include "admin_requests.h"

#include "admin.h"
#include "bundle_export.h"
#include "dala/base/terminal.h"
#include "dala/server/sqlite_store.h"
#include "store_location.h"
#include "dala/sync/person_keys.h"

namespace dala::server {

using nlohmann::json;

namespace {

Result<std::string> Field(const json& request, const char* name, bool required = true) {
  auto it = request.find(name);
  if (it == request.end() || it->is_null()) {
    if (required) return Status::InvalidArgument(std::string("the admin request lacks \"") + name + "\"");
    return std::string();
  }
  if (!it->is_string()) return Status::InvalidArgument(std::string("\"") + name + "\" must be a string");
  return it->get<std::string>();
}

Result<json> UserAdd(const json& r, AdminTarget& t) {
  DALA_ASSIGN_OR_RETURN(std::string name, Field(r, "name"));
  DALA_ASSIGN_OR_RETURN(std::string role, Field(r, "role"));
  DALA_ASSIGN_OR_RETURN(std::string password, Field(r, "password", false));
  auto user = AddUserAccount(t.store, name, role, password, t.clock);
  Wipe(&password);
  if (!user.ok()) return user.status();
  return json{{"name", user->name}, {"role", RoleName(user->role)}};
}

Result<json> UserPassword(const json& r, AdminTarget& t) {
  DALA_ASSIGN_OR_RETURN(std::string name, Field(r, "name"));
  DALA_ASSIGN_OR_RETURN(std::string password, Field(r, "password"));
  Status s = ResetPassword(t.store, name, password);
  Wipe(&password);
  DALA_RETURN_IF_ERROR(s);
  DALA_RETURN_IF_ERROR(t.store.ForgetLoginFailuresOf(name).status());
  return json{{"user", name}};
}

Result<json> UserUnlock(const json& r, AdminTarget& t) {
  DALA_ASSIGN_OR_RETURN(std::string name, Field(r, "name"));
  DALA_ASSIGN_OR_RETURN(std::optional<User> user, t.store.FindUser(name));
  if (!user) return Status::NotFound("no user named '" + name + "'");
  // The delays are the failures the store holds, whether a server runs or
  // not, on every node of the deployment.
  DALA_ASSIGN_OR_RETURN(size_t cleared, t.store.ForgetLoginFailuresOf(user->name));
  return json{{"user", user->name}, {"running", t.sessions != nullptr}, {"cleared", cleared}};
}

using IssueFn = Result<IssuedEnrollCode> (*)(Store&, std::string_view, int, std::string_view, sync::Random&,
                                             const Clock&);

// A one-time code for the user the field `whom` names: a volunteer's, to
// enrol a laptop, or a person's, to confirm their key.
Result<json> IssueCodeFor(const json& r, AdminTarget& t, const char* whom, IssueFn issue) {
  DALA_ASSIGN_OR_RETURN(std::string user, Field(r, whom));
  DALA_ASSIGN_OR_RETURN(std::string by, Field(r, "by"));
  auto ttl = r.find("ttl_hours");
  if (ttl == r.end() || !ttl->is_number_integer()) return Status::InvalidArgument("\"ttl_hours\" must be an integer");
  DALA_ASSIGN_OR_RETURN(auto issued, issue(t.store, user, ttl->get<int>(), by, t.random, t.clock));
  return json{{"code", issued.code}, {whom, issued.user}, {"expires_ms", issued.expires_ms}};
}

Result<json> EnrollCode(const json& r, AdminTarget& t) { return IssueCodeFor(r, t, "volunteer", IssueEnrollCode); }

Result<json> DeviceRevoke(const json& r, AdminTarget& t) {
  DALA_ASSIGN_OR_RETURN(std::string key, Field(r, "key"));
  DALA_ASSIGN_OR_RETURN(std::string by, Field(r, "by"));
  DALA_ASSIGN_OR_RETURN(std::string reason, Field(r, "reason", false));
  DALA_ASSIGN_OR_RETURN(Device device, FindDeviceByKey(t.store, key));
  if (device.revoked_ms != 0)
    return Status::FailedPrecondition("device " + ToHex(device.key).substr(0, 16) + " (" + device.volunteer +
                                      ", " + device.label + ") was already revoked by " + device.revoked_by);
  DALA_ASSIGN_OR_RETURN(RecordService * records, t.records());
  DALA_RETURN_IF_ERROR(records->Revoke(device.key, by, reason));
  return json{{"key", ToHex(device.key)}, {"volunteer", device.volunteer}, {"label", device.label}};
}

Result<json> PersonKeyCode(const json& r, AdminTarget& t) { return IssueCodeFor(r, t, "person", IssuePersonKeyCode); }

// The person is named as well as the key: an admin who mistypes a
// fingerprint revokes nobody else's key.
Result<json> PersonKeyRevoke(const json& r, AdminTarget& t) {
  DALA_ASSIGN_OR_RETURN(std::string person, Field(r, "person"));
  DALA_ASSIGN_OR_RETURN(std::string fingerprint, Field(r, "key"));
  DALA_ASSIGN_OR_RETURN(std::string by, Field(r, "by"));
  DALA_ASSIGN_OR_RETURN(std::string reason, Field(r, "reason", false));
  DALA_ASSIGN_OR_RETURN(PersonKeyRow key, FindPersonKeyOf(t.store, person, fingerprint));
  const std::string named = key.person + "'s key " + sync::KeyFingerprint(key.key);
  if (key.revoked_ms != 0)
    return Status(Status::Code::kFailedPrecondition, "already_revoked",
                  named + " was already revoked by " + key.revoked_by);
  DALA_ASSIGN_OR_RETURN(RecordService * records, t.records());
  DALA_RETURN_IF_ERROR(records->RevokePersonKey(key.key, by, reason));
  return json{{"key", ToHex(key.key)}, {"fingerprint", sync::KeyFingerprint(key.key)}, {"person", key.person},
              {"label", key.label}};
}

Result<json> FormPublish(const json& r, AdminTarget& t) {
  DALA_ASSIGN_OR_RETURN(std::string document, Field(r, "document"));
  DALA_ASSIGN_OR_RETURN(std::string project, Field(r, "project"));
  DALA_ASSIGN_OR_RETURN(RecordService * records, t.records());
  DALA_ASSIGN_OR_RETURN(FormInfo info, records->PublishForm(document, project));
  return json{{"form", info.form_id}, {"version", info.version}, {"hash", info.hash}};
}

Result<json> FormRetire(const json& r, AdminTarget& t) {
  DALA_ASSIGN_OR_RETURN(std::string form, Field(r, "form"));
  DALA_ASSIGN_OR_RETURN(std::string version, Field(r, "version", false));
  DALA_ASSIGN_OR_RETURN(std::string by, Field(r, "by"));
  DALA_ASSIGN_OR_RETURN(FormInfo info, FindPublishedForm(t.store, form, version));
  DALA_RETURN_IF_ERROR(t.store.RetireForm(info.hash, by, t.clock.NowMs()));
  return json{{"form", info.form_id}, {"version", info.version}, {"hash", info.hash}};
}

// The running server writes the bundle as its own user: the caller is
// that user or root (admin_control.h), so this gives no one new rights.
Result<json> ExportBundle(const json& r, AdminTarget& t) {
  DALA_ASSIGN_OR_RETURN(std::string path, Field(r, "path"));
  if (path.empty() || path.front() != '/') return Status::InvalidArgument("\"path\" must be absolute");
  DALA_ASSIGN_OR_RETURN(RecordService * records, t.records());
  DALA_ASSIGN_OR_RETURN(BundleStats stats, WriteBundle(t.store, *records, path));
  return json{{"path", path}, {"log_size", stats.log_size}, {"submissions", stats.submissions}};
}

using Op = Result<json> (*)(const json&, AdminTarget&);

struct OpRow {
  const char* name;
  Op run;
  const char* subject;  // the field that names what the request is about
};

constexpr OpRow kOps[] = {
    {"user_add", UserAdd, "name"},
    {"user_password", UserPassword, "name"},
    {"user_unlock", UserUnlock, "name"},
    {"enroll_code", EnrollCode, "volunteer"},
    {"device_revoke", DeviceRevoke, "key"},
    {"person_key_code", PersonKeyCode, "person"},
    {"person_key_revoke", PersonKeyRevoke, "person"},
    {"form_publish", FormPublish, "project"},
    {"form_retire", FormRetire, "form"},
    {"export_bundle", ExportBundle, "path"},
};

const OpRow* FindOp(const json& request) {
  auto op = request.find("op");
  if (op == request.end() || !op->is_string()) return nullptr;
  for (const OpRow& row : kOps)
    if (*op == row.name) return &row;
  return nullptr;
}

}  // namespace

Result<json> RunAdminRequest(const json& request, AdminTarget& target) {
  const OpRow* op = FindOp(request);
  if (op == nullptr) return Status::InvalidArgument("unknown admin request (is the running dala-server older?)");
  return op->run(request, target);
}

std::string DescribeAdminRequest(const json& request) {
  const OpRow* op = FindOp(request);
  if (op == nullptr) return "an unknown request";
  auto subject = request.find(op->subject);
  std::string out = op->name;
  if (subject != request.end() && subject->is_string()) out += " " + subject->get<std::string>().substr(0, 80);
  return out;
}

// --- a command's own data directory --------------------------------------------------

Result<std::unique_ptr<LocalDataDir>> LocalDataDir::Open(const std::string& data_dir) {
  std::unique_ptr<LocalDataDir> d(new LocalDataDir);
  d->dir_ = data_dir;
  DALA_ASSIGN_OR_RETURN(d->store_, OpenDataDirStore(data_dir, /*create=*/false));
  return d;
}

Result<RecordService*> LocalDataDir::Records() {
  if (records_) return records_.get();
  DALA_ASSIGN_OR_RETURN(sync::SigningKey key, LoadServerKey(dir_));
  key_.emplace(std::move(key));
  DALA_ASSIGN_OR_RETURN(std::string origin, LoadOrigin(dir_));
  ServerConfig config;
  config.origin = origin;
  ctx_.reset(new ServerContext{*store_, clock_, random_, *key_, config});
  DALA_ASSIGN_OR_RETURN(records_, RecordService::Start(*ctx_));
  return records_.get();
}

AdminTarget LocalDataDir::Target() {
  return AdminTarget{*store_, clock_, random_, [this] { return Records(); }, nullptr};
}

}  // namespace dala::server
