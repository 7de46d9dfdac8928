// Small helpers shared by the benchmark programs: a monotonic clock,
// medians and percentiles, and realistic answers for psc_observation.
// Benchmarks print JSON on stdout; scripts/bench turns it into
// docs/BENCHMARKS.md. Nothing here asserts a timing.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace dala::bench {

inline double NowSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The q-quantile (0..1) by nearest rank of a copy of `v`; 0 if empty.
inline double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  if (q <= 0) return v.front();
  if (q >= 1) return v.back();
  // Median of an even count: mean of the two middle values.
  if (q == 0.5) {
    size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
  if (rank == 0) rank = 1;
  return v[std::min(rank, v.size()) - 1];
}
inline double Median(const std::vector<double>& v) { return Quantile(v, 0.5); }

// {"median": .., "p95": .., "min": .., "max": .., "n": ..} of `v`.
inline nlohmann::json Summary(const std::vector<double>& v) {
  return {{"median", Median(v)}, {"p95", Quantile(v, 0.95)}, {"min", Quantile(v, 0)},
          {"max", Quantile(v, 1)}, {"n", v.size()}};
}

// The server's own time in its Server-Timing header ("app;dur=12.3", as
// dala-server and dala ui set it), in ms; -1 when the header says none.
inline double ServerTimingMs(const std::string& header) {
  if (header.rfind("app;dur=", 0) != 0) return -1;
  return std::strtod(header.c_str() + 8, nullptr);
}

[[noreturn]] inline void Die(const std::string& message) {
  std::fprintf(stderr, "bench: %s\n", message.c_str());
  std::exit(1);
}

// The number a flag was given, whole, or one line and exit 1: std::stoi
// would end the program with an uncaught exception on "ten", and read
// "10x" as 10.
template <typename Number>
Number FlagNumber(const std::string& flag, const std::string& text) {
  Number value{};
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) Die(flag + " takes a number, not \"" + text + "\"");
  return value;
}

// --- answers ----------------------------------------------------------------------

// "YYYY-MM-DD" of the local date `epoch_ms` + `offset_minutes`.
inline std::string LocalDate(int64_t epoch_ms, int32_t offset_minutes) {
  int64_t days = (epoch_ms + int64_t{offset_minutes} * 60000) / 86400000;
  // Howard Hinnant's civil_from_days.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(y), static_cast<int>(m), static_cast<int>(d));
  return buf;
}

// Answers a volunteer might give to psc_observation at local time `now_ms`
// (+`offset_minutes`): every required question answered, values varied,
// 0-3 problems described in Kazakh or Russian and optional notes; about
// 600 bytes of compact JSON on average. Valid for the form at that time.
inline nlohmann::json ObservationAnswers(std::mt19937_64& rng, int64_t now_ms, int32_t offset_minutes) {
  using nlohmann::json;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  auto range = [&](int lo, int hi) { return lo + pick(hi - lo + 1); };
  static const char* kRegions[] = {"ala", "ast", "shy", "kar", "akt", "tur", "eko"};
  static const char* kSources[] = {"test_case", "asked_citizen"};
  static const char* kEqueue[] = {"yes", "yes", "yes", "no", "no_system"};
  static const char* kRamp[] = {"yes", "no", "not_needed"};
  static const char* kBook[] = {"yes", "yes", "no", "refused_to_show"};
  static const char* kYesNo[] = {"yes", "no"};
  static const char* kCategories[] = {"queue", "staff_conduct", "informal_payment", "intermediaries",
                                      "information", "accessibility", "equipment", "language",
                                      "sanitation", "safety", "other"};
  static const char* kDescriptions[] = {
      "Пандус жоқ, кіреберіс биік",
      "Электронная очередь не работала около часа, талоны выдавал охранник вручную.",
      "Терминал талонов сломан, люди стоят в живой очереди у входа.",
      "Сотрудник у окна 4 разговаривал грубо с пожилой женщиной.",
      "У входа посредник предлагал ускорить оформление за 5000 тенге.",
      "Тарифы госпошлин на стенде устаревшие, суммы не совпадают с сайтом.",
      "Дәретхана жабық, кілтті сұрағанда бермеді.",
      "Кезекте тұрғандарға ақпарат тек орыс тілінде берілді.",
      "Окно для людей с инвалидностью закрыто, табличка отсутствует.",
      "Қызметкер талонсыз адамдарды кезексіз қабылдады.",
      "Нет питьевой воды, кулер пустой с утра.",
      "Охранник не пускал в зал с детской коляской.",
  };
  static const char* kNotes[] = {
      "Кезек ұзын, бірақ тәртіпті. Очередь длинная.",
      "Всё спокойно, очередь двигалась быстро.",
      "Утром было много людей из-за сбоя базы данных.",
      "Залда орын жетіспейді, адамдар тұрып күтеді.",
      "Персонал вежливый, информация доступна на трёх языках.",
      "Парковка переполнена, вход через двор.",
  };
  json a = json::object();
  int region = pick(7);
  a["region"] = kRegions[region];
  a["centre"] = std::string(kRegions[region]) + (pick(2) == 0 ? "_01" : "_02");
  a["visit_date"] = LocalDate(now_ms - int64_t{range(0, 28)} * 86400000, offset_minutes);
  char t[16];
  std::snprintf(t, sizeof t, "%02d:%02d", range(9, 17), range(0, 59));
  a["arrival_time"] = t;
  a["queue_length"] = pick(4) == 0 ? range(0, 3) : range(4, 60);
  a["waiting_source"] = kSources[pick(2)];
  a["waiting_minutes"] = range(0, 120);
  a["equeue_works"] = kEqueue[pick(5)];
  if (pick(20) == 0) {
    a["signage_languages"] = json::array({"none"});
  } else {
    json langs = json::array();
    for (const char* l : {"kk", "ru", "en"})
      if (pick(3) != 0) langs.push_back(l);
    if (langs.empty()) langs.push_back("kk");
    a["signage_languages"] = langs;
  }
  a["ramp"] = kRamp[pick(3)];
  a["complaints_book"] = kBook[pick(4)];
  a["fees_posted"] = kYesNo[pick(2)];
  int total = range(4, 30);
  int open = range(0, total);
  a["windows_total"] = total;
  a["windows_open"] = open;
  a["staff_at_windows"] = std::min(300, open + range(0, 5));
  a["cleanliness"] = range(1, 5);
  json issues = json::array();
  int n_issues = pick(3);
  for (int i = 0; i < n_issues; ++i)
    issues.push_back({{"category", kCategories[pick(11)]}, {"description", kDescriptions[pick(12)]}});
  a["issues"] = issues;
  if (pick(3) != 0) a["notes"] = kNotes[pick(6)];
  return a;
}

}  // namespace dala::bench
