// Per-call cost of the operations features (issue 15), without the noise of
// an end-to-end run on a shared machine: what a Screen call pays for its
// RPC metrics (CallObserver: clock reads, a counter per status code, an
// error counter, a latency histogram), for the decision and party-hit
// counters, and for an access-log record (JSON line into the buffered
// writer); and what one scrape costs (rendering the registry). Compare
// with the server's CPU per Screen call (about 160 us here, see README).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "services/api/observability.h"
#include "services/common/metrics.h"

namespace exportscreen {
namespace {

api::Caller TestCaller() {
  api::Caller c;
  c.name = "erp";
  c.roles = {v1::ROLE_SCREENING_CLIENT};
  return c;
}

void BM_CallObserverMetrics(benchmark::State& state) {
  api::Observability obs;
  obs.enabled = true;
  const api::Caller caller = TestCaller();
  for (auto _ : state) {
    api::CallObserver o(&obs, "exportscreen.v1.ScreeningService/Screen", nullptr);
    o.SetCaller(caller);
    o.SetRequestId("req-123");
    o.SetDecision("D0000000000000001", v1::DECISION_CLEAR);
    o.SetStatus(grpc::Status::OK);
    o.Done();
  }
}
BENCHMARK(BM_CallObserverMetrics);

void BM_CallObserverMetricsAndAccessLog(benchmark::State& state) {
  auto log = api::AccessLog::Open("/dev/null");
  api::Observability obs;
  obs.enabled = true;
  obs.access_log = log->get();
  const api::Caller caller = TestCaller();
  for (auto _ : state) {
    api::CallObserver o(&obs, "exportscreen.v1.ScreeningService/Screen", nullptr);
    o.SetCaller(caller);
    o.SetRequestId("req-123");
    o.SetDecision("D0000000000000001", v1::DECISION_LICENSE_REQUIRED);
    o.SetStatus(grpc::Status::OK);
    o.Done();
  }
}
BENCHMARK(BM_CallObserverMetricsAndAccessLog);

void BM_CallObserverOff(benchmark::State& state) {
  api::Observability obs;  // --metrics_listen= --access_log=
  const api::Caller caller = TestCaller();
  for (auto _ : state) {
    api::CallObserver o(&obs, "exportscreen.v1.ScreeningService/Screen", nullptr);
    o.SetCaller(caller);
    o.SetStatus(grpc::Status::OK);
    o.Done();
  }
}
BENCHMARK(BM_CallObserverOff);

// The answer counters of a Screen call with two party hits.
void BM_AnswerCounters(benchmark::State& state) {
  auto* decisions = metrics::Registry::Default().Get("es_decisions_total", "",
                                                     metrics::Type::kCounter, {"decision"});
  auto* hits = metrics::Registry::Default().Get("es_party_hits_total", "", metrics::Type::kCounter,
                                                {"list", "action"});
  for (auto _ : state) {
    decisions->CounterWith({"DECISION_LICENSE_REQUIRED"})->Add();
    hits->CounterWith({"EL", "MATCH_ACTION_BLOCK"})->Add();
    hits->CounterWith({"SDN", "MATCH_ACTION_REVIEW"})->Add();
  }
}
BENCHMARK(BM_AnswerCounters);

// One scrape's rendering of the process registry, with the RPC families of
// 30 methods and every status code in use (more series than a server has).
void BM_RenderRegistry(benchmark::State& state) {
  api::Observability obs;
  obs.enabled = true;
  for (int m = 0; m < 30; ++m) {
    for (int code = 0; code < 17; code += 4) {
      api::CallObserver o(&obs, "exportscreen.v1.AdminService/M" + std::to_string(m), nullptr);
      o.SetStatus(grpc::Status(static_cast<grpc::StatusCode>(code), ""));
      o.Done();
    }
  }
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = metrics::Registry::Default().Render();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderRegistry)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace exportscreen

BENCHMARK_MAIN();
