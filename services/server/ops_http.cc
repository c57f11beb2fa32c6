#include "services/server/ops_http.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/file_util.h"
#include "services/common/logging.h"
#include "services/common/status_macros.h"

namespace exportscreen::server {

namespace {

void Probe(const std::function<ProbeResult()>& fn, const char* ok_body, httplib::Response& res) {
  const ProbeResult r = fn ? fn() : ProbeResult{false, "no probe"};
  res.status = r.ok ? 200 : 503;
  res.set_content(r.ok ? std::string(ok_body) + "\n" : r.reason + "\n",
                  "text/plain; charset=utf-8");
}

// Plain HTTP, or HTTPS with the certificate and key (Debian's cpp-httplib
// is built with OpenSSL; the handshake is its code, the files are read
// here first for a clear error).
absl::StatusOr<std::unique_ptr<httplib::Server>> NewHttpServer(const OpsHandlers& h) {
  if (h.tls_cert.empty() && h.tls_key.empty()) return std::make_unique<httplib::Server>();
  if (h.tls_cert.empty() || h.tls_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(h.flag, ": TLS needs both a certificate and a key"));
  }
  for (const std::string* path : {&h.tls_cert, &h.tls_key}) {
    auto pem = ReadFileToString(*path);
    if (!pem.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(h.flag, ": cannot read ", *path, ": ", pem.status().message()));
    }
  }
  auto server = std::make_unique<httplib::SSLServer>(h.tls_cert.c_str(), h.tls_key.c_str());
  if (!server->is_valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat(h.flag, ": ", h.tls_cert, " and ", h.tls_key,
                     " are not a PEM certificate chain and its private key"));
  }
  return server;
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
        absl::StrCat(handlers.flag, "=", listen, ": expected host:port (e.g. 127.0.0.1:9464)"));
  }
  absl::string_view host = absl::string_view(listen).substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  if (host.empty()) host = "0.0.0.0";

  std::unique_ptr<OpsHttpServer> s(new OpsHttpServer());
  s->handlers_ = std::move(handlers);
  ASSIGN_OR_RETURN(s->http_, NewHttpServer(s->handlers_));
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
  if (s->handlers_.metrics) {
    http.Get("/metrics", [raw](const httplib::Request&, httplib::Response& res) {
      res.set_content(raw->handlers_.metrics(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }
  if (s->handlers_.live) {
    http.Get("/livez", [raw](const httplib::Request&, httplib::Response& res) {
      Probe(raw->handlers_.live, "ok", res);
    });
  }
  if (s->handlers_.ready) {
    http.Get("/readyz", [raw](const httplib::Request&, httplib::Response& res) {
      Probe(raw->handlers_.ready, "ready", res);
    });
  }
  if (s->handlers_.install) s->handlers_.install(&http);
  const std::string host_str(host);
  if (port == 0) {
    s->port_ = http.bind_to_any_port(host_str);
    if (s->port_ <= 0) {
      return absl::UnavailableError(absl::StrCat(s->handlers_.flag, "=", listen, ": cannot bind"));
    }
  } else {
    if (!http.bind_to_port(host_str, port)) {
      return absl::UnavailableError(absl::StrCat(s->handlers_.flag, "=", listen, ": cannot bind"));
    }
    s->port_ = port;
  }
  s->thread_ = std::thread([raw] { raw->http_->listen_after_bind(); });
  // stop() before the loop runs would be lost: wait until it runs.
  for (int i = 0; i < 1000 && !http.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ES_LOG_INFO(s->handlers_.flag, ": ", s->handlers_.tls_cert.empty() ? "http://" : "https://",
              listen, " (port ", s->port_, ")");
  return s;
}

OpsHttpServer::~OpsHttpServer() {
  if (http_ != nullptr) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace exportscreen::server
