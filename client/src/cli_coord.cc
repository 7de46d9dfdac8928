// `dala coord ...`: the coordinator's commands, over the server's HTTP API
// with a password login. Nothing here needs a volunteer profile.

#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_coord_key.h"
#include "dala/base/environment.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/person_keys.h"
#include "dala/client/sync_client.h"
#include "dala/client/transport.h"
#include "dala/schema/value.h"

namespace dala::client::cli {

using nlohmann::json;

namespace {

std::string Env(const char* name) { return GetEnv(name); }

// What `dala coord login` keeps so that later commands need no password:
// the server, the CA to trust it by, and the session cookie. The cookie
// is as good as the password until it expires or `dala coord logout`, so
// the file is the user's alone (0600, in a 0700 directory).
struct SavedSession {
  std::string server, user, ca_file, cookie, csrf;
  bool allow_http = false;
};

std::string SessionPath() {
#ifdef _WIN32
  // Beside the profile in %LOCALAPPDATA%, which is the user's alone.
  if (std::string local = LocalAppDataDir(); !local.empty()) return local + "\\Dala\\coord-session.json";
#endif
  std::string base = Env("XDG_CONFIG_HOME");
  if (base.empty() && !Env("HOME").empty()) base = Env("HOME") + "/.config";
  if (base.empty()) return "";
  return base + "/dala/coord-session.json";
}

Result<std::optional<SavedSession>> LoadSession() {
  std::string path = SessionPath();
  std::ifstream f(path, std::ios::binary);
  if (path.empty() || !f) return std::optional<SavedSession>();
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  json j = json::parse(text, nullptr, false);
  SavedSession s;
  try {
    s.server = j.at("server").get<std::string>();
    s.user = j.at("user").get<std::string>();
    s.ca_file = j.at("ca").get<std::string>();
    s.allow_http = j.at("allow_http").get<bool>();
    s.cookie = j.at("cookie").get<std::string>();
    s.csrf = j.at("csrf_token").get<std::string>();
  } catch (const json::exception&) {
    return Status::InvalidArgument(path + " is not a saved session; delete it or run `dala coord login` again");
  }
  return std::optional<SavedSession>(s);
}

Status SaveSession(const SavedSession& s) {
  std::string path = SessionPath();
  if (path.empty()) return Status::FailedPrecondition("neither XDG_CONFIG_HOME nor HOME is set: nowhere to keep the session");
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create " + dir.string() + ": " + ec.message());
#ifdef _WIN32
  json j = {{"server", s.server}, {"user", s.user},     {"ca", s.ca_file},
            {"allow_http", s.allow_http}, {"cookie", s.cookie}, {"csrf_token", s.csrf}};
  std::string text = j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  // Written aside and renamed over the old one: never a half-written file.
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(std::filesystem::path(tmp), std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::Internal("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Status::Internal("cannot write " + path);
  }
#else
  ::chmod(dir.c_str(), 0700);
  json j = {{"server", s.server}, {"user", s.user},     {"ca", s.ca_file},
            {"allow_http", s.allow_http}, {"cookie", s.cookie}, {"csrf_token", s.csrf}};
  std::string text = j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  // Written aside and renamed: never a half-written file, never one that
  // others could read for a moment.
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot write " + tmp + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Internal("cannot write " + path + ": " + std::strerror(errno));
  }
#endif
  return Status::Ok();
}

// A logged-in session: the cookie and the CSRF token to send back.
class ApiSession {
 public:
  // The session `dala coord login` kept, when the command names no other
  // server or user; otherwise a login with the password.
  static Result<ApiSession> Open(const CoordOptions& o) {
    DALA_ASSIGN_OR_RETURN(auto saved, LoadSession());
    std::string server = Trimmed(!o.server.empty() ? o.server : Env("DALA_SERVER"));
    std::string user = !o.user.empty() ? o.user : Env("DALA_USER");
    if (!saved || (!server.empty() && server != saved->server) || (!user.empty() && user != saved->user))
      return Login(o);
    std::string ca = !o.ca_file.empty() ? o.ca_file : saved->ca_file;
    DALA_ASSIGN_OR_RETURN(auto transport,
                          MakeHttpTransport(saved->server, {10, 300, ca, o.allow_http || saved->allow_http}));
    ApiSession s;
    s.transport_ = std::move(transport);
    s.cookie_ = saved->cookie;
    s.csrf_ = saved->csrf;
    s.saved_ = true;
    return s;
  }

  static Result<ApiSession> Login(const CoordOptions& o) {
    std::string server = Trimmed(!o.server.empty() ? o.server : Env("DALA_SERVER"));
    std::string user = !o.user.empty() ? o.user : Env("DALA_USER");
    if (server.empty()) return Status::InvalidArgument("say which server: --server URL (or DALA_SERVER)");
    if (user.empty()) return Status::InvalidArgument("say who you are: --user NAME (or DALA_USER)");
    DALA_ASSIGN_OR_RETURN(auto transport, MakeHttpTransport(server, {10, 300, CaFile(o), o.allow_http}));
    DALA_ASSIGN_OR_RETURN(std::string password, ReadSecret("Password for " + user + ": ", false, "DALA_PASSWORD"));
    json body = {{"username", user}, {"password", password}};
    Wipe(&password);
    DALA_ASSIGN_OR_RETURN(TransportResponse r,
                          transport->Send({"POST", "/api/v1/login", "application/json", body.dump(), {}}));
    if (r.status != 200) return ErrorFromResponse(r).WithContext("login failed");
    ApiSession s;
    s.transport_ = std::move(transport);
    std::string cookie = r.Header("Set-Cookie");
    s.cookie_ = cookie.substr(0, cookie.find(';'));
    try {
      s.csrf_ = json::parse(r.body).at("csrf_token").get<std::string>();
    } catch (const std::exception&) {
      return Status::InvalidArgument("the server's login answer has no CSRF token");
    }
    s.server_ = server;
    s.user_ = user;
    return s;
  }

  // --ca (or DALA_CA) made absolute: a kept session must find it from
  // any directory.
  static std::string CaFile(const CoordOptions& o) {
    const std::string& ca = o.ca_file;
    std::error_code ec;
    std::string absolute = ca.empty() ? ca : std::filesystem::absolute(ca, ec).string();
    return ec ? ca : absolute;
  }

  SavedSession ToSave(const CoordOptions& o) const {
    return {server_, user_, CaFile(o), cookie_, csrf_, o.allow_http};
  }

  Result<json> Get(const std::string& target) {
    DALA_ASSIGN_OR_RETURN(TransportResponse r, Raw("GET", target, ""));
    return ParseJson(r);
  }

  Result<json> Post(const std::string& target, const json& body) {
    DALA_ASSIGN_OR_RETURN(TransportResponse r, Raw("POST", target, body.dump()));
    return ParseJson(r);
  }

  Result<TransportResponse> Raw(const std::string& method, const std::string& target, const std::string& body) {
    TransportRequest req{method, target, "application/json", body, {{"Cookie", cookie_}, {"X-CSRF-Token", csrf_}}};
    DALA_ASSIGN_OR_RETURN(TransportResponse r, transport_->Send(req));
    if (r.status == 401 && saved_)
      return ErrorFromResponse(r).WithContext("the session kept by `dala coord login` has ended; log in again");
    if (r.status / 100 != 2) return ErrorFromResponse(r);
    return r;
  }

 private:
  static std::string Trimmed(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }

  static Result<json> ParseJson(const TransportResponse& r) {
    try {
      return json::parse(r.body);
    } catch (const json::exception&) {
      return Status::InvalidArgument("the server answered something that is not JSON");
    }
  }

  std::unique_ptr<Transport> transport_;
  std::string cookie_;
  std::string csrf_;
  std::string server_, user_;
  bool saved_ = false;
};

std::string UrlEncode(const std::string& s) {
  std::string out;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// NAME=VALUE, where VALUE is JSON when it parses as JSON, else a string.
Result<std::pair<std::string, json>> ParseAssignment(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return Status::InvalidArgument("expected NAME=VALUE, not '" + text + "'");
  std::string value = text.substr(eq + 1);
  json v = json::parse(value, nullptr, false);
  if (v.is_discarded()) v = value;
  return std::make_pair(text.substr(0, eq), v);
}

std::string Day(int64_t ms) { return FormatLocalTime(ms, 0).substr(0, 10); }

void PrintSubmissionRow(const json& s) {
  std::string state = s.value("review_state", "");
  std::string flags;
  // A volunteer's edit after the decision puts it in doubt: said in words.
  if (s.value("changed_since_review", false)) flags += " changed-after-decision";
  if (s.value("conflicts", 0) > 0) flags += " conflict";
  if (!s.value("duplicate", std::string()).empty()) flags += " duplicate?";
  if (!s.value("merged_into", std::string()).empty()) flags += " merged";
  std::string id = s.value("id", "");
  std::cout << std::left << std::setw(10) << (id.size() > 8 ? id.substr(id.size() - 8) : id) << std::setw(22)
            << s.value("form", "")
            << std::setw(14) << s.value("volunteer", "") << std::setw(12) << s.value("centre", "") << std::setw(12)
            << (s.value("visit_date", "").empty() ? Day(s.value("created_ms", int64_t{0})) : s.value("visit_date", ""))
            << std::setw(12) << state << flags << "\n";
}

// --from and --to as the interview takes a date, sent as ISO: a date the
// server would not understand is refused here, never silently ignored.
Result<std::string> FilterDate(const char* option, const std::string& text) {
  if (text.empty()) return text;
  int64_t days = 0;
  switch (schema::ParseTypedDate(text, &days)) {
    case schema::TypedDate::kValid:
      return schema::FormatIsoDate(days);
    case schema::TypedDate::kNoSuchDay:
      return Status::InvalidArgument(std::string(option) + " '" + text + "' is not a date: that day does not exist");
    case schema::TypedDate::kMalformed:
      break;
  }
  return Status::InvalidArgument(std::string(option) + " '" + text + "' is not a date: give DD.MM.YYYY or YYYY-MM-DD");
}

// The published forms: the latest document of each form id, or of `only`.
Result<std::vector<json>> PublishedForms(ApiSession& session, const std::string& only) {
  DALA_ASSIGN_OR_RETURN(json list, session.Get("/api/v1/forms"));
  std::map<std::string, std::pair<int64_t, std::string>> latest;  // form id -> (published, hash)
  for (const json& f : list.value("forms", json::array())) {
    std::string id = f.value("form", "");
    if (!only.empty() && id != only) continue;
    auto& best = latest[id];
    if (f.value("published_ms", int64_t{0}) >= best.first) best = {f.value("published_ms", int64_t{0}), f.value("hash", "")};
  }
  std::vector<json> out;
  for (const auto& [id, best] : latest) {
    DALA_ASSIGN_OR_RETURN(json doc, session.Get("/api/v1/forms/" + UrlEncode(best.second)));
    out.push_back(std::move(doc));
  }
  return out;
}

// A centre's code from its code or its label in any language: exactly, or
// a part of one label only.
Result<std::string> CentreCode(const std::vector<json>& forms, const std::string& given) {
  std::set<std::string> exact, partial;
  for (const json& form : forms) {
    if (!form.contains("lists") || !form["lists"].contains("centres")) continue;
    for (const json& c : form["lists"]["centres"]) {
      std::string code = c.value("name", "");
      if (code == given) return code;
      if (!c.contains("label") || !c["label"].is_object()) continue;
      for (const auto& [lang, label] : c["label"].items()) {
        if (!label.is_string()) continue;
        std::string text = label.get<std::string>();
        if (text == given) exact.insert(code);
        if (text.find(given) != std::string::npos) partial.insert(code);
      }
    }
  }
  const std::set<std::string>& found = !exact.empty() ? exact : partial;
  if (found.size() == 1) return *found.begin();
  if (found.empty()) return Status::NotFound("no such centre '" + given + "' (give its code or its label)");
  std::string names;
  for (const std::string& c : found) names += (names.empty() ? "" : ", ") + c;
  return Status::InvalidArgument("'" + given + "' names several centres: " + names + "; give one of these codes");
}

// Why an empty list is a mistake, if it is one: a form or volunteer that
// does not exist is said so, not answered "No submissions match."
Status CheckNamesExist(ApiSession& session, const CoordListOptions& f) {
  if (!f.form.empty()) {
    DALA_ASSIGN_OR_RETURN(std::vector<json> forms, PublishedForms(session, f.form));
    if (forms.empty()) return Status::NotFound("no such form '" + f.form + "'");
  }
  if (!f.volunteer.empty()) {
    DALA_ASSIGN_OR_RETURN(json devices, session.Get("/api/v1/devices"));
    bool known = false;
    for (const json& d : devices.value("devices", json::array())) known = known || d.value("volunteer", "") == f.volunteer;
    if (!known)
      return Status::NotFound("no such user '" + f.volunteer + "' among the volunteers with a laptop (names are "
                              "case-sensitive)");
  }
  return Status::Ok();
}

// A submission's form, to print its answers as the volunteer sees them.
std::shared_ptr<const schema::Form> FormOf(ApiSession& session, const std::string& hash) {
  auto doc = session.Raw("GET", "/api/v1/forms/" + UrlEncode(hash), "");
  if (!doc.ok()) return nullptr;
  auto form = schema::Form::Load(doc->body);
  return form.ok() ? *form : nullptr;
}

}  // namespace

int CoordList(const CoordOptions& o, const CoordListOptions& given) {
  CoordListOptions f = given;
  auto from = FilterDate("--from", f.from);
  if (!from.ok()) return Fail(from.status());
  auto to = FilterDate("--to", f.to);
  if (!to.ok()) return Fail(to.status());
  f.from = *from;
  f.to = *to;
  auto session = ApiSession::Open(o);
  if (!session.ok()) return Fail(session.status());
  if (!f.centre.empty()) {
    auto forms = PublishedForms(*session, f.form);
    if (!forms.ok()) return Fail(forms.status());
    auto code = CentreCode(*forms, f.centre);
    if (!code.ok()) return Fail(code.status());
    f.centre = *code;
  }
  std::string q = "/api/v1/submissions?limit=" + std::to_string(f.limit);
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) q += std::string("&") + k + "=" + UrlEncode(v);
  };
  add("form", f.form);
  add("centre", f.centre);
  add("region", f.region);
  add("volunteer", f.volunteer);
  add("from", f.from);
  add("to", f.to);
  add("state", f.state);
  if (f.conflicts) q += "&conflicts=1";
  if (f.duplicates) q += "&duplicates=1";
  if (f.changed) q += "&changed=1";
  auto r = session->Get(q);
  if (!r.ok()) return Fail(r.status());
  if (f.json) {
    std::cout << r->dump(2) << "\n";
    return kExitOk;
  }
  const json& list = (*r)["submissions"];
  if (list.empty()) {
    if (Status s = CheckNamesExist(*session, f); !s.ok()) return Fail(s);
    std::cout << "No submissions match.\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(10) << "ID" << std::setw(22) << "FORM" << std::setw(14) << "VOLUNTEER"
            << std::setw(12) << "CENTRE" << std::setw(12) << "DATE" << std::setw(12) << "REVIEW"
            << "FLAGS\n";
  for (const json& s : list) PrintSubmissionRow(s);
  std::cout << list.size() << " submission" << (list.size() == 1 ? "" : "s") << "\n";
  return kExitOk;
}

int CoordShow(const CoordOptions& o, const std::string& id, bool as_json, bool history, const std::string& lang,
              bool codes) {
  auto session = ApiSession::Open(o);
  if (!session.ok()) return Fail(session.status());
  auto r = session->Get("/api/v1/submissions/" + UrlEncode(id) + (history ? "/history" : ""));
  if (!r.ok()) return Fail(r.status());
  if (as_json) {
    std::cout << r->dump(2) << "\n";
    return kExitOk;
  }
  if (history) {
    for (const json& e : (*r)["entries"]) {
      std::cout << "#" << e.value("log_index", 0) << "  " << e.value("hlc", "") << "  " << e.value("who", "") << "  "
                << e.value("kind", "") << "  " << e.value("id", "").substr(0, 12) << "\n";
      for (const json& c : e.value("changes", json::array()))
        std::cout << "      " << c.value("field", "") << ": " << c["from"].dump() << " → " << c["to"].dump() << "\n";
      if (e.contains("event")) std::cout << "      " << e["event"].dump() << "\n";
    }
    return kExitOk;
  }
  const json& s = *r;
  std::cout << "Submission " << s.value("id", "") << "\n"
            << "Form       " << s.value("form", "") << " " << s.value("form_version", "") << "\n"
            << "Volunteer  " << s.value("volunteer", "") << "\n"
            << "Review     " << s.value("review_state", "")
            << (s.value("review_comment", "").empty() ? "" : " — «" + s.value("review_comment", "") + "»")
            << (s.value("changed_since_review", false) ? "\n           changed by the volunteer after this decision" : "")
            << "\n"
            << "Heads      " << s["heads"].size() << "\n\n";
  auto form = FormOf(*session, s.value("form_hash", ""));
  if (form) {
    PrintAnswers(*form, form->top_level(), s["answers"], {}, 2, lang.empty() ? form->default_language() : lang, codes);
  } else {
    // Without its form (never the case for a published one), the raw answers.
    for (auto it = s["answers"].begin(); it != s["answers"].end(); ++it)
      std::cout << "  " << it.key() << ": " << it.value().dump() << "\n";
  }
  for (const json& c : s.value("conflicts", json::array())) {
    std::cout << "\n  ⚠ conflict in " << c.value("field", "") << ":\n";
    for (const json& k : c["candidates"])
      std::cout << "      " << k["value"].dump() << "  (" << k.value("who", "") << ", " << k.value("hlc", "") << ")\n";
  }
  return kExitOk;
}

namespace {

// One decision: with a key (--key or DALA_COORD_KEY), drafted by the
// server, signed here and sent (sync/README.md, "Decisions"); without one,
// the server-signed route `legacy`, which the server refuses once the
// person has a key. Returns the new envelope's id.
Result<std::string> Decide(const CoordOptions& o, ApiSession& session, json request, const std::string& legacy,
                           const json& legacy_body) {
  const std::string path = CoordKeyPath(o);
  if (path.empty()) {
    auto r = session.Post(legacy, legacy_body);
    if (!r.ok() && r.status().reason() == "decision_must_be_signed")
      return r.status().WithContext("you have an enrolled key: give it with --key FILE (or DALA_COORD_KEY)");
    if (!r.ok()) return r.status();
    return r->value("event", r->value("revision", ""));
  }
  DALA_ASSIGN_OR_RETURN(sync::SigningKey key, OpenCoordKey(path));
  request["key"] = ToHex(key.public_key());
  DALA_ASSIGN_OR_RETURN(json draft, session.Post("/api/v1/decisions/draft", request));
  const std::string user = !o.user.empty() ? o.user : (std::getenv("DALA_USER") ? std::getenv("DALA_USER") : "");
  SystemClock clock;
  DALA_ASSIGN_OR_RETURN(auto envelopes, SignDecisionDraft(draft, user, key, clock));
  DALA_ASSIGN_OR_RETURN(json appended, session.Post("/api/v1/decisions", {{"envelopes", envelopes}}));
  return appended.at("ids").at(0).get<std::string>() + " (signed with your key " +
         sync::KeyFingerprint(key.public_key()) + ")";
}

}  // namespace

int CoordKeyEnroll(const CoordOptions& o, const std::string& code, const std::string& label) {
  const std::string path = CoordKeyPath(o);
  if (path.empty()) return Fail("say which key: --key FILE (or DALA_COORD_KEY); `dala coord key init` makes one");
  auto key = OpenCoordKey(path);
  if (!key.ok()) return Fail(key.status());
  const std::string normalized = sync::NormalizeEnrollCode(code);
  if (normalized.empty()) return Fail("'" + code + "' is not an enrolment code: 12 letters and digits, like K7MX-Q4TR-P2NW");
  auto session = ApiSession::Open(o);
  if (!session.ok()) return Fail(session.status());
  json body = {{"key", ToHex(key->public_key())},
               {"proof", ToHex(sync::SignPersonKeyProof(*key, normalized))},
               {"code", normalized},
               {"label", label}};
  auto r = session->Post("/api/v1/me/keys", body);
  if (!r.ok()) return Fail(r.status());
  std::cout << "Enrolled key " << r->value("fingerprint", "") << " for " << r->value("person", "")
            << ": your decisions are now signed by you.\n";
  return kExitOk;
}

int CoordReview(const CoordOptions& o, const std::vector<std::string>& ids, const std::string& state,
                const std::string& comment) {
  auto session = ApiSession::Open(o);
  if (!session.ok()) return Fail(session.status());
  // Each decision is its own signed event: one refused (an unknown id,
  // say) is said and the others still go through; the exit says so.
  int exit = kExitOk;
  for (const std::string& id : ids) {
    auto r = Decide(o, *session, {{"action", "review"}, {"submission", id}, {"state", state}, {"comment", comment}},
                    "/api/v1/submissions/" + UrlEncode(id) + "/review", {{"state", state}, {"comment", comment}});
    if (!r.ok()) {
      exit = Fail(r.status().WithContext(id));
      continue;
    }
    std::cout << "Marked " << id << " as " << state << " (event " << r->substr(0, 12)
              << r->substr(std::min<size_t>(64, r->size())) << ")\n";
  }
  return exit;
}

int CoordEdit(const CoordOptions& o, const std::string& id, const std::vector<std::string>& sets,
              const std::string& note, bool resolve) {
  json changes = json::object();
  for (const std::string& s : sets) {
    auto a = ParseAssignment(s);
    if (!a.ok()) return Fail(a.status());
    changes[a->first] = a->second;
  }
  if (changes.empty() && !resolve) return Fail("nothing to change: give --set NAME=VALUE");
  auto session = ApiSession::Open(o);
  if (!session.ok()) return Fail(session.status());
  auto r = Decide(o, *session, {{"action", resolve ? "resolve" : "edit"}, {"submission", id}, {"set", changes}, {"note", note}},
                  "/api/v1/submissions/" + UrlEncode(id) + (resolve ? "/resolve" : "/edit"),
                  {{"set", changes}, {"note", note}});
  if (!r.ok()) return Fail(r.status());
  std::cout << (resolve ? "Resolved " : "Corrected ") << id << " (revision " << r->substr(0, 12)
            << (r->size() > 64 ? r->substr(64) : ", attested by the server for " + (o.user.empty() ? std::string("you") : o.user))
            << ")\n";
  return kExitOk;
}

int CoordDuplicates(const CoordOptions& o, bool as_json) {
  auto session = ApiSession::Open(o);
  if (!session.ok()) return Fail(session.status());
  auto r = session->Get("/api/v1/duplicates");
  if (!r.ok()) return Fail(r.status());
  if (as_json) {
    std::cout << r->dump(2) << "\n";
    return kExitOk;
  }
  if ((*r)["groups"].empty()) {
    std::cout << "No possible duplicates.\n";
    return kExitOk;
  }
  for (const json& g : (*r)["groups"]) {
    std::cout << "Possible duplicates (" << g.value("form", "") << ", " << g.value("label", "") << "):\n";
    for (const json& s : g["submissions"]) {
      std::cout << "  ";
      PrintSubmissionRow(s);
      // A group can hold a pair already kept apart, flagged for a third
      // record: say so, or the coordinator decides the same pair twice.
      std::string apart;
      for (const json& other : s.value("distinct_from", json::array())) {
        if (!other.is_string()) continue;
        std::string id = other.get<std::string>();
        apart += (apart.empty() ? "" : ", ") + (id.size() > 8 ? id.substr(id.size() - 8) : id);
      }
      if (!apart.empty()) std::cout << "            kept apart from " << apart << "\n";
    }
  }
  std::cout << "Decide with `dala coord merge-duplicate DUP --into KEEP` or `dala coord keep-both A B`.\n";
  return kExitOk;
}

int CoordDecideDuplicate(const CoordOptions& o, const std::string& subject, const std::string& other,
                         const std::string& decision) {
  auto session = ApiSession::Open(o);
  if (!session.ok()) return Fail(session.status());
  auto r = Decide(o, *session, {{"action", "duplicate"}, {"submission", subject}, {"other", other}, {"decision", decision}},
                  "/api/v1/duplicates/decide", {{"submission", subject}, {"other", other}, {"decision", decision}});
  if (!r.ok()) return Fail(r.status());
  std::cout << (decision == "merged_into" ? "Merged " + subject + " into " + other : "Kept " + subject + " and " + other + " as distinct")
            << "\n";
  return kExitOk;
}

int CoordExport(const CoordOptions& o, const CoordExportOptions& e) {
  if (e.format != "csv" && e.format != "json") return Fail("--format must be csv or json");
  auto session = ApiSession::Open(o);
  if (!session.ok()) return Fail(session.status());
  std::error_code ec;
  std::filesystem::create_directories(e.out, ec);
  if (ec) return Fail("cannot create " + e.out + ": " + ec.message());
  std::vector<std::string> written;
  auto write = [&](const std::string& name, const std::string& body) -> bool {
    std::string path = e.out + "/" + name;
    std::ofstream f(path, std::ios::binary);
    f << body;
    if (!f) return false;
    written.push_back(path);
    return true;
  };
  if (e.format == "json") {
    auto r = session->Raw("GET", "/api/v1/export/json?form=" + UrlEncode(e.form), "");
    if (!r.ok()) return Fail(r.status());
    if (!write(e.form + ".json", r->body)) return Fail("cannot write into " + e.out);
  } else {
    auto tables = session->Get("/api/v1/export/tables?form=" + UrlEncode(e.form));
    if (!tables.ok()) return Fail(tables.status());
    for (const json& t : (*tables)["tables"]) {
      std::string table = t.get<std::string>();
      auto r = session->Raw("GET", "/api/v1/export/csv?form=" + UrlEncode(e.form) + "&table=" + UrlEncode(table) +
                                       "&lang=" + UrlEncode(e.lang),
                            "");
      if (!r.ok()) return Fail(r.status());
      if (!write(table == "main" ? e.form + ".csv" : e.form + "-" + table + ".csv", r->body))
        return Fail("cannot write into " + e.out);
    }
  }
  for (const std::string& p : written) std::cout << "Wrote " << p << "\n";
  return kExitOk;
}

int CoordLogin(const CoordOptions& o) {
  auto session = ApiSession::Open(o);
  if (!session.ok()) return Fail(session.status());
  SavedSession saved = session->ToSave(o);
  if (Status s = SaveSession(saved); !s.ok()) return Fail(s);
  std::cout << "Logged in to " << saved.server << " as " << saved.user << ". Later `dala coord` commands use this "
            << "session until it expires or `dala coord logout`; it is kept in " << SessionPath() << "\n";
  return kExitOk;
}

int CoordLogout(const CoordOptions& o) {
  auto saved = LoadSession();
  if (saved.ok() && !saved->has_value()) {
    std::cout << "No saved session.\n";
    return kExitOk;
  }
  if (saved.ok()) {
    // Ended on the server too, so a copy of the cookie is worth nothing;
    // an expired one cannot be, and is forgotten all the same.
    auto session = ApiSession::Open(o);
    if (session.ok()) (void)session->Post("/api/v1/logout", json::object());
  }
  std::error_code ec;
  std::filesystem::remove(SessionPath(), ec);
  if (ec) return Fail("cannot remove " + SessionPath() + ": " + ec.message());
  std::cout << "Logged out.\n";
  return kExitOk;
}

}  // namespace dala::client::cli
