// Location verification benchmarks (issue 8).
//   BM_Ingest: signed reports/s through LocationIngestor (Ed25519 checks on
//     the verify pool, one WriteBatch per 4096 reports, index publish, alert
//     lookups), into a fresh RocksDB store. Bar: >= 50,000/s.
//   BM_IngestBundles/N: the same stream as signed bundles of N reports (one
//     Ed25519 verify + one SHA-256 pass per bundle, then the same per-report
//     checks and storage path). Bar: N=1000 >= 50,000 reports/s.
//   BM_VerifyOnly: the signature check alone (per thread).
//   BM_VerifyBundle/N: digest + signature check of one bundle of N reports.
//   BM_ScreenSerials/N: engine time of one shipment with N serials, all with
//     location reports (N=0 is the baseline). Bar: N=1000 adds <= 1 ms.
#include <map>
#include <thread>

#include "benchmark/benchmark.h"
#include "services/common/clock.h"
#include "services/engine/screening_engine.h"
#include "services/serving/location_ingest.h"
#include "services/serving/location_signing.h"
#include "services/serving/snapshot_manager.h"
#include "services/store/entity_store.h"
#include "tests/testing/temp_dir.h"
#include "tools/locgen/location_stream.h"

namespace exportscreen {
namespace {

const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2026, 8, 1, 0, 0, 0), absl::UTCTimeZone());

struct Env {
  testing::TempDir dir;
  FakeClock clock{kStart + absl::Hours(24 * 21)};
  std::unique_ptr<store::EntityStore> store;
  std::unique_ptr<serving::SnapshotManager> manager;
  std::unique_ptr<serving::LocationIngestor> ingestor;
  std::unique_ptr<serving::Ed25519PrivateKey> key;

  explicit Env(bool bootstrap, int verify_threads) {
    store = *store::EntityStore::Open(dir.path() + "/db");
    manager = std::make_unique<serving::SnapshotManager>(store.get(), &clock);
    if (bootstrap) {
      serving::BootstrapOptions boot;
      boot.rules_dir = std::string(ES_SOURCE_DIR) + "/rules";
      boot.seeds_dir = std::string(ES_SOURCE_DIR) + "/seeds";
      if (!manager->Bootstrap(boot).ok()) std::abort();
    }
    key = std::make_unique<serving::Ed25519PrivateKey>(
        *serving::Ed25519PrivateKey::FromSeed(locgen::TestKeySeed()));
    auto trust = *serving::LocationTrust::FromText(
        locgen::TrustConfigText("test-fleet-attest", key->PublicKeyHex()));
    serving::LocationIngestOptions opts;
    opts.verify_threads = verify_threads;
    ingestor = *serving::LocationIngestor::Create(store.get(), manager.get(), std::move(trust),
                                                  &clock, opts);
  }
};

const locgen::Stream& Stream100k() {
  static const locgen::Stream* s = [] {
    locgen::StreamOptions o;
    o.chips = 20000;
    o.diverted = 50;
    o.days = 20;
    auto key = *serving::Ed25519PrivateKey::FromSeed(locgen::TestKeySeed());
    return new locgen::Stream(locgen::Generate(o, key));
  }();
  return *s;
}

void BM_Ingest(benchmark::State& state) {
  const auto& stream = Stream100k();
  int64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto env = std::make_unique<Env>(false, static_cast<int>(state.range(0)));
    std::vector<v1::LocationReport> reports = stream.reports;
    state.ResumeTiming();
    auto summary = env->ingestor->Ingest(std::move(reports));
    if (!summary.ok() || summary->accepted() != int64_t(stream.reports.size())) {
      state.SkipWithError("ingest failed");
      return;
    }
    total += summary->accepted();
    state.PauseTiming();
    env.reset();
    state.ResumeTiming();
  }
  state.counters["reports_per_s"] = benchmark::Counter(double(total), benchmark::Counter::kIsRate);
  state.counters["reports"] = double(stream.reports.size());
}
BENCHMARK(BM_Ingest)
    ->Arg(1)
    ->Arg(2)
    ->Arg(3)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

const std::vector<v1::ReportBundle>& Bundles(size_t per_bundle) {
  static auto* cache = new std::map<size_t, std::vector<v1::ReportBundle>>();
  auto it = cache->find(per_bundle);
  if (it == cache->end()) {
    auto key = *serving::Ed25519PrivateKey::FromSeed(locgen::TestKeySeed());
    it = cache
             ->emplace(per_bundle, locgen::MakeBundles(Stream100k().reports, per_bundle,
                                                       "test-fleet-attest", key))
             .first;
  }
  return it->second;
}

void BM_IngestBundles(benchmark::State& state) {
  const auto& bundles = Bundles(size_t(state.range(0)));
  const int64_t reports = int64_t(Stream100k().reports.size());
  int64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto env = std::make_unique<Env>(false, 2);
    std::vector<v1::ReportBundle> copy = bundles;
    state.ResumeTiming();
    auto summary = env->ingestor->IngestBundles(std::move(copy));
    if (!summary.ok() || summary->accepted() != reports) {
      state.SkipWithError("bundle ingest failed");
      return;
    }
    total += summary->accepted();
    state.PauseTiming();
    env.reset();
    state.ResumeTiming();
  }
  state.counters["reports_per_s"] = benchmark::Counter(double(total), benchmark::Counter::kIsRate);
  state.counters["reports"] = double(reports);
  state.counters["bundles"] = double(bundles.size());
}
BENCHMARK(BM_IngestBundles)
    ->Arg(1000)
    ->Arg(100)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

void BM_VerifyBundle(benchmark::State& state) {
  const auto& bundle = Bundles(size_t(state.range(0)))[0];
  auto trust = *serving::LocationTrust::FromText(locgen::TrustConfigText(
      "test-fleet-attest",
      serving::Ed25519PrivateKey::FromSeed(locgen::TestKeySeed())->PublicKeyHex()));
  for (auto _ : state) {
    auto reason = trust->CheckBundle(bundle);
    if (!reason.empty()) {
      state.SkipWithError(reason.c_str());
      return;
    }
  }
  state.counters["reports_per_s"] = benchmark::Counter(
      double(state.iterations()) * double(bundle.reports_size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VerifyBundle)->Arg(1000)->Unit(benchmark::kMicrosecond);

// The ingest path without signature checks (store WriteBatches with replay
// and latest-per-serial reads): what the non-crypto part costs.
void BM_StoreOnly(benchmark::State& state) {
  const auto& stream = Stream100k();
  int64_t total = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto env = std::make_unique<Env>(false, 1);
    state.ResumeTiming();
    std::vector<store::LocationPut> outcome;
    std::vector<v1::LocationReport> latest;
    for (size_t b = 0; b < stream.reports.size(); b += 4096) {
      std::vector<v1::LocationReport> part(
          stream.reports.begin() + b,
          stream.reports.begin() + std::min(stream.reports.size(), b + 4096));
      if (!env->store->locations().PutLocationReports(part, &outcome, &latest).ok()) {
        state.SkipWithError("put failed");
        return;
      }
      total += int64_t(part.size());
    }
    state.PauseTiming();
    env.reset();
    state.ResumeTiming();
  }
  state.counters["reports_per_s"] = benchmark::Counter(double(total), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StoreOnly)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_VerifyOnly(benchmark::State& state) {
  const auto& stream = Stream100k();
  auto key = *serving::Ed25519PrivateKey::FromSeed(locgen::TestKeySeed());
  auto pub = *serving::Ed25519PublicKey::FromHex(key.PublicKeyHex());
  size_t i = 0;
  for (auto _ : state) {
    const auto& r = stream.reports[i++ % stream.reports.size()];
    benchmark::DoNotOptimize(pub.Verify(serving::CanonicalReportBytes(r), r.signature()));
  }
  state.counters["verifies_per_s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VerifyOnly);

void BM_ScreenSerials(benchmark::State& state) {
  static Env* env = [] {
    auto* e = new Env(true, 2);
    std::vector<v1::LocationReport> reports;
    for (int i = 0; i < 100000; ++i) {  // 100k chips known to the index
      v1::LocationReport r;
      r.set_report_id("r" + std::to_string(i));
      r.set_serial_number("SN-" + std::to_string(i));
      r.set_country(i % 10 == 0 ? "SG" : "DE");
      r.set_verifier_id("test-fleet-attest");
      r.mutable_observed_at()->set_seconds(absl::ToUnixSeconds(e->clock.Now()) - 3600);
      serving::SignLocationReport(*e->key, &r);
      reports.push_back(std::move(r));
    }
    if (!e->ingestor->Ingest(std::move(reports)).ok()) std::abort();
    return e;
  }();
  auto snap = env->manager->Current();
  auto s = locgen::Shipment{"bench", "DE", {}, {}};
  v1::ScreenRequest req = locgen::ShipmentRequest(s);
  auto* item = req.mutable_items(0);
  item->clear_serial_numbers();
  for (int i = 0; i < state.range(0); ++i) {
    item->add_serial_numbers("SN-" + std::to_string(i * 97 % 100000));
  }
  item->set_quantity(std::max<int64_t>(1, state.range(0)));
  const absl::CivilDay day = env->clock.Today();
  for (auto _ : state) {
    auto r = engine::ScreeningEngine::Screen(*snap, req, day);
    benchmark::DoNotOptimize(r);
  }
  state.counters["index_size"] = double(env->manager->location_feed()->Load()->size());
}
BENCHMARK(BM_ScreenSerials)->Arg(0)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace exportscreen

BENCHMARK_MAIN();
