#include "services/server/ops_http.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/logging.h"

namespace exportscreen::server {

namespace {

void Probe(const std::function<ProbeResult()>& fn, const char* ok_body, httplib::Response& res) {
  const ProbeResult r = fn ? fn() : ProbeResult{false, "no probe"};
  res.status = r.ok ? 200 : 503;
  res.set_content(r.ok ? std::string(ok_body) + "\n" : r.reason + "\n",
                  "text/plain; charset=utf-8");
}

}  // namespace

absl::StatusOr<std::unique_ptr<OpsHttpServer>> OpsHttpServer::Start(const std::string& listen,
                                                                    OpsHandlers handlers) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(listen).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen=", listen, ": expected host:port (e.g. 127.0.0.1:9464)"));
  }
  absl::string_view host = absl::string_view(listen).substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  if (host.empty()) host = "0.0.0.0";

  std::unique_ptr<OpsHttpServer> s(new OpsHttpServer());
  s->handlers_ = std::move(handlers);
  s->http_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *s->http_;
  // Two threads: a scrape and a probe at once; never the gRPC threads
  // (more with the console: a browser keeps connections open).
  const int threads = std::max(2, s->handlers_.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_keep_alive_max_count(100);
  // Headers and body go out in separate writes: without TCP_NODELAY,
  // Nagle's algorithm and the peer's delayed ACK hold the body ~40 ms.
  http.set_tcp_nodelay(true);
  if (threads > 2) http.set_keep_alive_timeout(2);
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  OpsHttpServer* raw = s.get();
  http.Get("/metrics", [raw](const httplib::Request&, httplib::Response& res) {
    res.set_content(raw->handlers_.metrics ? raw->handlers_.metrics() : "",
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/livez", [raw](const httplib::Request&, httplib::Response& res) {
    Probe(raw->handlers_.live, "ok", res);
  });
  http.Get("/readyz", [raw](const httplib::Request&, httplib::Response& res) {
    Probe(raw->handlers_.ready, "ready", res);
  });
  if (s->handlers_.install) s->handlers_.install(&http);
  const std::string host_str(host);
  if (port == 0) {
    s->port_ = http.bind_to_any_port(host_str);
    if (s->port_ <= 0) {
      return absl::UnavailableError(absl::StrCat("--metrics_listen=", listen, ": cannot bind"));
    }
  } else {
    if (!http.bind_to_port(host_str, port)) {
      return absl::UnavailableError(absl::StrCat("--metrics_listen=", listen, ": cannot bind"));
    }
    s->port_ = port;
  }
  s->thread_ = std::thread([raw] { raw->http_->listen_after_bind(); });
  // stop() before the loop runs would be lost: wait until it runs.
  for (int i = 0; i < 1000 && !http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ES_LOG_INFO("metrics and probes on http://", listen, " (port ", s->port_,
              "): /metrics /livez /readyz");
  return s;
}

OpsHttpServer::~OpsHttpServer() {
  if (http_ != nullptr) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace exportscreen::server
