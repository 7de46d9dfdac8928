// bench_crypto: the machine's cryptographic limits, straight from
// libsodium (no Dala code), for the figures in docs/BENCHMARKS.md to be
// compared with.
//
//   bench_crypto [--seconds S] [--repeats N] [--verify-only]
//
// - Ed25519 verification (crypto_sign_verify_detached) of pre-made
//   ~900-byte messages, on 1 thread and on hardware_concurrency threads,
//   each for S seconds: verifications per second, all-core and per core.
// - Ed25519 signing of one such message (crypto_sign_detached): µs.
// - Argon2id at Dala's key-sealing parameters (3 passes, 32 MiB): ms.
// - SHA-256 of 900 bytes: µs.

#include <sodium.h>

#include <array>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace {

using dala::bench::NowSeconds;

constexpr size_t kMessageBytes = 900;
constexpr size_t kMessages = 256;
constexpr size_t kKeys = 16;

struct Corpus {
  std::vector<std::array<unsigned char, crypto_sign_PUBLICKEYBYTES>> pk;
  std::vector<std::array<unsigned char, crypto_sign_SECRETKEYBYTES>> sk;
  std::vector<std::vector<unsigned char>> messages;
  std::vector<std::array<unsigned char, crypto_sign_BYTES>> signatures;
};

Corpus MakeCorpus() {
  Corpus c;
  c.pk.resize(kKeys);
  c.sk.resize(kKeys);
  for (size_t k = 0; k < kKeys; ++k) crypto_sign_keypair(c.pk[k].data(), c.sk[k].data());
  c.messages.resize(kMessages);
  c.signatures.resize(kMessages);
  for (size_t i = 0; i < kMessages; ++i) {
    c.messages[i].resize(kMessageBytes);
    randombytes_buf(c.messages[i].data(), kMessageBytes);
    crypto_sign_detached(c.signatures[i].data(), nullptr, c.messages[i].data(), kMessageBytes,
                         c.sk[i % kKeys].data());
  }
  return c;
}

// Verifications per second over `seconds` on `threads` threads.
double VerifyRate(const Corpus& c, unsigned threads, double seconds) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> total{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> pool;
  double start = NowSeconds();
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      uint64_t n = 0;
      size_t i = t * 37;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int j = 0; j < 64; ++j, ++i) {
          size_t m = i % kMessages;
          if (crypto_sign_verify_detached(c.signatures[m].data(), c.messages[m].data(), kMessageBytes,
                                          c.pk[m % kKeys].data()) != 0)
            bad.fetch_add(1);
        }
        n += 64;
      }
      total.fetch_add(n);
    });
  }
  while (NowSeconds() - start < seconds) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  for (auto& th : pool) th.join();
  double elapsed = NowSeconds() - start;
  if (bad.load() != 0) dala::bench::Die("a signature did not verify");
  return static_cast<double>(total.load()) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int repeats = 3;
  bool verify_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (a == "--repeats" && i + 1 < argc) repeats = std::atoi(argv[++i]);
    else if (a == "--verify-only") verify_only = true;
  }
  if (sodium_init() < 0) dala::bench::Die("sodium_init failed");
  Corpus c = MakeCorpus();
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  // Alternate 1-thread and all-thread measurements so both see the same noise.
  std::vector<double> one, all;
  for (int r = 0; r < repeats; ++r) {
    one.push_back(VerifyRate(c, 1, seconds));
    all.push_back(VerifyRate(c, cores, seconds));
  }

  if (verify_only) {
    nlohmann::json out = {{"cores", cores},
                          {"message_bytes", kMessageBytes},
                          {"seconds_per_measurement", seconds},
                          {"verify_per_s_1_thread", dala::bench::Summary(one)},
                          {"verify_per_s_all_cores", dala::bench::Summary(all)},
                          {"verify_per_s_per_core", dala::bench::Median(all) / cores}};
    std::cout << out.dump() << "\n";
    return 0;
  }

  std::vector<double> sign_us;
  for (int r = 0; r < 2000; ++r) {
    unsigned char sig[crypto_sign_BYTES];
    double t0 = NowSeconds();
    crypto_sign_detached(sig, nullptr, c.messages[r % kMessages].data(), kMessageBytes, c.sk[r % kKeys].data());
    sign_us.push_back((NowSeconds() - t0) * 1e6);
  }

  std::vector<double> sha_us;
  for (int r = 0; r < 2000; ++r) {
    unsigned char h[crypto_hash_sha256_BYTES];
    double t0 = NowSeconds();
    crypto_hash_sha256(h, c.messages[r % kMessages].data(), kMessageBytes);
    sha_us.push_back((NowSeconds() - t0) * 1e6);
  }

  std::vector<double> argon_ms;
  for (int r = 0; r < 5; ++r) {
    unsigned char key[32], salt[crypto_pwhash_SALTBYTES] = {};
    double t0 = NowSeconds();
    if (crypto_pwhash(key, sizeof key, "steppe-wind-42", 14, salt, 3, size_t{32} << 20,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
      dala::bench::Die("crypto_pwhash failed (out of memory?)");
    argon_ms.push_back((NowSeconds() - t0) * 1e3);
  }

  nlohmann::json out = {
      {"cores", cores},
      {"message_bytes", kMessageBytes},
      {"seconds_per_measurement", seconds},
      {"verify_per_s_1_thread", dala::bench::Summary(one)},
      {"verify_per_s_all_cores", dala::bench::Summary(all)},
      {"verify_per_s_per_core", dala::bench::Median(all) / cores},
      {"sign_us", dala::bench::Summary(sign_us)},
      {"sha256_900B_us", dala::bench::Summary(sha_us)},
      {"argon2id_32MiB_3passes_ms", dala::bench::Summary(argon_ms)},
  };
  std::cout << out.dump() << "\n";
  return 0;
}
