// bench_gen: makes a volunteer profile holding N signed revisions of
// psc_observation, fast, with the client library itself (no CLI).
//
//   bench_gen --profile DIR --revisions N --forms DIR [--kdf low|default]
//             [--span-days D] [--edit-percent P] [--seed S] [--validate-every K]
//             [--answers-file FILE] [--answers-jsonl FILE]
//   bench_gen --profile DIR --append N [--new-percent P] [--seed S]
//
// The profile is what `dala init` + `forms add` + N x `dala collect` would
// leave, except that the device key may be sealed with a cheap Argon2id
// (--kdf low) so that the sync benchmark measures sync, not unlocking; the
// passphrase is DALA_PASSPHRASE. Each revision is what Device::SaveRevision
// does (Recalculate, Validate, SignNext, RefreshSubmission), but ~1,000 of
// them share one transaction. Revisions are spread over the last
// --span-days days, ending now, so the server (which refuses clocks more
// than 10 minutes ahead of its own) accepts them and each visit_date is
// valid at its revision's own time. P% of revisions edit a recent record.
//
// --answers-file also writes one set of answers valid at the real time now
// (UTC+5), for `dala collect --answers`. --answers-jsonl writes every
// revision's answers as a JSON line {"_id": ..., answers...}: the same
// records as documents for the peer (scripts/bench --peer, PouchDB). The _id
// of a new record is its submission id; of an edit, its revision's id cut
// to the same form, so that both sides move one document per revision.
// Prints JSON: revisions, submissions, answers and envelope sizes, seconds.
//
// --append N opens an existing profile (its key unsealed with
// DALA_PASSPHRASE) and adds N more revisions, signed now, the way `dala
// edit` and `dala collect` save them (Device::SaveRevision: validate, sign,
// commit, one transaction each): (100 - P)% edit one of the newest 5,000
// psc_observation records, each once, on its current heads (a new queue length and a
// note; a visit date no longer within the form's 30 days is moved into
// them, as a volunteer correcting it now would have to), P% (default 10)
// are new records. For the sync of "1,000 changed records" after a first
// sync. Prints JSON: revisions, edits, submissions, seconds.

#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "bench_checks.h"
#include "bench_util.h"
#include "dala/base/clock.h"
#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/sync/crypto.h"
#include "dala/sync/ids.h"
#include "dala/sync/merge.h"
#include "dala/sync/verify.h"

namespace {

using namespace dala;
using nlohmann::json;

using bench::Check;
using bench::ReadFile;

// --append: N revisions more on an existing profile, signed at the real time
// now, through Device::SaveRevision as `dala edit` / `dala collect` save them.
int Append(const std::string& profile, const char* passphrase, long n, int new_percent, uint64_t seed) {
  constexpr int32_t kOffset = 300;  // Kazakhstan, as the generated records
  double t0 = bench::NowSeconds();
  auto store = Check(client::LocalStore::Open(profile + "/dala.db"), "open store");
  client::Device device = Check(client::Device::Unlock(*store, passphrase), "unlock");
  auto form = Check(store->FindFormByName("psc_observation"), "find psc_observation");
  std::vector<sync::SubmissionId> ids;
  {
    auto st = Check(store->db().Prepare("SELECT id FROM submissions WHERE form_id = 'psc_observation' ORDER BY created_ms DESC LIMIT 5000"), "prepare");
    while (Check(st.Step(), "step")) {
      sync::SubmissionId id{};
      if (!st.ColumnBytes(0, &id)) bench::Die("a submission id of the wrong size");
      ids.push_back(id);
    }
  }
  std::mt19937_64 rng(seed);
  sync::SeededRandom random(seed ^ 0x9e3779b97f4a7c15ULL);
  // Distinct records among the newest 5,000 (those a volunteer still works on) for the edits.
  std::shuffle(ids.begin(), ids.end(), rng);
  long edits = 0, submissions = 0;
  for (long done = 0; done < n; ++done) {
    FakeClock clock(SystemClock().NowMs(), kOffset);
    bool edit = !ids.empty() && static_cast<int>(rng() % 100) >= new_percent;
    sync::SubmissionId id{};
    std::vector<sync::Hash> parents;
    json answers;
    if (edit) {
      id = ids[static_cast<size_t>(edits) % ids.size()];
      sync::MergedState merged = Check(store->MergedStateOf(id), "merged state");
      parents = merged.heads;
      answers = json::parse(merged.answers_json);
      answers["queue_length"] = static_cast<int>(rng() % 60);
      answers["notes"] = "Исправлено после разговора с координатором.";
      const int64_t now = clock.NowMs();
      if (answers.value("visit_date", std::string()) < bench::LocalDate(now - int64_t{28} * 86400000, kOffset))
        answers["visit_date"] = bench::LocalDate(now - static_cast<int64_t>(rng() % 29) * 86400000, kOffset);
      ++edits;
    } else {
      answers = bench::ObservationAnswers(rng, clock.NowMs(), kOffset);
      id = sync::NewSubmissionId(clock, random);
      ++submissions;
    }
    form->Recalculate(&answers, clock, /*clear_irrelevant=*/true);
    Check(device.SaveRevision(*form, id, parents, answers.dump(), clock, "en"), "save revision");
  }
  json out = {{"revisions", n}, {"edits", edits}, {"submissions", submissions},
              {"seconds", bench::NowSeconds() - t0}};
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string profile, forms_dir;
  long revisions = 1000;
  std::string kdf_name = "low";
  double span_days = 300;
  int edit_percent = 10;
  uint64_t seed = 20261127;
  int validate_every = 1;
  std::string answers_file, answers_jsonl;
  long append = 0;
  int new_percent = 10;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) bench::Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--profile") profile = next();
    else if (a == "--revisions") revisions = bench::FlagNumber<long>(a, next());
    else if (a == "--forms") forms_dir = next();
    else if (a == "--kdf") kdf_name = next();
    else if (a == "--span-days") span_days = bench::FlagNumber<double>(a, next());
    else if (a == "--edit-percent") edit_percent = bench::FlagNumber<int>(a, next());
    else if (a == "--seed") seed = bench::FlagNumber<uint64_t>(a, next());
    else if (a == "--validate-every") validate_every = bench::FlagNumber<int>(a, next());
    else if (a == "--answers-file") answers_file = next();
    else if (a == "--answers-jsonl") answers_jsonl = next();
    else if (a == "--append") append = bench::FlagNumber<long>(a, next());
    else if (a == "--new-percent") new_percent = bench::FlagNumber<int>(a, next());
    else bench::Die("unknown argument " + a);
  }
  const char* passphrase = std::getenv("DALA_PASSPHRASE");
  if (passphrase == nullptr) bench::Die("set DALA_PASSPHRASE");
  Check(sync::InitCrypto(), "crypto");
  if (append > 0) {
    if (profile.empty()) bench::Die("--append needs --profile");
    return Append(profile, passphrase, append, new_percent, seed);
  }
  if (profile.empty() || forms_dir.empty()) bench::Die("--profile and --forms are required");
  ::mkdir(profile.c_str(), 0700);

  double t0 = bench::NowSeconds();
  constexpr int32_t kOffset = 300;  // Kazakhstan
  const int64_t now = SystemClock().NowMs();
  const int64_t span_ms = static_cast<int64_t>(span_days * 86400000.0);
  const int64_t start_ms = now - span_ms - 60000;
  FakeClock clock(start_ms, kOffset);

  auto store = Check(client::LocalStore::Create(profile + "/dala.db"), "create store");
  sync::SeededRandom random(seed);
  sync::KdfParams kdf;
  if (kdf_name == "low") kdf = {1, 64u << 10};
  else if (kdf_name != "default") bench::Die("--kdf is low or default");
  Check(client::InitDevice(*store, passphrase, random, clock, kdf), "init device");
  Check(store->Put(client::profile_key::kLanguage, "ru"), "language");
  std::shared_ptr<const schema::Form> form;
  for (const char* name : {"psc_observation", "citizen_exit_survey"}) {
    auto f = Check(store->AddForm(ReadFile(forms_dir + "/" + name + ".json"), "local", clock.NowMs()), "add form");
    if (std::string(name) == "psc_observation") form = f;
  }
  client::Device device = Check(client::Device::Unlock(*store, passphrase), "unlock");
  sync::Hash form_hash;
  form_hash = form->hash();

  std::mt19937_64 rng(seed);
  struct Recent {
    sync::SubmissionId id;
    sync::Hash head;
    json answers;
    int64_t created_ms;
  };
  std::deque<Recent> recent;  // records an edit may touch
  std::ofstream jsonl;
  if (!answers_jsonl.empty()) {
    jsonl.open(answers_jsonl);
    if (!jsonl) bench::Die("cannot write " + answers_jsonl);
  }
  double answers_bytes = 0, envelope_bytes = 0, body_bytes = 0;
  long submissions = 0, edits = 0;
  const int64_t step = revisions > 0 ? span_ms / revisions : 0;

  for (long done = 0; done < revisions;) {
    auto tx = Check(sql::Transaction::Begin(store->db()), "begin");
    for (int k = 0; k < 1000 && done < revisions; ++k, ++done) {
      clock.Set(start_ms + done * step);
      // Edits come within a day of the record, so its visit date stays valid.
      while (!recent.empty() && recent.front().created_ms < clock.NowMs() - 86400000) recent.pop_front();
      bool edit = !recent.empty() && static_cast<int>(rng() % 100) < edit_percent;
      sync::EnvelopeFields f;
      f.kind = sync::EnvelopeKind::kRevision;
      f.form_hash = form_hash;
      f.form_id = form->id();
      f.form_version = form->version();
      json answers;
      size_t which = 0;
      if (edit) {
        which = rng() % recent.size();
        answers = recent[which].answers;
        answers["queue_length"] = static_cast<int>(rng() % 60);
        answers["notes"] = "Исправлено после разговора с координатором.";
        f.submission = recent[which].id;
        f.parents = {recent[which].head};
      } else {
        answers = bench::ObservationAnswers(rng, clock.NowMs(), kOffset);
        f.submission = sync::NewSubmissionId(clock, random);
      }
      form->Recalculate(&answers, clock, /*clear_irrelevant=*/true);
      if (validate_every > 0 && done % validate_every == 0) {
        auto problems = form->Validate(answers, clock, "en");
        if (!problems.empty())
          bench::Die("generated answers are invalid: " + problems[0].field + ": " + problems[0].message + "\n" +
                     answers.dump());
      }
      std::string answers_json = answers.dump();
      f.body = sync::MakeRevisionBody(answers_json, kOffset);
      sync::Envelope e = Check(device.SignNext(std::move(f), clock), "sign");
      Check(store->RefreshSubmission(e.submission()), "refresh");
      answers_bytes += static_cast<double>(answers_json.size());
      body_bytes += static_cast<double>(e.body().size());
      envelope_bytes += static_cast<double>(e.bytes().size());
      if (jsonl.is_open()) {
        sync::SubmissionId doc_id = e.submission();
        if (edit) std::copy_n(e.id().begin(), doc_id.size(), doc_id.begin());
        json doc = {{"_id", sync::FormatSubmissionId(doc_id)}};
        doc.update(answers);
        jsonl << doc.dump() << "\n";
      }
      if (edit) {
        recent[which].head = e.id();
        recent[which].answers = std::move(answers);
        ++edits;
      } else {
        ++submissions;
        recent.push_back({e.submission(), e.id(), std::move(answers), clock.NowMs()});
        if (recent.size() > 50) recent.pop_front();
      }
    }
    Check(tx.Commit(), "commit");
  }
  double seconds = bench::NowSeconds() - t0;
  if (jsonl.is_open()) {
    jsonl.close();
    if (!jsonl) bench::Die("cannot write " + answers_jsonl);
  }
  if (!answers_file.empty()) {
    // One more set of answers, valid now, for `dala collect --answers`.
    SystemClock now_clock;
    FakeClock at_now(now_clock.NowMs(), kOffset);
    json a = bench::ObservationAnswers(rng, at_now.NowMs(), kOffset);
    json calculated = a;  // as `dala collect` will see them
    form->Recalculate(&calculated, at_now, /*clear_irrelevant=*/false);
    auto problems = form->Validate(calculated, at_now, "en");
    if (!problems.empty()) bench::Die("answers for --answers-file are invalid: " + problems[0].message);
    std::ofstream out(answers_file);
    out << a.dump(2) << "\n";
    if (!out) bench::Die("cannot write " + answers_file);
  }
  double n = revisions > 0 ? static_cast<double>(revisions) : 1;
  json out = {{"revisions", revisions},
              {"submissions", submissions},
              {"edits", edits},
              {"answers_bytes_mean", answers_bytes / n},
              {"body_bytes_mean", body_bytes / n},
              {"envelope_bytes_mean", envelope_bytes / n},
              {"first_ms", start_ms},
              {"last_ms", clock.NowMs()},
              {"kdf", kdf_name},
              {"seconds", seconds}};
  std::cout << out.dump() << "\n";
  return 0;
}
