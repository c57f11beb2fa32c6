// Engine time for one shipment of 10 items and 4 parties against the real
// rules/, party matching excluded (FakeNameIndex: exact-name hash lookup).
// Bar: <= 20 us p50. Prints the machine and sizes.
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/text_format.h"
#include "services/engine/screening_engine.h"
#include "tests/testing/fake_name_index.h"
#include "tests/testing/worked_cases.h"

namespace exportscreen::engine {
namespace {

ScreeningSnapshot MakeSnapshot() {
  auto data = std::make_shared<ReferenceData>();
  for (const char* text : testing::kWorkedCaseEntities) {
    v1::ListedEntity e;
    google::protobuf::TextFormat::ParseFromString(text, &e);
    data->entity_by_id[e.entity_id()] = uint32_t(data->entities.size());
    data->entities.push_back(e);
  }
  for (const char* text : testing::kWorkedCaseOwnership) {
    v1::OwnershipLink l;
    google::protobuf::TextFormat::ParseFromString(text, &l);
    data->ownership.push_back(l);
  }
  IndexOwnership(data.get());
  auto files = rules::ReadRuleFiles(ES_SOURCE_DIR "/rules");
  auto rs = rules::RuleSet::Compile(*files);
  if (!rs.ok()) {
    std::cerr << rs.status() << "\n";
    std::abort();
  }
  ScreeningSnapshot s;
  s.rules = *rs;
  s.index = std::make_shared<testing::FakeNameIndex>(data->entities);
  s.data = data;
  return s;
}

// A realistic mixed shipment: accelerators, a server, HBM, SME; one listed
// party and three clean ones; destination with licence requirements.
constexpr char kRequest[] = R"pb(
  destination_country: "CN"
  parties { role: PARTY_ROLE_PURCHASER name: "Example Computing Co., Ltd." country: "CN" }
  parties { role: PARTY_ROLE_INTERMEDIATE_CONSIGNEE name: "Example Forwarding Pte Ltd" country: "SG" address { country: "SG" kind: ADDRESS_KIND_FREIGHT_FORWARDER } }
  parties { role: PARTY_ROLE_END_USER name: "Yangtze Memory Technologies Co., Ltd." country: "CN" }
  parties { role: PARTY_ROLE_ULTIMATE_CONSIGNEE name: "Example Data Centre Co" country: "CN" headquarters_country: "CN" incorporated_year: 2015 }
  items { kind: ITEM_KIND_IC tpp: 15831 die_area_mm2: 814 datacenter_marketed: true memory_bandwidth_gbps: 3350 parameters { key: "interconnect_gbps" value: 900 } quantity: 8 }
  items { kind: ITEM_KIND_IC tpp: 2368 die_area_mm2: 814 datacenter_marketed: true memory_bandwidth_gbps: 4000 parameters { key: "interconnect_gbps" value: 900 } quantity: 8 }
  items { kind: ITEM_KIND_IC tpp: 2640 die_area_mm2: 826 datacenter_marketed: true memory_bandwidth_gbps: 933 parameters { key: "interconnect_gbps" value: 200 } quantity: 8 }
  items { kind: ITEM_KIND_IC tpp: 5285 die_area_mm2: 608.5 datacenter_marketed: false memory_bandwidth_gbps: 1008 parameters { key: "interconnect_gbps" value: 64 } quantity: 2 }
  items { kind: ITEM_KIND_IC tpp: 1912 die_area_mm2: 608.5 datacenter_marketed: true memory_bandwidth_gbps: 864 parameters { key: "interconnect_gbps" value: 64 } quantity: 4 }
  items { kind: ITEM_KIND_COMPUTER tpp: 15831 die_area_mm2: 814 datacenter_marketed: true memory_bandwidth_gbps: 3350 parameters { key: "interconnect_gbps" value: 900 } quantity: 1 }
  items { kind: ITEM_KIND_HBM memory_bandwidth_gbps: 1229 parameters { key: "memory_bandwidth_density" value: 10.2 } quantity: 10 }
  items { kind: ITEM_KIND_SME_TOOL parameters { key: "light_source_nm" value: 193 } parameters { key: "mrf_nm" value: 38 } parameters { key: "dco_nm" value: 1.6 } features: "lithography" quantity: 1 }
  items { kind: ITEM_KIND_SME_UPGRADE_KIT parameters { key: "throughput_gain_percent" value: 5 } features: "throughput_upgrade" quantity: 1 }
  items { kind: ITEM_KIND_OTHER description: "rack" quantity: 4 }
)pb";

void BM_Screen10Items4Parties(benchmark::State& state) {
  static const ScreeningSnapshot* snap = new ScreeningSnapshot(MakeSnapshot());
  v1::ScreenRequest req;
  google::protobuf::TextFormat::ParseFromString(kRequest, &req);
  absl::CivilDay day(2026, 7, 23);
  size_t findings = 0;
  for (auto _ : state) {
    auto r = ScreeningEngine::Screen(*snap, req, day);
    findings = r->findings_size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["items"] = req.items_size();
  state.counters["parties"] = req.parties_size();
  state.counters["findings"] = double(findings);
  state.counters["rules"] = double(snap->rules->rule_count());
}
BENCHMARK(BM_Screen10Items4Parties)->Repetitions(5)->ReportAggregatesOnly(true);

// The same request through ScreenInto with the answer on a per-call Arena
// whose first block is reused (as a server answering from a per-call arena
// would): the answer is identical; its messages and short strings are bump
// allocations and it is released at once. Time includes the arena's
// teardown.
void BM_Screen10Items4PartiesArena(benchmark::State& state) {
  static const ScreeningSnapshot* snap = new ScreeningSnapshot(MakeSnapshot());
  v1::ScreenRequest req;
  google::protobuf::TextFormat::ParseFromString(kRequest, &req);
  absl::CivilDay day(2026, 7, 23);
  std::vector<char> block(256 << 10);
  size_t findings = 0;
  for (auto _ : state) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block.data();
    options.initial_block_size = block.size();
    google::protobuf::Arena arena(options);
    auto* r = google::protobuf::Arena::CreateMessage<v1::ScreenResponse>(&arena);
    auto status = ScreeningEngine::ScreenInto(ScreeningView{*snap}, req, day, r);
    findings = r->findings_size();
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(r);
  }
  state.counters["items"] = req.items_size();
  state.counters["parties"] = req.parties_size();
  state.counters["findings"] = double(findings);
}
BENCHMARK(BM_Screen10Items4PartiesArena)->Repetitions(5)->ReportAggregatesOnly(true);

// The same request answered into a response object that is cleared and
// reused (as the server's pooled per-call responses are): protobuf's Clear()
// keeps sub-messages and string capacity, so the answer's ~190 messages and
// ~300 strings are rewritten in place instead of allocated and freed.
void BM_Screen10Items4PartiesReused(benchmark::State& state) {
  static const ScreeningSnapshot* snap = new ScreeningSnapshot(MakeSnapshot());
  v1::ScreenRequest req;
  google::protobuf::TextFormat::ParseFromString(kRequest, &req);
  absl::CivilDay day(2026, 7, 23);
  v1::ScreenResponse r;
  size_t findings = 0;
  for (auto _ : state) {
    r.Clear();
    auto status = ScreeningEngine::ScreenInto(ScreeningView{*snap}, req, day, &r);
    findings = r.findings_size();
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(r);
  }
  state.counters["items"] = req.items_size();
  state.counters["parties"] = req.parties_size();
  state.counters["findings"] = double(findings);
}
BENCHMARK(BM_Screen10Items4PartiesReused)->Repetitions(5)->ReportAggregatesOnly(true);

// Reference point, not engine time: copying the finished answer of the
// request above (37 findings, ~220 messages, ~630 strings) into a fresh heap
// message and destroying it. No engine that returns this answer as a heap
// v1::ScreenResponse can be faster than this.
void BM_CopyAnswerFloor(benchmark::State& state) {
  static const ScreeningSnapshot* snap = new ScreeningSnapshot(MakeSnapshot());
  v1::ScreenRequest req;
  google::protobuf::TextFormat::ParseFromString(kRequest, &req);
  auto answer = ScreeningEngine::Screen(*snap, req, absl::CivilDay(2026, 7, 23));
  for (auto _ : state) {
    v1::ScreenResponse copy(*answer);
    benchmark::DoNotOptimize(copy);
  }
  state.counters["findings"] = double(answer->findings_size());
}
BENCHMARK(BM_CopyAnswerFloor)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace

void DumpAnswer() {
  ScreeningSnapshot snap = MakeSnapshot();
  v1::ScreenRequest req;
  google::protobuf::TextFormat::ParseFromString(kRequest, &req);
  auto answer = ScreeningEngine::Screen(snap, req, absl::CivilDay(2026, 7, 23));
  std::string text;
  google::protobuf::TextFormat::PrintToString(*answer, &text);
  std::cout << text << "bytes (wire): " << answer->ByteSizeLong() << "\n";
}

}  // namespace exportscreen::engine

int main(int argc, char** argv) {
  std::ifstream cpu("/proc/cpuinfo");
  std::string line, model;
  while (std::getline(cpu, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::cout << "machine: " << model << ", " << std::thread::hardware_concurrency()
            << " cores; workload: 10 items x 4 parties, rules/ of this repo, "
               "FakeNameIndex (matching excluded)\n";
  if (argc > 1 && std::string(argv[1]) == "--dump_answer") {
    // The answer being measured, in text format (what the time buys).
    exportscreen::engine::DumpAnswer();
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
