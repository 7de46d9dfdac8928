// `dala enroll`, `dala sync`, `dala receipts`.

#ifdef _WIN32
#include <windows.h>

#include "dala/base/console.h"
#else
#include <unistd.h>
#endif

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_words.h"
#include "receipt_export.h"
#include "transport_common.h"
#include "dala/base/utf8.h"
#include "dala/client/sync_client.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/merkle.h"
#include "dala/sync/protocol.h"

namespace dala::client::cli {

using nlohmann::json;

std::string Hostname() {
#ifdef _WIN32
  wchar_t wide[MAX_COMPUTERNAME_LENGTH + 1] = {};
  DWORD size = MAX_COMPUTERNAME_LENGTH + 1;
  if (::GetComputerNameW(wide, &size) == 0) return "laptop";
  return Utf16ToUtf8(std::wstring_view(wide, size));
#else
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "laptop";
  return name;
#endif
}

namespace {

// "[#######.............]  350/1000 sent" on a terminal; nothing otherwise.
class ProgressBar {
 public:
  ProgressBar(bool enabled, std::string lang) : enabled_(enabled), lang_(std::move(lang)) {}
  void Update(const SyncProgress& p) {
    if (!enabled_ || p.to_send == 0) return;
    const int width = 30;
    uint64_t done = std::min(p.sent, p.to_send);
    int filled = static_cast<int>(width * done / p.to_send);
    std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
              << Tr(Say::kProgressSent, lang_, {std::to_string(done), std::to_string(p.to_send)}) << std::flush;
    drawn_ = true;
  }
  ~ProgressBar() {
    if (drawn_) std::cerr << "\n";
  }

 private:
  bool enabled_;
  std::string lang_;
  bool drawn_ = false;
};

// What a sync did and what the volunteer should do about it, in `lang`.
void PrintSyncOutcome(const SyncOutcome& outcome, const Clock& clock, const std::string& lang) {
  for (const std::string& w : outcome.log_warnings)
    std::cerr << "\n!!! WARNING: " << Printable(w) << "\n" << Tr(Say::kLogWarning, lang) << "\n";
  auto n = [](auto v) { return std::to_string(v); };
  std::cout << Tr(Say::kSyncSummary, lang,
                  {n(outcome.accepted), n(outcome.received_envelopes), n(outcome.received_forms),
                   n(outcome.exchanges), n(outcome.bytes_sent), n(outcome.bytes_received)})
            << "\n";
  if (outcome.restamped > 0) std::cout << Tr(Say::kRestamped, lang, {n(outcome.restamped)}) << "\n";
  for (const auto& rej : outcome.rejections) {
    std::cout << Tr(Say::kRejectedSequence, lang, {std::to_string(rej.sequence), rej.code, Printable(rej.reason)})
              << (IsRetryableRejection(rej.code) ? " " + Tr(Say::kWillRetry, lang) : "") << "\n";
    if (IsHistoryConflict(rej.code)) std::cout << Tr(Say::kHistoryConflict, lang) << "\n";
  }
  for (const SetAsideRecord& r : outcome.set_aside) {
    std::string id = sync::FormatSubmissionId(r.submission);
    std::cout << Tr(Say::kRecordSetAside, lang, {id.substr(id.size() - 8), Printable(r.reason), n(r.draft)}) << "\n";
  }
  if (outcome.clock_ahead || std::llabs(outcome.clock_offset_ms) > 5 * 60 * 1000) {
    std::cout << Tr(outcome.clock_offset_ms < 0 ? Say::kClockAheadOfServer : Say::kClockBehindServer, lang,
                    {n(std::llabs(outcome.clock_offset_ms) / 60000),
                     FormatLocalTime(outcome.server_time_ms, clock.UtcOffsetMinutes())})
              << "\n";
  }
  // A form this laptop lacks can leave out thousands: the first few say why.
  constexpr size_t kShown = 10;
  for (size_t i = 0; i < outcome.refused_updates.size() && i < kShown; ++i)
    std::cout << Tr(Say::kNotTakenIn, lang, {Printable(outcome.refused_updates[i])}) << "\n";
  if (outcome.refused_updates.size() > kShown)
    std::cout << Tr(Say::kMoreNotTakenIn, lang, {n(outcome.refused_updates.size() - kShown)}) << "\n";
  if (!outcome.refused_updates.empty()) std::cout << Tr(Say::kNotTakenInAdvice, lang) << "\n";
}

}  // namespace

int EnrollCommand(const Globals& g, const EnrollOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  auto device = UnlockDevice(**store, MessageLanguage(g, store->get()));
  if (!device.ok()) return Fail(device.status());
  std::string url = o.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto transport = MakeHttpTransport(url, {10, 60, o.ca_file, o.allow_http});
  if (!transport.ok()) return Fail(transport.status());
  EnrollSettings settings;
  settings.allow_http = o.allow_http;
  if (!o.ca_file.empty()) {
    // Later syncs trust the same certificate authority without being told.
    std::error_code ec;
    std::string absolute = std::filesystem::absolute(o.ca_file, ec).string();
    settings.ca_file = ec ? o.ca_file : absolute;
  }
  CliClock clock;
  auto result =
      Enroll(**store, *device, **transport, url, o.code, o.label.empty() ? Hostname() : o.label, clock, settings);
  const std::string lang = MessageLanguage(g, store->get());
  if (!result.ok()) {
    std::string enrolled_with = url;
    if (result.status().reason() == "enrolled_elsewhere") {
      auto existing = (*store)->GetOr(profile_key::kServerUrl, url);
      if (existing.ok()) enrolled_with = *existing;
    }
    std::cerr << "dala: " << Tr(Say::kEnrolFailed, lang) << ": "
              << NetworkWords(result.status(), lang, enrolled_with, o.ca_file, o.code);
    // The server may have enrolled this laptop and its answer been lost:
    // the same command again finishes it (the server answers again).
    if (WorthTryingAgain(result.status())) std::cerr << "; " << Tr(Say::kEnrollAgain, lang);
    std::cerr << "\n";
    return ExitCodeFor(result.status());
  }
  std::cout << Tr(Say::kEnrolled, lang, {url, Printable(result->volunteer)}) << "\n"
            << Tr(Say::kServerKeyIs, lang, {result->server_key_hex.substr(0, 16), Printable(result->origin)}) << "\n"
            << Tr(Say::kRunSyncForForms, lang) << "\n";
  return kExitOk;
}

int SyncCommand(const Globals& g, const SyncCommandOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  const std::string lang = MessageLanguage(g, store->get());
  auto url = (*store)->Get(profile_key::kServerUrl);
  if (!url.ok()) return Fail(url.status());
  if (!*url || (*url)->empty()) return Fail(Tr(Say::kNotEnrolled, lang));
  auto device = UnlockDevice(**store, lang);
  if (!device.ok()) return FailIn(lang, device.status());
  std::string ca_file = o.ca_file;
  auto transport = ProfileTransport(**store, &ca_file);
  if (!transport.ok()) return Fail(transport.status());
  CliClock clock;
  sync::SystemRandom random;
  SyncOptions options;
  if (o.batch > 0) options.batch_envelopes = o.batch;
  SyncClient client(**store, *device, **transport, clock, random, options);
  SyncOutcome outcome;
  {
    ProgressBar bar(StderrIsTerminal() && !g.quiet, lang);
    auto r = client.Run([&](const SyncProgress& p) { bar.Update(p); });
    if (!r.ok()) {
      std::cerr << "dala: " << Tr(Say::kSyncFailed, lang) << ": " << NetworkWords(r.status(), lang, **url, ca_file);
      if (WorthTryingAgain(r.status())) std::cerr << "; " << Tr(Say::kNothingLost, lang);
      std::cerr << "\n";
      // The most important thing a laptop can learn about its server.
      if (r.status().reason() == sync::kLogBehindCheckpoint) std::cerr << Tr(Say::kLogWarning, lang) << "\n";
      return ExitCodeFor(r.status());
    }
    outcome = *r;
  }
  PrintSyncOutcome(outcome, clock, lang);
  auto returned = (*store)->CountReturned();
  if (returned.ok() && *returned > 0) std::cout << Tr(Say::kSentBack, lang, {std::to_string(*returned)}) << "\n";
  if (!outcome.log_warnings.empty()) return kExitFailure;
  // A sync that leaves a record behind has not done its job, whatever the
  // reason; scripts and the volunteer both need to know.
  if (!outcome.rejections.empty() || !outcome.set_aside.empty()) {
    std::cerr << "dala: " << Tr(Say::kNotEveryRecord, lang) << "\n";
    return kExitFailure;
  }
  if (!outcome.refused_updates.empty()) {
    std::cerr << "dala: " << Tr(Say::kNotEveryUpdate, lang) << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int ReceiptsCommand(const Globals& g, const ReceiptsOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return FailIn(MessageLanguage(g, nullptr), store.status(), DatabasePath(g));
  const std::string lang = MessageLanguage(g, store->get());
  auto receipts = (*store)->ListReceipts();
  if (!receipts.ok()) return Fail(receipts.status());
  CliClock clock;
  if (!o.export_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.export_dir, ec);
    if (ec) return Fail(Tr(Say::kCannotCreate, lang, {o.export_dir, ec.message()}));
    auto files = ReceiptFiles(**store);
    if (!files.ok()) return Fail(files.status());
    for (const ReceiptFile& f : *files) {
      std::string path = o.export_dir + "/" + f.name;
      std::ofstream out(path);
      out << f.text;
      if (!out) return Fail(Tr(Say::kCannotWrite, lang, {path}));
    }
    std::cout << Tr(Say::kReceiptsExported, lang, {std::to_string(receipts->size()), o.export_dir}) << "\n";
    return kExitOk;
  }
  if (o.json) {
    json all = json::array();
    for (const ReceiptRow& r : *receipts)
      all.push_back({{"sequence", r.sequence}, {"envelope", ToHex(r.envelope)}, {"leaf_index", r.leaf_index},
                     {"tree_size", r.tree_size}, {"received_ms", r.received_ms}});
    std::cout << DumpJson(all) << "\n";
    return kExitOk;
  }
  if (receipts->empty()) {
    std::cout << Tr(Say::kNoReceipts, lang) << "\n";
    return kExitOk;
  }
  std::cout << Pad(Tr(Say::kColumnReceived, lang), 18) << Pad(Tr(Say::kColumnCovers, lang), 12)
            << Pad(Tr(Say::kColumnLogEntry, lang), 16) << Pad(Tr(Say::kColumnLogSize, lang), 16)
            << Tr(Say::kColumnEnvelope, lang) << "\n";
  for (const ReceiptRow& r : *receipts) {
    std::cout << Pad(FormatLocalTime(r.received_ms, clock.UtcOffsetMinutes()), 18)
              << Pad("1.." + std::to_string(r.sequence), 12) << Pad(std::to_string(r.leaf_index), 16)
              << Pad(std::to_string(r.tree_size), 16) << ToHex(r.envelope).substr(0, 16) << "\n";
  }
  std::cout << Tr(Say::kReceiptsExplain, lang) << "\n";
  return kExitOk;
}

}  // namespace dala::client::cli
