// Writes a seed corpus for every fuzz target into DIR/<target>/, made with
// the libraries from what the unit tests use: the shipped forms, the
// auditor tests' story (sync/src/audit_test_util.h) for envelopes, the
// bundle, checkpoints and receipts, and one example body per API route.
// Usage: fuzz_make_seeds DIR  (run by scripts/fuzz before fuzzing)
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "api.h"
#include "audit_test_util.h"
#include "bench_util.h"
#include "dala/base/hex.h"
#include "dala/base/sqlite.h"
#include "dala/sync/protocol.h"
#include "dala/sync/receipt_file.h"
#include "dala/sync/request_auth.h"

namespace dala {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace sync;
using namespace sync::audit_testing;

fs::path out_dir;

void Seed(const std::string& target, const std::string& bytes) {
  fs::create_directories(out_dir / target);
  const std::string name = "seed-" + ToHex(Sha256(bytes)).substr(0, 16);
  std::ofstream(out_dir / target / name, std::ios::binary) << bytes;
}

std::string Mode(uint8_t mode, std::string_view rest) { return std::string(1, static_cast<char>(mode)) + std::string(rest); }

// The real XLSForms of the unit tests (bad ones included: their refusals
// are code to reach) and the two shipped spreadsheets.
void XlsFormSeeds() {
  for (const char* dir : {"tests/vectors/xlsforms", "schema/forms"})
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().extension() == ".xlsx") Seed("fuzz_xlsform", ReadFile(entry.path().string()));
}

void FormSeeds() {
  for (const char* name : {"psc_observation", "citizen_exit_survey"}) {
    const std::string doc = ReadFile(std::string("schema/forms/") + name + ".json");
    Seed("fuzz_form", doc);
    if (std::string(name) == "psc_observation") Seed("fuzz_form", doc + "\n#answers\n" + PscAnswers(7).dump());
    // Every expression in the form, as the expression target's input.
    std::function<void(const json&)> walk = [&](const json& j) {
      if (j.is_object()) {
        for (const auto& [key, value] : j.items()) {
          if (value.is_string() && (key == "relevant" || key == "constraint" || key == "calculation" ||
                                    key == "required" || key == "default" || key == "choice_filter"))
            Seed("fuzz_expr", Mode(key == "choice_filter" ? 1 : 0, value.get<std::string>()));
          walk(value);
        }
      } else if (j.is_array()) {
        for (const json& v : j) walk(v);
      }
    };
    walk(json::parse(doc));
  }
  for (const char* text : {"${age} >= 18 and ${name} != ''", "if(selected(${crops}, 'wheat'), 1, 2) * 3.5",
                           "count-selected(${crops}) + string-length(concat('a', \"b\"))",
                           "format-date(today(), '%Y-%m-%d')", "pulldata('crops', 'price', 'code', ${code})",
                           "indexed-repeat(${member_age}, ${members}, position(..))", "regex(., ${pattern})",
                           "-(1 div 0) mod 7 = round(2.5, 0)"})
    Seed("fuzz_expr", Mode(0, text));
}

void StorySeeds() {
  const fs::path dir = out_dir / "tmp";
  fs::create_directories(dir);
  SimServer sim;
  Story story = Tell(sim);
  for (const std::string& envelope : sim.log()) Seed("fuzz_envelope", envelope);
  Seed("fuzz_envelope", PscAnswers(3).dump());

  // The bundle, with small pages so that it is a small input.
  const std::string path = (dir / "story.bundle").string();
  fs::remove(path);
  sim.Write(path, {4});
  {
    sql::OpenOptions o;
    o.wal = false;
    auto db = sql::Database::Open(path, o);
    if (!db.ok() || !db->Exec("PRAGMA page_size = 512").ok() || !db->Exec("VACUUM").ok()) {
      std::cerr << "cannot shrink the seed bundle\n";
      std::exit(1);
    }
  }
  Seed("fuzz_bundle", ReadFile(path));
  fs::remove_all(dir);

  // Checkpoints: the story's, as a whole note (mode 0), its body (mode 2)
  // and the verifier key line (mode 1).
  const std::string note = sim.CheckpointAt(sim.log().size());
  Seed("fuzz_checkpoint", Mode(0, note));
  Seed("fuzz_checkpoint", Mode(2, note.substr(0, note.find("\n\n") + 1)));
  Seed("fuzz_checkpoint", Mode(1, VerifierKeyString(kOrigin, sim.server_key())));

  Seed("fuzz_receipt", ReceiptJson(sim.ReceiptFor("a", 2, sim.log().size())));
  Seed("fuzz_receipt", ReceiptJson(sim.ReceiptFor("b", 1, 5)));

  // Sync frames: mode bit 0 is the answer, bit 1 an inflated frame.
  SyncRequest request;
  request.cursor = "c1";
  request.checkpoint_size = 4;
  request.receipted_through = 1;
  request.envelopes = {sim.log()[2], sim.log()[3]};
  SyncResponse response;
  response.accepted_through = 2;
  response.rejected.push_back({3, Sha256("x"), "invalid_answers", "queue_length: too large"});
  response.server_time_ms = kNow;
  response.checkpoint = note;
  response.consistency = {Sha256("a"), Sha256("b")};
  response.receipt = SyncReceipt{2, Sha256("e"), 3, {Sha256("p")}};
  response.cursor = "c2";
  response.more = true;
  response.envelopes = {sim.log()[0]};
  response.forms = {ReadFile("schema/forms/citizen_exit_survey.json")};
  for (int answer = 0; answer < 2; ++answer) {
    auto body = answer ? EncodeSyncResponse(response) : EncodeSyncRequest(request);
    auto empty = answer ? EncodeSyncResponse(SyncResponse{}) : EncodeSyncRequest(SyncRequest{});
    for (const auto* b : {&body, &empty}) {
      Seed("fuzz_sync_frames", Mode(static_cast<uint8_t>(answer), **b));
      Seed("fuzz_sync_frames", Mode(static_cast<uint8_t>(answer | 2), *Gunzip(**b, 64u << 20)));
    }
  }

  // Request signatures: method, target, body, then the four headers; mode
  // 1 keeps the signature given, mode 0 signs here.
  SeededRandom random(5);
  SigningKey key = SigningKey::Generate(random);
  for (auto [method, target, body] : {std::tuple{"POST", "/api/v1/sync", std::string("DSQ1")},
                                      std::tuple{"GET", "/api/v1/log/entries?from=0&count=10", std::string()}}) {
    std::string text = std::string(method) + "\n" + target + "\n" + body;
    for (const auto& [name, value] : SignRequest(key, method, target, body, kNow, random)) text += "\n" + value;
    Seed("fuzz_request_auth", Mode(1, text));
    Seed("fuzz_request_auth", Mode(0, text));
  }
  (void)story;
}

// One example body for each route that takes one, in the order the API
// target numbers them (the table's order).
void ApiSeeds() {
  SimServer sim;
  Tell(sim);
  const std::map<std::string, std::string> examples = {
      {"/api/v1/login", R"({"username": "ada", "password": "correct horse battery"})"},
      {"/api/v1/enroll", json{{"code", "K7MX-Q4TR-P2NW"}, {"public_key", std::string(64, 'a')},
                              {"label", "askar-laptop"}, {"proof", std::string(128, 'b')}}.dump()},
      {"/api/v1/logout", "{}"},
      {"/api/v1/submissions/{id}/review", R"({"state": "has_issues", "comment": "window 3 closed"})"},
      {"/api/v1/submissions/{id}/edit", R"({"set": {"queue_length": 20, "notes": null}, "note": "why"})"},
      {"/api/v1/submissions/{id}/resolve", R"({"set": {"queue_length": 21}, "note": "resolved"})"},
      {"/api/v1/duplicates/decide",
       R"({"submission": "01937f2e-0000-7000-8000-00000000abcd", "other": "01937f2e-0000-7000-8000-00000000abce", "decision": "not_duplicate"})"},
      {"/api/v1/enroll-codes", R"({"volunteer": "vera", "ttl_hours": 24})"},
      {"/api/v1/devices/{key}/revoke", R"({"reason": "laptop stolen"})"},
      {"/api/v1/users", R"({"name": "nurlan", "role": "coordinator", "password": "at least 8 characters"})"},
      {"/api/v1/forms", ReadFile("schema/forms/citizen_exit_survey.json")},
  };
  SyncRequest request;
  request.envelopes = {sim.log()[2]};
  uint8_t index = 0;
  for (const server::ApiRoute& route : server::ApiRoutes()) {
    if (route.body == server::BodyKind::kNone) continue;
    if (route.pattern == kSyncPath) {
      Seed("fuzz_api", Mode(index, std::string(1, '\0') + *EncodeSyncRequest(request)));
      Seed("fuzz_api", Mode(index, std::string(1, '\x80') + *Gunzip(*EncodeSyncRequest(request), 64u << 20)));
    } else {
      auto it = examples.find(std::string(route.pattern));
      Seed("fuzz_api", Mode(index, std::string(1, '\0') + (it == examples.end() ? "{}" : it->second)));
    }
    ++index;
  }
}

}  // namespace
}  // namespace dala

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds DIR\n";
    return 2;
  }
  dala::out_dir = std::filesystem::absolute(argv[1]);
  if (::chdir(DALA_SOURCE_DIR) != 0 || !dala::sync::InitCrypto().ok()) return 1;
  dala::FormSeeds();
  dala::XlsFormSeeds();
  dala::StorySeeds();
  dala::ApiSeeds();
  return 0;
}
