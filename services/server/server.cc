#include "services/common/file_util.h"
#include "services/common/proto_time.h"
#include "services/server/server.h"
#include "services/store/key_codec.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/common/logging.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"

namespace exportscreen::server {

namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path) { return ReadFileToString(path); }

// Plaintext (loopback only, checked by the caller), or TLS with the given
// certificate and key, and mTLS when a client CA is given.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerOptions& options) {
  if (options.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(
      options.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                    : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(options.tls_cert));
  ASSIGN_OR_RETURN(pair.private_key, ReadPem(options.tls_key));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!options.tls_client_ca.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(options.tls_client_ca));
  }
  return grpc::SslServerCredentials(ssl);
}

// The console's listener settings (issue 18), before anything starts:
// plain HTTP on loopback only; beyond loopback TLS, the host names browsers
// use and an auth config, or the server does not start (fail closed).
absl::Status CheckConsoleOptions(const ServerOptions& options) {
  const bool tls = !options.console_tls_cert.empty() || !options.console_tls_key.empty();
  if (options.console_listen.empty()) {
    if (tls) {
      return absl::InvalidArgumentError(
          "--console_tls_cert/--console_tls_key need --console_listen (the console's own "
          "listener; /metrics and the probes stay on --metrics_listen)");
    }
    return absl::OkStatus();
  }
  if (!IsLoopbackAddress(options.console_listen)) {
    if (!tls) {
      return absl::InvalidArgumentError(
          absl::StrCat("--console_listen=", options.console_listen,
                       ": plain HTTP is allowed on loopback only; give --console_tls_cert and "
                       "--console_tls_key"));
    }
    if (options.console_hosts.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--console_listen=", options.console_listen,
          ": give --console_hosts, the host names browsers use to reach the console (requests "
          "naming another host are refused)"));
    }
    if (options.auth_config.empty()) {
      return absl::InvalidArgumentError(
          "--auth_config is required when the console listens beyond loopback");
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackAddress(absl::string_view listen) {
  size_t colon = listen.rfind(':');
  absl::string_view host = colon == absl::string_view::npos ? listen : listen.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  if (host.empty()) return false;  // ":50051" listens on every interface
  // Resolve the name (numeric addresses need no lookup): loopback only if
  // every address it resolves to is in 127.0.0.0/8 or is ::1. A name such
  // as "127.example.com" is not loopback however it is spelled.
  const std::string name(host);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return false;
  }
  bool all_loopback = true;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      all_loopback &= (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      all_loopback &= IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) != 0;
    } else {
      all_loopback = false;
    }
  }
  freeaddrinfo(res);
  return all_loopback;
}

absl::StatusOr<std::unique_ptr<ScreeningServer>> ScreeningServer::Start(ServerOptions options) {
  std::unique_ptr<ScreeningServer> s(new ScreeningServer());
  s->options_ = options;
  RETURN_IF_ERROR(CheckConsoleOptions(options));
  if (options.idempotency_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("idempotency_window: must not be negative (0 = off)");
  }
  const bool tls = !options.tls_cert.empty();
  if (!tls && !IsLoopbackAddress(options.listen)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen=", options.listen,
                     ": plaintext is allowed on loopback only; give --tls_cert and --tls_key"));
  }
  if (options.auth_config.empty()) {
    if (!IsLoopbackAddress(options.listen)) {
      return absl::InvalidArgumentError("--auth_config is required when listening beyond loopback");
    }
    s->authorizer_ = api::Authorizer::Open();
    ES_LOG_WARNING("no --auth_config: open mode (every loopback caller has every role)");
  } else {
    ASSIGN_OR_RETURN(s->authorizer_, api::Authorizer::FromFile(options.auth_config));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   ServerCredentials(options));
  store::StoreOptions store_options;
  store_options.sync_decisions = options.sync_decisions;
  if (!options.nats_urls.empty()) store_options.replica_id = options.replica_id;
  ASSIGN_OR_RETURN(s->store_, store::EntityStore::Open(options.db_path, store_options));
  RETURN_IF_ERROR(s->StartCluster());
  s->dispositions_ = std::make_unique<serving::DispositionRegistry>(s->store_.get());
  s->manager_ = std::make_unique<serving::SnapshotManager>(
      s->store_.get(), options.clock, options.snapshots_kept, s->dispositions_.get());
  s->importer_ =
      std::make_unique<serving::ListImporter>(s->manager_.get(), s->store_.get(), options.clock);
  s->publisher_ = std::make_unique<serving::RulePublisher>(s->store_.get(), options.clock);
  s->manager_->set_memory_budget(options.snapshot_memory_budget);
  s->SetUpSharedActivation();
  int workers = options.workers > 0
                    ? options.workers
                    : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  s->pool_ = std::make_unique<WorkerPool>(workers, options.max_queue);
  s->admin_pool_ = std::make_unique<WorkerPool>(1, options.admin_queue);
  // RPC metrics and the access log (issue 15), when something reads them.
  if (!options.access_log.empty()) {
    ASSIGN_OR_RETURN(s->access_log_, api::AccessLog::Open(options.access_log));
  }
  s->observability_.enabled = !options.metrics_listen.empty() || s->access_log_ != nullptr;
  s->observability_.access_log = s->access_log_.get();
  api::ServiceOptions service_options;
  service_options.record_decisions = options.record_decisions;
  service_options.screen_inline_max_bytes = options.screen_inline_max_bytes;
  service_options.observability = &s->observability_;
  service_options.stream_window = options.stream_window;
  service_options.idempotency.window = options.idempotency_window;
  if (!options.replica_id.empty()) service_options.idempotency.replica = options.replica_id;
  s->screening_ = std::make_unique<api::ScreeningServiceImpl>(
      s->manager_.get(), s->store_.get(), s->pool_.get(), options.clock, s->authorizer_.get(),
      service_options);
  s->admin_ = std::make_unique<api::AdminServiceImpl>(
      api::AdminServing{s->manager_.get(), s->importer_.get(), s->publisher_.get(),
                        s->dispositions_.get(), s->store_.get()},
      s->admin_pool_.get(), s->authorizer_.get(), options.clock);
  // Location verification (issue 8): trust, ingestor (loads the latest
  // locations into the snapshots' feed), LocationService.
  std::unique_ptr<serving::LocationTrust> location_trust;
  if (!options.location_trust.empty()) {
    ASSIGN_OR_RETURN(location_trust, serving::LocationTrust::FromFile(options.location_trust));
  }
  ASSIGN_OR_RETURN(s->location_ingestor_,
                   serving::LocationIngestor::Create(s->store_.get(), s->manager_.get(),
                                                     std::move(location_trust), options.clock));
  s->location_pool_ = std::make_unique<WorkerPool>(1, 64);
  s->location_ = std::make_unique<api::LocationServiceImpl>(
      s->location_ingestor_.get(), s->store_.get(), s->location_pool_.get(), s->authorizer_.get());
  ScreeningServer* raw = s.get();
  s->admin_->set_on_activate([raw] { raw->UpdateHealth(); });
  if (s->control_ != nullptr) {
    s->admin_->set_cluster_status([raw] { return raw->control_->Status(); });
  }
  // A decision evaluated on a snapshot that an activation superseded while
  // it was in flight is recorded after the activation's re-screen scanned:
  // re-screen it on its own (issue 12).
  s->screening_->set_on_recorded(
      [admin = s->admin_.get()](const v1::DecisionRecord& r) { admin->RescreenIfSuperseded(r); });
  s->admin_->set_rescreen(options.rescreen_lookback, options.rescreen_max);
  s->admin_->set_backup_root(options.backup_root, options.backup_rate_limit);
  s->admin_->set_observability(&s->observability_);
  s->location_->set_observability(&s->observability_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Plaintext only on loopback (checked above); see deploy/ for a proxy.
  builder.AddListeningPort(options.listen, credentials, &s->port_);
  builder.RegisterService(s->screening_.get());
  builder.RegisterService(s->admin_.get());
  builder.RegisterService(s->location_.get());  // issue 8
  // Limits against the HTTP/2 DoS classes known for gRPC 1.51.
  builder.SetMaxReceiveMessageSize(64 << 20);  // list imports
  builder.SetMaxSendMessageSize(16 << 20);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 256);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 16 * 1024);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 30 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 60 * 1000);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  s->heartbeat_unix_ms_.store(absl::ToUnixMillis(absl::Now()));
  s->UpdateHealth();
  s->maintenance_ = std::thread([raw] { raw->MaintenanceLoop(); });
  RETURN_IF_ERROR(s->StartOpsHttp());
  RETURN_IF_ERROR(s->StartConsoleHttp());
  ES_LOG_INFO("listening on ", options.listen, " (port ", s->port_, "), db ", options.db_path);
  return s;
}

// The metrics, probe and console HTTP endpoint (issues 15, 18), if
// --metrics_listen is set.
absl::Status ScreeningServer::StartOpsHttp() {
  const ServerOptions& options = options_;
  if (options.metrics_listen.empty()) return absl::OkStatus();
  if (!IsLoopbackAddress(options.metrics_listen)) {
    ES_LOG_WARNING("--metrics_listen=", options.metrics_listen,
                   " is not loopback: metrics and probes are readable from "
                   "the network (no authentication)");
  }
  OpsHandlers handlers;
  handlers.metrics = [this] { return RenderMetrics(); };
  handlers.live = [this] { return Live(); };
  handlers.ready = [this] { return Ready(); };
  if (options.console && options.console_listen.empty()) {
    if (IsLoopbackAddress(options.metrics_listen)) {
      console_ = NewConsole(false);
      handlers.install = [console = console_.get()](httplib::Server* http) {
        console->Install(http);
      };
      handlers.threads = 12;
      ES_LOG_INFO("analyst console on http://", options.metrics_listen, "/console/");
    } else {
      ES_LOG_WARNING("analyst console OFF: --metrics_listen=", options.metrics_listen,
                     " is not loopback (beyond loopback the console needs its own TLS "
                     "listener: --console_listen with --console_tls_cert/--console_tls_key)");
    }
  }
  auto ops = OpsHttpServer::Start(options.metrics_listen, std::move(handlers));
  if (ops.ok()) {
    ops_http_ = *std::move(ops);
  } else if (absl::IsUnavailable(ops.status())) {
    // Screening does not depend on it: a port in use leaves the endpoint
    // off, loudly (probes against it then fail, which is visible).
    ES_LOG_ERROR("metrics and probe endpoint OFF: ", ops.status().message());
  } else {
    return ops.status();  // a malformed --metrics_listen
  }
  return absl::OkStatus();
}

std::unique_ptr<ConsoleApi> ScreeningServer::NewConsole(bool tls) const {
  ConsoleOptions console;
  console.static_dir = ResolveConsoleDir(options_.console_dir);
  if (console.static_dir.empty()) ES_LOG_ERROR("console pages not found: give --console_dir");
  console.hosts = options_.console_hosts;
  console.tls = tls;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  ES_LOG_INFO("console pages from ", console.static_dir.empty() ? "(none)" : console.static_dir);
  return std::make_unique<ConsoleApi>(server_->InProcessChannel(args), authorizer_.get(),
                                      manager_.get(), std::move(console));
}

// The console on its own listener (--console_listen; CheckConsoleOptions
// vetted the settings).
absl::Status ScreeningServer::StartConsoleHttp() {
  const ServerOptions& options = options_;
  if (options.console_listen.empty() || !options.console) return absl::OkStatus();
  const bool tls = !options.console_tls_cert.empty() || !options.console_tls_key.empty();
  console_ = NewConsole(tls);
  OpsHandlers handlers;  // no metrics or probes here
  handlers.install = [console = console_.get()](httplib::Server* http) { console->Install(http); };
  handlers.threads = 12;
  handlers.tls_cert = options.console_tls_cert;
  handlers.tls_key = options.console_tls_key;
  handlers.flag = "--console_listen";
  ASSIGN_OR_RETURN(console_http_,
                   OpsHttpServer::Start(options.console_listen, std::move(handlers)));
  ES_LOG_INFO("analyst console on ", tls ? "https://" : "http://", options.console_listen,
              "/console/");
  return absl::OkStatus();
}

ScreeningServer::~ScreeningServer() { Shutdown(absl::Seconds(1)); }

void ScreeningServer::UpdateHealth() {
  CheckFreshness();
  const bool serving = Ready().ok;
  auto* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  // Readiness (also under the historical names): a current snapshot.
  health->SetServingStatus("", serving);
  health->SetServingStatus("exportscreen.v1.ScreeningService", serving);
  health->SetServingStatus("exportscreen.readiness", serving);
  // Liveness: the process answers; independent of the lists.
  health->SetServingStatus("exportscreen.liveness", true);
}

int ScreeningServer::metrics_port() const { return ops_http_ != nullptr ? ops_http_->port() : 0; }

ProbeResult ScreeningServer::Ready() const {
  auto snapshot = manager_->Current();
  if (snapshot == nullptr) {
    std::string reason = manager_->NotServingReason();
    return {false,
            absl::StrCat("not ready: no active snapshot", reason.empty() ? "" : ": ", reason)};
  }
  if (cluster_log_ != nullptr && !cluster_log_->healthy()) {
    // Fail closed: no answer without a record in the replicated log.
    return {false, absl::StrCat("not ready: ", cluster_log_->NotServingReason())};
  }
  if (std::string reason; !SharedRecordsReady(&reason)) {
    return {false, absl::StrCat("not ready: ", reason)};
  }
  if (control_ != nullptr && control_->applied_revision() == 0) {
    // A replica serves only once it serves the cluster's active versions.
    const std::string error = control_->apply_error();
    return {false, absl::StrCat("not ready: the cluster's active versions are not applied yet",
                                error.empty() ? "" : ": ", error)};
  }
  if (list_stale_.load(std::memory_order_relaxed)) {
    return {false, absl::StrCat("not ready: list version ", snapshot->list_version,
                                " is older than --max_list_age=",
                                absl::FormatDuration(options_.max_list_age),
                                " (import and activate current lists)")};
  }
  return {true, ""};
}

ProbeResult ScreeningServer::Live() const {
  // Generous: the same loop also writes audit checkpoints and expires old
  // decisions, which may take a while on a large store.
  const absl::Duration limit = std::max(absl::Seconds(60), options_.probe_interval * 10);
  const absl::Duration since = absl::Now() - absl::FromUnixMillis(heartbeat_unix_ms_.load());
  if (since > limit) {
    return {false,
            absl::StrCat("not live: maintenance loop silent for ", absl::FormatDuration(since))};
  }
  return {true, ""};
}

void ScreeningServer::CheckFreshness() {
  if (options_.max_list_age <= absl::ZeroDuration()) {
    list_stale_.store(false);
    return;
  }
  auto snapshot = manager_->Current();
  if (snapshot == nullptr) return;
  const absl::Duration age = options_.clock->Now() - snapshot->list_created_at;
  const bool stale = age > options_.max_list_age;
  const bool was = list_stale_.exchange(stale);
  if (!stale || was) return;
  // Newly stale: one alert per list version (the store deduplicates), a
  // log line and the es_list_stale gauge; readiness now fails closed.
  ES_LOG_ERROR("list version ", snapshot->list_version, " is ", absl::FormatDuration(age),
               " old, over --max_list_age=", absl::FormatDuration(options_.max_list_age),
               ": not ready until current lists are activated");
  v1::Alert alert;
  alert.set_kind(v1::ALERT_KIND_LIST_STALE);
  alert.set_list_version(snapshot->list_version);
  alert.set_rule_set_version(snapshot->rule_set_version);
  SetProtoTime(options_.clock->Now(), alert.mutable_created_at());
  alert.set_message(
      absl::StrCat("list version ", snapshot->list_version, " is ", absl::FormatDuration(age),
                   " old (limit ", absl::FormatDuration(options_.max_list_age),
                   "): readiness fails until current lists are imported and activated"));
  std::vector<v1::Alert> appended;
  absl::Status s = store_->alerts().AppendAlerts({alert}, &appended);
  if (!s.ok()) ES_LOG_ERROR("stale-list alert not stored: ", s.ToString());
}

std::string ScreeningServer::RenderMetrics() const {
  std::string out = metrics::Registry::Default().Render();
  using metrics::AppendHeader;
  using metrics::AppendSample;
  AppendHeader(&out, "es_queue_depth", "Work queued, by worker pool", "gauge");
  AppendSample(&out, "es_queue_depth", "pool=\"screening\"", static_cast<double>(pool_->queued()));
  AppendSample(&out, "es_queue_depth", "pool=\"admin\"",
               static_cast<double>(admin_pool_->queued()));
  AppendSample(&out, "es_queue_depth", "pool=\"location\"",
               static_cast<double>(location_pool_->queued()));
  AppendHeader(&out, "es_queue_capacity", "Queue limit, by worker pool", "gauge");
  AppendSample(&out, "es_queue_capacity", "pool=\"screening\"",
               static_cast<double>(pool_->max_queue()));
  AppendSample(&out, "es_queue_capacity", "pool=\"admin\"",
               static_cast<double>(admin_pool_->max_queue()));
  AppendHeader(&out, "es_queue_rejections_total",
               "Work refused because the queue was full (RESOURCE_EXHAUSTED), by pool", "counter");
  AppendSample(&out, "es_queue_rejections_total", "pool=\"screening\"",
               static_cast<double>(pool_->rejected()));
  AppendSample(&out, "es_queue_rejections_total", "pool=\"admin\"",
               static_cast<double>(admin_pool_->rejected()));
  AppendSample(&out, "es_queue_rejections_total", "pool=\"location\"",
               static_cast<double>(location_pool_->rejected()));

  const ProbeResult ready = Ready();
  AppendHeader(&out, "es_ready", "1 if ready (serving a current snapshot)", "gauge");
  AppendSample(&out, "es_ready", "", ready.ok ? 1 : 0);
  AppendHeader(&out, "es_list_stale", "1 if the active list version is older than --max_list_age",
               "gauge");
  AppendSample(&out, "es_list_stale", "", list_stale_.load() ? 1 : 0);
  AppendHeader(&out, "es_max_list_age_seconds", "--max_list_age (0 = no limit)", "gauge");
  AppendSample(&out, "es_max_list_age_seconds", "", absl::ToDoubleSeconds(options_.max_list_age));
  if (auto snapshot = manager_->Current(); snapshot != nullptr) {
    AppendHeader(&out, "es_active_version_info", "The active rule-set and list versions (value 1)",
                 "gauge");
    AppendSample(
        &out, "es_active_version_info",
        absl::StrCat("rule_set_version=\"", metrics::EscapeLabel(snapshot->rule_set_version),
                     "\",list_version=\"", metrics::EscapeLabel(snapshot->list_version), "\""),
        1);
    AppendHeader(&out, "es_list_version_age_seconds",
                 "Age of the active list version (since it was imported)", "gauge");
    AppendSample(&out, "es_list_version_age_seconds", "",
                 absl::ToDoubleSeconds(options_.clock->Now() - snapshot->list_created_at));
    AppendHeader(&out, "es_list_entities", "Listed entities in the active list version", "gauge");
    AppendSample(&out, "es_list_entities", "",
                 static_cast<double>(snapshot->data->entities.size()));
    AppendHeader(&out, "es_snapshot_loaded_timestamp_seconds",
                 "Unix time the active snapshot was built", "gauge");
    AppendSample(&out, "es_snapshot_loaded_timestamp_seconds", "",
                 absl::ToDoubleSeconds(snapshot->loaded_at - absl::UnixEpoch()));
    AppendHeader(&out, "es_snapshot_load_seconds", "Build time of the active snapshot", "gauge");
    AppendSample(&out, "es_snapshot_load_seconds", "", snapshot->load_seconds);
  }
  AppendHeader(&out, "es_decisions_stored", "Decision records in the audit chain", "gauge");
  AppendSample(&out, "es_decisions_stored", "",
               static_cast<double>(store_->decisions().decision_count()));
  for (const auto& [name, value] : store_->Stats()) {
    AppendHeader(&out, name, "RocksDB property (summed over column families)", "gauge");
    AppendSample(&out, name, "", value);
  }
  return out;
}

absl::Status ScreeningServer::Load() {
  StartSharedRecordConsumers();
  absl::Status status = manager_->Bootstrap(options_.bootstrap);
  if (control_ != nullptr) StartControl();
  UpdateHealth();
  if (!status.ok()) {
    ES_LOG_ERROR("not serving: ", status.ToString());
    return status;
  }
  auto snapshot = manager_->Current();
  ES_LOG_INFO("serving rules=", snapshot->rule_set_version, " lists=", snapshot->list_version,
              " entities=", snapshot->data->entities.size(),
              " names=", snapshot->index->name_count(), " load=", snapshot->load_seconds, "s");
  return absl::OkStatus();
}

void ScreeningServer::MaintenanceLoop() {
  absl::Time next_expiry = absl::Now();
  absl::Time next_claim_expiry = absl::Now() + options_.idempotency_window;
  absl::Time next_checkpoint = absl::Now() + options_.checkpoint_interval;
  int64_t last_checkpointed = -1;
  const absl::Duration tick = std::min(options_.probe_interval, options_.checkpoint_interval);
  while (!stop_maintenance_.WaitForNotificationWithTimeout(tick)) {
    // Liveness heartbeat and list freshness (readiness), every tick.
    heartbeat_unix_ms_.store(absl::ToUnixMillis(absl::Now()));
    const bool was_stale = list_stale_.load();
    CheckFreshness();
    const bool log_healthy =
        (cluster_log_ == nullptr || cluster_log_->healthy()) && SharedRecordsReady(nullptr);
    // Cluster mode: readiness also follows the control key being applied.
    const bool control_applied = control_ == nullptr || control_->applied_revision() > 0;
    if (list_stale_.load() != was_stale || log_healthy != cluster_log_healthy_ ||
        control_applied != control_applied_) {
      cluster_log_healthy_ = log_healthy;
      control_applied_ = control_applied;
      UpdateHealth();
    }
    if (absl::Now() < next_checkpoint) continue;
    next_checkpoint = absl::Now() + options_.checkpoint_interval;
    if (store_->decisions().decision_count() != last_checkpointed) {
      auto cp = store_->decisions().Checkpoint(options_.clock->Now());
      if (!cp.ok()) {
        ES_LOG_ERROR("audit checkpoint failed: ", cp.status().ToString());
      } else if (cp->has_value()) {
        last_checkpointed = static_cast<int64_t>((*cp)->sequence());
        ES_LOG_INFO("audit checkpoint sequence=", (*cp)->sequence(), " hash=", (*cp)->hash());
      }
    }
    if (options_.idempotency_window > absl::ZeroDuration() && absl::Now() >= next_claim_expiry) {
      // Embedded mode: the request-id claims past the window (a minute of
      // margin); the cluster's KV bucket expires its own.
      next_claim_expiry = absl::Now() + std::min(options_.idempotency_window, absl::Hours(1));
      auto deleted = store_->requests().ExpireClaimsBefore(absl::ToUnixMillis(
          options_.clock->Now() - options_.idempotency_window - absl::Minutes(1)));
      if (!deleted.ok()) {
        ES_LOG_ERROR("request-id claim expiry failed: ", deleted.status().ToString());
      } else if (*deleted > 0) {
        ES_LOG_INFO("request-id claims past the idempotency window deleted: ", *deleted);
      }
    }
    if (options_.decision_retention_days > 0 && absl::Now() >= next_expiry) {
      next_expiry = absl::Now() + absl::Hours(1);
      auto deleted = store_->decisions().ExpireDecisionsBefore(
          options_.clock->Now() - absl::Hours(24) * options_.decision_retention_days);
      if (!deleted.ok()) {
        ES_LOG_ERROR("decision retention failed: ", deleted.status().ToString());
      } else if (*deleted > 0) {
        ES_LOG_INFO("decision retention: expired ", *deleted, " records");
      }
    }
  }
}

void ScreeningServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  stop_maintenance_.Notify();
  if (maintenance_.joinable()) maintenance_.join();
  console_http_.reset();
  ops_http_.reset();               // probes and scrapes end first
  if (server_ == nullptr) return;  // Start() failed before listening
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  // Cluster mode with NATS unreachable: tear down without waiting a NATS
  // timeout per unsubscribe, heartbeat and publish (over 30 s in all).
  if (cluster_nats_ != nullptr) cluster_nats_->CloseIfDisconnected();
  if (cluster_log_ != nullptr) cluster_log_->CloseIfDisconnected();
  StopSharedRecords();  // cluster mode: before what the consumers call goes
  // Worker pools drain after the server stops handing them calls.
  pool_.reset();
  admin_pool_.reset();
  if (access_log_ != nullptr) access_log_->Flush();
}

}  // namespace exportscreen::server
