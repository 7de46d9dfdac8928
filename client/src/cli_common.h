// What every `dala` subcommand shares: where the profile is, which
// language to speak, how to ask for the passphrase, how to print.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dala/base/clock.h"
#include "dala/base/status.h"
#include "dala/base/terminal.h"
#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/client/transport.h"

namespace dala::client::cli {

// Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Globals {
  std::string profile_dir;  // --profile, DALA_HOME, or ~/.local/share/dala
  std::string language;     // --lang; empty: the profile's, else the form's default
  bool quiet = false;
};

// The clock `dala` uses: the system's, unless DALA_TEST_NOW_MS fixes it
// (for end-to-end tests of date rules; never needed in the field).
class CliClock final : public Clock {
 public:
  CliClock();
  int64_t NowMs() const override;
  int32_t UtcOffsetMinutes() const override;

 private:
  SystemClock system_;
  int64_t fixed_ms_ = -1;
  int32_t fixed_offset_ = 0;
  bool fixed_offset_set_ = false;
};

[[nodiscard]] std::string ResolveProfileDir(const std::string& flag);
[[nodiscard]] std::string DatabasePath(const Globals& g);

// Opens the profile's store; the error names the path and what to do.
Result<std::unique_ptr<LocalStore>> OpenStore(const Globals& g);

// A secret from the environment variable `env_name`, or asked on the
// terminal without echo. `confirm` asks twice (for `init`), in `lang`.
Result<std::string> ReadSecret(std::string_view prompt, bool confirm, const char* env_name,
                               std::string_view lang = "en");
// The device passphrase: DALA_PASSPHRASE or the terminal.
inline Result<std::string> ReadPassphrase(std::string_view prompt, bool confirm, std::string_view lang = "en") {
  return ReadSecret(prompt, confirm, "DALA_PASSPHRASE", lang);
}

// Asks for the passphrase in `lang` and opens the device key; a wrong one
// is Unauthenticated with reason "wrong_passphrase".
Result<Device> UnlockDevice(LocalStore& store, std::string_view lang);

// The language to speak: --lang, else the profile's, else `fallback`.
[[nodiscard]] std::string ChooseLanguage(const Globals& g, LocalStore* store, const std::string& fallback);
// The language of `dala`'s own messages: --lang, else the profile's, else
// Russian (the default of `dala init`).
[[nodiscard]] std::string MessageLanguage(const Globals& g, LocalStore* store);

// The failure in `lang` when its reason is one a volunteer meets
// (no_profile, wrong_passphrase, bad_record_id, no_such_record,
// ambiguous_record, profile_exists), naming `subject` (the path or the id
// given); else Describe(status).
[[nodiscard]] std::string Explain(const Status& status, std::string_view lang, std::string_view subject = {});
// Prints "dala: <Explain(...)>" to stderr and returns ExitCodeFor(status).
[[nodiscard]] int FailIn(std::string_view lang, const Status& status, std::string_view subject = {});

// Prints `text` to stderr as a warning, wrapped at the terminal's width.
void Warn(const std::string& text);

// The exit code for a failure: from its code, never its wording (every
// failure is kExitFailure for now; kExitUsage is CLI11's).
[[nodiscard]] int ExitCodeFor(const Status& status);

// The message, then the reason in parentheses when there is one: the name
// the server gave its refusal ("... (already_enrolled)"), which a
// coordinator or server/API.md knows it by.
[[nodiscard]] std::string Describe(const Status& status);

// Prints "dala: <Describe(status)>" (and "; <advice>" when given) to stderr
// and returns ExitCodeFor(status).
[[nodiscard]] int Fail(const Status& status, std::string_view advice = {});
// Prints "dala: <message>" to stderr and returns kExitFailure.
[[nodiscard]] int Fail(std::string_view message);

// "2026-11-27 10:15" in the given UTC offset.
[[nodiscard]] std::string FormatLocalTime(int64_t epoch_ms, int32_t offset_minutes);
// What `dala list` shows: the id's last 8 hex digits (sync::ShortId; the
// whole id or any unique end of 8 or more digits is accepted wherever an id
// is asked for).
// `text` left-aligned in `width` code points, at least one space after it
// (std::setw counts bytes, which misaligns Cyrillic columns).
[[nodiscard]] std::string Pad(const std::string& text, size_t width);
[[nodiscard]] std::string ShortId(const std::array<uint8_t, 16>& id);

Result<std::string> ReadWholeFile(const std::string& path);
// Writes `bytes` beside `path` and renames it over: a failed write leaves
// neither a half-written file nor a changed one.
[[nodiscard]] bool WriteFileReplacing(const std::string& path, std::string_view bytes);

// JSON for --json output, indented. Strings that are not UTF-8 (a damaged
// record, a hostile bundle) come out with U+FFFD in place of the bad bytes
// instead of the dump throwing.
[[nodiscard]] std::string DumpJson(const nlohmann::json& j);
// `text` safe to print on a terminal: bytes that are not UTF-8 become
// U+FFFD and control characters (escape sequences) "?", newlines and tabs
// kept.
[[nodiscard]] std::string Printable(std::string_view text);

[[nodiscard]] bool StdinIsTerminal();
[[nodiscard]] bool StderrIsTerminal();

// The start of a device key (hex) in groups of four, as people read keys
// aloud to a coordinator.
[[nodiscard]] std::string Fingerprint(const std::string& public_hex);

// The answers of the form's `summary` questions (a centre, a date), as
// `dala list` and `dala ui`'s Home tell records apart: "ЦОН №1 · 2026-12-01".
[[nodiscard]] std::string RecordSummary(const schema::Form* form, const nlohmann::json& answers,
                                        const std::string& lang);

// The connection to the profile's server, as enrolment recorded it (its
// address, private CA, plain-http consent). `ca_file`: a CA given on the
// command line, else set to the profile's; empty when none.
Result<std::unique_ptr<Transport>> ProfileTransport(LocalStore& store, std::string* ca_file);

// This computer's name: the label a laptop enrols under unless told another.
[[nodiscard]] std::string Hostname();

// A failed enrolment or sync in `lang`, as the volunteer reads it, on the
// command line and on the page alike: the transport's and enrolment's
// reasons in sentences of their own, filled from the server's address
// `url`, the CA file and the enrolment code; any other failure in its
// own message.
[[nodiscard]] std::string NetworkWords(const Status& s, std::string_view lang, const std::string& url,
                                       const std::string& ca_file, const std::string& code = "");

// Whether trying again once the link is back could help (so "nothing is
// lost, try again" may follow the words above): not for a certificate or
// an address that is wrong, which stays wrong.
[[nodiscard]] bool WorthTryingAgain(const Status& s);

}  // namespace dala::client::cli
