#include "services/api/observability.h"

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/container/flat_hash_map.h"
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

bool AllZero(absl::string_view s) { return s.find_first_not_of('0') == absl::string_view::npos; }

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

// Metrics of one method: per-code call counters created on first use (an
// atomic pointer each, no lock afterwards), errors and latency.
struct MethodMetrics {
  explicit MethodMetrics(const std::string& name) : method(name) {
    auto& r = metrics::Registry::Default();
    errors = r.Get("es_rpc_errors_total", "RPCs finished with a status other than OK, by method",
                   metrics::Type::kCounter, {"method"})
                 ->CounterWith({method});
    latency = r.Get("es_rpc_latency_seconds",
                    "RPC latency from the handler's start to the end of the call, by method",
                    metrics::Type::kHistogram, {"method"}, metrics::LatencyBuckets())
                  ->HistogramWith({method});
    for (auto& c : calls) c.store(nullptr);
  }
  metrics::Counter* Calls(grpc::StatusCode code) {
    const int c =
        static_cast<int>(code) >= 0 && static_cast<int>(code) <= 16 ? static_cast<int>(code) : 2;
    metrics::Counter* counter = calls[c].load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = metrics::Registry::Default()
                    .Get("es_rpc_calls_total", "RPCs finished, by method and gRPC status code",
                         metrics::Type::kCounter, {"method", "code"})
                    ->CounterWith({method, GrpcCodeName(static_cast<grpc::StatusCode>(c))});
      calls[c].store(counter, std::memory_order_release);
    }
    return counter;
  }
  const std::string method;
  std::atomic<metrics::Counter*> calls[17];
  metrics::Counter* errors;
  metrics::Histogram* latency;
};

// The metrics of `method`, from a per-thread cache (one hash lookup).
MethodMetrics* MetricsOf(absl::string_view method) {
  thread_local absl::flat_hash_map<std::string, MethodMetrics*> cache;
  if (auto it = cache.find(method); it != cache.end()) return it->second;
  static absl::Mutex mu(absl::kConstInit);
  static auto* all = new absl::flat_hash_map<std::string, MethodMetrics*>();
  MethodMetrics* m = nullptr;
  {
    absl::MutexLock lock(&mu);
    auto [it, inserted] = all->try_emplace(std::string(method), nullptr);
    if (inserted) it->second = new MethodMetrics(it->first);
    m = it->second;
  }
  cache.emplace(std::string(method), m);
  return m;
}

metrics::Counter* AccessRecords() {
  static metrics::Counter* c = metrics::Registry::Default().GetCounter(
      "es_access_log_records_total", "Access-log records written");
  return c;
}

metrics::Counter* AccessLogDropped() {
  static metrics::Counter* c = metrics::Registry::Default().GetCounter(
      "es_access_log_dropped_total", "Access-log records dropped because the writer fell behind");
  return c;
}

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int c = static_cast<int>(code);
  return c >= 0 && c <= 16 ? kNames[c] : "UNKNOWN";
}

CallObserver::CallObserver(const Observability* obs, absl::string_view method,
                           grpc::CallbackServerContext* context)
    : obs_(obs) {
  if (!enabled()) return;
  method_.assign(method.data(), method.size());
  start_ = absl::Now();
  if (obs_->access_log != nullptr && context != nullptr) {
    peer_ = context->peer();
    traceparent_ = TraceParentOf(context);
  }
}

void CallObserver::SetCaller(const Caller& caller) {
  if (!enabled() || obs_->access_log == nullptr) return;
  principal_ = caller.name;
  roles_.clear();
  for (v1::Role role : caller.roles) {
    absl::StrAppend(&roles_, roles_.empty() ? "" : ",", v1::Role_Name(role));
  }
}

void CallObserver::SetRequestId(absl::string_view id) {
  if (!enabled() || obs_->access_log == nullptr) return;
  request_id_.assign(id.data(), id.size());
}

void CallObserver::SetDecision(absl::string_view decision_id, v1::Decision decision) {
  if (!enabled() || obs_->access_log == nullptr) return;
  decision_id_.assign(decision_id.data(), decision_id.size());
  decision_ = decision;
}

void CallObserver::SetStatus(const grpc::Status& status) {
  if (!enabled() || status_set_) return;
  status_set_ = true;
  code_ = status.error_code();
  if (!status.ok() && obs_->access_log != nullptr) {
    message_ = status.error_message().substr(0, 300);
  }
}

void CallObserver::Done() {
  if (!enabled() || done_) return;
  done_ = true;
  const absl::Time end = absl::Now();
  const double seconds = absl::ToDoubleSeconds(end - start_);
  MethodMetrics* m = MetricsOf(method_);
  m->Calls(code_)->Add();
  if (code_ != grpc::StatusCode::OK) m->errors->Add();
  m->latency->Observe(seconds);
  if (obs_->access_log == nullptr) return;
  std::string line;
  line.reserve(384);
  line.append("{\"time\":\"");
  line.append(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", end, absl::UTCTimeZone()));
  line.push_back('"');
  AppendField(&line, "method", method_);
  AppendField(&line, "peer", peer_);
  AppendField(&line, "principal", principal_);
  AppendField(&line, "roles", roles_);
  if (!request_id_.empty()) AppendField(&line, "request_id", request_id_);
  if (!decision_id_.empty()) AppendField(&line, "decision_id", decision_id_);
  if (decision_ != v1::DECISION_UNSPECIFIED) {
    AppendField(&line, "decision", v1::Decision_Name(decision_));
  }
  if (lines_ >= 0) absl::StrAppend(&line, ",\"lines\":", lines_);
  AppendField(&line, "status", GrpcCodeName(code_));
  if (!message_.empty()) AppendField(&line, "message", message_);
  absl::StrAppend(&line, ",\"latency_ms\":", seconds * 1e3);
  if (!traceparent_.empty()) AppendField(&line, "traceparent", traceparent_);
  line.push_back('}');
  obs_->access_log->Write(line);
  AccessRecords()->Add();
}

bool ValidTraceParent(absl::string_view v) {
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55.
  if (v.size() < 55) return false;
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  const absl::string_view version = v.substr(0, 2), trace = v.substr(3, 32),
                          parent = v.substr(36, 16), flags = v.substr(53, 2);
  if (!IsLowerHex(version) || !IsLowerHex(trace) || !IsLowerHex(parent) || !IsLowerHex(flags)) {
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
    return absl::InvalidArgumentError(
        absl::StrCat("--access_log: cannot open ", path, " for appending: ", std::strerror(errno)));
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
      mu_.AwaitWithTimeout(absl::Condition(this, &AccessLog::WakeWriter), absl::Milliseconds(100));
      stopping = stopping_;
    }
    Flush();
    if (stopping) return;
  }
}

}  // namespace exportscreen::api
