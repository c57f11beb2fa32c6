// Per-RPC observability: RPC metrics (calls by method and status code,
// errors, latency histograms) and the JSON-lines access log; W3C trace
// context.
//
// Each handler's reactor carries a CallObserver: the handler tells it what
// only it knows (caller, request id, decision), the reactor's Finish gives
// it the status and its OnDone writes the metrics and the access-log record.
// (A gRPC server interceptor would cover every method without this, but in
// gRPC 1.51 its per-call machinery cost several per cent of Screen
// throughput; health and reflection calls are therefore not counted.)
//
// Thread-safety: AccessLog is thread-safe. A CallObserver belongs to one
// call: set from the handler's threads before Finish, read in OnDone (gRPC
// orders the two).
#ifndef EXPORTSCREEN_SERVICES_API_OBSERVABILITY_H_
#define EXPORTSCREEN_SERVICES_API_OBSERVABILITY_H_

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "exportscreen/v1/screening.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/api/auth.h"

namespace exportscreen::api {

// The canonical name of a gRPC status code ("INVALID_ARGUMENT"); "UNKNOWN"
// for a number outside the enum. The metrics, the access log and the
// console use it.
const char* GrpcCodeName(grpc::StatusCode code);

// True if `value` is a well-formed W3C traceparent: version 2 hex digits
// (not "ff"), 32 hex trace id (not all zero), 16 hex parent id (not all
// zero), 2 hex flags, lower case, '-' separated. Versions above 00 may carry
// more fields after a '-'.
bool ValidTraceParent(absl::string_view value);
// The call's `traceparent` metadata (its first 55 characters) if valid,
// else "" (a malformed value is ignored, never an error).
std::string TraceParentOf(const grpc::ServerContextBase* context);

// JSON-lines access log. Write() appends to an in-memory buffer (a short
// critical section); a writer thread flushes it every 100 ms or when it
// grows past 256 KiB. If the writer falls behind by more than 16 MiB,
// records are dropped and counted (es_access_log_dropped_total), never
// blocking the caller.
class AccessLog {
 public:
  // `path` "-" = standard output; otherwise a file opened for appending.
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog();  // flushes what is buffered
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // `line` is one JSON object without the newline.
  void Write(absl::string_view line);
  // Writes what is buffered now (tests).
  void Flush();

 private:
  explicit AccessLog(std::FILE* file, bool owned);
  void WriterLoop();
  bool WakeWriter() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || buffer_.size() >= kFlushBytes;
  }

  static constexpr size_t kFlushBytes = 256 << 10;
  static constexpr size_t kMaxBufferBytes = 16 << 20;
  std::FILE* const file_;
  const bool owned_;
  absl::Mutex write_mu_;  // serialises fwrite of swapped buffers
  absl::Mutex mu_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

// What the server observes: `enabled` if anything reads the RPC metrics or
// the access log (--metrics_listen or --access_log); access_log may be null.
struct Observability {
  bool enabled = false;
  AccessLog* access_log = nullptr;
};

class CallObserver {
 public:
  // `method`: "package.Service/Method". REQUIRES: `obs` (may be null: off)
  // and `context` outlive the observer.
  CallObserver(const Observability* obs, absl::string_view method,
               grpc::CallbackServerContext* context);
  bool enabled() const { return obs_ != nullptr && obs_->enabled; }
  void SetCaller(const Caller& caller);
  void SetRequestId(absl::string_view id);
  void SetDecision(absl::string_view decision_id, v1::Decision decision);
  void SetLines(int64_t lines) { lines_ = lines; }  // streams
  void SetStatus(const grpc::Status& status);
  // Writes the metrics and the access-log record (once).
  void Done();

 private:
  const Observability* const obs_;
  std::string method_;
  absl::Time start_;
  std::string peer_, traceparent_;  // only with an access log
  std::string principal_, roles_, request_id_, decision_id_;
  v1::Decision decision_ = v1::DECISION_UNSPECIFIED;
  int64_t lines_ = -1;
  grpc::StatusCode code_ = grpc::StatusCode::UNKNOWN;
  std::string message_;
  bool status_set_ = false, done_ = false;
};

// A unary reactor that reports to a CallObserver. Use it through its own
// type: its Finish hides (does not override) the base class's.
class ObservedUnaryReactor final : public grpc::ServerUnaryReactor {
 public:
  ObservedUnaryReactor(const Observability* obs, absl::string_view method,
                       grpc::CallbackServerContext* context)
      : observer_(obs, method, context) {}
  void Finish(grpc::Status status) {
    observer_.SetStatus(status);
    grpc::ServerUnaryReactor::Finish(std::move(status));
  }
  void OnDone() override {
    observer_.Done();
    delete this;
  }
  CallObserver* observer() { return &observer_; }

 private:
  CallObserver observer_;
};

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_OBSERVABILITY_H_
