// Operations (issue 15): the Prometheus endpoint is scraped and its numbers
// move with the calls made; /livez and /readyz and the gRPC health service
// names; the JSON-lines access log with the W3C traceparent, which also
// lands in the decision record; a list version older than --max_list_age
// fails readiness closed and raises one alert. Also unit checks of the
// metrics registry and the traceparent parser.
#include <httplib.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "exportscreen/v1/location.grpc.pb.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/api/observability.h"
#include "services/cli/health_client.h"
#include "services/common/clock.h"
#include "services/common/metrics.h"
#include "services/server/server.h"
#include "tests/testing/server_options.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

constexpr char kTrace[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// Sample value of `series` (the exact text before the value, labels
// included) in a scrape; -1 if absent.
double Sample(const std::string& scrape, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(scrape, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double v = -1;
      EXPECT_TRUE(absl::SimpleAtod(line.substr(series.size() + 1), &v)) << line;
      return v;
    }
  }
  return -1;
}

TEST(MetricsRegistryTest, CountersGaugesHistogramsRender) {
  auto& r = metrics::Registry::Default();
  auto* f = r.Get("es_test_things_total", "things", metrics::Type::kCounter, {"kind"});
  f->CounterWith({"a\"b"})->Add(3);
  f->CounterWith({"a\"b"})->Add();
  r.GetGauge("es_test_gauge", "a gauge")->Set(2.5);
  auto* h = r.GetHistogram("es_test_seconds", "latency", {0.1, 1});
  h->Observe(0.05);
  h->Observe(0.5);
  h->Observe(5);
  // Another thread sees the same child (the per-thread cache is a cache).
  std::thread([f] { f->CounterWith({"a\"b"})->Add(10); }).join();
  const std::string text = r.Render();
  EXPECT_EQ(Sample(text, "es_test_things_total{kind=\"a\\\"b\"}"), 14);
  EXPECT_EQ(Sample(text, "es_test_gauge"), 2.5);
  EXPECT_EQ(Sample(text, "es_test_seconds_bucket{le=\"0.1\"}"), 1);
  EXPECT_EQ(Sample(text, "es_test_seconds_bucket{le=\"1\"}"), 2);
  EXPECT_EQ(Sample(text, "es_test_seconds_bucket{le=\"+Inf\"}"), 3);
  EXPECT_EQ(Sample(text, "es_test_seconds_count"), 3);
  EXPECT_DOUBLE_EQ(Sample(text, "es_test_seconds_sum"), 5.55);
  EXPECT_TRUE(absl::StrContains(text, "# TYPE es_test_seconds histogram\n"));
}

TEST(TraceParentTest, ValidatesTheW3CFormat) {
  EXPECT_TRUE(api::ValidTraceParent(kTrace));
  // Later versions may append fields; version 00 may not.
  EXPECT_TRUE(api::ValidTraceParent(absl::StrCat("01", std::string(kTrace).substr(2), "-xyz")));
  EXPECT_FALSE(api::ValidTraceParent(absl::StrCat(kTrace, "-xyz")));
  EXPECT_FALSE(api::ValidTraceParent(""));
  EXPECT_FALSE(api::ValidTraceParent("garbage"));
  EXPECT_FALSE(api::ValidTraceParent(  // upper case
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"));
  EXPECT_FALSE(api::ValidTraceParent(  // all-zero trace id
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(api::ValidTraceParent(  // all-zero parent id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  EXPECT_FALSE(api::ValidTraceParent(  // version ff
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(api::ValidTraceParent(  // separators
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

class OpsTest : public ::testing::Test {
 protected:
  void Start(absl::Duration max_list_age = absl::ZeroDuration()) {
    server::ServerOptions o = testing::TestServerOptions(dir_.path() + "/db");
    o.metrics_listen = "127.0.0.1:0";
    o.workers = 2;
    o.access_log = dir_.path() + "/access.jsonl";
    o.max_list_age = max_list_age;
    o.probe_interval = absl::Milliseconds(20);
    o.clock = &clock_;
    auto s = server::ScreeningServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_TRUE(server_->Load().ok());
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    ASSERT_GT(server_->metrics_port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->metrics_port());
  }

  std::string Get(const std::string& path, int* status) {
    auto res = http_->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return "";
    *status = res->status;
    return res->body;
  }

  std::string Scrape() {
    int status = 0;
    std::string body = Get("/metrics", &status);
    EXPECT_EQ(status, 200);
    return body;
  }

  grpc::Status Screen(const std::string& name, const std::string& traceparent,
                      v1::ScreenResponse* response) {
    auto stub = v1::ScreeningService::NewStub(channel_);
    grpc::ClientContext ctx;
    if (!traceparent.empty()) ctx.AddMetadata("traceparent", traceparent);
    v1::ScreenRequest r;
    r.set_request_id(absl::StrCat("ops-", name));
    r.set_destination_country("CN");
    auto* p = r.add_parties();
    p->set_role(v1::PARTY_ROLE_END_USER);
    p->set_name(name);
    p->set_country("CN");
    grpc::Status s = stub->Screen(&ctx, r, response);
    return s;
  }

  cli::HealthState Health(const std::string& service) {
    cli::HealthState state = cli::HealthState::kUnknown;
    grpc::Status s = cli::CheckHealth(
        channel_, service, std::chrono::system_clock::now() + std::chrono::seconds(10), &state);
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_message();
    return state;
  }

  testing::TempDir dir_;
  FakeClock clock_{absl::Now()};
  std::unique_ptr<server::ScreeningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(OpsTest, MetricsMoveProbesAnswerAccessLogRecordsEveryCall) {
  Start();
  const std::string before = Scrape();
  const std::string screen_ok =
      "es_rpc_calls_total{method=\"exportscreen.v1.ScreeningService/Screen\",code=\"OK\"}";
  const std::string screen_bad =
      "es_rpc_calls_total{method=\"exportscreen.v1.ScreeningService/"
      "Screen\",code=\"INVALID_ARGUMENT\"}";
  const std::string latency_count =
      "es_rpc_latency_seconds_count{method=\"exportscreen.v1.ScreeningService/Screen\"}";
  const std::string prohibited = "es_decisions_total{decision=\"DECISION_PROHIBITED\"}";
  const std::string dpl_hits = "es_party_hits_total{list=\"DPL\",action=\"MATCH_ACTION_BLOCK\"}";
  auto value = [](const std::string& scrape, const std::string& series) {
    return std::max(0.0, Sample(scrape, series));  // absent = 0
  };

  // Three answered calls (one a Denied Persons hit), one bad request, one
  // call with a malformed traceparent (ignored, not an error).
  v1::ScreenResponse clear, denied, ignored_trace;
  ASSERT_TRUE(Screen("Rheinland Engineering Simulation GmbH", kTrace, &clear).ok());
  ASSERT_TRUE(Screen("Kal Tek Labs", "", &denied).ok());
  ASSERT_EQ(denied.decision(), v1::DECISION_PROHIBITED);
  ASSERT_TRUE(Screen("Some Trading Co", "00-not-a-trace", &ignored_trace).ok());
  v1::ScreenResponse unused;
  EXPECT_EQ(Screen("", "", &unused).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // A call is counted when gRPC reports it done, which may come just after
  // the client has its answer: wait (bounded) for the four calls to show.
  std::string after = Scrape();
  for (int i = 0; i < 250 && value(after, latency_count) - value(before, latency_count) < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    after = Scrape();
  }
  EXPECT_EQ(value(after, screen_ok) - value(before, screen_ok), 3);
  EXPECT_EQ(value(after, screen_bad) - value(before, screen_bad), 1);
  EXPECT_EQ(value(after, latency_count) - value(before, latency_count), 4);
  EXPECT_EQ(value(after, prohibited) - value(before, prohibited), 1);
  EXPECT_GE(value(after, dpl_hits) - value(before, dpl_hits), 1);
  EXPECT_GE(
      value(after, "es_rpc_errors_total{method=\"exportscreen.v1.ScreeningService/Screen\"}") -
          value(before, "es_rpc_errors_total{method=\"exportscreen.v1.ScreeningService/Screen\"}"),
      1);
  // Gauges computed at scrape time.
  EXPECT_EQ(Sample(after, "es_ready"), 1);
  EXPECT_EQ(Sample(after, "es_list_stale"), 0);
  EXPECT_EQ(Sample(after, "es_queue_depth{pool=\"screening\"}"), 0);
  EXPECT_EQ(Sample(after, "es_queue_capacity{pool=\"screening\"}"), 4096);
  EXPECT_GE(Sample(after, "es_queue_rejections_total{pool=\"screening\"}"), 0);
  EXPECT_GE(Sample(after, "es_list_version_age_seconds"), 0);
  EXPECT_GT(Sample(after, "es_list_entities"), 0);
  EXPECT_GE(Sample(after, "es_decisions_stored"), 3);
  EXPECT_GE(Sample(after, "es_rocksdb_sst_bytes"), 0);
  EXPECT_GE(Sample(after, "es_rocksdb_write_stopped"), 0);
  EXPECT_GE(Sample(after, "es_rocksdb_compaction_pending"), 0);
  EXPECT_GE(Sample(after, "es_rocksdb_write_slowdowns"), 0);
  EXPECT_GE(Sample(after, "es_snapshot_build_seconds_count"), 1);
  EXPECT_GE(Sample(after, "es_snapshot_activations_total{result=\"ok\"}"), 1);
  EXPECT_GE(Sample(after, "es_recorder_batch_size_count"), 1);
  EXPECT_GE(Sample(after, "es_recorder_write_seconds_count"), 1);
  EXPECT_TRUE(absl::StrContains(after, "es_active_version_info{rule_set_version=\"R-"));

  // Probes.
  int status = 0;
  EXPECT_EQ(Get("/livez", &status), "ok\n");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(Get("/readyz", &status), "ready\n");
  EXPECT_EQ(status, 200);
  Get("/nothing-here", &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(Health("exportscreen.liveness"), cli::HealthState::kServing);
  EXPECT_EQ(Health("exportscreen.readiness"), cli::HealthState::kServing);
  EXPECT_EQ(Health(""), cli::HealthState::kServing);

  // The traceparent is in the decision record (and covered by its hash).
  auto stub = v1::ScreeningService::NewStub(channel_);
  for (const auto& [response, want] :
       {std::pair<const v1::ScreenResponse*, std::string>{&clear, kTrace},
        {&denied, ""},
        {&ignored_trace, ""}}) {
    grpc::ClientContext ctx;
    v1::GetDecisionRequest req;
    req.set_decision_id(response->decision_id());
    v1::DecisionRecord record;
    ASSERT_TRUE(stub->GetDecision(&ctx, req, &record).ok());
    EXPECT_EQ(record.trace_parent(), want) << response->decision_id();
  }

  // ScreenStream: every line's record carries the stream's traceparent.
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("traceparent", kTrace);
    auto stream = stub->ScreenStream(&ctx);
    for (int i = 0; i < 2; ++i) {
      v1::ScreenStreamRequest line;
      line.set_line_id(absl::StrCat("line-", i));
      line.mutable_request()->set_request_id(absl::StrCat("stream-", i));
      line.mutable_request()->set_destination_country("DE");
      auto* p = line.mutable_request()->add_parties();
      p->set_role(v1::PARTY_ROLE_END_USER);
      p->set_name("Kal Tek Labs");
      ASSERT_TRUE(stream->Write(line));
    }
    stream->WritesDone();
    v1::ScreenStreamResponse answer;
    int answers = 0;
    while (stream->Read(&answer)) {
      ASSERT_TRUE(answer.has_response()) << answer.ShortDebugString();
      grpc::ClientContext get;
      v1::GetDecisionRequest req;
      req.set_decision_id(answer.response().decision_id());
      v1::DecisionRecord record;
      ASSERT_TRUE(stub->GetDecision(&get, req, &record).ok());
      EXPECT_EQ(record.trace_parent(), kTrace);
      ++answers;
    }
    ASSERT_TRUE(stream->Finish().ok());
    EXPECT_EQ(answers, 2);
  }

  // Access log: one JSON line per RPC, flushed at shutdown.
  server_->Shutdown();
  std::ifstream in(dir_.path() + "/access.jsonl");
  std::string line;
  int screens = 0, gets = 0, streams = 0;
  bool saw_trace = false, saw_denied = false, saw_invalid = false;
  while (std::getline(in, line)) {
    ASSERT_EQ(line.front(), '{') << line;
    ASSERT_EQ(line.back(), '}') << line;
    EXPECT_TRUE(absl::StrContains(line, "\"time\":\"")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"latency_ms\":")) << line;
    if (absl::StrContains(line, "\"method\":\"exportscreen.v1.ScreeningService/Screen\"")) {
      ++screens;
      EXPECT_TRUE(absl::StrContains(line, "\"principal\":\"anonymous\"")) << line;
      EXPECT_TRUE(absl::StrContains(line, "\"roles\":\"ROLE_")) << line;
      if (absl::StrContains(line, clear.decision_id())) {
        EXPECT_TRUE(absl::StrContains(line, absl::StrCat("\"traceparent\":\"", kTrace, "\"")))
            << line;
        EXPECT_TRUE(absl::StrContains(line, "\"request_id\":\"ops-Rheinland")) << line;
        saw_trace = true;
      }
      if (absl::StrContains(line, denied.decision_id())) {
        EXPECT_TRUE(absl::StrContains(line, "\"decision\":\"DECISION_PROHIBITED\"")) << line;
        EXPECT_TRUE(absl::StrContains(line, "\"status\":\"OK\"")) << line;
        EXPECT_FALSE(absl::StrContains(line, "traceparent")) << line;
        saw_denied = true;
      }
      if (absl::StrContains(line, "\"status\":\"INVALID_ARGUMENT\"")) saw_invalid = true;
    }
    if (absl::StrContains(line, "GetDecision")) ++gets;
    if (absl::StrContains(line, "ScreenStream")) {
      ++streams;
      EXPECT_TRUE(absl::StrContains(line, "\"lines\":2")) << line;
      EXPECT_TRUE(absl::StrContains(line, absl::StrCat("\"traceparent\":\"", kTrace, "\"")))
          << line;
    }
  }
  EXPECT_EQ(screens, 4);
  EXPECT_EQ(gets, 5);
  EXPECT_EQ(streams, 1);
  EXPECT_TRUE(saw_trace);
  EXPECT_TRUE(saw_denied);
  EXPECT_TRUE(saw_invalid);
}

TEST_F(OpsTest, StaleListFailsReadinessClosedAndRaisesOneAlert) {
  Start(absl::Hours(36));
  int status = 0;
  Get("/readyz", &status);
  EXPECT_EQ(status, 200);
  clock_.Advance(absl::Hours(37));
  // The maintenance loop notices within a few probe intervals.
  std::string body;
  for (int i = 0; i < 500 && status == 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    body = Get("/readyz", &status);
  }
  EXPECT_EQ(status, 503);
  EXPECT_TRUE(absl::StrContains(body, "older than --max_list_age")) << body;
  // /readyz fails first (the flag flips at once); the alert is stored and the
  // gRPC health statuses are updated right after, on the same loop tick:
  // wait for them (bounded) rather than racing them under a loaded machine.
  for (int i = 0; i < 500; ++i) {
    if (Health("exportscreen.readiness") == cli::HealthState::kNotServing &&
        Sample(Scrape(), "es_alerts_raised_total{kind=\"ALERT_KIND_LIST_STALE\"}") >= 1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Health("exportscreen.readiness"), cli::HealthState::kNotServing);
  EXPECT_EQ(Health(""), cli::HealthState::kNotServing);
  EXPECT_EQ(Health("exportscreen.liveness"), cli::HealthState::kServing);
  Get("/livez", &status);
  EXPECT_EQ(status, 200);
  const std::string scrape = Scrape();
  EXPECT_EQ(Sample(scrape, "es_ready"), 0);
  EXPECT_EQ(Sample(scrape, "es_list_stale"), 1);
  EXPECT_GE(Sample(scrape, "es_alerts_raised_total{kind=\"ALERT_KIND_LIST_STALE\"}"), 1);
  // One alert for the version, however long it stays stale.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto alerts = server_->manager()->store()->alerts().ListAlerts(100, false);
  ASSERT_TRUE(alerts.ok());
  int stale = 0;
  for (const auto& a : *alerts) {
    if (a.kind() == v1::ALERT_KIND_LIST_STALE) {
      ++stale;
      EXPECT_EQ(a.list_version(), server_->manager()->Current()->list_version);
    }
  }
  EXPECT_EQ(stale, 1);
}

}  // namespace
}  // namespace exportscreen
