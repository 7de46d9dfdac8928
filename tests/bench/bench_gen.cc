// bench_gen: makes a volunteer profile holding N signed revisions of
// psc_observation, fast, with the client library itself (no CLI).
//
//   bench_gen --profile DIR --revisions N --forms DIR [--kdf low|default]
//             [--span-days D] [--edit-percent P] [--seed S] [--validate-every K]
//             [--answers-file FILE]
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
// (UTC+5), for `dala collect --answers`.
// Prints JSON: revisions, submissions, answers and envelope sizes, seconds.

#include <sys/stat.h>

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
#include "dala/sync/verify.h"

namespace {

using namespace dala;
using nlohmann::json;

using bench::Check;
using bench::ReadFile;

}  // namespace

int main(int argc, char** argv) {
  std::string profile, forms_dir;
  long revisions = 1000;
  std::string kdf_name = "low";
  double span_days = 300;
  int edit_percent = 10;
  uint64_t seed = 20261127;
  int validate_every = 1;
  std::string answers_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) bench::Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--profile") profile = next();
    else if (a == "--revisions") revisions = std::stol(next());
    else if (a == "--forms") forms_dir = next();
    else if (a == "--kdf") kdf_name = next();
    else if (a == "--span-days") span_days = std::stod(next());
    else if (a == "--edit-percent") edit_percent = std::stoi(next());
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--validate-every") validate_every = std::stoi(next());
    else if (a == "--answers-file") answers_file = next();
    else bench::Die("unknown argument " + a);
  }
  if (profile.empty() || forms_dir.empty()) bench::Die("--profile and --forms are required");
  const char* passphrase = std::getenv("DALA_PASSPHRASE");
  if (passphrase == nullptr) bench::Die("set DALA_PASSPHRASE");
  Check(sync::InitCrypto(), "crypto");
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
