// OpsHttpServer: the operator's HTTP endpoint (--metrics_listen), served by
// Debian's cpp-httplib on its own two threads, away from the gRPC threads:
//   GET /metrics  Prometheus text exposition format (version 0.0.4)
//   GET /livez    200 "ok" while the process and its maintenance loop run
//   GET /readyz   200 "ready" while serving a current snapshot; 503 with
//                 the reason otherwise (no snapshot, list version too old)
// Anything else is 404; a route whose callback is null is not served (the
// console's own listener has none of them). HTTPS when a certificate and
// key are given. The callbacks run on the HTTP threads.
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
  // TLS: certificate chain and private key (PEM files); both empty = plain
  // HTTP. Plain HTTP sent to a TLS listener fails its handshake.
  std::string tls_cert;
  std::string tls_key;
  // The flag `listen` came from, for error messages.
  std::string flag = "--metrics_listen";
};

class OpsHttpServer {
 public:
  // Binds `listen` ("host:port"; port 0 = any free port) and starts
  // serving. INVALID_ARGUMENT if malformed or the certificate or key cannot
  // be loaded, UNAVAILABLE if it cannot bind.
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
