// ScreeningServer: wires store, snapshot manager, worker pools, gRPC
// services, health and reflection into one server. Used by main.cc and by
// in-process tests. Not thread-safe except Shutdown(), which may be called
// from another thread (e.g. a signal waiter).
#ifndef EXPORTSCREEN_SERVICES_SERVER_SERVER_H_
#define EXPORTSCREEN_SERVICES_SERVER_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include <thread>
#include "grpcpp/grpcpp.h"
#include "services/api/grpc_services.h"
#include "services/api/location_service.h"
#include "services/api/observability.h"
#include "services/server/console_http.h"
#include "services/server/ops_http.h"
#include "services/common/clock.h"
#include "services/common/thread_pool.h"
#include "services/serving/snapshot_manager.h"
#include "services/store/entity_store.h"
#include "services/cluster/cluster_decision_log.h"
#include "services/cluster/control_plane.h"
#include "services/cluster/location_log.h"
#include "services/cluster/version_log.h"

namespace exportscreen::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  std::string db_path;
  serving::BootstrapOptions bootstrap;
  int workers = 0;  // 0: number of cores
  // Screening work queued beyond the workers; past it calls are refused
  // with RESOURCE_EXHAUSTED (admission control).
  size_t max_queue = 4096;
  // Admin operations (imports, activations, backups) queued for the one
  // admin thread.
  size_t admin_queue = 64;
  // ScreenStream: lines in flight per stream (flow-control window).
  int stream_window = 64;
  // Loaded snapshots kept for rollback, replay and dry runs, and the memory
  // budget of all loaded snapshots (0 = none).
  size_t snapshots_kept = 4;
  size_t snapshot_memory_budget = 0;
  // Continuous screening after an activation: CLEAR decisions of this
  // lookback, at most this many (0 = off).
  absl::Duration rescreen_lookback = absl::Hours(24 * 30);
  int rescreen_max = 10000;
  bool record_decisions = true;
  bool sync_decisions = false;
  // See api::ServiceOptions::screen_inline_max_bytes.
  size_t screen_inline_max_bytes = 0;
  // Access control: AuthConfig text file; empty = open mode (loopback
  // plaintext only).
  std::string auth_config;
  // TLS: server certificate and key (PEM files); client CA for mTLS.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Audit: record (and log, for publication) a checkpoint of the decision
  // chain head this often; delete decisions older than this many days
  // (0 = keep forever). Expiry leaves a chain anchor, so verify still holds.
  absl::Duration checkpoint_interval = absl::Minutes(1);
  int decision_retention_days = 0;
  // Location verification (issue 8): LocationTrustConfig text file; empty =
  // no trusted verifier (every report is rejected as "unknown verifier").
  std::string location_trust;
  // Operations (issue 15). HTTP endpoint for /metrics, /livez, /readyz
  // ("host:port"; "" = off).
  std::string metrics_listen;
  // Analyst console (issue 18) on the metrics listener, when that is
  // loopback: JSON API and the static pages of console_dir ("" = found
  // from the working directory or the source tree; see console_http.h).
  bool console = true;
  std::string console_dir;
  // The console's own listener (no metrics or probes on it); "" = on
  // metrics_listen. Beyond loopback: TLS (cert and key, PEM files), the
  // host names browsers use (Host check) and an auth config are required,
  // or the server does not start.
  std::string console_listen;
  std::string console_tls_cert;
  std::string console_tls_key;
  std::vector<std::string> console_hosts;
  // JSON-lines access log: a file, "-" (standard output) or "" (off).
  std::string access_log;
  // Readiness fails (and a LIST_STALE alert is raised) when the active list
  // version is older than this; zero = no limit.
  absl::Duration max_list_age = absl::ZeroDuration();
  // Backups (AdminService.Backup) go under this directory ("" = disabled).
  std::string backup_root;
  // Backup copy rate limit in bytes/s (0 = none).
  uint64_t backup_rate_limit = 64ull << 20;
  // How often the maintenance loop runs (liveness heartbeat, freshness).
  absl::Duration probe_interval = absl::Seconds(1);
  Clock* clock = Clock::Real();
  // Cluster mode (issue 17): NATS servers ("nats://host:port"); empty =
  // embedded mode. Then replica_id (1 to 32 of [a-z0-9_]) is required.
  std::vector<std::string> nats_urls;
  std::string replica_id;
  int stream_replicas = 1;  // R of the JetStream streams created
  absl::Duration nats_ack_timeout = absl::Seconds(2);
  // How long a cluster activation waits for every live replica.
  absl::Duration activation_timeout = absl::Seconds(10);
  // Idempotent Screen (issue 17): a repeated request_id of the same caller
  // within the window gets the recorded decision; zero = off. In cluster
  // mode the claims are shared (KV bucket `requests`, TTL = the window).
  absl::Duration idempotency_window = absl::ZeroDuration();
};

// True if `listen` ("host:port") names a loopback host.
bool IsLoopbackAddress(absl::string_view listen);

class ScreeningServer {
 public:
  // Opens the store and starts listening (health NOT_SERVING). Does not
  // load anything yet. Errors: the store's, or UNAVAILABLE if the address
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<ScreeningServer>> Start(ServerOptions options);
  ~ScreeningServer();

  // Loads rules and lists (seeding an empty store) and, on success, marks
  // health SERVING. On error the server keeps running NOT_SERVING.
  absl::Status Load();

  // The port actually bound (useful with "127.0.0.1:0").
  int port() const { return port_; }
  // The metrics/probe HTTP port (0 if --metrics_listen is off).
  int metrics_port() const;
  // Readiness: serving a current snapshot (see ops_http.h); liveness: the
  // maintenance loop ran within the last 60 s (or 10 probe intervals).
  ProbeResult Ready() const;
  ProbeResult Live() const;
  // The Prometheus text of the process registry plus this server's gauges.
  std::string RenderMetrics() const;
  serving::SnapshotManager* manager() { return manager_.get(); }
  serving::ListImporter* importer() { return importer_.get(); }
  serving::RulePublisher* publisher() { return publisher_.get(); }
  api::ScreeningServiceImpl* screening() { return screening_.get(); }
  // Stops accepting calls, waits up to `grace` for running ones.
  void Shutdown(absl::Duration grace = absl::Seconds(5));
  void Wait() { server_->Wait(); }

 private:
  ScreeningServer() = default;
  void UpdateHealth();
  absl::Status StartOpsHttp();
  // The console on its own listener (--console_listen), checked first.
  absl::Status StartConsoleHttp();
  std::unique_ptr<ConsoleApi> NewConsole(bool tls) const;
  void CheckFreshness();
  // Cluster mode (cluster_mode.cc): the decision log, the version stores
  // and the control plane on NATS; after Load(), the consumer of the
  // versions stream, the control key (created from this replica's pair if
  // missing) and its watcher; this replica's status; the cluster status.
  absl::Status StartCluster();
  absl::Status StartSharedVersions();
  absl::Status StartRequestIndex();
  void SetUpSharedActivation();
  void StartControl();
  v1::ReplicaStatus ReplicaReport() const;
  // Shared records (cluster_records.cc): location reports, ...
  absl::Status StartSharedRecords();
  void StartSharedRecordConsumers();
  bool SharedRecordsReady(std::string* reason) const;
  // Per call (atomics only): the streams answers depend on (locations,
  // dispositions) are caught up with their heads as of start-up.
  bool SharedRecordsCaughtUp(std::string* reason) const;
  absl::Status StartSharedStores();
  void RaiseAlertsLater(std::vector<v1::LocationReport> reports);
  void StopSharedRecords();
  void AddStreamPositions(v1::ReplicaStatus* r) const;
  bool cluster_log_healthy_ = true;  // maintenance loop only
  bool control_applied_ = false;     // maintenance loop only

  ServerOptions options_;
  // Before the services and the gRPC server: destroyed after them.
  std::unique_ptr<api::AccessLog> access_log_;
  api::Observability observability_;
  std::unique_ptr<store::EntityStore> store_;
  // Cluster mode: the store's decision log (owned by store_), else null.
  cluster::ClusterDecisionLog* cluster_log_ = nullptr;
  // Cluster mode: the connection of the version log and the control plane,
  // and the version log (its stores are the store's; destroyed before it).
  std::unique_ptr<cluster::NatsClient> cluster_nats_;
  std::unique_ptr<cluster::VersionLog> version_log_;
  std::unique_ptr<cluster::LocationLog> location_log_;  // its evidence is the store's
  // The dispositions, alerts and admin streams (the stores publish through
  // them; cluster_records.cc).
  std::unique_ptr<cluster::SharedStream> disposition_stream_;
  std::unique_ptr<cluster::SharedStream> alert_stream_;
  std::unique_ptr<cluster::SharedStream> admin_stream_;
  std::unique_ptr<serving::DispositionRegistry> dispositions_;
  std::unique_ptr<serving::SnapshotManager> manager_;
  std::unique_ptr<serving::ListImporter> importer_;
  std::unique_ptr<serving::RulePublisher> publisher_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<WorkerPool> admin_pool_;
  std::unique_ptr<api::Authorizer> authorizer_;
  std::unique_ptr<api::ScreeningServiceImpl> screening_;
  std::unique_ptr<api::AdminServiceImpl> admin_;
  // Location verification (issue 8).
  std::unique_ptr<serving::LocationIngestor> location_ingestor_;
  std::unique_ptr<WorkerPool> location_pool_;
  std::unique_ptr<api::LocationServiceImpl> location_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
  void MaintenanceLoop();
  absl::Notification stop_maintenance_;
  std::thread maintenance_;

  std::unique_ptr<ConsoleApi> console_;  // before ops_http_: outlives it
  std::unique_ptr<OpsHttpServer> ops_http_;
  std::unique_ptr<OpsHttpServer> console_http_;  // --console_listen
  std::atomic<int64_t> heartbeat_unix_ms_{0};
  // Active list version older than --max_list_age (set by the maintenance
  // loop; readiness fails while true).
  std::atomic<bool> list_stale_{false};
  // Cluster mode: last, so destroyed first (its threads call the manager).
  std::unique_ptr<cluster::ControlPlane> control_;
};

}  // namespace exportscreen::server

#endif  // EXPORTSCREEN_SERVICES_SERVER_SERVER_H_
