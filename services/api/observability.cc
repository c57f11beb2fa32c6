#include "services/api/observability.h"

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/logging.h"
#include "services/common/metrics.h"

namespace exportscreen::api {

namespace {

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(absl::string_view s) {
  return s.find_first_not_of('0') == absl::string_view::npos;
}

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char kHex[] = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendField(std::string* out, absl::string_view key, absl::string_view value) {
  out->append(",\"");
  out->append(key.data(), key.size());
  out->append("\":");
  AppendJsonString(out, value);
}

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",           "CANCELLED",         "UNKNOWN",
      "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED",     "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",          "UNAVAILABLE",
      "DATA_LOSS",     "UNAUTHENTICATED"};
  const int c = static_cast<int>(code);
  return c >= 0 && c <= 16 ? kNames[c] : "UNKNOWN";
}

struct RpcMetrics {
  metrics::Family* calls = metrics::Registry::Default().Get(
      "es_rpc_calls_total", "RPCs finished, by method and gRPC status code",
      metrics::Type::kCounter, {"method", "code"});
  metrics::Family* errors = metrics::Registry::Default().Get(
      "es_rpc_errors_total", "RPCs finished with a status other than OK, by method",
      metrics::Type::kCounter, {"method"});
  metrics::Family* latency = metrics::Registry::Default().Get(
      "es_rpc_latency_seconds",
      "RPC latency from the call's start to its status, by method",
      metrics::Type::kHistogram, {"method"}, metrics::LatencyBuckets());
  metrics::Counter* access_records = metrics::Registry::Default().GetCounter(
      "es_access_log_records_total", "Access-log records written");
};

RpcMetrics& Rpc() {
  static RpcMetrics* m = new RpcMetrics();
  return *m;
}

metrics::Counter* AccessLogDropped() {
  static metrics::Counter* c = metrics::Registry::Default().GetCounter(
      "es_access_log_dropped_total",
      "Access-log records dropped because the writer fell behind");
  return c;
}

class ObservabilityInterceptor final : public grpc::experimental::Interceptor {
 public:
  ObservabilityInterceptor(grpc::experimental::ServerRpcInfo* info,
                           AccessLog* access_log)
      : info_(info), access_log_(access_log), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      OnStatus(methods);
    }
    methods->Proceed();
  }

 private:
  void OnStatus(grpc::experimental::InterceptorBatchMethods* methods) {
    const absl::Time end = absl::Now();
    const grpc::Status status = methods->GetSendStatus();
    absl::string_view method = info_->method() != nullptr ? info_->method() : "";
    absl::ConsumePrefix(&method, "/");
    const char* code = CodeName(status.error_code());
    RpcMetrics& m = Rpc();
    m.calls->CounterWith({method, code})->Add();
    if (!status.ok()) m.errors->CounterWith({method})->Add();
    const double seconds = absl::ToDoubleSeconds(end - start_);
    m.latency->HistogramWith({method})->Observe(seconds);

    std::multimap<std::string, std::string>* trailers =
        methods->GetSendTrailingMetadata();
    if (access_log_ == nullptr) {
      if (trailers != nullptr) {
        trailers->erase(kMdPrincipal);
        trailers->erase(kMdRoles);
      }
      return;
    }
    std::string principal, roles, request_id, decision_id, decision;
    if (trailers != nullptr) {
      for (auto it = trailers->begin(); it != trailers->end();) {
        if (it->first == kMdPrincipal || it->first == kMdRoles) {
          (it->first == kMdPrincipal ? principal : roles) = std::move(it->second);
          it = trailers->erase(it);
          continue;
        }
        if (it->first == kMdRequestId) request_id = it->second;
        if (it->first == kMdDecisionId) decision_id = it->second;
        if (it->first == kMdDecision) decision = it->second;
        ++it;
      }
    }
    std::string line;
    line.reserve(384);
    line.append("{\"time\":\"");
    line.append(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", end, absl::UTCTimeZone()));
    line.push_back('"');
    AppendField(&line, "method", method);
    grpc::ServerContextBase* context = info_->server_context();
    if (context != nullptr) AppendField(&line, "peer", context->peer());
    AppendField(&line, "principal", principal);
    AppendField(&line, "roles", roles);
    if (!request_id.empty()) AppendField(&line, "request_id", request_id);
    if (!decision_id.empty()) AppendField(&line, "decision_id", decision_id);
    if (!decision.empty()) AppendField(&line, "decision", decision);
    AppendField(&line, "status", code);
    if (!status.ok()) {
      AppendField(&line, "message", status.error_message().substr(0, 300));
    }
    absl::StrAppend(&line, ",\"latency_ms\":", seconds * 1e3);
    if (context != nullptr) {
      const std::string trace = TraceParentOf(context);
      if (!trace.empty()) AppendField(&line, "traceparent", trace);
    }
    line.push_back('}');
    access_log_->Write(line);
    m.access_records->Add();
  }

  grpc::experimental::ServerRpcInfo* const info_;
  AccessLog* const access_log_;
  const absl::Time start_;
};

class ObservabilityFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ObservabilityFactory(AccessLog* access_log) : access_log_(access_log) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ObservabilityInterceptor(info, access_log_);
  }

 private:
  AccessLog* const access_log_;
};

}  // namespace

void AnnotateCall(grpc::ServerContextBase* context, const char* key,
                  absl::string_view value) {
  if (context == nullptr || value.empty()) return;
  context->AddTrailingMetadata(key, std::string(value));
}

bool ValidTraceParent(absl::string_view v) {
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55.
  if (v.size() < 55) return false;
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  const absl::string_view version = v.substr(0, 2), trace = v.substr(3, 32),
                          parent = v.substr(36, 16), flags = v.substr(53, 2);
  if (!IsLowerHex(version) || !IsLowerHex(trace) || !IsLowerHex(parent) ||
      !IsLowerHex(flags)) {
    return false;
  }
  if (version == "ff" || AllZero(trace) || AllZero(parent)) return false;
  if (v.size() > 55) {
    // Version 00 has exactly these fields; later versions may append
    // "-..." fields, which we do not interpret.
    return version != "00" && v[55] == '-';
  }
  return true;
}

std::string TraceParentOf(const grpc::ServerContextBase* context) {
  const auto& md = context->client_metadata();
  auto it = md.find("traceparent");
  if (it == md.end()) return "";
  absl::string_view v(it->second.data(), it->second.size());
  if (!ValidTraceParent(v)) return "";
  return std::string(v.substr(0, 55));
}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<AccessLog>(new AccessLog(stdout, false));
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--access_log: cannot open ", path, " for appending: ", std::strerror(errno)));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(f, true));
}

AccessLog::AccessLog(std::FILE* file, bool owned) : file_(file), owned_(owned) {
  writer_ = std::thread([this] { WriterLoop(); });
}

AccessLog::~AccessLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
  Flush();
  if (owned_) std::fclose(file_);
}

void AccessLog::Write(absl::string_view line) {
  absl::MutexLock lock(&mu_);
  if (buffer_.size() + line.size() + 1 > kMaxBufferBytes) {
    AccessLogDropped()->Add();
    return;
  }
  buffer_.append(line.data(), line.size());
  buffer_.push_back('\n');
}

void AccessLog::Flush() {
  absl::MutexLock write_lock(&write_mu_);
  std::string out;
  {
    absl::MutexLock lock(&mu_);
    out.swap(buffer_);
  }
  if (!out.empty()) {
    if (std::fwrite(out.data(), 1, out.size(), file_) != out.size()) {
      ES_LOG_WARNING_RATE_LIMITED("access log: write failed: ", std::strerror(errno));
    }
    std::fflush(file_);
  }
}

void AccessLog::WriterLoop() {
  for (;;) {
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(this, &AccessLog::WakeWriter),
                           absl::Milliseconds(100));
      stopping = stopping_;
    }
    Flush();
    if (stopping) return;
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewObservabilityInterceptorFactory(AccessLog* access_log) {
  return std::make_unique<ObservabilityFactory>(access_log);
}

}  // namespace exportscreen::api
