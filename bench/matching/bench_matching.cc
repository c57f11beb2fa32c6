// Matching benchmarks: normalisation, index build and match latency on
// (a) all real lists in seeds/lists (ES_LISTS_DIR) together and (b) a synthetic
// store of 1,000,000 entities (about 3 million names) generated with a
// fixed seed and realistic token statistics (Zipf-distributed given names,
// surnames, brand words and industry words; legal forms; aliases that are
// spelling, order and legal-form variants; 2 % accented and 1 % Cyrillic
// names). Match benchmarks report p50/p99 per query name as counters.
//
// Run: bench_matching --benchmark_counters_tabular=true
// (set ES_BENCH_ENTITIES to change the synthetic size).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <time.h>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/matching/name_index.h"
#include "services/matching/normalizer.h"
#include "tools/match_eval/real_lists.h"

namespace exportscreen::matching {
namespace {

using Rng = std::mt19937_64;

// ---------------------------------------------------------------------------
// Machine and memory.

std::string ReadProcField(const char* path, const char* key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      size_t colon = line.find(':');
      return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "?";
}

double RssMiB() {
  std::string v = ReadProcField("/proc/self/status", "VmRSS");
  return std::atof(v.c_str()) / 1024.0;
}
double PeakRssMiB() {
  std::string v = ReadProcField("/proc/self/status", "VmHWM");
  return std::atof(v.c_str()) / 1024.0;
}

// ---------------------------------------------------------------------------
// Synthetic store.

class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
      cdf_[i] = sum;
    }
    for (double& c : cdf_) c /= sum;
  }
  size_t operator()(Rng& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
  }

 private:
  std::vector<double> cdf_;
};

std::string Word(Rng& rng, size_t min_syl, size_t max_syl) {
  static const char* kOnset[] = {"b", "d", "f", "g",  "h",  "k",  "l",  "m",  "n",  "p", "r", "s",
                                 "t", "v", "z", "sh", "kh", "ch", "tr", "gr", "st", "y", ""};
  static const char* kVowel[] = {"a", "e", "i", "o", "u", "ai", "ou", "ia"};
  static const char* kCoda[] = {"", "", "", "n", "r", "s", "l", "k", "m"};
  size_t syl = min_syl + rng() % (max_syl - min_syl + 1);
  std::string w;
  for (size_t i = 0; i < syl; ++i) {
    w += kOnset[rng() % std::size(kOnset)];
    w += kVowel[rng() % std::size(kVowel)];
    w += kCoda[rng() % std::size(kCoda)];
  }
  w[0] = absl::ascii_toupper(w[0]);
  return w;
}

std::vector<std::string> WordPool(Rng& rng, size_t n, size_t min_syl, size_t max_syl) {
  std::vector<std::string> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.push_back(Word(rng, min_syl, max_syl));
  return v;
}

const std::vector<std::string> kIndustry = {"Technology",
                                            "Trading",
                                            "International",
                                            "Group",
                                            "Industries",
                                            "Engineering",
                                            "Electronics",
                                            "Services",
                                            "Holding",
                                            "Shipping",
                                            "Logistics",
                                            "Energy",
                                            "Petroleum",
                                            "Chemical",
                                            "Machinery",
                                            "Systems",
                                            "Research Institute",
                                            "Investment",
                                            "Development",
                                            "Bank",
                                            "Aviation",
                                            "Construction",
                                            "Import Export",
                                            "General Trading",
                                            "Manufacturing",
                                            "Equipment",
                                            "Materials",
                                            "Solutions",
                                            "Software",
                                            "Communication",
                                            "Precision",
                                            "Optical",
                                            "Marine",
                                            "Defense",
                                            "Aerospace",
                                            "Metals",
                                            "Mining",
                                            "Pharmaceutical",
                                            "Textile",
                                            "Foods",
                                            "Capital",
                                            "Finance"};
const std::vector<std::string> kLegal = {"Co., Ltd.", "Ltd",  "LLC",  "JSC",         "OOO",
                                         "GmbH",      "S.A.", "Inc.", "Corporation", "Limited",
                                         "Company",   "PJSC", "FZE",  "Pte. Ltd.",   "B.V."};
const std::vector<std::string> kCountries = {"CN", "RU", "IR", "HK", "AE", "TR", "SY", "KP",
                                             "BY", "VE", "CU", "PK", "IN", "DE", "US", "GB",
                                             "FR", "IT", "MY", "SG", "LB", "IQ", "AF", "UA"};

struct Synthetic {
  std::vector<IndexEntity> entities;
  std::vector<std::string> queries;  // listed names, variants, unknowns
  size_t names = 0;
  double gen_seconds = 0;
};

std::string Accent(std::string s) {
  size_t pos = s.find('e');
  if (pos != std::string::npos) s.replace(pos, 1, "é");
  return s;
}

std::string Cyrillic(const std::string& s) {
  static const char* kMap[26] = {"а", "б", "к", "д", "е", "ф", "г", "х", "и", "й", "к",  "л", "м",
                                 "н", "о", "п", "к", "р", "с", "т", "у", "в", "в", "кс", "ы", "з"};
  std::string out;
  for (char c : s) {
    char l = absl::ascii_tolower(c);
    if (l >= 'a' && l <= 'z') {
      out += kMap[l - 'a'];
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Typo(std::string s, Rng& rng) {
  if (s.size() < 6) return s;
  size_t pos = 1 + rng() % (s.size() - 2);
  if (s[pos] == ' ') return s;
  std::swap(s[pos], s[pos + 1]);
  return s;
}

Synthetic MakeSynthetic(size_t n_entities, uint64_t seed) {
  auto t0 = std::chrono::steady_clock::now();
  Synthetic out;
  Rng rng(seed);
  const auto given = WordPool(rng, 6000, 2, 3);
  const auto surnames = WordPool(rng, 250000, 2, 4);
  const auto brands = WordPool(rng, 600000, 2, 4);
  const auto cities = WordPool(rng, 800, 2, 3);
  const Zipf given_z(given.size(), 1.0), surname_z(surnames.size(), 0.9),
      brand_z(brands.size(), 0.7), industry_z(kIndustry.size(), 1.0), legal_z(kLegal.size(), 1.1),
      city_z(cities.size(), 1.0), country_z(kCountries.size(), 1.0);
  out.entities.reserve(n_entities);
  for (size_t i = 0; i < n_entities; ++i) {
    IndexEntity e;
    e.ordinal = static_cast<uint32_t>(i);
    e.is_person = rng() % 100 < 45;
    e.countries.push_back(kCountries[country_z(rng)]);
    if (rng() % 3 == 0) e.countries.push_back(kCountries[country_z(rng)]);
    std::string primary;
    if (e.is_person) {
      std::string first = given[given_z(rng)];
      std::string last = absl::AsciiStrToUpper(surnames[surname_z(rng)]);
      std::string middle = rng() % 10 < 3 ? given[given_z(rng)] : "";
      primary = absl::StrCat(last, ", ", first, middle.empty() ? "" : " ", middle);
      e.aliases.emplace_back(absl::StrCat(first, " ", last), NameKind::kStrongAlias);
      e.aliases.emplace_back(Typo(absl::StrCat(first, " ", last), rng), NameKind::kWeakAlias);
    } else {
      std::string core = brands[brand_z(rng)];
      if (rng() % 3 == 0) absl::StrAppend(&core, " ", brands[brand_z(rng)]);
      std::string prefix = rng() % 5 == 0 ? cities[city_z(rng)] + " " : "";
      std::string industry = kIndustry[industry_z(rng)];
      if (rng() % 4 == 0) absl::StrAppend(&industry, " ", kIndustry[industry_z(rng)]);
      std::string legal = rng() % 10 < 7 ? kLegal[legal_z(rng)] : "";
      primary = absl::StrCat(prefix, core, " ", industry, legal.empty() ? "" : " ", legal);
      e.aliases.emplace_back(absl::StrCat(core, " ", kLegal[legal_z(rng)]), NameKind::kStrongAlias);
      e.aliases.emplace_back(absl::StrCat(brands[brand_z(rng)], " ", industry),
                             NameKind::kStrongAlias);
    }
    uint32_t r = rng() % 100;
    if (r < 2) primary = Accent(primary);
    if (r == 2) e.aliases.emplace_back(Cyrillic(primary), NameKind::kStrongAlias);
    e.primary_name = std::move(primary);
    if (rng() % 2) e.address_parts.push_back(cities[city_z(rng)]);
    out.names += 1 + e.aliases.size();
    out.entities.push_back(std::move(e));
  }
  // Query mix: 40 % listed names, 30 % listed names with a transposition,
  // 30 % names that are not listed (new brand + industry, new person).
  Rng qr(seed + 1);
  for (int i = 0; i < 4000; ++i) {
    const IndexEntity& e = out.entities[qr() % out.entities.size()];
    int kind = static_cast<int>(qr() % 10);
    if (kind < 4) {
      out.queries.push_back(e.primary_name);
    } else if (kind < 7) {
      out.queries.push_back(Typo(e.primary_name, qr));
    } else if (kind < 9) {
      out.queries.push_back(
          absl::StrCat(Word(qr, 3, 4), " ", kIndustry[industry_z(qr)], " ", kLegal[legal_z(qr)]));
    } else {
      out.queries.push_back(absl::StrCat(given[given_z(qr)], " ", Word(qr, 3, 4)));
    }
  }
  out.gen_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

// ---------------------------------------------------------------------------
// Shared fixtures (built once, lazily).

struct Fixture {
  std::vector<IndexEntity> entities;  // kept for rebuilds
  std::unique_ptr<const NameIndex> index;
  std::vector<std::string> queries;
  size_t names = 0;
  double build_seconds = 0;
  double rss_delta_mib = 0;
};

Fixture* RealFixture() {
  static Fixture* f = [] {
    auto* x = new Fixture;
    auto lists = tools::LoadRealLists(ES_LISTS_DIR);
    if (!lists.ok()) {
      std::fprintf(stderr, "real lists: %s\n", lists.status().ToString().c_str());
      return x;
    }
    x->entities = std::move(lists->entities);
    for (const auto& e : x->entities) x->names += 1 + e.aliases.size();
    // Queries: every 7th listed name as is, every 11th with a
    // transposition, plus generated non-listed names.
    Rng rng(17);
    for (size_t i = 0; i < x->entities.size(); ++i) {
      if (i % 7 == 0) x->queries.push_back(x->entities[i].primary_name);
      if (i % 11 == 0) x->queries.push_back(Typo(x->entities[i].primary_name, rng));
      if (i % 13 == 0) {
        x->queries.push_back(
            absl::StrCat(Word(rng, 2, 3), " ", kIndustry[rng() % kIndustry.size()], " Co., Ltd."));
      }
    }
    double before = RssMiB();
    auto t0 = std::chrono::steady_clock::now();
    auto built = NameIndex::Build(x->entities);
    x->build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    x->rss_delta_mib = RssMiB() - before;
    x->index = std::move(built).value();
    return x;
  }();
  return f;
}

Fixture* SyntheticFixture() {
  static Fixture* f = [] {
    auto* x = new Fixture;
    size_t n = 1000000;
    if (const char* env = std::getenv("ES_BENCH_ENTITIES")) n = std::atol(env);
    Synthetic s = MakeSynthetic(n, 20260731);
    std::fprintf(stderr, "synthetic: %zu entities, %zu names, generated in %.1f s\n",
                 s.entities.size(), s.names, s.gen_seconds);
    x->names = s.names;
    x->queries = std::move(s.queries);
    double before = RssMiB();
    auto t0 = std::chrono::steady_clock::now();
    auto built = NameIndex::Build(std::move(s.entities));
    x->build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    x->rss_delta_mib = RssMiB() - before;
    x->index = std::move(built).value();
    return x;
  }();
  return f;
}

// ---------------------------------------------------------------------------
// Benchmarks.

void BM_NormalizeAscii(benchmark::State& state) {
  const std::vector<std::string> names = {"HUAWEI TECHNOLOGIES CO., LTD.", "SMITH, John William",
                                          "Open Joint Stock Company Kontsern Izhmash",
                                          "Beijing Institute of Technology",
                                          "AL-QAIDA IN THE ISLAMIC MAGHREB"};
  NormalizedName out;
  size_t i = 0;
  for (auto _ : state) {
    NormalizeName(names[i++ % names.size()], true, &out);
    benchmark::DoNotOptimize(out.tokens.data());
  }
}
BENCHMARK(BM_NormalizeAscii);

void BM_NormalizeUnicode(benchmark::State& state) {
  const std::vector<std::string> names = {"华为技术有限公司",         "ООО Газпром нефть",
                                          "Müller Maschinenbau GmbH", "Ελληνική Εταιρεία",
                                          "شركة النفط الوطنية",       "삼성전자 주식회사"};
  NormalizedName out;
  size_t i = 0;
  for (auto _ : state) {
    NormalizeName(names[i++ % names.size()], true, &out);
    benchmark::DoNotOptimize(out.tokens.data());
  }
}
BENCHMARK(BM_NormalizeUnicode);

void MatchLoop(benchmark::State& state, Fixture* f) {
  if (f->index == nullptr || f->queries.empty()) {
    state.SkipWithError("no index");
    return;
  }
  MatchOptions opts;
  opts.min_score = 0.80;
  std::vector<double> us, cpu_us;
  us.reserve(1 << 16);
  cpu_us.reserve(1 << 16);
  size_t i = 0, hits = 0;
  // ES_BENCH_SLOW_US=N prints queries slower than N microseconds (once).
  const char* slow_env = std::getenv("ES_BENCH_SLOW_US");
  const double slow_us = slow_env ? std::atof(slow_env) : 0;
  for (auto _ : state) {
    PartyQuery q;
    q.name = f->queries[i++ % f->queries.size()];
    timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    auto t0 = std::chrono::steady_clock::now();
    auto r = f->index->Match(q, opts);
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    cpu_us.push_back((c1.tv_sec - c0.tv_sec) * 1e6 + (c1.tv_nsec - c0.tv_nsec) / 1e3);
    if (r.ok()) hits += !r->empty();
    if (slow_us > 0 && us.back() > slow_us && i <= f->queries.size()) {
      std::fprintf(stderr, "slow %.0f us: %s\n", us.back(), q.name.c_str());
    }
  }
  std::sort(us.begin(), us.end());
  std::sort(cpu_us.begin(), cpu_us.end());
  auto pct = [](const std::vector<double>& v, double p) {
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, size_t(p * v.size()))];
  };
  // Wall-clock percentiles (what a caller sees) and per-query CPU time
  // percentiles (robust when other processes share the cores).
  state.counters["p50_us"] = pct(us, 0.50);
  state.counters["p99_us"] = pct(us, 0.99);
  state.counters["cpu_p50_us"] = pct(cpu_us, 0.50);
  state.counters["cpu_p99_us"] = pct(cpu_us, 0.99);
  state.counters["max_us"] = us.empty() ? 0 : us.back();
  state.counters["hit_rate"] = us.empty() ? 0 : double(hits) / us.size();
  state.counters["entities"] = f->index->entity_count();
  state.counters["names"] = f->index->name_count();
  state.counters["queries"] = f->queries.size();
}

void BM_BuildRealLists(benchmark::State& state) {
  Fixture* f = RealFixture();
  for (auto _ : state) {
    auto built = NameIndex::Build(f->entities);
    benchmark::DoNotOptimize(built);
  }
  state.counters["entities"] = f->entities.size();
  state.counters["names"] = f->names;
  state.counters["index_MiB"] = f->index ? f->index->memory_bytes() / 1048576.0 : 0;
}
BENCHMARK(BM_BuildRealLists)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_MatchRealLists(benchmark::State& state) { MatchLoop(state, RealFixture()); }
BENCHMARK(BM_MatchRealLists)->Unit(benchmark::kMicrosecond)->MinTime(3.0);

void BM_Build1M(benchmark::State& state) {
  Fixture* f = SyntheticFixture();  // built once, timed inside the fixture
  for (auto _ : state) benchmark::DoNotOptimize(f->index.get());
  state.counters["build_s"] = f->build_seconds;
  state.counters["entities"] = f->index ? f->index->entity_count() : 0;
  state.counters["names"] = f->names;
  state.counters["index_MiB"] = f->index ? f->index->memory_bytes() / 1048576.0 : 0;
  state.counters["rss_delta_MiB"] = f->rss_delta_mib;
  state.counters["rss_MiB"] = RssMiB();
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}
BENCHMARK(BM_Build1M)->Iterations(1);

void BM_Match1M(benchmark::State& state) { MatchLoop(state, SyntheticFixture()); }
BENCHMARK(BM_Match1M)->Unit(benchmark::kMicrosecond)->MinTime(5.0);

}  // namespace
}  // namespace exportscreen::matching

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("cpu_model",
                              exportscreen::matching::ReadProcField("/proc/cpuinfo", "model name"));
  benchmark::AddCustomContext("nproc", std::to_string(std::thread::hardware_concurrency()));
  benchmark::AddCustomContext("mem_total",
                              exportscreen::matching::ReadProcField("/proc/meminfo", "MemTotal"));
  benchmark::RunSpecifiedBenchmarks();
  std::fprintf(stderr, "final RSS %.0f MiB, peak RSS %.0f MiB\n", exportscreen::matching::RssMiB(),
               exportscreen::matching::PeakRssMiB());
  benchmark::Shutdown();
  return 0;
}
