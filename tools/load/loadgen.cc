// es_loadgen: a closed-loop asynchronous load generator for the unary
// Screen RPC (like ghz or gRPC's own QPS benchmark): C channels, M calls in
// flight in total, a warm-up, a fixed measuring window; reports calls/s,
// p50/p90/p99/p999 latency, errors by status code and, given the server's
// PID, the server's CPU time per call (from /proc/PID/stat).
//
//   es_loadgen --server=127.0.0.1:50051 --mix=typical --inflight=32
//              --duration=10s --warmup=2s --server_pid=PID
//
// With --echo_listen=ADDR it is instead the reference server: the same
// ScreeningService/Screen method (same proto) answering a fixed CLEAR with
// no work: the ceiling of this RPC on this machine. By default it is the
// generated service's handler (the request parsed into a ScreenRequest, a
// CLEAR answer built and serialised by gRPC: the issue's echo); with
// --echo_raw it is the raw-bytes method with a pre-serialised answer (no
// parsing, no serialising: a stricter ceiling).
// bench/serving/run_unary_bench.sh runs the matrix (both echoes, recording,
// no recording x in-flight 1/8/32/128).
//
// Requests are serialised once up front; the client does no per-call
// protobuf work, so its CPU goes to gRPC only.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "tools/load/mixes.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "server host:port");
ABSL_FLAG(std::string, mix, "typical",
          "typical | heavy | a JSONL file of ScreenRequests | a folder of *.json requests");
ABSL_FLAG(int, channels, 2,
          "client channels (HTTP/2 connections), one completion-queue thread each");
ABSL_FLAG(int, inflight, 32, "calls in flight in total (spread over the channels)");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "warm-up before measuring");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measuring window");
ABSL_FLAG(int, server_pid, 0, "server process id: report its CPU time per call");
ABSL_FLAG(std::string, token, "", "bearer token");
ABSL_FLAG(std::string, label, "", "label printed in the RESULT line");
ABSL_FLAG(std::string, echo_listen, "",
          "run as the echo reference server on this address instead (port 0 = any)");
ABSL_FLAG(bool, echo_raw, false,
          "echo: the raw method with a pre-serialised answer (no parsing) instead of the "
          "generated handler (request parsed, answer built)");

namespace v1 = exportscreen::v1;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr char kMethod[] = "/exportscreen.v1.ScreeningService/Screen";

grpc::ByteBuffer Serialize(const google::protobuf::Message& m) {
  grpc::ByteBuffer out;
  bool own = false;
  grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::Message>(m, &out, &own);
  return out;
}

// The echo reference: Screen answers a fixed CLEAR, no parsing, no work.
class EchoService final
    : public v1::ScreeningService::WithRawCallbackMethod_Screen<v1::ScreeningService::Service> {
 public:
  EchoService() {
    v1::ScreenResponse r;
    r.set_request_id("echo");
    r.set_decision(v1::DECISION_CLEAR);
    r.set_rule_set_version("R-echo");
    r.set_list_version("L-echo");
    r.set_decision_id("D0000000000000001");
    answer_ = Serialize(r);
  }
  grpc::ServerUnaryReactor* Screen(grpc::CallbackServerContext* context, const grpc::ByteBuffer*,
                                   grpc::ByteBuffer* response) override {
    *response = answer_;  // shares the slices
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  grpc::ByteBuffer answer_;
};

// The echo reference as a normal generated-service handler: gRPC parses the
// request, the handler builds a fixed CLEAR answer, gRPC serialises it.
class ParsedEchoService final : public v1::ScreeningService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Screen(grpc::CallbackServerContext* context,
                                   const v1::ScreenRequest* request,
                                   v1::ScreenResponse* response) override {
    response->set_request_id(request->request_id());
    response->set_decision(v1::DECISION_CLEAR);
    response->set_rule_set_version("R-echo");
    response->set_list_version("L-echo");
    response->set_decision_id("D0000000000000001");
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

int RunEcho(const std::string& listen) {
  EchoService raw_service;
  ParsedEchoService parsed_service;
  grpc::Service& service = absl::GetFlag(FLAGS_echo_raw)
                               ? static_cast<grpc::Service&>(raw_service)
                               : static_cast<grpc::Service&>(parsed_service);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "echo: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::printf("echo (%s) listening on port %d pid %d\n",
              absl::GetFlag(FLAGS_echo_raw) ? "raw" : "parsed", port, static_cast<int>(getpid()));
  std::fflush(stdout);
  server->Wait();
  return 0;
}

// utime + stime of a process, in seconds; < 0 if unreadable.
double ProcessCpuSeconds(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  long long utime = 0, stime = 0;
  // Fields after "pid (comm)": state is field 3; utime 14, stime 15.
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoll(f);
    if (i == 15) stime = std::stoll(f);
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

struct Call {
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  SteadyClock::time_point started;
};

struct ChannelStats {
  std::vector<double> latencies_us;  // calls started inside the window
  std::map<int, int64_t> by_code;    // all calls that started in the window
};

double Percentile(std::vector<double>* v, double p) {
  if (v->empty()) return 0;
  const size_t k = static_cast<size_t>(p * static_cast<double>(v->size() - 1));
  std::nth_element(v->begin(), v->begin() + static_cast<std::ptrdiff_t>(k), v->end());
  return (*v)[k];
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("closed-loop asynchronous load for ScreeningService/Screen");
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_echo_listen).empty()) return RunEcho(absl::GetFlag(FLAGS_echo_listen));

  auto mix = exportscreen::load::Mix(absl::GetFlag(FLAGS_mix));
  if (!mix.ok()) {
    std::fprintf(stderr, "--mix: %s\n", mix.status().ToString().c_str());
    return 64;
  }
  std::vector<grpc::ByteBuffer> requests;
  for (const auto& r : *mix) requests.push_back(Serialize(r));
  const int channels = std::max(1, absl::GetFlag(FLAGS_channels));
  const int inflight = std::max(1, absl::GetFlag(FLAGS_inflight));
  const std::string token = absl::GetFlag(FLAGS_token);
  const int pid = absl::GetFlag(FLAGS_server_pid);

  const auto start = SteadyClock::now();
  const auto window_start = start + absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_warmup));
  const auto window_end = window_start + absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_duration));

  std::vector<ChannelStats> stats(static_cast<size_t>(channels));
  std::vector<std::thread> threads;
  for (int c = 0; c < channels; ++c) {
    const int mine = inflight / channels + (c < inflight % channels ? 1 : 0);
    if (mine == 0) continue;
    threads.emplace_back([&, c, mine] {
      grpc::ChannelArguments args;
      args.SetInt("exportscreen.loadgen.channel", c);  // a connection of its own
      args.SetMaxReceiveMessageSize(64 << 20);
      auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server),
                                               grpc::InsecureChannelCredentials(), args);
      grpc::GenericStub stub(channel);
      grpc::CompletionQueue cq;
      ChannelStats& out = stats[static_cast<size_t>(c)];
      size_t next = static_cast<size_t>(c);
      auto issue = [&] {
        auto* call = new Call;
        call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        if (!token.empty()) call->context.AddMetadata("authorization", "Bearer " + token);
        call->started = SteadyClock::now();
        call->reader =
            stub.PrepareUnaryCall(&call->context, kMethod, requests[next++ % requests.size()], &cq);
        call->reader->StartCall();
        call->reader->Finish(&call->response, &call->status, call);
      };
      for (int i = 0; i < mine; ++i) issue();
      int outstanding = mine;
      void* tag = nullptr;
      bool ok = false;
      while (outstanding > 0 && cq.Next(&tag, &ok)) {
        std::unique_ptr<Call> call(static_cast<Call*>(tag));
        const auto done = SteadyClock::now();
        --outstanding;
        if (call->started >= window_start && call->started < window_end) {
          out.by_code[call->status.error_code()]++;
          if (call->status.ok()) {
            out.latencies_us.push_back(
                std::chrono::duration<double, std::micro>(done - call->started).count());
          }
        }
        if (done < window_end) {
          issue();
          ++outstanding;
        }
      }
      cq.Shutdown();
      while (cq.Next(&tag, &ok)) delete static_cast<Call*>(tag);
    });
  }
  // Server CPU over the window.
  double cpu0 = -1, cpu1 = -1;
  if (pid > 0) {
    std::this_thread::sleep_until(window_start);
    cpu0 = ProcessCpuSeconds(pid);
    std::this_thread::sleep_until(window_end);
    cpu1 = ProcessCpuSeconds(pid);
  }
  for (auto& t : threads) t.join();

  std::vector<double> all;
  std::map<int, int64_t> codes;
  for (auto& s : stats) {
    all.insert(all.end(), s.latencies_us.begin(), s.latencies_us.end());
    for (const auto& [code, n] : s.by_code) codes[code] += n;
  }
  const double seconds = absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration));
  const double ok_calls = static_cast<double>(all.size());
  int64_t errors = 0;
  std::string by_code;
  for (const auto& [code, n] : codes) {
    if (code != 0) errors += n;
    absl::StrAppend(&by_code, by_code.empty() ? "" : ",", code, ":", n);
  }
  const double cpu_us =
      (pid > 0 && cpu0 >= 0 && cpu1 >= 0 && ok_calls > 0) ? (cpu1 - cpu0) * 1e6 / ok_calls : -1;
  std::printf(
      "RESULT label=%s mix=%s channels=%d inflight=%d calls_s=%.0f p50_us=%.0f p90_us=%.0f "
      "p99_us=%.0f p999_us=%.0f errors=%lld codes=%s server_cpu_us_per_call=%.1f\n",
      absl::GetFlag(FLAGS_label).c_str(), absl::GetFlag(FLAGS_mix).c_str(), channels, inflight,
      ok_calls / seconds, Percentile(&all, 0.5), Percentile(&all, 0.9), Percentile(&all, 0.99),
      Percentile(&all, 0.999), static_cast<long long>(errors), by_code.c_str(), cpu_us);
  return errors == 0 ? 0 : 2;
}
