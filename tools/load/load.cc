// es_load: closed-loop gRPC load against a running screening_server, with
// optional activation swaps in the middle, reporting throughput and latency
// percentiles overall and in the windows around each swap.
//
//   es_load --server=127.0.0.1:50051 --duration=10s --threads=4
//           [--requests=FILE.jsonl] [--swap_lists=A,B --swap_every=2s]
//
// Requests: one v1.ScreenRequest JSON per line (default: a built-in mix).
// Swaps: activates list versions A and B alternately through AdminService
// and records how long each Activate call took.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "tools/load/mixes.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "server host:port");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "how long to run");
ABSL_FLAG(int, threads, 4, "concurrent client threads (one call in flight each)");
ABSL_FLAG(std::string, requests, "", "JSONL file of ScreenRequests (default: built-in mix)");
ABSL_FLAG(std::string, swap_lists, "", "two list versions A,B to activate alternately");
ABSL_FLAG(absl::Duration, swap_every, absl::Seconds(2), "time between activations");
ABSL_FLAG(absl::Duration, swap_window, absl::Milliseconds(500),
          "latency window after each activation start counted as 'during swap'");
ABSL_FLAG(std::string, token, "", "bearer token");

namespace v1 = exportscreen::v1;
using Clock = std::chrono::steady_clock;

namespace {

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * (v.size() - 1));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<v1::ScreenRequest> requests;
  if (!absl::GetFlag(FLAGS_requests).empty()) {
    std::ifstream in(absl::GetFlag(FLAGS_requests));
    std::string line;
    while (std::getline(in, line)) {
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      v1::ScreenRequest r;
      if (google::protobuf::util::JsonStringToMessage(line, &r).ok()) requests.push_back(r);
    }
  } else {
    requests = exportscreen::load::TypicalMix();
  }
  if (requests.empty()) {
    std::fprintf(stderr, "no requests\n");
    return 1;
  }
  const int threads = absl::GetFlag(FLAGS_threads);
  const auto start = Clock::now();
  const auto end = start + absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_duration));
  struct Sample {
    double t_ms;  // since start
    double us;    // latency
  };
  std::mutex mu;
  std::vector<Sample> samples;
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> mixed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      // One channel per thread: separate HTTP/2 connections like separate clients.
      grpc::ChannelArguments a;
      a.SetInt("exportscreen.load.thread", t);
      auto stub = v1::ScreeningService::NewStub(grpc::CreateCustomChannel(
          absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials(), a));
      std::vector<Sample> local;
      size_t i = t;
      while (Clock::now() < end) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        if (!absl::GetFlag(FLAGS_token).empty()) {
          ctx.AddMetadata("authorization", "Bearer " + absl::GetFlag(FLAGS_token));
        }
        v1::ScreenResponse resp;
        const auto t0 = Clock::now();
        grpc::Status s = stub->Screen(&ctx, requests[i++ % requests.size()], &resp);
        const auto t1 = Clock::now();
        if (!s.ok()) {
          ++errors;
          continue;
        }
        if (resp.rule_set_version().empty() || resp.list_version().empty()) ++mixed;
        local.push_back({std::chrono::duration<double, std::milli>(t0 - start).count(),
                         std::chrono::duration<double, std::micro>(t1 - t0).count()});
      }
      std::lock_guard<std::mutex> lock(mu);
      samples.insert(samples.end(), local.begin(), local.end());
    });
  }

  // Activation swaps.
  std::vector<std::pair<double, double>> swaps;  // start ms, duration ms
  std::vector<std::string> versions =
      absl::StrSplit(absl::GetFlag(FLAGS_swap_lists), ',', absl::SkipEmpty());
  if (versions.size() == 2) {
    auto admin = v1::AdminService::NewStub(
        grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials()));
    int k = 0;
    while (Clock::now() + absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_swap_every)) < end) {
      std::this_thread::sleep_for(absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_swap_every)));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      if (!absl::GetFlag(FLAGS_token).empty()) {
        ctx.AddMetadata("authorization", "Bearer " + absl::GetFlag(FLAGS_token));
      }
      v1::ActivateRequest req;
      req.set_list_version(versions[k++ % 2]);
      v1::ActiveVersions out;
      const auto t0 = Clock::now();
      grpc::Status s = admin->Activate(&ctx, req, &out);
      const auto t1 = Clock::now();
      if (!s.ok()) {
        std::fprintf(stderr, "activate %s: %s\n", req.list_version().c_str(),
                     s.error_message().c_str());
        return 1;
      }
      swaps.push_back({std::chrono::duration<double, std::milli>(t0 - start).count(),
                       std::chrono::duration<double, std::milli>(t1 - t0).count()});
    }
  }
  for (auto& w : workers) w.join();

  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all, during;
  const double window = absl::ToDoubleMilliseconds(absl::GetFlag(FLAGS_swap_window));
  for (const auto& s : samples) {
    all.push_back(s.us);
    for (const auto& [at, took] : swaps) {
      if (s.t_ms >= at && s.t_ms <= at + took + window) {
        during.push_back(s.us);
        break;
      }
    }
  }
  std::printf("machine: %u cores; server %s; %d client threads; %.1f s\n",
              std::thread::hardware_concurrency(), absl::GetFlag(FLAGS_server).c_str(), threads,
              seconds);
  std::printf("calls: %zu ok, %lld errors, %lld without versions; %.0f calls/s\n", all.size(),
              static_cast<long long>(errors.load()), static_cast<long long>(mixed.load()),
              all.size() / seconds);
  std::printf("latency all: p50 %.0f us, p99 %.0f us, max %.0f us\n", Percentile(all, 0.5),
              Percentile(all, 0.99), all.empty() ? 0 : *std::max_element(all.begin(), all.end()));
  if (!swaps.empty()) {
    double max_took = 0;
    for (const auto& s : swaps) max_took = std::max(max_took, s.second);
    std::printf("activations: %zu, max %.0f ms\n", swaps.size(), max_took);
    std::printf("latency during swaps (%zu calls): p50 %.0f us, p99 %.0f us\n", during.size(),
                Percentile(during, 0.5), Percentile(during, 0.99));
  }
  return errors.load() == 0 ? 0 : 2;
}
