// OpsHttpServer: the operator's HTTP endpoint (--metrics_listen), served by
// Debian's cpp-httplib on its own two threads, away from the gRPC threads:
//   GET /metrics  Prometheus text exposition format (version 0.0.4)
//   GET /livez    200 "ok" while the process and its maintenance loop run
//   GET /readyz   200 "ready" while serving a current snapshot; 503 with
//                 the reason otherwise (no snapshot, list version too old)
// Anything else is 404. The callbacks run on the HTTP threads.
//
// Thread-safety: Start/destructor from one thread; callbacks must be
// thread-safe.
#ifndef EXPORTSCREEN_SERVICES_SERVER_OPS_HTTP_H_
#define EXPORTSCREEN_SERVICES_SERVER_OPS_HTTP_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace exportscreen::server {

struct ProbeResult {
  bool ok = false;
  std::string reason;  // shown in the body
};

struct OpsHandlers {
  std::function<std::string()> metrics;
  std::function<ProbeResult()> live;
  std::function<ProbeResult()> ready;
  // More routes on the same listener (the analyst console, console_http.h),
  // installed before it starts; null = none.
  std::function<void(httplib::Server*)> install;
  // HTTP worker threads. A browser holds several keep-alive connections,
  // each occupying a thread while it is open.
  int threads = 2;
};

class OpsHttpServer {
 public:
  // Binds `listen` ("host:port"; port 0 = any free port) and starts
  // serving. INVALID_ARGUMENT if malformed, UNAVAILABLE if it cannot bind.
  static absl::StatusOr<std::unique_ptr<OpsHttpServer>> Start(const std::string& listen,
                                                              OpsHandlers handlers);
  ~OpsHttpServer();  // stops and joins
  int port() const { return port_; }

 private:
  OpsHttpServer() = default;
  std::unique_ptr<httplib::Server> http_;
  OpsHandlers handlers_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace exportscreen::server

#endif  // EXPORTSCREEN_SERVICES_SERVER_OPS_HTTP_H_
