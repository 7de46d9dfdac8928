#include "ui_app.h"

#include <sodium.h>

#include <algorithm>
#include <exception>
#include <filesystem>

#include "dala/base/hex.h"
#include "dala/base/strings.h"
#include "dala/client/clock_check.h"
#include "dala/client/sync_client.h"
#include "dala/sync/ids.h"
#include "cli_common.h"
#include "receipt_export.h"
#include "ui_history.h"
#include "ui_screen.h"

namespace dala::client::ui {

using nlohmann::json;

namespace {

// Only the page's own files and the answers of this process: no inline
// script or style, nothing from elsewhere, never framed.
constexpr const char* kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
constexpr const char* kCookie = "dala_ui";

UiResponse Json(int status, const json& body) {
  UiResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  // Answers and records never go into the browser's cache on disk.
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

UiResponse Error(int status, std::string_view reason, std::string_view message = {}) {
  return Json(status, {{"error", reason}, {"message", message}});
}

UiResponse ErrorOf(const Status& s) {
  int status = s.code() == Status::Code::kNotFound          ? 404
               : s.code() == Status::Code::kInvalidArgument ? 422
                                                            : 500;
  return Error(status, s.reason().empty() ? "failed" : s.reason(), s.message());
}

std::string RandomHex(sync::Random& random) {
  uint8_t bytes[32];
  random.Fill(bytes, sizeof bytes);
  return ToHex(bytes, sizeof bytes);
}

bool SameSecret(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string CookieValue(const std::string& header, std::string_view name) {
  size_t at = 0;
  while (at < header.size()) {
    size_t end = header.find(';', at);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + at, end - at);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    at = end + 1;
  }
  return "";
}

std::string HeaderOf(const UiRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

// "/api/drafts/12/answer" → {"12", "answer"} after `prefix`.
std::vector<std::string> PathParts(std::string_view path, std::string_view prefix) {
  auto parts = Split(path.substr(prefix.size()), '/');
  return {parts.begin(), parts.end()};
}

// DALA_ASSIGN_OR_RETURN for a handler: a failure becomes its JSON answer.
#define DALA_ASSIGN_OR_RETURN_UI(lhs, rexpr) DALA_ASSIGN_OR_RETURN_UI_(DALA_CONCAT_(ui_result_, __LINE__), lhs, rexpr)
#define DALA_ASSIGN_OR_RETURN_UI_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                              \
  if (!tmp.ok()) return ErrorOf(tmp.status());     \
  lhs = std::move(tmp).value()

// A step named by {question, path}: a question's path is one index per
// repeat it is in; an "add another?" step's is its repeat's path plus the
// index of the instance it would add.
std::optional<schema::InterviewStep> StepOfBody(const schema::Form& form, const json& body,
                                                schema::InterviewStep::Kind kind = schema::InterviewStep::Kind::kQuestion) {
  auto name = body.find("question");
  auto path = body.find("path");
  if (name == body.end() || !name->is_string() || path == body.end() || !path->is_array()) return std::nullopt;
  const schema::Question* q = form.Find(name->get<std::string>());
  const size_t depth = q == nullptr ? 0 : static_cast<size_t>(q->repeat_depth) +
                                              (kind == schema::InterviewStep::Kind::kAddRepeat ? 1 : 0);
  if (q == nullptr || path->size() != depth) return std::nullopt;
  schema::InterviewStep step{kind, q->index, {}};
  for (const json& i : *path) {
    if (!i.is_number_unsigned() || i.get<uint64_t>() > 100000) return std::nullopt;
    step.path.push_back(i.get<int>());
  }
  return step;
}

// The step a screen showed, as the page sends it back with what the
// volunteer did there ("at": {kind, question, path}, from the screen's
// "step"); nullopt when malformed.
std::optional<schema::InterviewStep> AtOfBody(const schema::Form& form, const json& body) {
  auto at = body.find("at");
  if (at == body.end() || !at->is_object()) return std::nullopt;
  const json kind = at->value("kind", json());
  if (kind == "question") return StepOfBody(form, *at);
  if (kind == "add_repeat") return StepOfBody(form, *at, schema::InterviewStep::Kind::kAddRepeat);
  return std::nullopt;
}

bool IsLanguage(const std::string& l) { return l == "kk" || l == "ru" || l == "en"; }

// A string field of a request's body, without the spaces a paste brings
// around it; empty when absent or not a string.
std::string TrimmedField(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) return "";
  const std::string& text = it->get_ref<const std::string&>();
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

UiApp::UiApp(LocalStore& store, const Clock& clock, sync::Random& random, UiOptions options)
    : store_(store),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      assets_(VolunteerPageFiles()),
      token_(RandomHex(random)),
      language_(IsLanguage(options_.language) ? options_.language : "ru"),
      last_request_ms_(clock.NowMs()) {}

UiApp::~UiApp() { WaitForSync(); }

void UiApp::SetPort(int port) { port_ = port; }

void UiApp::WaitForSync() {
  std::lock_guard lock(mu_);
  if (sync_thread_.joinable()) sync_thread_.join();
}

bool UiApp::unlocked() {
  std::lock_guard lock(mu_);
  return (device_ != nullptr);
}

void UiApp::LockIfIdle() {
  std::lock_guard lock(mu_);
  if (device_ && clock_.NowMs() - last_request_ms_ >= options_.lock_after_ms) LockNow();
}

void UiApp::LockNow() { device_.reset(); }

UiResponse UiApp::Handle(const UiRequest& request) {
  UiResponse out;
  try {
    std::lock_guard lock(mu_);
    out = Gate(request);
  } catch (const std::exception& e) {
    out = Error(500, "internal", e.what());
  } catch (...) {
    out = Error(500, "internal");
  }
  out.headers.emplace_back("Content-Security-Policy", kPolicy);
  out.headers.emplace_back("X-Content-Type-Options", "nosniff");
  out.headers.emplace_back("Referrer-Policy", "no-referrer");
  out.headers.emplace_back("X-Frame-Options", "DENY");
  return out;
}

UiResponse UiApp::Gate(const UiRequest& r) {
  // A page elsewhere could point a name of its own at 127.0.0.1 (DNS
  // rebinding): its requests carry its name as Host.
  const std::string here = std::to_string(port_);
  const std::string host = HeaderOf(r, "host");
  if (port_ == 0 || (host != "127.0.0.1:" + here && host != "localhost:" + here))
    return Error(421, "wrong_host", "this page answers only at 127.0.0.1:" + here);
  if (r.method != "GET" && r.method != "HEAD") {
    const std::string origin = HeaderOf(r, "origin");
    if (origin != "http://127.0.0.1:" + here && origin != "http://localhost:" + here)
      return Error(403, "wrong_origin", "a change must come from this page");
  }
  if (r.method == "GET" && r.path == "/" && r.query.count("token")) return ExchangeToken(r);
  if (session_.empty() || !SameSecret(CookieValue(HeaderOf(r, "cookie"), kCookie), session_)) {
    UiResponse refused = Error(401, "no_session", "open the address that `dala ui` printed");
    if (r.path == "/") {
      refused.content_type = "text/plain; charset=utf-8";
      refused.body = "Open the address that `dala ui` printed in its terminal.\n"
                     "Откройте адрес, который показала команда `dala ui`.\n"
                     "`dala ui` терминалда көрсеткен мекенжайды ашыңыз.\n";
    }
    return refused;
  }
  // Idle time counts from the last request of this browser: a key left
  // unlocked on a shared laptop locks itself.
  if (device_ && clock_.NowMs() - last_request_ms_ >= options_.lock_after_ms) LockNow();
  last_request_ms_ = clock_.NowMs();
  return Route(r);
}

UiResponse UiApp::ExchangeToken(const UiRequest& r) {
  if (token_.empty() || !SameSecret(r.query.at("token"), token_))
    return Error(401, "bad_token", "this address was used already: run `dala ui` again");
  token_.clear();  // one browser, once
  session_ = RandomHex(random_);
  UiResponse out;
  out.status = 303;
  out.content_type = "text/plain; charset=utf-8";
  out.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=" + session_ + "; Path=/; HttpOnly; SameSite=Strict");
  // The token leaves the address bar and the history at once.
  out.headers.emplace_back("Location", "/");
  out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

UiResponse UiApp::Route(const UiRequest& r) {
  if (r.method == "GET" && (r.path == "/" || r.path.starts_with("/assets/"))) {
    const EmbeddedAsset* a = assets_.Find(r.path == "/" ? "index.html" : r.path.substr(8));
    if (a == nullptr) return Error(404, "not_found");
    UiResponse out;
    out.content_type = a->content_type;
    out.body = std::string(a->bytes);
    out.headers.emplace_back("Cache-Control", "no-cache");
    return out;
  }
  if (!r.path.starts_with("/api/")) return Error(404, "not_found");
  json body = json::object();
  if (!r.body.empty()) {
    body = json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return Error(400, "bad_json", "the body must be a JSON object");
  }
  const std::string& p = r.path;
  if (!HasKey()) {
    // A new laptop: until the page makes its key, nothing can be signed
    // or unlocked; Home says so, and the language can be chosen first.
    if (p == "/api/setup" && r.method == "POST") return SetUp(body);
    if (p != "/api/home" && p != "/api/language" && p != "/api/laptop")
      return Error(409, "no_key", "this laptop has no key yet: set it up on the page first");
  }
  if (p == "/api/setup" && r.method == "POST")
    return Error(409, "already_set_up", "this laptop has its key already");
  if (p == "/api/enroll" && r.method == "POST") return EnrollHere(body);
  if (p == "/api/unlock" && r.method == "POST") return Unlock(body);
  if (p == "/api/lock" && r.method == "POST") {
    LockNow();
    return Json(200, {{"unlocked", false}});
  }
  if (p == "/api/language" && r.method == "POST") {
    std::string l = body.value("language", "");
    if (!IsLanguage(l)) return Error(422, "bad_language", "kk, ru or en");
    language_ = l;
    return Json(200, {{"language", language_}});
  }
  if (p == "/api/home" && r.method == "GET") return Home();
  if (p == "/api/laptop" && r.method == "GET") return Laptop();
  if (p == "/api/receipts.zip" && r.method == "GET") return ReceiptsZip();
  if (p == "/api/backup" && r.method == "GET") return BackupFile();
  if (p == "/api/sync" && r.method == "POST") return StartSync();
  if (p == "/api/sync" && r.method == "GET") return SyncState();
  if (p == "/api/drafts" && r.method == "POST") return StartDraft(body);
  if (p.starts_with("/api/drafts/")) {
    auto parts = PathParts(p, "/api/drafts/");
    int64_t id = std::strtoll(parts[0].c_str(), nullptr, 10);
    if (id <= 0 || parts.size() > 2) return Error(404, "not_found");
    std::string action = parts.size() == 2 ? parts[1] : "";
    if ((r.method == "GET") != action.empty() && r.method != "DELETE") return Error(405, "wrong_method");
    return DraftAction(id, r.method == "DELETE" ? "delete" : action, body);
  }
  if (p.starts_with("/api/records/") && p.ends_with("/edit") && r.method == "POST")
    return EditRecord(p.substr(13, p.size() - 13 - 5));
  if (p.starts_with("/api/records/") && r.method == "GET") return Record(p.substr(13));
  return Error(404, "not_found");
}

UiResponse UiApp::Unlock(const json& body) {
  const int64_t now = clock_.NowMs();
  if (now < next_unlock_ms_)
    return Json(429, {{"error", "wait"}, {"retry_after_s", (next_unlock_ms_ - now + 999) / 1000}});
  auto it = body.find("passphrase");
  if (it == body.end() || !it->is_string()) return Error(400, "bad_json", "passphrase missing");
  std::string passphrase = it->get<std::string>();
  auto device = Device::Unlock(store_, passphrase);
  sodium_memzero(passphrase.data(), passphrase.size());
  if (!device.ok()) {
    if (device.status().code() != Status::Code::kUnauthenticated) return ErrorOf(device.status());
    ++failed_unlocks_;
    int64_t wait = 0;
    if (failed_unlocks_ >= kFreeUnlockAttempts)
      wait = std::min<int64_t>(kMaxUnlockDelayMs, int64_t{1000} << std::min(failed_unlocks_ - kFreeUnlockAttempts, 20));
    next_unlock_ms_ = now + wait;
    return Json(401, {{"error", "wrong_passphrase"}, {"retry_after_s", wait / 1000}});
  }
  failed_unlocks_ = 0;
  device_ = std::make_shared<Device>(std::move(*device));
  return Json(200, {{"unlocked", true}});
}

bool UiApp::HasKey() {
  auto key = store_.Get(profile_key::kDeviceKey);
  return !key.ok() || key->has_value();  // a store that cannot say is no reason to offer a new key
}

UiResponse UiApp::SetUp(const json& body) {
  auto passphrase = body.find("passphrase");
  auto repeated = body.find("repeated");
  if (passphrase == body.end() || !passphrase->is_string() || repeated == body.end() || !repeated->is_string())
    return Error(400, "bad_json", "passphrase and repeated missing");
  std::string chosen = passphrase->get<std::string>();
  std::string again = repeated->get<std::string>();
  const bool same = chosen == again;
  sodium_memzero(again.data(), again.size());
  if (!same) {
    sodium_memzero(chosen.data(), chosen.size());
    return Error(422, "passphrases_differ", "the two passphrases differ");
  }
  Status made = InitDevice(store_, chosen, random_, clock_, options_.kdf);
  if (made.ok()) made = store_.Put(profile_key::kLanguage, language_);
  if (!made.ok()) {
    sodium_memzero(chosen.data(), chosen.size());
    if (made.code() == Status::Code::kInvalidArgument)
      return Error(422, "passphrase_too_short", "the passphrase must be at least 8 characters long");
    return ErrorOf(made);
  }
  // The volunteer just typed it: the key is open for the next step (enrolling).
  auto device = Device::Unlock(store_, chosen);
  sodium_memzero(chosen.data(), chosen.size());
  if (!device.ok()) return ErrorOf(device.status());
  device_ = std::make_shared<Device>(std::move(*device));
  auto pub = store_.Get(profile_key::kDevicePublic);
  return Json(201, {{"unlocked", true}, {"fingerprint", pub.ok() && *pub ? cli::Fingerprint(**pub) : ""}});
}

// `dala enroll URL CODE` from the page: the same enrolment, its failures in
// the words `dala enroll` uses, in the page's language.
UiResponse UiApp::EnrollHere(const json& body) {
  if (!device_) return Error(401, "locked", "the key is locked");
  if (!options_.connect) return Error(409, "cannot_enroll", "this page cannot enrol: use `dala enroll`");
  std::string url = TrimmedField(body, "url");
  const std::string code = TrimmedField(body, "code");
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.empty() || code.empty()) return Error(422, "url_and_code", "give the server's address and the code");
  // What a coordinator dictates is often just the name: https is meant.
  if (url.find("://") == std::string::npos) url = "https://" + url;
  {
    std::lock_guard lock(sync_mu_);
    if (sync_.running) return Error(409, "sync_running", "a sync is running already");
  }
  // An office server's own authority (`dala-server tls init` hands out
  // its ca.pem): kept in the profile's folder, where later syncs find it.
  // Until an enrolment takes it, it waits beside that file: a refused
  // attempt must not replace the one an earlier enrolment still syncs with.
  EnrollSettings settings;
  std::string pending_ca;
  const std::string pem = TrimmedField(body, "ca_pem");
  if (!pem.empty()) {
    if (pem.size() > 64 * 1024 || pem.rfind("-----BEGIN CERTIFICATE-----", 0) != 0)
      return Error(422, "not_a_certificate", "the file is not a certificate in PEM form (ca.pem)");
    settings.ca_file = (std::filesystem::path(options_.store_path).parent_path() / "server-ca.pem").string();
    pending_ca = settings.ca_file + ".new";
    if (!cli::WriteFileReplacing(pending_ca, pem + "\n"))
      return Error(500, "cannot_write", "cannot write " + pending_ca);
  }
  auto failed = [&](const Status& s) {
    std::error_code ignored;
    if (!pending_ca.empty()) std::filesystem::remove(pending_ca, ignored);
    return Json(cli::WorthTryingAgain(s) ? 502 : 422,
                {{"error", "enroll_failed"},
                 {"reason", s.reason()},
                 {"again", cli::WorthTryingAgain(s)},
                 {"message", cli::NetworkWords(s, language_, url, settings.ca_file, code)}});
  };
  auto transport = options_.connect(url, pending_ca.empty() ? settings.ca_file : pending_ca);
  if (!transport.ok()) return failed(transport.status());
  auto enrolled = Enroll(store_, *device_, **transport, url, code, options_.laptop_label, clock_, settings);
  if (!enrolled.ok()) return failed(enrolled.status());
  if (!pending_ca.empty()) {
    // The certificate is on the disk already: taking it is a rename, which
    // cannot run out of space half-way as writing it again could.
    std::error_code renamed;
    std::filesystem::rename(pending_ca, settings.ca_file, renamed);
    if (renamed)
      return Error(500, "cannot_write", "enrolled, but cannot write " + settings.ca_file + ": enrol again");
  }
  return Json(200, {{"server", url}, {"volunteer", enrolled->volunteer}});
}

UiResponse UiApp::Home() {
  DALA_ASSIGN_OR_RETURN_UI(auto forms, store_.ListForms());
  DALA_ASSIGN_OR_RETURN_UI(auto drafts, store_.ListDrafts());
  DALA_ASSIGN_OR_RETURN_UI(auto records, store_.ListSubmissions());
  json out = {{"language", language_}, {"unlocked", (device_ != nullptr)}, {"setup", !HasKey()}};
  out["forms"] = FormsJson(store_, forms, language_);
  out["drafts"] = DraftsJson(store_, drafts, language_);
  out["records"] = RecordsJson(store_, records, language_);
  auto url = store_.Get(profile_key::kServerUrl);
  out["enrolled"] = url.ok() && *url && !(*url)->empty();
  out["warnings"] = Warnings(records);
  {
    std::lock_guard lock(sync_mu_);
    out["syncing"] = sync_.running;
  }
  return Json(200, out);
}

json UiApp::Warnings(const std::vector<SubmissionRow>& records) {
  json out = json::array();
  const int64_t now = clock_.NowMs();
  // Waiting since the last sync (by the server's clock, which a wrong
  // laptop clock does not move), or since the oldest waiting record when
  // this laptop never synced.
  auto last_sync = store_.GetNumber(profile_key::kLastServerTimeMs, 0);
  int64_t since = last_sync.ok() ? static_cast<int64_t>(*last_sync) : 0;
  int64_t waiting = 0, oldest = 0;
  for (const SubmissionRow& r : records) {
    if (r.pending == 0) continue;
    ++waiting;
    if (oldest == 0 || r.created_ms < oldest) oldest = r.created_ms;
  }
  if (since == 0) since = oldest;
  if (waiting > 0 && since > 0 && now - since >= kSyncReminderMs)
    out.push_back({{"kind", "not_synced"}, {"days", (now - since) / (24 * 60 * 60 * 1000)}, {"waiting", waiting},
                   {"since_ms", since}, {"ever_synced", last_sync.ok() && *last_sync > 0}});
  auto doubts = CheckLaptopClock(store_, now, options_.build_ms);
  if (doubts.ok()) {
    for (const ClockWarning& w : *doubts) {
      const char* doubt = w.doubt == ClockDoubt::kBeforeBuild    ? "before_build"
                          : w.doubt == ClockDoubt::kBeforeServer ? "before_server"
                                                                 : "behind_records";
      out.push_back({{"kind", "clock"}, {"doubt", doubt}, {"now_ms", now}, {"reference_ms", w.reference_ms}});
    }
  }
  return out;
}

UiResponse UiApp::Laptop() {
  json out = {{"language", language_}, {"unlocked", (device_ != nullptr)}, {"setup", !HasKey()}};
  auto pub = store_.Get(profile_key::kDevicePublic);
  out["fingerprint"] = pub.ok() && *pub ? cli::Fingerprint(**pub) : "";
  auto url = store_.Get(profile_key::kServerUrl);
  out["server"] = url.ok() && *url ? **url : "";
  auto receipts = store_.ListReceipts();
  out["receipts"] = receipts.ok() ? receipts->size() : 0;
  auto last = store_.GetOr(profile_key::kLastServerTimeMs, "0");
  out["last_sync_ms"] = last.ok() ? std::strtoll(last->c_str(), nullptr, 10) : 0;
  return Json(200, out);
}

// For an auditor: the files `dala receipts --export` writes, zipped, named
// after this laptop's key and the day.
UiResponse UiApp::ReceiptsZip() {
  DALA_ASSIGN_OR_RETURN_UI(auto files, ReceiptFiles(store_));
  if (files.empty()) return Error(404, "no_receipts", "no receipts yet: they arrive with each sync");
  DALA_ASSIGN_OR_RETURN_UI(std::string zip, ZipFiles(files));
  auto pub = store_.Get(profile_key::kDevicePublic);
  std::string key = pub.ok() && *pub ? (*pub)->substr(0, 8) : "";
  std::string day = cli::FormatLocalTime(clock_.NowMs(), clock_.UtcOffsetMinutes()).substr(0, 10);
  UiResponse out;
  out.content_type = "application/zip";
  out.body = std::move(zip);
  out.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"dala-receipts-" + key + "-" + day + ".zip\"");
  out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

// `dala backup` from the page: the profile as it is (the key sealed under
// the passphrase), one self-contained file for a USB stick; `dala restore
// FILE` makes it a profile on another laptop. Only with the key unlocked,
// so that a passer-by on a shared laptop does not carry off the records.
UiResponse UiApp::BackupFile() {
  if (!device_) return Error(401, "locked", "the key is locked");
  const std::string path =
      (std::filesystem::path(options_.store_path).parent_path() / "page-backup.db").string();
  if (Status s = store_.BackupTo(path); !s.ok()) return ErrorOf(s);
  auto bytes = cli::ReadWholeFile(path);
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  if (!bytes.ok()) return ErrorOf(bytes.status());
  auto pub = store_.Get(profile_key::kDevicePublic);
  std::string key = pub.ok() && *pub ? (*pub)->substr(0, 8) : "";
  std::string day = cli::FormatLocalTime(clock_.NowMs(), clock_.UtcOffsetMinutes()).substr(0, 10);
  UiResponse out;
  out.content_type = "application/vnd.sqlite3";
  out.body = std::move(*bytes);
  out.headers.emplace_back("Content-Disposition", "attachment; filename=\"dala-backup-" + key + "-" + day + ".db\"");
  out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

namespace {

// What the page says when a sync ends: the plain summary, or why it failed.
json SyncAnswer(const SyncOutcome& outcome, LocalStore& store) {
  auto returned = store.CountReturned();
  return {{"sent", outcome.accepted},
          {"received", outcome.received_envelopes},
          {"forms", outcome.received_forms},
          {"sent_back", returned.ok() ? *returned : 0},
          {"refused", outcome.rejections.size() + outcome.set_aside.size()},
          {"warnings", outcome.log_warnings}};
}

}  // namespace

// A sync runs on its own thread with its own connection to the store:
// the page polls GET /api/sync for its progress and, at the end, its
// summary. One at a time.
UiResponse UiApp::StartSync() {
  if (!device_) return Error(401, "locked", "the key is locked");
  if (!options_.transport) return Error(409, "not_enrolled", "this laptop is not enrolled");
  {
    std::lock_guard lock(sync_mu_);
    if (sync_.running) return Error(409, "sync_running", "a sync is running already");
  }
  auto transport = options_.transport();
  if (!transport.ok())
    return Error(409, transport.status().reason().empty() ? "no_server" : transport.status().reason(),
                 transport.status().message());
  auto store = LocalStore::Open(options_.store_path);
  if (!store.ok()) return ErrorOf(store.status());
  if (sync_thread_.joinable()) sync_thread_.join();  // the last run, ended
  {
    std::lock_guard lock(sync_mu_);
    sync_ = SyncJob{true, {}, 0, nullptr, std::nullopt};
  }
  sync_thread_ = std::thread([this, device = device_, transport = std::move(*transport),
                              store = std::move(*store)]() mutable {
    int status = 200;
    json answer;
    std::optional<Status> failure;
    try {
      sync::SystemRandom random;  // the request thread's Random is not shared
      SyncClient client(*store, *device, *transport, clock_, random);
      auto outcome = client.Run([this](const SyncProgress& p) {
        std::lock_guard lock(sync_mu_);
        sync_.progress = p;
      });
      if (outcome.ok()) {
        answer = SyncAnswer(*outcome, *store);
      } else {
        status = 502;
        failure = outcome.status();
      }
    } catch (const std::exception& e) {  // as Handle does: a failure, never a crash
      status = 500;
      answer = {{"error", "internal"}, {"message", e.what()}};
    }
    std::lock_guard lock(sync_mu_);
    sync_.running = false;
    sync_.status = status;
    sync_.answer = std::move(answer);
    sync_.failure = std::move(failure);
  });
  return SyncState();
}

// A failed sync in the words `dala sync` prints, in the page's language as
// it is now: "unreachable" (the page adds "nothing is lost") only when
// trying again later can help; a refused certificate or a wrong address
// says what is wrong instead.
json UiApp::FailedSyncAnswer(const Status& failure) {
  auto url = store_.GetOr(profile_key::kServerUrl, "");
  auto ca_file = store_.GetOr(profile_key::kServerCaFile, "");
  return {{"error", cli::WorthTryingAgain(failure) ? "unreachable" : "sync_failed"},
          {"reason", failure.reason()},
          {"message", cli::NetworkWords(failure, language_, url.ok() ? *url : "", ca_file.ok() ? *ca_file : "")}};
}

UiResponse UiApp::SyncState() {
  std::lock_guard lock(sync_mu_);
  json out = {{"running", sync_.running},
              {"sent", sync_.progress.sent},
              {"to_send", sync_.progress.to_send},
              {"received", sync_.progress.received}};
  if (sync_.status != 0)
    out["last"] = {{"status", sync_.status}, {"answer", sync_.failure ? FailedSyncAnswer(*sync_.failure) : sync_.answer}};
  return Json(sync_.running ? 202 : 200, out);
}

UiResponse UiApp::StartDraft(const json& body) {
  std::string name = body.value("form", "");
  auto form = store_.FindFormByName(name);
  if (!form.ok()) return ErrorOf(form.status());
  DraftRow row{0, (*form)->hash_hex(), std::nullopt, "{}", language_, clock_.NowMs()};
  // A draft from the first moment: nothing typed is ever lost.
  DALA_ASSIGN_OR_RETURN_UI(row.id, store_.SaveDraft(row));
  OpenDraft& open = drafts_[row.id];
  open.row = row;
  open.interview = std::make_unique<schema::Interview>(*form, clock_);
  return Json(201, ScreenJson(*open.interview, row.id, language_, ""));
}

Result<schema::Interview*> UiApp::InterviewOf(int64_t draft) {
  auto it = drafts_.find(draft);
  if (it != drafts_.end()) return it->second.interview.get();
  DALA_ASSIGN_OR_RETURN(auto row, store_.FindDraft(draft));
  if (!row) return Status::NotFound("no such draft").WithReason("no_such_draft");
  sync::Hash h;
  std::shared_ptr<const schema::Form> form;
  if (!FromHex(row->form_hash, &h) || (form = store_.FindForm(h)) == nullptr)
    return Status::NotFound("the draft's form is gone").WithReason("draft_form_gone");
  json answers = json::parse(row->answers_json, nullptr, false);
  if (!answers.is_object()) answers = json::object();
  OpenDraft& open = drafts_[draft];
  open.row = *row;
  open.interview = std::make_unique<schema::Interview>(form, clock_, answers);
  // A draft from an earlier `dala ui` opens where it was left; one from
  // `dala collect` at its first unanswered step.
  RestorePosition(*open.interview, row->position);
  return open.interview.get();
}

Status UiApp::SaveDraft(int64_t draft) {
  OpenDraft& open = drafts_.at(draft);
  open.row.answers_json = open.interview->answers().dump();
  open.row.position = PositionOf(*open.interview);
  open.row.language = language_;
  open.row.updated_ms = clock_.NowMs();
  return store_.SaveDraft(open.row).status();
}

UiResponse UiApp::DraftAction(int64_t draft, const std::string& action, const json& body) {
  auto iv = InterviewOf(draft);
  if (!iv.ok()) return ErrorOf(iv.status());
  schema::Interview& interview = **iv;
  Status s;
  std::optional<schema::InterviewStep> error_at;
  // An action on a screen the draft has left (a second click on Next while
  // the first was on its way, a page behind another tab) would land on the
  // step after it: an answer typed for one question saved under the next.
  // The page names the screen; a stale one changes nothing and gets the
  // screen the draft is on, with "moved_on". Not an error status: nothing
  // failed, and the page only draws where the draft is.
  if (body.contains("at")) {
    auto at = AtOfBody(interview.form(), body);
    if (!at) return Error(400, "bad_json", "at: kind, question and path of a step");
    if (interview.current() == std::nullopt || *interview.current() != *at) {
      json screen = ScreenJson(interview, draft, language_, "");
      screen["unlocked"] = (device_ != nullptr);
      screen["moved_on"] = true;
      return Json(200, screen);
    }
  }
  if (action == "delete") {
    drafts_.erase(draft);
    if (Status d = store_.DeleteDraft(draft); !d.ok()) return ErrorOf(d);
    return Json(200, {{"deleted", draft}});
  } else if (action == "finish") {
    return Finish(draft);
  } else if (action == "answer") {
    auto text = body.find("text");
    if (text == body.end() || !text->is_string()) return Error(400, "bad_json", "text missing");
    s = text->get<std::string>().empty() ? interview.Next(language_) : interview.Answer(text->get<std::string>(), language_);
  } else if (action == "set") {
    // One field of a field-list screen, answered as the volunteer leaves it.
    auto text = body.find("text");
    auto step = StepOfBody(interview.form(), body);
    if (text == body.end() || !text->is_string() || !step) return Error(400, "bad_json", "question, path and text needed");
    s = interview.Set(*step, text->get<std::string>(), language_);
    if (s.reason() == "not_on_screen") return Error(409, "not_on_screen", s.message());
    error_at = step;
  } else if (action == "next") {
    schema::InterviewStep missing;
    s = interview.NextScreen(language_, &missing);
    if (!s.ok()) error_at = missing;
  } else if (action == "remove") {
    // The repeat instance the current step is in, after the page asked.
    const schema::InterviewStep* here = interview.current() ? &*interview.current() : nullptr;
    const int repeat = here ? interview.form().questions()[here->question].repeat : -1;
    if (here == nullptr || here->kind != schema::InterviewStep::Kind::kQuestion || repeat < 0)
      return Error(409, "not_in_repeat", "this step is in no repeated section");
    const size_t depth = static_cast<size_t>(interview.form().questions()[repeat].repeat_depth) + 1;
    Status removed = interview.RemoveInstance(repeat, {here->path.begin(), here->path.begin() + depth});
    if (!removed.ok()) return Error(409, removed.reason(), removed.message());
  } else if (action == "clear") {
    s = interview.Clear(language_);
  } else if (action == "back") {
    interview.Back();
  } else if (action == "goto") {
    // The jump list: a step the page saw in "answered".
    auto steps = interview.Steps();
    auto index = body.find("step");
    if (index == body.end() || !index->is_number_unsigned() || index->get<size_t>() >= steps.size())
      return Error(422, "bad_step", "no such step");
    interview.GoTo(steps[index->get<size_t>()]);
  } else if (action == "restart") {
    interview.Restart();
  } else if (!action.empty()) {
    return Error(404, "not_found");
  }
  // Every answer reaches the disk before the page hears of it.
  if (!action.empty()) {
    if (Status saved = SaveDraft(draft); !saved.ok()) return ErrorOf(saved);
  }
  json screen = ScreenJson(interview, draft, language_, s.ok() ? "" : s.message(), error_at ? &*error_at : nullptr);
  screen["unlocked"] = (device_ != nullptr);
  return Json(200, screen);
}

UiResponse UiApp::Finish(int64_t draft) {
  OpenDraft& open = drafts_.at(draft);
  schema::Interview& iv = *open.interview;
  if (!iv.at_end()) return Error(409, "not_finished", "the form has questions still to answer");
  if (!device_) return Error(401, "locked", "the key is locked");
  auto problems = iv.Validate(language_);
  if (!problems.empty()) return Json(422, ScreenJson(iv, draft, language_, problems.front().message));
  auto target = RecordTargetOf(store_, open.row, clock_, random_);
  if (!target.ok()) return ErrorOf(target.status());
  auto saved = device_->SaveRevision(iv.form(), target->id, target->parents, iv.FinalAnswers().dump(), clock_,
                                     language_, draft);
  if (!saved.ok()) return ErrorOf(saved.status());
  drafts_.erase(draft);
  return Json(201, {{"record", sync::FormatSubmissionId(target->id)}});
}

UiResponse UiApp::Record(const std::string& id) {
  auto resolved = store_.ResolveSubmission(id);
  if (!resolved.ok()) return Error(404, resolved.status().reason(), resolved.status().message());
  DALA_ASSIGN_OR_RETURN_UI(auto row, store_.FindSubmission(*resolved));
  if (!row) return Error(404, "no_such_record");
  json out = RecordJson(store_, *row, language_);
  DALA_ASSIGN_OR_RETURN_UI(out["history"], HistoryJson(store_, *resolved, language_));
  return Json(200, out);
}

// A draft of a new revision of a record, starting from its answers as they
// stand (a coordinator's corrections included), as `dala edit` makes one.
UiResponse UiApp::EditRecord(const std::string& id) {
  auto resolved = store_.ResolveSubmission(id);
  if (!resolved.ok()) return Error(404, resolved.status().reason(), resolved.status().message());
  DALA_ASSIGN_OR_RETURN_UI(auto row, store_.FindSubmission(*resolved));
  if (!row) return Error(404, "no_such_record");
  DALA_ASSIGN_OR_RETURN_UI(auto merged, store_.MergedStateOf(*resolved));
  auto form = FormOfHash(store_, row->form_hash);
  if (form == nullptr) return Error(404, "form_of_record_missing", "the record's form is not on this laptop");
  DraftRow draft{0, row->form_hash, *resolved, merged.answers_json, language_, clock_.NowMs()};
  DALA_ASSIGN_OR_RETURN_UI(draft.id, store_.SaveDraft(draft));
  OpenDraft& open = drafts_[draft.id];
  open.row = draft;
  open.interview = std::make_unique<schema::Interview>(form, clock_, json::parse(merged.answers_json));
  json screen = ScreenJson(*open.interview, draft.id, language_, "");
  screen["unlocked"] = (device_ != nullptr);
  return Json(201, screen);
}

}  // namespace dala::client::ui
