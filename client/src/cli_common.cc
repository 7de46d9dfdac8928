#include "cli_common.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli_words.h"
#include "transport_common.h"
#include "dala/base/environment.h"
#include "dala/base/terminal.h"
#include "dala/base/utf8.h"
#include "dala/schema/interview.h"
#include "dala/schema/value.h"
#include "dala/sync/crypto.h"
#include "dala/sync/protocol.h"

namespace dala::client::cli {

CliClock::CliClock() {
  if (const char* fixed = std::getenv("DALA_TEST_NOW_MS"); fixed != nullptr && *fixed != '\0') {
    fixed_ms_ = std::strtoll(fixed, nullptr, 10);
  }
  if (const char* off = std::getenv("DALA_TEST_UTC_OFFSET_MINUTES"); off != nullptr && *off != '\0') {
    fixed_offset_ = static_cast<int32_t>(std::strtol(off, nullptr, 10));
    fixed_offset_set_ = true;
  }
}

int64_t CliClock::NowMs() const {
  if (fixed_ms_ < 0) return system_.NowMs();
  // A fixed clock still moves, so successive events stay ordered.
  static int64_t ticks = 0;
  return fixed_ms_ + ticks++;
}

int32_t CliClock::UtcOffsetMinutes() const {
  return fixed_offset_set_ ? fixed_offset_ : system_.UtcOffsetMinutes();
}

std::string ResolveProfileDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (std::string home = GetEnv("DALA_HOME"); !home.empty()) return home;
#ifdef _WIN32
  if (std::string local = LocalAppDataDir(); !local.empty()) return local + "\\Dala";
#endif
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0')
    return std::string(xdg) + "/dala";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string(home) + "/.local/share/dala";
  return ".dala";
}

std::string DatabasePath(const Globals& g) { return ResolveProfileDir(g.profile_dir) + "/dala.db"; }

Result<std::unique_ptr<LocalStore>> OpenStore(const Globals& g) { return LocalStore::Open(DatabasePath(g)); }

Result<std::string> ReadSecret(std::string_view prompt, bool confirm, const char* env_name, std::string_view lang) {
  if (const char* env = std::getenv(env_name); env != nullptr) return std::string(env);
  DALA_ASSIGN_OR_RETURN(std::string first, AskOnTerminal(prompt, env_name));
  if (confirm) {
    DALA_ASSIGN_OR_RETURN(std::string second, AskOnTerminal(Tr(Say::kRepeatPassphrase, lang), env_name));
    bool same = first == second;
    Wipe(&second);
    if (!same) {
      Wipe(&first);
      return Status::InvalidArgument(Tr(Say::kPassphrasesDiffer, lang));
    }
  }
  return first;
}

Result<Device> UnlockDevice(LocalStore& store, std::string_view lang) {
  DALA_ASSIGN_OR_RETURN(std::string passphrase, ReadPassphrase(Tr(Say::kPassphrasePrompt, lang), false, lang));
  auto device = Device::Unlock(store, passphrase);
  Wipe(&passphrase);
  if (!device.ok() && device.status().code() == Status::Code::kUnauthenticated)
    return device.status().WithReason("wrong_passphrase");
  return device;
}

std::string MessageLanguage(const Globals& g, LocalStore* store) { return ChooseLanguage(g, store, "ru"); }

std::string Explain(const Status& status, std::string_view lang, std::string_view subject) {
  static const std::pair<const char*, Say> kKnown[] = {
      {"no_profile", Say::kNoProfile},           {"wrong_passphrase", Say::kWrongPassphrase},
      {"bad_record_id", Say::kBadRecordId},      {"no_such_record", Say::kNoSuchRecord},
      {"ambiguous_record", Say::kAmbiguousRecord}, {"profile_exists", Say::kProfileExists},
  };
  for (const auto& [reason, say] : kKnown)
    if (status.reason() == reason) return Tr(say, lang, {subject});
  return Describe(status);
}

int FailIn(std::string_view lang, const Status& status, std::string_view subject) {
  std::cerr << "dala: " << Explain(status, lang, subject) << "\n";
  return status.ok() ? kExitFailure : ExitCodeFor(status);
}

void Warn(const std::string& text) { std::cerr << WrapText("dala: " + text, TerminalWidth(), 6) << "\n"; }

std::string ChooseLanguage(const Globals& g, LocalStore* store, const std::string& fallback) {
  if (!g.language.empty()) return g.language;
  if (store != nullptr) {
    auto lang = store->Get(profile_key::kLanguage);
    if (lang.ok() && *lang && !(*lang)->empty()) return **lang;
  }
  return fallback;
}

int ExitCodeFor(const Status& status) { return status.ok() ? kExitOk : kExitFailure; }

std::string Describe(const Status& status) {
  if (status.reason().empty()) return status.message();
  return status.message() + " (" + status.reason() + ")";
}

int Fail(const Status& status, std::string_view advice) {
  // One clear line: later lines (a form's full problem list) follow it.
  std::cerr << "dala: " << Describe(status) << (advice.empty() ? "" : "; ") << advice << "\n";
  // Fail is only called on a failure; an OK status here is still one.
  return status.ok() ? kExitFailure : ExitCodeFor(status);
}

int Fail(std::string_view message) {
  std::cerr << "dala: " << message << "\n";
  return kExitFailure;
}

std::string FormatLocalTime(int64_t epoch_ms, int32_t offset_minutes) {
  std::string iso = schema::FormatIsoDateTime(epoch_ms, offset_minutes);
  // "2026-11-27T10:15:00.000+05:00" -> "2026-11-27 10:15"
  return iso.size() >= 16 ? iso.substr(0, 10) + " " + iso.substr(11, 5) : iso;
}

std::string ShortId(const std::array<uint8_t, 16>& id) { return sync::ShortId(id); }

std::string Pad(const std::string& text, size_t width) {
  size_t length = utf8::Length(text);
  return length >= width ? text + " " : text + std::string(width - length, ' ');
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError("error reading " + path);
  return ss.str();
}

bool WriteFileReplacing(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    std::error_code ignored;
    if (!out.good()) {
      out.close();
      std::filesystem::remove(tmp, ignored);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return !ec;
}

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Printable(std::string_view text) { return utf8::Printable(text); }

bool StdinIsTerminal() { return ::isatty(STDIN_FILENO) == 1; }
bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string Fingerprint(const std::string& public_hex) {
  std::string out;
  for (size_t i = 0; i < 16 && i < public_hex.size(); i += 4) out += (out.empty() ? "" : " ") + public_hex.substr(i, 4);
  return out;
}

Result<std::unique_ptr<Transport>> ProfileTransport(LocalStore& store, std::string* ca_file) {
  DALA_ASSIGN_OR_RETURN(auto url, store.Get(profile_key::kServerUrl));
  if (!url || url->empty()) return Status::FailedPrecondition("this laptop is not enrolled").WithReason("not_enrolled");
  if (ca_file->empty()) {
    DALA_ASSIGN_OR_RETURN(auto saved, store.Get(profile_key::kServerCaFile));
    if (saved) *ca_file = *saved;
  }
  DALA_ASSIGN_OR_RETURN(std::string allow_http, store.GetOr(profile_key::kAllowPlainHttp, ""));
  return MakeHttpTransport(*url, {10, 120, *ca_file, allow_http == "1"});
}

std::string RecordSummary(const schema::Form* form, const nlohmann::json& answers, const std::string& lang) {
  if (form == nullptr || !answers.is_object()) return "";
  std::string out;
  for (const std::string& name : form->summary()) {
    auto it = answers.find(name);
    const schema::Question* q = form->Find(name);
    if (it == answers.end() || q == nullptr) continue;
    if (!out.empty()) out += " · ";
    out += schema::DescribeAnswer(*form, q->index, *it, lang);
  }
  return out;
}

std::string NetworkWords(const Status& s, std::string_view lang, const std::string& url, const std::string& ca_file,
                         const std::string& code) {
  static const std::pair<const char*, Say> kKnown[] = {
      {"unreachable", Say::kCannotReach},
      {"tls_wrong_host", Say::kTlsWrongHost},
      {"tls_untrusted", Say::kTlsUntrusted},
      {"tls_wrong_ca", Say::kTlsWrongCa},
      {"tls_expired", Say::kTlsExpired},
      {"tls_not_yet_valid", Say::kTlsNotYetValid},
      {"tls_refused", Say::kTlsRefused},
      {"tls_ca_unreadable", Say::kTlsCaUnreadable},
      {"tls_no_handshake", Say::kTlsNoHandshake},
      {"https_server", Say::kHttpsServer},
      {"enrolled_elsewhere", Say::kEnrolledElsewhere},
      {"bad_enrol_code", Say::kNotAnEnrolCode},
      {"enrolled_differently", Say::kEnrolledDifferently},
      {sync::kLogBehindCheckpoint.data(), Say::kLogBehindCheckpoint},
      {"plain_http", Say::kPlainHttp},
      {"bad_enroll_code", Say::kUnknownEnrolCode},
  };
  // Host of "http(s)://host[:port]/..."; "[v6]" without its brackets.
  std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  std::string host = !rest.empty() && rest.front() == '['
                         ? rest.substr(1, rest.find(']') - 1)
                         : rest.substr(0, std::min(rest.find(':'), rest.find('/')));
  const std::string https = url.rfind("http://", 0) == 0 ? "https://" + url.substr(7) : url;
  for (const auto& [reason, say] : kKnown) {
    if (s.reason() != reason) continue;
    switch (say) {
      case Say::kTlsWrongHost: return Tr(say, lang, {host});
      case Say::kTlsWrongCa:
      case Say::kTlsCaUnreadable: return Tr(say, lang, {ca_file});
      case Say::kHttpsServer: return Tr(say, lang, {https});
      case Say::kNotAnEnrolCode:
      case Say::kUnknownEnrolCode: return Tr(say, lang, {code});
      case Say::kTlsRefused: {
        // Which check refused it, and the library's code: nothing a
        // volunteer can act on alone, but what whoever helps them needs.
        const std::string detail = transport_internal::RefusalDetail(s);
        return Tr(say, lang, {url}) + (detail.empty() ? "" : " (" + detail + ")");
      }
      default: return Tr(say, lang, {url});
    }
  }
  return Describe(s);
}

// Whether trying again once the link is back could help: the server could
// not be reached, or stopped answering, or a handshake was cut off. A
// certificate or an address that is wrong stays wrong; its own words say
// what to change.
bool WorthTryingAgain(const Status& s) {
  const std::string& reason = s.reason();
  if (s.code() != Status::Code::kUnavailable) return false;
  return reason == "tls_no_handshake" || (reason.rfind("tls_", 0) != 0 && reason != "https_server");
}

}  // namespace dala::client::cli
