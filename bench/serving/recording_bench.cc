// Screening throughput with decision recording (hash-chained, group-committed
// RocksDB writes) versus without, on the seeded snapshot. Issue 7 asks for
// recording on >= 80 % of recording off. Prints the machine and data size.
//
//   build/bench/serving/bench_recording --benchmark_min_time=2
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "services/api/screener.h"
#include "services/serving/snapshot_manager.h"
#include "services/store/entity_store.h"

namespace exportscreen {
namespace {

struct Fixture {
  std::string dir;
  std::unique_ptr<store::EntityStore> store;
  std::unique_ptr<serving::SnapshotManager> manager;
  std::vector<v1::ScreenRequest> requests;
};

Fixture& Get() {
  static Fixture* f = [] {
    auto* f = new Fixture();
    char tmpl[] = "/tmp/es_bench_XXXXXX";
    f->dir = mkdtemp(tmpl);
    f->store = *store::EntityStore::Open(f->dir);
    f->manager = std::make_unique<serving::SnapshotManager>(f->store.get(), Clock::Real());
    serving::BootstrapOptions b;
    b.rules_dir = std::string(ES_SOURCE_DIR) + "/rules";
    b.seeds_dir = std::string(ES_SOURCE_DIR) + "/seeds";
    absl::Status s = f->manager->Bootstrap(b);
    if (!s.ok()) {
      std::fprintf(stderr, "bootstrap: %s\n", s.ToString().c_str());
      std::abort();
    }
    const char* names[] = {"Rheinland Engineering Simulation GmbH", "Huawei Technologies Co Ltd",
                           "Kansai Research Computing Center K.K.", "Bright Star Global Trading"};
    const char* dests[] = {"DE", "CN", "JP", "MY"};
    for (int i = 0; i < 64; ++i) {
      v1::ScreenRequest r;
      r.set_request_id(absl::StrCat("bench-", i));
      r.set_destination_country(dests[i % 4]);
      auto* p = r.add_parties();
      p->set_name(names[(i / 4) % 4]);
      p->set_country(dests[i % 4]);
      auto* item = r.add_items();
      item->set_kind(v1::ITEM_KIND_IC);
      item->set_tpp(i % 2 ? 15831 : 1300);
      item->set_die_area_mm2(814);
      item->set_datacenter_marketed(i % 2 == 1);
      item->set_quantity(8);
      f->requests.push_back(r);
    }
    return f;
  }();
  return *f;
}

void Run(benchmark::State& state, bool record) {
  Fixture& f = Get();
  api::Screener screener(record ? f.store.get() : nullptr, Clock::Real());
  auto snapshot = f.manager->Current();
  const engine::ScreeningView view = f.manager->Pin(*snapshot);
  size_t i = state.thread_index();
  for (auto _ : state) {
    auto r = screener.Screen(view, f.requests[i++ % f.requests.size()], "bench");
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ScreenRecordingOff(benchmark::State& state) { Run(state, false); }
void BM_ScreenRecordingOn(benchmark::State& state) { Run(state, true); }
BENCHMARK(BM_ScreenRecordingOff)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_ScreenRecordingOn)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace exportscreen

int main(int argc, char** argv) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::printf(
      "machine: %u cores, %s; data: seeded store (%zu entities), 64 "
      "request shapes (1 party, 1 item)\n",
      std::thread::hardware_concurrency(), model.c_str(),
      exportscreen::Get().manager->Current()->data->entities.size());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
