// What the `dala-server` commands do (main.cc declares them). Each prints
// one "dala-server: ..." line on failure. The commands that change the
// data directory build an admin request (admin_requests.h) and hand it to
// the running server, or carry it out here under the directory's lock.

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>
#include <unistd.h>

#include "admin.h"
#include "admin_control.h"
#include "admin_files.h"
#include "admin_requests.h"
#include "admin_tls.h"
#include "client_address.h"
#include "api.h"
#include "dala/base/hex.h"
#include "dala/base/terminal.h"
#include "dala/server/sqlite_store.h"
#include "store_location.h"
#include "export.h"
#include "submission_views.h"
#include "dala/sync/person_keys.h"
#include "dala/xlsform/xlsform.h"
#include "http_edge.h"
#include "pg.h"
#include "router.h"
#include "store_migrate.h"
#include "web.h"

namespace dala::server {

using nlohmann::json;

namespace {

std::string FormatUtc(int64_t ms) {
  if (ms == 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// Text a laptop or a form chose, made safe to print on a terminal.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? '?' : c);
  return out;
}

int Fail(const Status& s) {
  std::cerr << "dala-server: " << s.message() << "\n";
  return kExitFailure;
}

int Usage(std::string_view message) {
  std::cerr << "dala-server: " << message << "\n";
  return kExitUsage;
}

std::string Dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

// A new secret, from `env` or asked twice on the terminal without echo.
Result<std::string> ReadNewSecret(const std::string& prompt, std::string_view env) {
  if (const char* value = std::getenv(std::string(env).c_str()); value != nullptr) return std::string(value);
  DALA_ASSIGN_OR_RETURN(std::string first, AskOnTerminal(prompt, env));
  DALA_ASSIGN_OR_RETURN(std::string second, AskOnTerminal("Repeat it: ", env));
  bool same = first == second;
  Wipe(&second);
  if (!same) {
    Wipe(&first);
    return Status::InvalidArgument("the two differ");
  }
  return first;
}

Result<std::string> ReadNewPassword(std::string_view user) {
  return ReadNewSecret("Password for " + std::string(user) + ": ", "DALA_PASSWORD");
}

Result<std::unique_ptr<Store>> OpenExisting(const std::string& data_dir) {
  if (data_dir.empty()) return Status::InvalidArgument("name the data directory with --data DIR");
  return OpenDataDirStore(data_dir, /*create=*/false);
}

// Carries out `request` through the server running on `data_dir`, or,
// when none runs, here with the directory locked against one starting.
Result<json> Perform(const std::string& data_dir, const json& request) {
  if (data_dir.empty()) return Status::InvalidArgument("name the data directory with --data DIR");
  std::string holder;
  long pid = 0;
  auto lock = DataDirLock::TryAcquire(data_dir, kCommandRole, &holder, &pid);
  if (lock.ok()) {
    DALA_ASSIGN_OR_RETURN(auto local, LocalDataDir::Open(data_dir));
    AdminTarget target = local->Target();
    return RunAdminRequest(request, target);
  }
  if (lock.status().reason() != "data_dir_busy" || holder != kServeRole) return lock.status();
  auto answer = AskRunningServer(data_dir, request);
  if (!answer.ok()) {
    return answer.status().WithContext(lock.status().message() +
                                       ", but it did not take the command (is it still starting?)");
  }
  DALA_RETURN_IF_ERROR(StatusFromAnswer(*answer));
  std::cerr << "dala-server: done by the server running on " << data_dir << " (pid " << pid << ")\n";
  return std::move(*answer);
}

int PerformOrFail(const std::string& data_dir, const json& request, json* answer) {
  auto done = Perform(data_dir, request);
  if (!done.ok()) return Fail(done.status());
  *answer = std::move(*done);
  return kExitOk;
}

// Asks for a one-time code valid `ttl_hours` and prints it alone on
// stdout, for scripts; the caller says on stderr what it is for.
int IssueCode(const std::string& data_dir, json request, int ttl_hours, json* answer) {
  if (ttl_hours < 1 || ttl_hours > kMaxEnrollTtlHours)
    return Usage("--ttl-hours must be between 1 and " + std::to_string(kMaxEnrollTtlHours));
  request["ttl_hours"] = ttl_hours;
  if (int rc = PerformOrFail(data_dir, request, answer); rc != kExitOk) return rc;
  std::cout << answer->value("code", "") << "\n";
  return kExitOk;
}

}  // namespace

// --- the data directory and its key ---------------------------------------------------

int InitCommand(const InitOptions& options) {
  sync::SystemRandom random;
  SystemClock clock;
  auto result = InitDataDir(options, random, clock);
  if (!result.ok()) {
    return result.status().code() == Status::Code::kInvalidArgument ? Usage(result.status().message())
                                                                    : Fail(result.status());
  }
  std::cout << "Initialised " << options.data_dir << "\n"
            << "origin:       " << result->origin << "\n"
            << "public key:   " << ToHex(result->public_key) << "\n"
            << "verifier key: " << result->verifier_key << "\n"
            << "Give the verifier key to auditors; keep " << options.data_dir << "/" << kServerKeyFile
            << " secret (`dala-server key seal` puts it under a passphrase).\n";
  return kExitOk;
}

int KeySealCommand(const std::string& data_dir) {
  if (data_dir.empty()) return Usage("name the data directory with --data DIR");
  auto passphrase = ReadNewSecret("New passphrase for the server key: ", kKeyPassphraseEnv);
  if (!passphrase.ok()) return Fail(passphrase.status());
  sync::SystemRandom random;
  Status s = SealServerKey(data_dir, *passphrase, random);
  Wipe(&*passphrase);
  if (!s.ok()) return Fail(s);
  std::cout << "Sealed " << data_dir << "/" << kServerKeyFile << " under the passphrase (Argon2id).\n"
            << "`dala-server serve` and the commands that sign ask for it, or read " << kKeyPassphraseEnv << ".\n";
  return kExitOk;
}

int KeyUnsealCommand(const std::string& data_dir) {
  if (data_dir.empty()) return Usage("name the data directory with --data DIR");
  auto passphrase = AskServerKeyPassphrase();
  if (!passphrase.ok()) return Fail(passphrase.status());
  Status s = UnsealServerKey(data_dir, *passphrase);
  Wipe(&*passphrase);
  if (!s.ok()) return Fail(s);
  std::cout << "Unsealed " << data_dir << "/" << kServerKeyFile << ": it holds the plain key again (mode 0600).\n";
  return kExitOk;
}

int TlsInitCommand(const std::vector<std::string>& hosts, const std::string& data_dir, const std::string& out_dir) {
  if (!data_dir.empty() && !out_dir.empty()) return Usage("--data and --out go one at a time");
  TlsInitOptions o;
  o.hosts = hosts;
  o.dir = !out_dir.empty() ? out_dir : !data_dir.empty() ? data_dir + "/tls" : "dala-tls";
  if (!data_dir.empty() && !OpenExisting(data_dir).ok())
    return Fail(Status::NotFound("no Dala server data in " + data_dir + " (run `dala-server init --data " + data_dir +
                                 "` first, or use --out DIR)"));
  SystemClock clock;
  auto r = InitTls(o, clock);
  if (!r.ok()) return r.status().code() == Status::Code::kInvalidArgument ? Usage(r.status().message()) : Fail(r.status());
  std::string names;
  for (const std::string& h : r->hosts) names += (names.empty() ? "" : ", ") + h;
  const std::string& d = o.dir;
  std::cout << (r->new_ca ? "Made a private certificate authority, and with it a certificate"
                          : "Kept the certificate authority already in " + d + ", and made with it a new certificate")
            << " for " << names << ":\n\n"
            << "  " << d << "/" << kTlsCaFile << "\n"
            << "      Give a copy to every volunteer and coordinator, to keep where they put it (dala\n"
            << "      remembers the path):\n"
            << "        dala enroll https://" << (r->hosts[0].find(':') != std::string::npos ? "[" + r->hosts[0] + "]" : r->hosts[0])
            << ":8443 CODE --ca " << kTlsCaFile << "\n"
            << "      Its SHA-256 fingerprint, to check a copy by phone: " << r->ca_fingerprint << "\n"
            << "  " << d << "/" << kTlsCertFile << " and " << d << "/" << kTlsKeyFile << "\n"
            << "      For the server:  dala-server serve --data " << (data_dir.empty() ? "DIR" : data_dir)
            << " --listen 0.0.0.0:8443 --tls-cert " << d << "/"
            << kTlsCertFile << " --tls-key " << d << "/" << kTlsKeyFile << "\n"
            << "  " << d << "/" << kTlsCaKeyFile << "\n"
            << "      Keep it secret. Running this command again uses it to issue the next certificate,\n"
            << "      and laptops keep the " << kTlsCaFile << " they have.\n\n"
            << "The server certificate is valid until " << FormatUtc(r->cert_expires_ms).substr(0, 10)
            << (r->new_ca ? "." : "; restart dala-server serve to use it.") << "\n";
  return kExitOk;
}

// --- users ---------------------------------------------------------------------------------

int UserAddCommand(const std::string& data_dir, const std::string& name, const std::string& role_name) {
  if (Status s = ValidateUserName(name); !s.ok()) return Usage(s.message());
  auto role = ParseRole(role_name);
  if (!role.ok()) return Usage(role.status().message());
  json request = {{"op", "user_add"}, {"name", name}, {"role", role_name}};
  if (*role != Role::kVolunteer) {
    auto p = ReadNewPassword(name);
    if (!p.ok()) return Fail(p.status());
    request["password"] = std::move(*p);
    Wipe(&*p);
  }
  json answer;
  if (int rc = PerformOrFail(data_dir, request, &answer); rc != kExitOk) return rc;
  std::cout << "Added " << answer.value("role", "") << " " << answer.value("name", "") << "\n";
  return kExitOk;
}

int UserPasswordCommand(const std::string& data_dir, const std::string& name) {
  if (Status s = ValidateUserName(name); !s.ok()) return Usage(s.message());
  auto p = ReadNewPassword(name);
  if (!p.ok()) return Fail(p.status());
  json request = {{"op", "user_password"}, {"name", name}, {"password", std::move(*p)}};
  Wipe(&*p);
  json answer;
  if (int rc = PerformOrFail(data_dir, request, &answer); rc != kExitOk) return rc;
  std::cout << "New password set for " << name << "; their sessions have ended.\n";
  return kExitOk;
}

int UserUnlockCommand(const std::string& data_dir, const std::string& name) {
  if (Status s = ValidateUserName(name); !s.ok()) return Usage(s.message());
  json answer;
  if (int rc = PerformOrFail(data_dir, {{"op", "user_unlock"}, {"name", name}}, &answer); rc != kExitOk) return rc;
  if (answer.value("cleared", 0) == 0) {
    std::cout << name << " had no login delays to clear.\n";
  } else {
    std::cout << "Cleared the login delays of " << name << "; they may log in now.\n";
  }
  return kExitOk;
}

int UserListCommand(const std::string& data_dir) {
  auto store = OpenExisting(data_dir);
  if (!store.ok()) return Fail(store.status());
  auto users = (*store)->ListUsers();
  if (!users.ok()) return Fail(users.status());
  std::printf("%-24s %-12s %-7s %s\n", "NAME", "ROLE", "LOGIN", "CREATED");
  for (const User& u : *users) {
    std::printf("%-24s %-12s %-7s %s\n", u.name.c_str(), RoleName(u.role),
                (!u.password_hash.empty() && CanLogIn(u.role)) ? "yes" : "no", FormatUtc(u.created_ms).c_str());
  }
  return kExitOk;
}

int EnrollCodeCommand(const std::string& data_dir, const std::string& volunteer, int ttl_hours,
                      const std::string& by) {
  json answer;
  json request = {{"op", "enroll_code"}, {"volunteer", volunteer}, {"by", by}};
  if (int rc = IssueCode(data_dir, request, ttl_hours, &answer); rc != kExitOk) return rc;
  std::cerr << "Enrolment code for " << answer.value("volunteer", "") << ", valid once until "
            << FormatUtc(answer.value("expires_ms", int64_t{0})) << "\n";
  return kExitOk;
}

// --- devices -------------------------------------------------------------------------------

int DeviceListCommand(const std::string& data_dir, bool as_json) {
  auto store = OpenExisting(data_dir);
  if (!store.ok()) return Fail(store.status());
  auto devices = (*store)->ListDevices();
  if (!devices.ok()) return Fail(devices.status());
  if (as_json) {
    json list = json::array();
    for (const Device& d : *devices) {
      list.push_back({{"key", ToHex(d.key)}, {"volunteer", d.volunteer}, {"label", d.label},
                      {"enrolled_ms", d.enrolled_ms}, {"enrolled_by", d.enrolled_by}, {"last_sync_ms", d.last_sync_ms},
                      {"revoked_ms", d.revoked_ms}, {"revoked_by", d.revoked_by}, {"revoke_reason", d.revoke_reason}});
    }
    std::cout << Dump(list) << "\n";
    return kExitOk;
  }
  if (devices->empty()) {
    std::cout << "No laptop is enrolled yet (`dala-server enroll-code VOLUNTEER` gives a code).\n";
    return kExitOk;
  }
  // The label, which the laptop chose, goes last: it cannot push the rest out of line.
  std::printf("%-16s  %-16s %-20s %-20s %-8s %s\n", "KEY", "VOLUNTEER", "ENROLLED", "LAST SYNC", "REVOKED", "LABEL");
  for (const Device& d : *devices) {
    std::printf("%-16s  %-16s %-20s %-20s %-8s %s\n", ToHex(d.key).substr(0, 16).c_str(), d.volunteer.c_str(),
                FormatUtc(d.enrolled_ms).c_str(), FormatUtc(d.last_sync_ms).c_str(),
                d.revoked_ms != 0 ? "revoked" : "-", Printable(d.label).c_str());
  }
  std::cout << "Revoke a lost laptop with `dala-server device revoke KEY --data " << data_dir
            << "` (the 16 digits shown are enough).\n";
  return kExitOk;
}

int DeviceRevokeCommand(const std::string& data_dir, const std::string& key, const std::string& by,
                        const std::string& reason) {
  json answer;
  json request = {{"op", "device_revoke"}, {"key", key}, {"by", by}, {"reason", reason}};
  if (int rc = PerformOrFail(data_dir, request, &answer); rc != kExitOk) return rc;
  std::cout << "Revoked device " << answer.value("key", "").substr(0, 16) << " (" << answer.value("volunteer", "")
            << ", " << Printable(answer.value("label", "")) << "); its earlier records stay valid.\n";
  return kExitOk;
}

// --- people's keys ------------------------------------------------------------------------

int PersonKeyCodeCommand(const std::string& data_dir, const std::string& person, int ttl_hours,
                         const std::string& by) {
  json answer;
  json request = {{"op", "person_key_code"}, {"person", person}, {"by", by}};
  if (int rc = IssueCode(data_dir, request, ttl_hours, &answer); rc != kExitOk) return rc;
  std::cerr << "Code for " << answer.value("person", "") << " to confirm their signing key, valid once until "
            << FormatUtc(answer.value("expires_ms", int64_t{0}))
            << ": they enter it on the dashboard's Signing key page, or with `dala coord key enroll CODE`.\n";
  return kExitOk;
}

int PersonKeyListCommand(const std::string& data_dir, const std::string& person, bool as_json) {
  auto store = OpenExisting(data_dir);
  if (!store.ok()) return Fail(store.status());
  if (!person.empty()) {
    auto user = (*store)->FindUser(person);
    if (!user.ok()) return Fail(user.status());
    if (!*user) return Fail(Status::NotFound("no user named '" + person + "'"));
  }
  auto keys = (*store)->PersonKeysOf(person);
  if (!keys.ok()) return Fail(keys.status());
  if (as_json) {
    json list = json::array();
    for (const PersonKeyRow& k : *keys) {
      list.push_back({{"key", ToHex(k.key)}, {"fingerprint", sync::KeyFingerprint(k.key)}, {"person", k.person},
                      {"role", k.role}, {"label", k.label}, {"enrolled_ms", k.enrolled_ms},
                      {"enrolled_by", k.enrolled_by}, {"revoked_ms", k.revoked_ms}, {"revoked_by", k.revoked_by},
                      {"revoke_reason", k.revoke_reason}});
    }
    std::cout << Dump(list) << "\n";
    return kExitOk;
  }
  if (keys->empty()) {
    std::cout << (person.empty() ? std::string("No one has a signing key enrolled yet: the server attests every "
                                               "decision")
                                 : person + " has no signing key enrolled yet: the server attests their decisions")
              << " (`dala-server person-key code USER` gives a code to enrol one).\n";
    return kExitOk;
  }
  // The label, which the person chose, goes last: it cannot push the rest out of line.
  std::printf("%-16s %-12s %-20s %-20s %-12s %-8s %s\n", "PERSON", "ROLE", "FINGERPRINT", "ENROLLED", "BY", "REVOKED",
              "LABEL");
  for (const PersonKeyRow& k : *keys) {
    std::printf("%-16s %-12s %-20s %-20s %-12s %-8s %s\n", k.person.c_str(), k.role.c_str(),
                sync::KeyFingerprint(k.key).c_str(), FormatUtc(k.enrolled_ms).c_str(), k.enrolled_by.c_str(),
                k.revoked_ms != 0 ? "revoked" : "-", Printable(k.label).c_str());
  }
  std::cout << "Revoke a key with `dala-server person-key revoke USER \"FINGERPRINT\" --data " << data_dir << "`.\n";
  return kExitOk;
}

int PersonKeyRevokeCommand(const std::string& data_dir, const std::string& person, const std::string& fingerprint,
                           const std::string& by, const std::string& reason) {
  json answer;
  json request = {{"op", "person_key_revoke"}, {"person", person}, {"key", fingerprint}, {"by", by},
                  {"reason", reason}};
  if (int rc = PerformOrFail(data_dir, request, &answer); rc != kExitOk) return rc;
  std::cout << "Revoked " << answer.value("person", "") << "'s key " << answer.value("fingerprint", "") << " ("
            << Printable(answer.value("label", "")) << "): it signs no more decisions, and those it signed before "
            << "stay valid. They enrol a new key to decide again.\n";
  return kExitOk;
}

// --- forms ---------------------------------------------------------------------------------

int FormListCommand(const std::string& data_dir, bool as_json) {
  auto store = OpenExisting(data_dir);
  if (!store.ok()) return Fail(store.status());
  auto forms = (*store)->ListForms();
  if (!forms.ok()) return Fail(forms.status());
  if (as_json) {
    json list = json::array();
    for (const FormInfo& f : *forms) {
      list.push_back({{"form", f.form_id}, {"version", f.version}, {"hash", f.hash}, {"project", f.project},
                      {"published_ms", f.published_ms}, {"retired_ms", f.retired_ms}, {"retired_by", f.retired_by}});
    }
    std::cout << Dump(list) << "\n";
    return kExitOk;
  }
  std::printf("%-24s %-14s %-12s %-20s %-8s %s\n", "FORM", "VERSION", "HASH", "PUBLISHED", "RETIRED", "PROJECT");
  for (const FormInfo& f : *forms) {
    std::printf("%-24s %-14s %-12s %-20s %-8s %s\n", Printable(f.form_id).c_str(), Printable(f.version).c_str(),
                f.hash.substr(0, 12).c_str(), FormatUtc(f.published_ms).c_str(), f.retired_ms != 0 ? "retired" : "-",
                f.project.c_str());
  }
  return kExitOk;
}

int FormPublishCommand(const std::string& data_dir, const std::string& file, const std::string& project,
                       const std::string& lists_dir) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(Status::NotFound("cannot read " + file));
  std::string document((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() >= 5 && (file.ends_with(".xlsx") || file.ends_with(".XLSX"))) {
    // An XLSForm is converted here and published as the document it gives;
    // if it does not convert, nothing reaches the server.
    auto lists = xlsform::ReadListFolder(lists_dir);
    if (!lists.ok()) return Fail(lists.status());
    xlsform::ReadOptions options;
    options.list_files = std::move(lists).value();
    options.fallback_id = std::filesystem::path(file).stem().string();
    auto converted = xlsform::XlsFormToForm(document, options);
    if (!converted.ok()) {
      std::cerr << "dala-server: " << file << " was not published:\n" << converted.status().message() << "\n";
      return kExitFailure;
    }
    for (const auto& w : converted->warnings) std::cerr << "dala-server: warning: " << w << "\n";
    document = std::move(converted->document);
  }
  auto done = Perform(data_dir, {{"op", "form_publish"}, {"document", document}, {"project", project}});
  if (!done.ok()) {
    std::cerr << "dala-server: " << file << " was not published:\n" << done.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << "Published form " << done->value("form", "") << " version " << done->value("version", "") << " ("
            << done->value("hash", "").substr(0, 12) << ")\n";
  return kExitOk;
}

int FormRetireCommand(const std::string& data_dir, const std::string& form, const std::string& version,
                      const std::string& by) {
  json answer;
  json request = {{"op", "form_retire"}, {"form", form}, {"version", version}, {"by", by}};
  if (int rc = PerformOrFail(data_dir, request, &answer); rc != kExitOk) return rc;
  std::cout << "Retired form " << answer.value("form", "") << " version " << answer.value("version", "") << " ("
            << answer.value("hash", "").substr(0, 12) << "): laptops no longer receive it and the server takes no "
            << "new records on it; its records stay valid.\n";
  return kExitOk;
}

// --- the audit bundle ----------------------------------------------------------------------

int ExportBundleCommand(const std::string& data_dir, const std::string& bundle_path) {
  // Absolute, since a running server may be the one that writes it.
  std::error_code ec;
  std::string path = std::filesystem::absolute(bundle_path, ec).string();
  if (ec) return Fail(Status::IoError("cannot resolve " + bundle_path + ": " + ec.message()));
  json answer;
  if (int rc = PerformOrFail(data_dir, {{"op", "export_bundle"}, {"path", path}}, &answer); rc != kExitOk) return rc;
  const uint64_t size = answer.value("log_size", uint64_t{0});
  std::cout << "Wrote " << bundle_path << ": " << size << " log entries, " << answer.value("submissions", uint64_t{0})
            << " submissions, checkpoint of size " << size << "\n";
  return kExitOk;
}

// --- moving to PostgreSQL ---------------------------------------------------------------

namespace {
std::string Count(uint64_t n, const std::string& thing) {
  return std::to_string(n) + " " + thing + (n == 1 ? "" : "s");
}
}  // namespace

int MigrateCommand(const std::string& data_dir, const std::string& uri) {
  if (!pg::IsConnectionUri(uri) && uri.find('=') == std::string::npos)
    return Usage("--to names a PostgreSQL database: postgresql://USER@HOST/DATABASE");
  const std::string target = pg::Redacted(uri);
  std::cout << "Copying " << data_dir << "/dala-server.db into " << target
            << " in one transaction (nothing is kept if a step fails):\n"
            << std::flush;
  auto report = MigrateSqliteToPostgres(data_dir, uri, std::cout);
  if (!report.ok()) return Fail(report.status());
  std::cout << "Verified: both stores hold a log of " << report->log_size << " entries with root "
            << ToHex(report->root) << ", "
            << (report->checkpoint_size ? "last checkpoint at size " + std::to_string(*report->checkpoint_size)
                                            : std::string("no checkpoint yet"))
            << ", " << Count(report->users, "user") << ", " << Count(report->devices, "device") << " and "
            << Count(report->submissions, "submission") << ".\n"
            << "The data directory keeps the server key, origin and TLS files; its dala-server.db stays as it was,\n"
            << "a backup of the moment of the copy.\n"
            << "Next, serve with: dala-server serve --data " << data_dir << " --store " << target
            << (target != uri ? "  (the password left out)" : "") << "\n";
  return kExitOk;
}

// --- exports for analysts --------------------------------------------------------------

namespace {

// On a terminal, a line that keeps saying how far a large export is.
std::function<void(uint64_t, uint64_t)> ProgressOnTerminal() {
  if (!::isatty(STDERR_FILENO)) return nullptr;
  return [](uint64_t done, uint64_t total) {
    std::fprintf(stderr, "\rdala-server: exported %llu of %llu records", static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total));
    std::fflush(stderr);
  };
}

}  // namespace

int ExportRecordsCommand(const ExportRecordsOptions& o) {
  auto format = ExportFormatNamed(o.format);
  if (!format.ok()) return Usage(format.status().message());
  if (o.out.empty()) return Usage("name the file to write with -o FILE (or -o - for stdout)");
  if (o.out == "-" && *format == ExportFormat::kXlsx) return Usage("an XLSX export needs a file: -o FILE.xlsx");
  HttpRequest request;
  request.query = o.query;
  auto parsed = ExportOptionsOf(request);  // the list's own checks, so both refuse the same things
  if (!parsed.ok()) return Usage(parsed.status().message());
  ExportOptions options = std::move(*parsed);
  options.now_ms = SystemClock().NowMs();
  options.progress = ProgressOnTerminal();
  auto store = OpenExisting(o.data_dir);
  if (!store.ok()) return Fail(store.status());
  // Written beside the file and renamed into place when complete, so a
  // failed export leaves whatever was there before.
  const std::string part = o.out + ".part";
  Result<ExportStats> stats = ExportStats{};
  if (*format == ExportFormat::kXlsx) {
    stats = WriteXlsxExport(**store, options, part);
  } else if (o.out == "-") {
    stats = WriteExport(**store, *format, options, std::cout);
  } else {
    std::ofstream file(part, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(Status::IoError("cannot write " + part));
    stats = WriteExport(**store, *format, options, file);
    file.close();
    if (stats.ok() && !file) stats = Status::IoError("cannot write " + part);
  }
  std::error_code ec;
  if (o.out != "-" && stats.ok()) {
    std::filesystem::rename(part, o.out, ec);
    if (ec) stats = Status::IoError("cannot rename " + part + " to " + o.out + ": " + ec.message());
  }
  if (o.out != "-" && !stats.ok()) std::filesystem::remove(part, ec);
  if (options.progress) std::fputc('\n', stderr);
  if (!stats.ok()) return Fail(stats.status());
  std::cerr << "dala-server: exported " << stats->records << " records at log checkpoint " << stats->checkpoint_size
            << (stats->checkpoint_root.empty() ? "" : " (root " + stats->checkpoint_root.substr(0, 16) + "…)")
            << (o.out == "-" ? "" : " to " + o.out) << "\n";
  return kExitOk;
}

// --- serving -------------------------------------------------------------------------------

namespace {

// What the running server does with an admin command: the same request,
// with its own store, log and logins; logged, since it changes things.
AdminSocket::Handler AdminHandler(Api& api) {
  return [&api](const json& request, uid_t peer) -> json {
    std::cerr << "dala-server: admin command from uid " << peer << ": " << DescribeAdminRequest(request) << "\n";
    ServerContext& ctx = api.ctx();
    AdminTarget target{ctx.store, ctx.clock, ctx.random, [&api]() -> Result<RecordService*> { return &api.records(); },
                       &api.sessions()};
    auto answer = RunAdminRequest(request, target);
    if (!answer.ok()) {
      std::cerr << "dala-server: admin command refused: " << answer.status().message() << "\n";
      return FailureJson(answer.status());
    }
    return std::move(*answer);
  };
}

}  // namespace

int ServeCommand(const ServeOptions& options) {
  auto address = ParseListenAddress(options.listen);
  if (!address.ok()) return Usage(address.status().message());
  if (options.tls_cert.empty() != options.tls_key.empty()) return Usage("--tls-cert and --tls-key go together");
  auto trusted_proxies = TrustedProxies::Parse(options.trusted_proxies);
  if (!trusted_proxies.ok()) return Usage(trusted_proxies.status().message());
  if (!sync::InitCrypto().ok()) return Fail(Status::Internal("libsodium failed to initialise"));

  // Signals are taken by sigwait below, never by a handler: block them
  // before any thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // the server stopped on its own
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (options.data_dir.empty()) return Usage("name the data directory with --data DIR");
  // One server per data directory, and no command changing it underneath.
  auto lock = DataDirLock::TryAcquire(options.data_dir, kServeRole);
  if (!lock.ok()) return Fail(lock.status());
  auto store = options.store.empty() ? OpenExisting(options.data_dir)
                                     : OpenDataDirStore(options.data_dir, /*create=*/false, options.store);
  if (!store.ok()) return Fail(store.status());
  auto key = LoadServerKeyFrom(options.data_dir, {options.key_fd, nullptr});
  if (!key.ok()) return Fail(key.status());
  std::cerr << "dala-server: server key from " << key->from << (key->sealed ? " (sealed)" : "") << "\n";
  auto origin = LoadOrigin(options.data_dir);
  if (!origin.ok()) return Fail(origin.status());

  SystemClock clock;
  sync::SystemRandom random;
  ServerConfig config;
  config.origin = *origin;
  config.scratch_dir = options.data_dir;
  if (size_t n = RemoveLeftoverExportDirs(config.scratch_dir); n > 0)
    std::cerr << "dala-server: removed " << n << " unfinished export file(s) left by an earlier run\n";
  ServerContext ctx{**store, clock, random, key->key, config};
  auto api = Api::Start(ctx);
  if (!api.ok()) return Fail(api.status());
  Router router;
  (*api)->Register(router);
  AssetCatalog dashboard(DashboardFiles());
  RegisterWebRoutes(router, dashboard);
  auto admin = AdminSocket::Listen(options.data_dir, AdminHandler(**api));
  if (!admin.ok()) return Fail(admin.status());

  HttpServer server(ctx.config, router,
                    EdgeOptions{options.tls_cert, options.tls_key, options.access_log, *trusted_proxies});
  if (Status s = server.Listen(address->first, address->second); !s.ok()) return Fail(s);
  if (!options.port_file.empty()) {
    // Replaced whole, so a reader never sees half.
    if (Status s = ReplaceFile(options.port_file, std::to_string(server.port()) + "\n", 0644); !s.ok()) return Fail(s);
  }
  const std::string& host = address->first;
  std::cerr << "dala-server: listening on " << (server.tls() ? "https" : "http") << "://"
            << (host.find(':') != std::string::npos ? "[" + host + "]" : host) << ":" << server.port() << "\n";
  if (!options.trusted_proxies.empty()) {
    std::string list;
    for (const std::string& p : options.trusted_proxies) list += (list.empty() ? "" : ", ") + p;
    std::cerr << "dala-server: the client of a request from " << list << " is its X-Forwarded-For's last entry\n";
  }

  pthread_t main_thread = pthread_self();
  std::thread runner([&] {
    server.Run();
    pthread_kill(main_thread, SIGUSR1);
  });
  int received = 0;
  sigwait(&signals, &received);
  server.Stop();
  runner.join();
  admin->reset();
  if (received == SIGUSR1) return Fail(Status::Unavailable("the server stopped unexpectedly"));
  std::cerr << "dala-server: stopped\n";
  return kExitOk;
}

}  // namespace dala::server
