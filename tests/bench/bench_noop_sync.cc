// bench_noop_sync: the cost of a sync that has nothing to do, measured in
// process so that neither process start-up nor the Argon2id unlock hide it.
//
//   bench_noop_sync --profile DIR [--runs N]
//   bench_noop_sync --profile DIR --once
//
// Opens an enrolled, fully synced profile (DALA_PASSPHRASE), unlocks once,
// then runs SyncClient::Run N times against the profile's server over one
// keep-alive HTTP connection (as `dala sync` does within one command).
// Beside it, the floor measured the same way: an HTTP GET of the server's
// /api/v1/health over the same kind of connection, and write + fdatasync of
// 4 KiB in the profile's directory (a no-op sync still commits once).
// Prints JSON: per-run wall time (ms), exchanges, bytes up and down.
//
// --once times one SyncClient::Run, with no warm-up and no floors: the sync
// of whatever the profile holds that the server has not seen (scripts/bench
// appends changed records first). It is the in-process figure that stands
// beside PouchDB's replicate(), which is timed in process too; `dala sync`
// adds a program's start, the profile's opening and the unlock.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "bench_checks.h"
#include "bench_util.h"
#include "dala/base/clock.h"
#include "dala/client/device.h"
#include "dala/client/store.h"
#include "dala/client/sync_client.h"
#include "dala/client/transport.h"
#include "dala/sync/crypto.h"

namespace {

using namespace dala;
using bench::NowSeconds;
using nlohmann::json;

using bench::Check;

// Passes requests on, and keeps how long each took and how long the server
// says it worked on it (its Server-Timing header, "app;dur=<ms>"), so that a
// sync's wall time splits into the client's own work, the server's, and the
// loopback between them.
class TimedTransport : public client::Transport {
 public:
  explicit TimedTransport(std::unique_ptr<client::Transport> inner) : inner_(std::move(inner)) {}
  Result<client::TransportResponse> Send(const client::TransportRequest& request) override {
    double t0 = NowSeconds();
    auto r = inner_->Send(request);
    exchange_ms_ += (NowSeconds() - t0) * 1e3;
    if (r.ok()) server_ms_ += std::max(0.0, bench::ServerTimingMs(r->Header("Server-Timing")));
    return r;
  }
  double exchange_ms() const { return exchange_ms_; }
  double server_ms() const { return server_ms_; }

 private:
  std::unique_ptr<client::Transport> inner_;
  double exchange_ms_ = 0;
  double server_ms_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string profile;
  int runs = 50;
  bool once = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--profile" && i + 1 < argc) profile = argv[++i];
    else if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (a == "--once") once = true;
    else bench::Die("unknown argument " + a);
  }
  const char* passphrase = std::getenv("DALA_PASSPHRASE");
  if (profile.empty() || passphrase == nullptr) bench::Die("--profile and DALA_PASSPHRASE are required");
  if (!sync::InitCrypto().ok()) bench::Die("crypto");

  auto store = Check(client::LocalStore::Open(profile + "/dala.db"), "open profile");
  auto url = Check(store->Get(client::profile_key::kServerUrl), "server url");
  if (!url || url->rfind("http://127.0.0.1:", 0) != 0) bench::Die("the profile is not enrolled with a loopback server");
  client::Device device = Check(client::Device::Unlock(*store, passphrase), "unlock");
  TimedTransport transport(Check(client::MakeHttpTransport(*url), "transport"));
  SystemClock clock;
  sync::SystemRandom random;
  client::SyncClient sync_client(*store, device, transport, clock, random);

  std::vector<double> run_ms, exchanges, up, down, accepted;
  size_t rejected = 0;  // by the server, over the timed runs
  if (once) runs = 1;
  for (int i = once ? 0 : -3; i < runs; ++i) {
    double t0 = NowSeconds();
    auto outcome = Check(sync_client.Run(), "sync");
    double ms = (NowSeconds() - t0) * 1e3;
    if (i < 0) continue;
    run_ms.push_back(ms);
    exchanges.push_back(static_cast<double>(outcome.exchanges));
    up.push_back(static_cast<double>(outcome.bytes_sent));
    down.push_back(static_cast<double>(outcome.bytes_received));
    accepted.push_back(static_cast<double>(outcome.accepted + outcome.received_envelopes));
    rejected += outcome.rejections.size();
  }

  json out = {{"runs", runs},
              {"run_ms", bench::Summary(run_ms)},
              {"exchanges", bench::Summary(exchanges)},
              {"bytes_up", bench::Summary(up)},
              {"bytes_down", bench::Summary(down)},
              {"envelopes_moved", bench::Summary(accepted)},
              {"rejected", rejected}};
  if (once) {
    // Of run_ms: waiting for the server's answers, and of that the server's
    // own time (its Server-Timing header). No warm-up ran, so these are the
    // timed run's alone.
    out["exchange_ms"] = transport.exchange_ms();
    out["server_ms"] = transport.server_ms();
    std::cout << out.dump() << "\n";
    return 0;
  }

  // The floor: one loopback HTTP round trip to the same server...
  auto plain = Check(client::MakeHttpTransport(*url), "transport");
  std::vector<double> health_ms;
  for (int i = -3; i < runs; ++i) {
    client::TransportRequest req{"GET", "/api/v1/health", "", "", {}};
    double t0 = NowSeconds();
    auto r = Check(plain->Send(req), "health");
    double ms = (NowSeconds() - t0) * 1e3;
    if (r.status != 200) bench::Die("health answered " + std::to_string(r.status));
    if (i >= 0) health_ms.push_back(ms);
  }
  // ... and one durable 4 KiB write where the profile lives.
  std::vector<double> fsync_ms;
  {
    std::string path = profile + "/fsync-probe.bin";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) bench::Die("cannot create " + path);
    char block[4096] = {};
    for (int i = -3; i < runs; ++i) {
      block[0] = static_cast<char>(i);
      double t0 = NowSeconds();
      if (::pwrite(fd, block, sizeof block, 0) != 4096 || ::fdatasync(fd) != 0) bench::Die("fsync probe failed");
      if (i >= 0) fsync_ms.push_back((NowSeconds() - t0) * 1e3);
    }
    ::close(fd);
    ::unlink(path.c_str());
  }

  out["health_get_ms"] = bench::Summary(health_ms);
  out["fsync_4k_ms"] = bench::Summary(fsync_ms);
  std::cout << out.dump() << "\n";
  return 0;
}
