// bench_save: what saving one finalized record costs on this laptop, and
// the machine's floor for it, measured side by side in one process.
//
//   bench_save --dir DIR --forms DIR [--iterations N]
//
// In DIR (the filesystem the profile lives on):
// - a real profile (LocalStore on disk: WAL, synchronous=FULL), its key
//   sealed with Dala's default Argon2id; Device::Unlock timed;
// - Device::SaveRevision (validate + sign + store + refresh + commit) of N
//   new psc_observation records, each with its own answers, each followed
//   by the fsync floor: pwrite(4 KiB) + fdatasync, overwriting one block,
//   and appending (the file grows, as SQLite's WAL does);
// - the parts: JSON parse + Form::Validate, SealEnvelope (build + sign),
//   and one raw Ed25519 signature of an envelope's signed bytes.
// Prints JSON; all times in milliseconds.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "bench_checks.h"
#include "bench_util.h"
#include "dala/base/clock.h"
#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/sync/crypto.h"
#include "dala/sync/envelope.h"
#include "dala/sync/ids.h"
#include "dala/sync/verify.h"

namespace {

using namespace dala;
using bench::NowSeconds;
using nlohmann::json;

using bench::Check;
using bench::ReadFile;

// write + fdatasync of 4 KiB: overwriting one block, or appending (the
// file grows, as SQLite's WAL does between checkpoints).
class FsyncProbe {
 public:
  FsyncProbe(const std::string& path, bool append) : path_(path), append_(append), block_(4096) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd_ < 0) bench::Die("cannot create " + path);
    for (size_t i = 0; i < block_.size(); ++i) block_[i] = static_cast<char>(i * 31);
    if (::pwrite(fd_, block_.data(), block_.size(), 0) != 4096 || ::fdatasync(fd_) != 0) bench::Die("write failed");
  }
  ~FsyncProbe() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  double Once() {
    block_[0] = static_cast<char>(++n_);
    off_t at = append_ ? static_cast<off_t>(4096) * n_ : 0;
    double t0 = NowSeconds();
    if (::pwrite(fd_, block_.data(), block_.size(), at) != 4096) bench::Die("pwrite failed");
    if (::fdatasync(fd_) != 0) bench::Die("fdatasync failed");
    return (NowSeconds() - t0) * 1e3;
  }

 private:
  std::string path_;
  bool append_;
  std::vector<char> block_;
  int fd_ = -1;
  int n_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string dir, forms_dir;
  int iterations = 200;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--forms" && i + 1 < argc) forms_dir = argv[++i];
    else if (a == "--iterations" && i + 1 < argc) iterations = std::atoi(argv[++i]);
    else bench::Die("unknown argument " + a);
  }
  if (dir.empty() || forms_dir.empty()) bench::Die("--dir and --forms are required");
  Check(sync::InitCrypto(), "crypto");
  ::mkdir(dir.c_str(), 0700);

  FsyncProbe overwrite_probe(dir + "/fsync-overwrite.bin", false);
  FsyncProbe append_probe(dir + "/fsync-append.bin", true);
  std::vector<double> fsync_overwrite, fsync_append;

  const std::string passphrase = "steppe-wind-42";
  constexpr int32_t kOffset = 300;
  FakeClock clock(SystemClock().NowMs() - 3600000, kOffset);
  std::string db_path = dir + "/save-profile.db";
  ::unlink(db_path.c_str());
  ::unlink((db_path + "-wal").c_str());
  ::unlink((db_path + "-shm").c_str());
  auto store = Check(client::LocalStore::Create(db_path), "create store");
  sync::SystemRandom random;
  Check(client::InitDevice(*store, passphrase, random, clock), "init device (default Argon2id)");
  std::shared_ptr<const schema::Form> form;
  for (const char* name : {"psc_observation", "citizen_exit_survey"}) {
    auto f = Check(store->AddForm(ReadFile(forms_dir + "/" + name + ".json"), "local", clock.NowMs()), "add form");
    if (std::string(name) == "psc_observation") form = f;
  }
  std::vector<double> unlock_ms;
  for (int i = 0; i < 5; ++i) {
    double t0 = NowSeconds();
    auto d = Check(client::Device::Unlock(*store, passphrase), "unlock");
    unlock_ms.push_back((NowSeconds() - t0) * 1e3);
  }
  client::Device device = Check(client::Device::Unlock(*store, passphrase), "unlock");

  std::mt19937_64 rng(42);
  auto next_answers = [&] {
    json a = bench::ObservationAnswers(rng, clock.NowMs(), kOffset);
    form->Recalculate(&a, clock, true);
    return a.dump();
  };

  // SaveRevision, as `dala collect` calls it (warm-up first), each one
  // beside the two fsync probes so that all three see the same disk.
  std::vector<double> save_ms;
  double answers_bytes = 0;
  for (int i = -20; i < iterations; ++i) {
    clock.Advance(1000);
    std::string answers = next_answers();
    sync::SubmissionId id = sync::NewSubmissionId(clock, random);
    double t0 = NowSeconds();
    Check(device.SaveRevision(*form, id, {}, answers, clock, "ru"), "save");
    double ms = (NowSeconds() - t0) * 1e3;
    double overwrite = overwrite_probe.Once();
    double append = append_probe.Once();
    if (i >= 0) {
      save_ms.push_back(ms);
      fsync_overwrite.push_back(overwrite);
      fsync_append.push_back(append);
      answers_bytes += static_cast<double>(answers.size());
    }
  }

  // The parts, each on its own.
  std::vector<double> validate_ms, seal_ms, sign_ms;
  sync::Hash form_hash;
  form_hash = form->hash();
  for (int i = 0; i < iterations; ++i) {
    std::string answers = next_answers();
    double t0 = NowSeconds();
    json parsed = json::parse(answers);
    auto problems = form->Validate(parsed, clock, "ru");
    validate_ms.push_back((NowSeconds() - t0) * 1e3);
    if (!problems.empty()) bench::Die("generated answers are invalid: " + problems[0].message);

    sync::EnvelopeFields f;
    f.kind = sync::EnvelopeKind::kRevision;
    f.submission = sync::NewSubmissionId(clock, random);
    f.sequence = 1000000 + i;
    random.Fill(f.previous.data(), f.previous.size());
    f.hlc = sync::HlcTimestamp{static_cast<uint64_t>(clock.NowMs()) << 16};
    f.wall_ms = clock.NowMs();
    f.form_hash = form_hash;
    f.form_id = form->id();
    f.form_version = form->version();
    f.body = sync::MakeRevisionBody(answers, kOffset);
    t0 = NowSeconds();
    std::string bytes = Check(sync::SealEnvelope(std::move(f), device.key()), "seal");
    seal_ms.push_back((NowSeconds() - t0) * 1e3);

    std::string_view signed_bytes(bytes.data(), bytes.size() - 64);
    t0 = NowSeconds();
    sync::Signature sig = device.key().Sign(sync::kEnvelopeSignatureDomain, signed_bytes);
    sign_ms.push_back((NowSeconds() - t0) * 1e3);
    (void)sig;
  }

  json out = {{"iterations", iterations},
              {"answers_bytes_mean", answers_bytes / std::max(1, iterations)},
              {"fsync_4k_overwrite_ms", bench::Summary(fsync_overwrite)},
              {"fsync_4k_append_ms", bench::Summary(fsync_append)},
              {"unlock_argon2id_ms", bench::Summary(unlock_ms)},
              {"save_revision_ms", bench::Summary(save_ms)},
              {"parse_validate_ms", bench::Summary(validate_ms)},
              {"seal_envelope_ms", bench::Summary(seal_ms)},
              {"ed25519_sign_ms", bench::Summary(sign_ms)}};
  std::cout << out.dump() << "\n";
  return 0;
}
