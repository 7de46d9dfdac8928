// `dala enroll`, `dala sync`, `dala receipts`.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "dala/client/sync_client.h"
#include "dala/sync/checkpoint.h"
#include "dala/sync/merkle.h"

namespace dala::client::cli {

using nlohmann::json;

namespace {

std::string Hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "laptop";
  return name;
}

// "[#######.............]  350/1000 sent" on a terminal; nothing otherwise.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void Update(const SyncProgress& p) {
    if (!enabled_ || p.to_send == 0) return;
    const int width = 30;
    uint64_t done = std::min(p.sent, p.to_send);
    int filled = static_cast<int>(width * done / p.to_send);
    std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done << "/"
              << p.to_send << " sent" << std::flush;
    drawn_ = true;
  }
  ~ProgressBar() {
    if (drawn_) std::cerr << "\n";
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace

int EnrollCommand(const Globals& g, const EnrollOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  auto device = UnlockDevice(**store);
  if (!device.ok()) return Fail(device.status());
  std::string url = o.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto transport = MakeHttpTransport(url, {10, 60, o.ca_file, o.allow_http});
  if (!transport.ok()) return Fail(transport.status());
  CliClock clock;
  auto result = Enroll(**store, *device, **transport, url, o.code, o.label.empty() ? Hostname() : o.label, clock);
  if (!result.ok()) return Fail(result.status().WithContext("enrolment failed"));
  if (!o.ca_file.empty()) {
    // Later syncs trust the same certificate authority without being told.
    std::error_code ec;
    std::string absolute = std::filesystem::absolute(o.ca_file, ec).string();
    if (Status s = (*store)->Put(profile_key::kServerCaFile, ec ? o.ca_file : absolute); !s.ok()) return Fail(s);
  }
  // Said once, at enrolment, for every later sync.
  if (o.allow_http) {
    if (Status s = (*store)->Put(profile_key::kAllowPlainHttp, "1"); !s.ok()) return Fail(s);
  }
  std::cout << "Enrolled with " << url << " as volunteer " << result->volunteer << ".\n"
            << "Server key: " << result->server_key_hex.substr(0, 16) << "… (" << result->origin << ")\n"
            << "Run `dala sync` to receive the forms.\n";
  return kExitOk;
}

int SyncCommand(const Globals& g, const SyncCommandOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  auto url = (*store)->Get(profile_key::kServerUrl);
  if (!url.ok()) return Fail(url.status());
  if (!*url || (*url)->empty()) return Fail("this laptop is not enrolled with a server (run `dala enroll URL CODE`)");
  auto device = UnlockDevice(**store);
  if (!device.ok()) return Fail(device.status());
  std::string ca_file = o.ca_file;
  if (ca_file.empty()) {
    auto saved = (*store)->Get(profile_key::kServerCaFile);
    if (saved.ok() && *saved) ca_file = **saved;
  }
  auto allow_http = (*store)->GetOr(profile_key::kAllowPlainHttp, "");
  if (!allow_http.ok()) return Fail(allow_http.status());
  auto transport = MakeHttpTransport(**url, {10, 120, ca_file, *allow_http == "1"});
  if (!transport.ok()) return Fail(transport.status());
  CliClock clock;
  sync::SystemRandom random;
  SyncOptions options;
  if (o.batch > 0) options.batch_envelopes = o.batch;
  SyncClient client(**store, *device, **transport, clock, random, options);
  SyncOutcome outcome;
  {
    ProgressBar bar(StderrIsTerminal() && !g.quiet);
    auto r = client.Run([&](const SyncProgress& p) { bar.Update(p); });
    if (!r.ok()) {
      if (r.status().code() == Status::Code::kUnavailable)
        return Fail(r.status(), "nothing is lost, run `dala sync` again when the link is back");
      return Fail(r.status().WithContext("sync failed"));
    }
    outcome = *r;
  }
  for (const std::string& w : outcome.log_warnings) {
    std::cerr << "\n!!! WARNING: " << w << "\n"
              << "!!! The server may have altered or dropped records. Keep this laptop's receipts\n"
              << "!!! (`dala receipts --export DIR`) and tell your auditor.\n";
  }
  std::cout << "Sent " << outcome.accepted << " record version" << (outcome.accepted == 1 ? "" : "s") << ", received "
            << outcome.received_envelopes << " update" << (outcome.received_envelopes == 1 ? "" : "s") << " and "
            << outcome.received_forms << " form" << (outcome.received_forms == 1 ? "" : "s") << " in "
            << outcome.exchanges << " exchange" << (outcome.exchanges == 1 ? "" : "s") << " (" << outcome.bytes_sent
            << " bytes up, " << outcome.bytes_received << " down).\n";
  if (outcome.restamped > 0)
    std::cout << "  " << outcome.restamped << " record version" << (outcome.restamped == 1 ? " was" : "s were")
              << " stamped again: they were made while this laptop's clock ran ahead.\n";
  for (const auto& rej : outcome.rejections) {
    std::cout << "  ✗ sequence " << rej.sequence << ": " << rej.code << " — " << rej.reason
              << (IsRetryableRejection(rej.code) ? " (will retry)" : "") << "\n";
    if (IsHistoryConflict(rej.code))
      std::cout << "    The server holds a different history of this laptop's records (was the laptop restored "
                   "from a copy?). Nothing is deleted; ask your coordinator before syncing again.\n";
  }
  for (const SetAsideRecord& r : outcome.set_aside) {
    std::string id = sync::FormatSubmissionId(r.submission);
    std::cout << "  ✗ record " << id.substr(id.size() - 8) << " was refused by the server (" << r.reason
              << ").\n    Its answers are kept as draft " << r.draft << ": correct them with `dala collect --draft "
              << r.draft << "`.\n";
  }
  if (outcome.clock_ahead || std::llabs(outcome.clock_offset_ms) > 5 * 60 * 1000) {
    std::cout << "  This laptop's clock is " << (outcome.clock_offset_ms < 0 ? "ahead of" : "behind")
              << " the server's by about " << std::llabs(outcome.clock_offset_ms) / 60000
              << " minutes (server time " << FormatLocalTime(outcome.server_time_ms, clock.UtcOffsetMinutes())
              << "). Set the correct date and time.\n";
  }
  // A form this laptop lacks can leave out thousands: the first few say why.
  constexpr size_t kShown = 10;
  for (size_t i = 0; i < outcome.refused_updates.size() && i < kShown; ++i)
    std::cout << "  ✗ not taken in: " << outcome.refused_updates[i] << "\n";
  if (outcome.refused_updates.size() > kShown)
    std::cout << "  ✗ … and " << outcome.refused_updates.size() - kShown << " more not taken in\n";
  if (!outcome.refused_updates.empty())
    std::cout << "    Nothing of it was stored, and the rest of the sync went on. Tell your coordinator: the "
                 "server sent something this laptop cannot accept.\n";
  auto returned = (*store)->CountReturned();
  if (returned.ok()) {
    int64_t count = *returned;
    if (count > 0)
      std::cout << count << " record" << (count == 1 ? " was" : "s were")
                << " sent back for correction: see `dala list --returned`.\n";
  }
  if (!outcome.log_warnings.empty()) return kExitFailure;
  // A sync that leaves a record behind has not done its job, whatever the
  // reason; scripts and the volunteer both need to know.
  if (!outcome.rejections.empty() || !outcome.set_aside.empty()) {
    std::cerr << "dala: not every record was accepted; see above\n";
    return kExitFailure;
  }
  if (!outcome.refused_updates.empty()) {
    std::cerr << "dala: not every update from the server was taken in; see above\n";
    return kExitFailure;
  }
  return kExitOk;
}

int ReceiptsCommand(const Globals& g, const ReceiptsOptions& o) {
  auto store = OpenStore(g);
  if (!store.ok()) return Fail(store.status());
  auto receipts = (*store)->ListReceipts();
  if (!receipts.ok()) return Fail(receipts.status());
  auto device_hex = (*store)->Get(profile_key::kDevicePublic);
  if (!device_hex.ok()) return Fail(device_hex.status());
  CliClock clock;
  if (!o.export_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.export_dir, ec);
    if (ec) return Fail("cannot create " + o.export_dir + ": " + ec.message());
    for (const ReceiptRow& r : *receipts) {
      json proof = json::array();
      for (const auto& h : r.proof) proof.push_back(ToBase64(sync::AsBytes(h)));
      json j = {{"device", device_hex->value_or("")},
                {"sequence", r.sequence},
                {"envelope", ToHex(r.envelope)},
                {"leaf_index", r.leaf_index},
                {"tree_size", r.tree_size},
                {"proof", proof},
                {"checkpoint", r.checkpoint}};
      std::string path = o.export_dir + "/receipt-" + std::to_string(r.sequence) + ".json";
      std::ofstream out(path);
      out << j.dump(2) << "\n";
      if (!out) return Fail("cannot write " + path);
    }
    std::cout << "Exported " << receipts->size() << " receipt" << (receipts->size() == 1 ? "" : "s") << " to "
              << o.export_dir << "\n";
    return kExitOk;
  }
  if (o.json) {
    json all = json::array();
    for (const ReceiptRow& r : *receipts)
      all.push_back({{"sequence", r.sequence}, {"envelope", ToHex(r.envelope)}, {"leaf_index", r.leaf_index},
                     {"tree_size", r.tree_size}, {"received_ms", r.received_ms}});
    std::cout << all.dump(2) << "\n";
    return kExitOk;
  }
  if (receipts->empty()) {
    std::cout << "No receipts yet: they arrive with each sync.\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(18) << "RECEIVED" << std::setw(12) << "COVERS" << std::setw(12) << "LOG ENTRY"
            << std::setw(12) << "LOG SIZE"
            << "ENVELOPE\n";
  for (const ReceiptRow& r : *receipts) {
    std::cout << std::setw(18) << FormatLocalTime(r.received_ms, clock.UtcOffsetMinutes()) << std::setw(12)
              << ("1.." + std::to_string(r.sequence)) << std::setw(12) << r.leaf_index << std::setw(12) << r.tree_size
              << ToHex(r.envelope).substr(0, 16) << "\n";
  }
  std::cout << "Each receipt proves, under the server's signed checkpoint, that the envelope is in the log;\n"
               "the device chain links it to every earlier record of this laptop.\n";
  return kExitOk;
}

}  // namespace dala::client::cli
