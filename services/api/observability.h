// Per-RPC observability: RPC metrics (calls by method and status code,
// errors, latency histograms) and the JSON-lines access log, both from one
// gRPC server interceptor, so every method (health and reflection included)
// is covered without code in each handler; W3C trace context.
//
// Handlers tell the interceptor what only they know (the authenticated
// principal and roles, the request id, the decision id and class) through
// trailing metadata under the "es-" keys below (AnnotateCall). The
// interceptor reads them when the status is sent; the principal and roles
// are removed before the trailers go out, the request and decision ids and
// the decision class are left in them for the client.
//
// Thread-safety: AccessLog and the interceptor factory are thread-safe.
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
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"

namespace exportscreen::api {

// Trailing-metadata keys a handler may set for the interceptor.
inline constexpr char kMdPrincipal[] = "es-principal";
inline constexpr char kMdRoles[] = "es-roles";
inline constexpr char kMdRequestId[] = "es-request-id";
inline constexpr char kMdDecisionId[] = "es-decision-id";
inline constexpr char kMdDecision[] = "es-decision";

// Adds `value` under `key` to the call's trailing metadata (no-op for an
// empty value). REQUIRES: before the call finishes.
void AnnotateCall(grpc::ServerContextBase* context, const char* key,
                  absl::string_view value);

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

// Builds the interceptor of every call: RPC metrics always, access-log
// records if `access_log` is not null. REQUIRES: access_log outlives the
// server the factory is given to.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewObservabilityInterceptorFactory(AccessLog* access_log);

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_OBSERVABILITY_H_
