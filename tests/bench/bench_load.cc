// bench_load: many simulated laptops in one process against a running
// dala-server, without the laptops' own costs (no Argon2id, no profile
// database, no process per laptop): each laptop is a key and a chain of
// signed envelopes made with the sync library, enrolled through the API.
//
//   bench_load --url http://127.0.0.1:PORT --admin-password P --server-pid PID --forms DIR
//              [--laptops 1000] [--records 20] [--coordinators 50] [--clients 64]
//              [--read-seconds 10] [--light-laptops 200] [--light-clients 8] [--seed N]
//
// --url and --server-pid may be repeated: several nodes of one deployment
// (one PostgreSQL database), each client going to node (its number mod
// the nodes), as a load balancer would spread them; memory is reported
// for the first node.
// The server must have an admin "admin" with that password and the forms
// of DIR published. Three phases, each timed on its own:
//   A. --laptops laptops sync --records envelopes each (one request each,
//      --clients at a time);
//   B. --coordinators coordinators read lists and records for
//      --read-seconds, alone;
//   C. another --laptops laptops sync while the coordinators read;
//   D. --light-laptops more laptops sync, --light-clients at a time: the
//      server's time per request when requests do not queue.
// Each sync is timed twice: at the client (the wall time, queueing in the
// server's gate included) and by the server itself (its Server-Timing
// header: from a worker reading the request to the answer being ready,
// waits for the store's lock included).
// Every simulated client binds its own loopback source address
// (127.x.y.z), so the server's per-address limits (ServerConfig
// max_workers_per_address, max_connections_per_address) treat them as the
// separate machines they stand for; no server setting is changed.
// Envelopes are signed before the phases, so the server is measured, not
// the generator. Afterwards every record is checked to be in the log
// exactly once (the log grew by exactly laptops x records per phase, and
// every laptop's answer accepted all of its envelopes). Prints JSON.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <httplib.h>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "bench_checks.h"
#include "bench_util.h"
#include "dala/base/clock.h"
#include "dala/base/hex.h"
#include "dala/schema/form.h"
#include "dala/sync/enrolment.h"
#include "dala/sync/envelope.h"
#include "dala/sync/ids.h"
#include "dala/sync/protocol.h"
#include "dala/sync/request_auth.h"
#include "dala/sync/verify.h"

namespace {

using namespace dala;
using bench::Check;
using bench::Die;
using bench::NowSeconds;
using nlohmann::json;

std::string host;
std::vector<int> ports;

// The loopback address standing for client `n` (127.1.0.1 on), one per
// simulated machine.
in_addr_t SourceAddress(uint32_t n) {
  return htonl((127u << 24) | ((1 + n / 65025) << 16) | (((n / 255) % 255) << 8) | (n % 255 + 1));
}

std::unique_ptr<httplib::Client> ClientFrom(uint32_t source) {
  auto c = std::make_unique<httplib::Client>(host, ports[source % ports.size()]);
  c->set_connection_timeout(30);
  c->set_read_timeout(120);
  c->set_write_timeout(120);
  c->set_socket_options([source](int sock) {
    int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = SourceAddress(source);
    if (::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("cannot bind a loopback source address");
  });
  return c;
}

struct Session {
  httplib::Headers headers;
};

Session LogIn(httplib::Client& c, const std::string& user, const std::string& password) {
  auto r = c.Post("/api/v1/login", json{{"username", user}, {"password", password}}.dump(), "application/json");
  if (!r || r->status != 200) Die("login of " + user + " failed" + (r ? ": " + r->body : ""));
  std::string cookie = r->get_header_value("Set-Cookie");
  Session s;
  s.headers.emplace("Cookie", cookie.substr(0, cookie.find(';')));
  s.headers.emplace("X-CSRF-Token", json::parse(r->body)["csrf_token"].get<std::string>());
  return s;
}

json PostJson(httplib::Client& c, const Session& s, const std::string& path, const json& body) {
  auto r = c.Post(path, s.headers, body.dump(), "application/json");
  if (!r || r->status / 100 != 2) Die("POST " + path + " failed" + (r ? ": " + r->body : ""));
  return json::parse(r->body);
}

uint64_t LogSize(httplib::Client& c) {
  auto r = c.Get("/api/v1/log/checkpoint");
  if (!r || r->status != 200) Die("cannot read the checkpoint");
  size_t a = r->body.find('\n');
  return std::stoull(r->body.substr(a + 1, r->body.find('\n', a + 1) - a - 1));
}

struct Laptop {
  std::unique_ptr<sync::SigningKey> key;
  std::string volunteer;
  std::string body;  // the sync request, encoded
};

// Runs `work(i)` for i in [0, n) on `threads` threads.
template <typename Work>
void Parallel(size_t n, int threads, Work work) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t i; (i = next++) < n;) work(i);
    });
  for (auto& t : pool) t.join();
}

double ServerMs(const httplib::Result& r) { return bench::ServerTimingMs(r->get_header_value("Server-Timing")); }

json Latency(std::vector<double> ms) {
  return {{"n", ms.size()}, {"p50_ms", bench::Quantile(ms, 0.5)}, {"p99_ms", bench::Quantile(ms, 0.99)},
          {"max_ms", bench::Quantile(ms, 1)}};
}

// Syncs laptops [first, first + count): one request each. Returns the
// phase's figures; dies if any envelope is not accepted.
json SyncPhase(std::vector<Laptop>& laptops, size_t first, size_t count, int clients, int records,
               std::atomic<bool>* done) {
  std::vector<double> ms(count), server_ms(count);
  sync::SystemRandom random;
  std::mutex random_mutex;
  double t0 = NowSeconds();
  Parallel(count, clients, [&](size_t k) {
    Laptop& l = laptops[first + k];
    auto c = ClientFrom(static_cast<uint32_t>(first + k));
    httplib::Headers h;
    {
      std::lock_guard lock(random_mutex);
      for (auto& [name, value] : sync::SignRequest(*l.key, "POST", std::string(sync::kSyncPath), l.body,
                                                   SystemClock().NowMs(), random))
        h.emplace(name, value);
    }
    double s = NowSeconds();
    auto r = c->Post(std::string(sync::kSyncPath), h, l.body, std::string(sync::kSyncContentType));
    ms[k] = (NowSeconds() - s) * 1000;
    if (!r || r->status != 200) Die("a sync failed" + (r ? ": " + std::to_string(r->status) + " " + r->body : std::string()));
    server_ms[k] = ServerMs(r);
    auto answer = sync::DecodeSyncResponse(r->body);
    if (!answer.ok() || answer->accepted_through != static_cast<uint64_t>(records) || !answer->rejected.empty())
      Die("a laptop's envelopes were not all accepted");
  });
  double seconds = NowSeconds() - t0;
  if (done != nullptr) *done = true;
  json out = Latency(ms);
  // A server without the header (an older build) is timed at the client only.
  std::erase_if(server_ms, [](double t) { return t < 0; });
  if (!server_ms.empty()) out["server"] = Latency(server_ms);
  out["clients"] = clients;
  out["laptops"] = count;
  out["revisions"] = count * static_cast<size_t>(records);
  out["seconds"] = seconds;
  out["revisions_per_s"] = static_cast<double>(count) * records / seconds;
  return out;
}

// Coordinators reading until `*stop` (or for `seconds` when stop is null):
// each in turn lists 50 submissions and opens one of them.
json ReadPhase(std::vector<std::pair<std::unique_ptr<httplib::Client>, Session>>& coordinators, double seconds,
               const std::atomic<bool>* stop) {
  std::mutex mutex;
  std::vector<double> lists, records;
  double t0 = NowSeconds();
  std::vector<std::thread> pool;
  for (size_t i = 0; i < coordinators.size(); ++i)
    pool.emplace_back([&, i] {
      auto& [client, session] = coordinators[i];
      std::mt19937_64 rng(i);
      std::vector<double> my_lists, my_records;
      while (stop != nullptr ? !*stop : NowSeconds() - t0 < seconds) {
        double s = NowSeconds();
        auto r = client->Get("/api/v1/submissions?limit=50&offset=" + std::to_string(rng() % 1000), session.headers);
        my_lists.push_back((NowSeconds() - s) * 1000);
        if (!r || r->status != 200) Die("a coordinator's list failed" + (r ? ": " + r->body : ""));
        json list = json::parse(r->body)["submissions"];
        if (list.empty()) continue;
        std::string id = list[rng() % list.size()]["id"];
        s = NowSeconds();
        r = client->Get("/api/v1/submissions/" + id, session.headers);
        my_records.push_back((NowSeconds() - s) * 1000);
        if (!r || r->status != 200) Die("a coordinator's record failed" + (r ? ": " + r->body : ""));
      }
      std::lock_guard lock(mutex);
      lists.insert(lists.end(), my_lists.begin(), my_lists.end());
      records.insert(records.end(), my_records.begin(), my_records.end());
    });
  for (auto& t : pool) t.join();
  double elapsed = NowSeconds() - t0;
  return {{"seconds", elapsed}, {"lists", Latency(lists)}, {"records", Latency(records)},
          {"requests_per_s", static_cast<double>(lists.size() + records.size()) / elapsed}};
}

json ServerMemory(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  json out;
  for (std::string line; std::getline(in, line);) {
    for (const char* key : {"VmRSS", "VmHWM"})
      if (line.rfind(std::string(key) + ":", 0) == 0) out[std::string(key) + "_kb"] = std::stol(line.substr(strlen(key) + 1));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> urls;
  std::string admin_password, forms_dir;
  int server_pid = 0, laptops_per_phase = 1000, records = 20, coordinators = 50, clients = 64;
  int light_laptops = 200, light_clients = 8;
  double read_seconds = 10;
  uint64_t seed = 20261204;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--url") urls.push_back(next());
    else if (a == "--admin-password") admin_password = next();
    else if (a == "--server-pid") {
      int pid = bench::FlagNumber<int>(a, next());
      if (server_pid == 0) server_pid = pid;
    }
    else if (a == "--forms") forms_dir = next();
    else if (a == "--laptops") laptops_per_phase = bench::FlagNumber<int>(a, next());
    else if (a == "--records") records = bench::FlagNumber<int>(a, next());
    else if (a == "--coordinators") coordinators = bench::FlagNumber<int>(a, next());
    else if (a == "--clients") clients = bench::FlagNumber<int>(a, next());
    else if (a == "--read-seconds") read_seconds = bench::FlagNumber<double>(a, next());
    else if (a == "--light-laptops") light_laptops = bench::FlagNumber<int>(a, next());
    else if (a == "--light-clients") light_clients = bench::FlagNumber<int>(a, next());
    else if (a == "--seed") seed = bench::FlagNumber<uint64_t>(a, next());
    else Die("unknown argument " + a);
  }
  if (urls.empty() || admin_password.empty() || forms_dir.empty() || server_pid <= 0)
    Die("--url http://HOST:PORT, --admin-password, --server-pid and --forms are required");
  for (const std::string& url : urls) {
    if (url.rfind("http://", 0) != 0) Die("--url http://HOST:PORT");
    std::string h = url.substr(7, url.rfind(':') - 7);
    if (!host.empty() && h != host) Die("the nodes must share one host");
    host = h;
    ports.push_back(bench::FlagNumber<int>("--url's port", url.substr(url.rfind(':') + 1)));
  }
  Check(sync::InitCrypto(), "crypto");
  auto form = Check(schema::Form::Load(bench::ReadFile(forms_dir + "/psc_observation.json")), "form");

  // Volunteers and coordinators, through the API as an admin.
  double t0 = NowSeconds();
  auto admin_client = ClientFrom(200u << 16);
  Session admin = LogIn(*admin_client, "admin", admin_password);
  const size_t total = static_cast<size_t>(laptops_per_phase) * 2 + static_cast<size_t>(light_laptops);
  std::vector<Laptop> laptops(total);
  sync::SeededRandom random(seed);
  for (size_t i = 0; i < total; ++i) {
    laptops[i].key = std::make_unique<sync::SigningKey>(sync::SigningKey::Generate(random));
    char name[32];
    std::snprintf(name, sizeof name, "v%05zu", i);
    laptops[i].volunteer = name;
  }
  Parallel(total, 8, [&](size_t i) {
    auto c = ClientFrom(static_cast<uint32_t>(i));
    PostJson(*c, admin, "/api/v1/users", {{"name", laptops[i].volunteer}, {"role", "volunteer"}});
    std::string code = PostJson(*c, admin, "/api/v1/enroll-codes", {{"volunteer", laptops[i].volunteer}})["code"];
    std::string normalized = sync::NormalizeEnrollCode(code);
    const sync::Signature proof = sync::SignEnrollProof(*laptops[i].key, normalized);
    auto r = c->Post("/api/v1/enroll",
                     json{{"code", code}, {"public_key", ToHex(laptops[i].key->public_key())}, {"label", "bench"},
                          {"proof", ToHex(proof)}}.dump(),
                     "application/json");
    if (!r || r->status != 200) Die("enrolment failed" + (r ? ": " + r->body : ""));
  });
  std::vector<std::pair<std::unique_ptr<httplib::Client>, Session>> readers;
  for (int i = 0; i < coordinators; ++i) {
    std::string name = "c" + std::to_string(i), password = "coordinator-" + std::to_string(i) + "-password";
    PostJson(*admin_client, admin, "/api/v1/users", {{"name", name}, {"role", "coordinator"}, {"password", password}});
    auto c = ClientFrom((201u << 16) + static_cast<uint32_t>(i));
    Session s = LogIn(*c, name, password);
    readers.emplace_back(std::move(c), std::move(s));
  }
  const double setup_seconds = NowSeconds() - t0;

  // Every laptop's chain, signed now, so that no phase pays for it.
  t0 = NowSeconds();
  Parallel(total, 2, [&](size_t i) {
    std::mt19937_64 rng(seed + i);
    SystemClock clock;
    sync::SeededRandom ids(seed + i);
    sync::SyncRequest request;
    sync::Hash previous{};
    for (int k = 1; k <= records; ++k) {
      json answers = bench::ObservationAnswers(rng, clock.NowMs(), 300);
      form->Recalculate(&answers, clock, true);
      sync::EnvelopeFields f;
      f.submission = sync::NewSubmissionId(clock, ids);
      f.sequence = static_cast<uint64_t>(k);
      f.previous = previous;
      f.hlc = sync::HlcTimestamp::Make(static_cast<uint64_t>(clock.NowMs()), static_cast<uint16_t>(k));
      f.wall_ms = clock.NowMs();
      f.form_hash = form->hash();
      f.form_id = form->id();
      f.form_version = form->version();
      f.body = sync::MakeRevisionBody(answers.dump(), 300);
      std::string bytes = Check(sync::SealEnvelope(std::move(f), *laptops[i].key), "seal");
      previous = Check(sync::Envelope::Parse(bytes), "parse").id();
      request.envelopes.push_back(std::move(bytes));
    }
    laptops[i].body = Check(sync::EncodeSyncRequest(request, 1), "encode");
  });
  const double sign_seconds = NowSeconds() - t0;

  const uint64_t log0 = LogSize(*admin_client);
  json a = SyncPhase(laptops, 0, static_cast<size_t>(laptops_per_phase), clients, records, nullptr);
  const uint64_t log1 = LogSize(*admin_client);
  json memory_a = ServerMemory(server_pid);
  json b = ReadPhase(readers, read_seconds, nullptr);
  std::atomic<bool> syncs_done{false};
  json c_reads;
  std::thread reading([&] { c_reads = ReadPhase(readers, 0, &syncs_done); });
  json c_syncs = SyncPhase(laptops, static_cast<size_t>(laptops_per_phase), static_cast<size_t>(laptops_per_phase),
                           clients, records, &syncs_done);
  reading.join();
  const uint64_t log2 = LogSize(*admin_client);
  json d = light_laptops > 0 ? SyncPhase(laptops, 2 * static_cast<size_t>(laptops_per_phase),
                                         static_cast<size_t>(light_laptops), light_clients, records, nullptr)
                             : json();
  const uint64_t log3 = LogSize(*admin_client);
  const uint64_t expected = static_cast<uint64_t>(laptops_per_phase) * static_cast<uint64_t>(records);
  const bool exactly_once = log1 - log0 == expected && log2 - log1 == expected &&
                            log3 - log2 == static_cast<uint64_t>(light_laptops) * static_cast<uint64_t>(records);
  json out = {{"nodes", ports.size()},
              {"laptops_per_phase", laptops_per_phase},
              {"records", records},
              {"coordinators", coordinators},
              {"clients", clients},
              {"setup_seconds", setup_seconds},
              {"sign_seconds", sign_seconds},
              {"sync_alone", a},
              {"reads_alone", b},
              {"sync_with_reads", c_syncs},
              {"reads_with_sync", c_reads},
              {"sync_light", d},
              {"log_growth", {log1 - log0, log2 - log1, log3 - log2}},
              {"exactly_once", exactly_once},
              {"server_memory_after_a", memory_a},
              {"server_memory", ServerMemory(server_pid)}};
  std::cout << out.dump(2) << std::endl;
  if (!exactly_once) Die("the log did not grow by exactly one entry per record");
  return 0;
}
