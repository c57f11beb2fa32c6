// screening_server: the exportscreen gRPC server. Flags only; see server.h.
#include <unistd.h>

#include <csignal>
#include <algorithm>
#include <cstdlib>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "services/common/logging.h"
#include "google/protobuf/stubs/logging.h"
#include "services/server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to listen on (plaintext: loopback only)");
ABSL_FLAG(std::string, db, "var/db", "RocksDB directory (created if missing)");
ABSL_FLAG(std::string, rules, "rules", "rule directory (*.textproto) loaded into an empty store");
ABSL_FLAG(std::string, seeds, "seeds",
          "seed directory for an empty store: ownership.jsonl, items.jsonl, "
          "and entities.jsonl (hand-written parties, read only when "
          "--seed_lists is empty)");
ABSL_FLAG(std::string, seed_lists, "seeds/lists",
          "for an empty store: the dated snapshot of the real public lists "
          "(its bootstrap.txt names the files and formats) imported as the "
          "listed parties of the first list version; empty = use --seeds "
          "entities.jsonl instead. Ignored once the store has data");
ABSL_FLAG(bool, reload_rules, false,
          "on a non-empty store, publish and activate --rules if it changed");
ABSL_FLAG(int, workers, 0, "screening worker threads (0 = cores)");
ABSL_FLAG(bool, record_decisions, true, "record every decision (audit chain)");
// Default from the issue 19 A/B (bench/serving/config_ab.sh, 2 cores): inline
// evaluation gave the best calls/s for the typical mix (+5-25 % at 8-128 in
// flight, fewer context switches), within noise for the heavy one.
ABSL_FLAG(int64_t, screen_inline_max_bytes, 8192,
          "unary Screen requests up to this size are evaluated on the gRPC callback "
          "thread (no hop to the worker pool); larger ones on the pool; 0 = always the pool");
ABSL_FLAG(std::string, auth_config, "",
          "AuthConfig text file (principals, roles, token hashes); empty = open "
          "mode, loopback only");
ABSL_FLAG(std::string, tls_cert, "", "server certificate chain (PEM); enables TLS");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "CA bundle (PEM) for client certificates; enables required mTLS");
ABSL_FLAG(int, decision_retention_days, 0,
          "delete decision records older than this (0 = keep forever); the "
          "hash chain stays verifiable");
ABSL_FLAG(absl::Duration, checkpoint_interval, absl::Minutes(1),
          "how often to record and log the audit chain head");
ABSL_FLAG(std::string, location_trust, "",
          "chip location verification: trusted verifiers (text-format "
          "exportscreen.v1.LocationTrustConfig); empty = none trusted");
ABSL_FLAG(bool, sync_decisions, false,
          "fsync each decision record before answering (power-loss safe)");
// Capacity knobs.
ABSL_FLAG(int, max_queue, 4096,
          "screening calls queued beyond the workers; past it calls get "
          "RESOURCE_EXHAUSTED (admission control)");
ABSL_FLAG(int, admin_queue, 64,
          "admin operations (imports, activations, backups) queued for the "
          "admin thread");
ABSL_FLAG(int, stream_window, 64, "ScreenStream: lines in flight per stream (flow-control window)");
ABSL_FLAG(int, snapshots_kept, 4,
          "loaded snapshots kept for rollback, replay and dry runs (each holds "
          "one list version in memory)");
ABSL_FLAG(int64_t, snapshot_memory_budget_mb, 0,
          "memory budget of all loaded snapshots in MiB: kept snapshots are let "
          "go to make room, and an activation whose snapshot does not fit "
          "beside the active one is refused (RESOURCE_EXHAUSTED); 0 = half of "
          "the machine's physical memory");
ABSL_FLAG(absl::Duration, rescreen_lookback, absl::Hours(24 * 30),
          "continuous screening: after an activation, re-screen CLEAR decisions "
          "this recent (0 = off)");
ABSL_FLAG(int, rescreen_max, 10000,
          "continuous screening: at most this many decisions per activation");
// Operations (issue 15).
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "HTTP host:port for Prometheus /metrics and the /livez and /readyz "
          "probes (no authentication; loopback unless the network is trusted); "
          "empty = off");
ABSL_FLAG(bool, console, true,
          "serve the analyst console (JSON API under /api/v1/, pages under "
          "/console/) on --console_listen, else on --metrics_listen when that "
          "is loopback");
ABSL_FLAG(std::string, console_listen, "",
          "host:port of the console's own listener (no /metrics or probes); "
          "beyond loopback it needs --console_tls_cert/--console_tls_key, "
          "--console_hosts and --auth_config; empty = on --metrics_listen");
ABSL_FLAG(std::string, console_tls_cert, "",
          "console certificate chain (PEM): --console_listen serves HTTPS "
          "only (needs --console_listen)");
ABSL_FLAG(std::string, console_tls_key, "", "console private key (PEM)");
ABSL_FLAG(std::vector<std::string>, console_hosts, {},
          "comma-separated host names the console answers to besides loopback "
          "names (the Host header, against DNS rebinding), e.g. "
          "console.example.com");
ABSL_FLAG(std::string, console_dir, "",
          "the console's static pages; empty = services/console/web under the "
          "working directory, else the source tree's copy");
ABSL_FLAG(std::string, access_log, "",
          "JSON-lines access log, one record per RPC: a file (appended), \"-\" "
          "for standard output, empty = off");
ABSL_FLAG(absl::Duration, max_list_age, absl::ZeroDuration(),
          "readiness fails (closed) and a LIST_STALE alert is raised when the "
          "active list version is older than this, e.g. 36h; 0 = no limit");
ABSL_FLAG(std::string, backup_root, "var/backups",
          "directory under which AdminService.Backup (screenctl admin backup "
          "DIR) writes backups (RocksDB checkpoints: SST files hard-linked "
          "when on the store's filesystem); empty = backups disabled");
ABSL_FLAG(int, backup_rate_limit_mb, 64,
          "copy rate limit in MiB/s (0 = none) for backups into a directory "
          "that holds BackupEngine backups of earlier versions (checkpoint "
          "backups link files and copy only the MANIFEST and WAL)");
ABSL_FLAG(std::string, restore_backup, "",
          "offline restore: restore the latest backup (or --restore_backup_id) "
          "of this backup directory into --db, which must not exist or be "
          "empty, then exit");
ABSL_FLAG(int, restore_backup_id, 0, "with --restore_backup: which backup (0 = latest)");
// Cluster mode (issue 17).
ABSL_FLAG(std::string, nats, "",
          "cluster mode: NATS JetStream servers, nats://host:port[,nats://...]; "
          "every decision is answered only after JetStream acknowledged it "
          "(stream `decisions`); empty = embedded mode (this store only)");
ABSL_FLAG(std::string, replica_id, "",
          "cluster mode: this replica's id (1 to 32 of [a-z0-9_], stable across "
          "restarts on the same --db); decision ids are <replica_id>-D<16 hex>");
ABSL_FLAG(int, stream_replicas, 1,
          "cluster mode: replicas (R) of the JetStream streams this server "
          "creates when missing (3 on a 3-node NATS cluster)");
ABSL_FLAG(absl::Duration, activation_timeout, absl::Seconds(10),
          "cluster mode: how long an activation or rollback waits for every live "
          "replica to serve the new versions before it fails naming those that do not");
ABSL_FLAG(absl::Duration, idempotency_window, absl::ZeroDuration(),
          "a Screen call repeating a request_id of the same caller within this window "
          "gets the decision recorded for it (on any replica in cluster mode) instead "
          "of a new one, so clients may retry; 0 = off (every call a new decision). "
          "10m recommended in cluster mode");
ABSL_FLAG(absl::Duration, nats_ack_timeout, absl::Seconds(2),
          "cluster mode: how long a decision waits for JetStream's publish "
          "acknowledgement before it is answered UNAVAILABLE");

namespace {
// libprotobuf logs one line per string field with invalid UTF-8 it parses;
// any caller can send such bodies (they are answered INVALID_ARGUMENT), so
// its lines are rate limited like our own.
void ProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                 const std::string& message) {
  ES_LOG_WARNING_RATE_LIMITED("libprotobuf ", filename, ":", line, ": ", message);
}
}  // namespace

// --help and --helpshort list this file's flags (the project's); --helpfull
// adds those of the libraries.
bool IsServerFlagFile(absl::string_view filename) {
  return absl::StrContains(filename, "services/server/");
}

int main(int argc, char** argv) {
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = &IsServerFlagFile;
  usage.contains_helpshort_flags = &IsServerFlagFile;
  usage.version_string = [] { return std::string("screening_server 0.1.0\n"); };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "exportscreen screening server.\n"
      "  screening_server --listen=127.0.0.1:50051 --db=var/db --rules=rules "
      "--seeds=seeds --seed_lists=seeds/lists\n"
      "  screening_server --flagfile=deploy/screening_server.flags   (one --flag=value a line)\n"
      "  screening_server --restore_backup=var/backups/nightly --db=var/db-restored\n"
      "Every flag with its default follows; --helpfull adds library flags.");
  absl::ParseCommandLine(argc, argv);

  if (const std::string backup = absl::GetFlag(FLAGS_restore_backup); !backup.empty()) {
    const int id = absl::GetFlag(FLAGS_restore_backup_id);
    if (id < 0) {
      ES_LOG_ERROR("--restore_backup_id: must be >= 0");
      return 64;
    }
    auto restored = exportscreen::store::EntityStore::RestoreBackup(
        backup, static_cast<uint32_t>(id), absl::GetFlag(FLAGS_db));
    if (!restored.ok()) {
      ES_LOG_ERROR("restore failed: ", restored.status().ToString());
      return 1;
    }
    ES_LOG_INFO("restored backup ", restored->backup_id, " of ", backup, " (", restored->size_bytes,
                " bytes, ", restored->file_count, " files, checksums verified) into ",
                absl::GetFlag(FLAGS_db),
                "; start the server on it and run `screenctl audit verify`");
    return 0;
  }
  for (const auto& [name, value] :
       {std::pair<const char*, int>{"max_queue", absl::GetFlag(FLAGS_max_queue)},
        {"admin_queue", absl::GetFlag(FLAGS_admin_queue)},
        {"stream_window", absl::GetFlag(FLAGS_stream_window)},
        {"snapshots_kept", absl::GetFlag(FLAGS_snapshots_kept)}}) {
    if (value < 1) {
      ES_LOG_ERROR("--", name, "=", value, ": must be at least 1");
      return 64;
    }
  }
  google::protobuf::SetLogHandler(&ProtobufLog);
  // Debian's Abseil checks every absl::Mutex acquisition for lock-order
  // cycles (GraphCycles), ~2 % of the server's CPU under load; the tests keep
  // the check (they do not run through main).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals in every thread; main waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  exportscreen::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.db_path = absl::GetFlag(FLAGS_db);
  options.bootstrap.rules_dir = absl::GetFlag(FLAGS_rules);
  options.bootstrap.seeds_dir = absl::GetFlag(FLAGS_seeds);
  options.bootstrap.lists_dir = absl::GetFlag(FLAGS_seed_lists);
  options.bootstrap.reload_rules = absl::GetFlag(FLAGS_reload_rules);
  options.workers = absl::GetFlag(FLAGS_workers);
  options.record_decisions = absl::GetFlag(FLAGS_record_decisions);
  options.screen_inline_max_bytes =
      static_cast<size_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_screen_inline_max_bytes)));
  options.sync_decisions = absl::GetFlag(FLAGS_sync_decisions);
  options.auth_config = absl::GetFlag(FLAGS_auth_config);
  options.decision_retention_days = absl::GetFlag(FLAGS_decision_retention_days);
  options.checkpoint_interval = absl::GetFlag(FLAGS_checkpoint_interval);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  options.location_trust = absl::GetFlag(FLAGS_location_trust);
  options.max_queue = static_cast<size_t>(absl::GetFlag(FLAGS_max_queue));
  options.admin_queue = static_cast<size_t>(absl::GetFlag(FLAGS_admin_queue));
  options.stream_window = absl::GetFlag(FLAGS_stream_window);
  options.snapshots_kept = static_cast<size_t>(absl::GetFlag(FLAGS_snapshots_kept));
  if (const int64_t mb = absl::GetFlag(FLAGS_snapshot_memory_budget_mb); mb < 0) {
    ES_LOG_ERROR("--snapshot_memory_budget_mb: must be >= 0");
    return 64;
  } else if (mb > 0) {
    options.snapshot_memory_budget = static_cast<size_t>(mb) << 20;
  } else {
    options.snapshot_memory_budget = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) *
                                     static_cast<size_t>(sysconf(_SC_PAGE_SIZE)) / 2;
  }
  options.rescreen_lookback = absl::GetFlag(FLAGS_rescreen_lookback);
  options.rescreen_max = absl::GetFlag(FLAGS_rescreen_max);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.console = absl::GetFlag(FLAGS_console);
  options.console_dir = absl::GetFlag(FLAGS_console_dir);
  options.console_listen = absl::GetFlag(FLAGS_console_listen);
  options.console_tls_cert = absl::GetFlag(FLAGS_console_tls_cert);
  options.console_tls_key = absl::GetFlag(FLAGS_console_tls_key);
  options.console_hosts = absl::GetFlag(FLAGS_console_hosts);
  options.access_log = absl::GetFlag(FLAGS_access_log);
  options.max_list_age = absl::GetFlag(FLAGS_max_list_age);
  options.backup_root = absl::GetFlag(FLAGS_backup_root);
  if (absl::GetFlag(FLAGS_backup_rate_limit_mb) < 0) {
    ES_LOG_ERROR("--backup_rate_limit_mb: must be >= 0");
    return 64;
  }
  options.backup_rate_limit = static_cast<uint64_t>(absl::GetFlag(FLAGS_backup_rate_limit_mb))
                              << 20;

  for (absl::string_view url :
       absl::StrSplit(absl::GetFlag(FLAGS_nats), ',', absl::SkipWhitespace())) {
    options.nats_urls.emplace_back(absl::StripAsciiWhitespace(url));
  }
  options.replica_id = absl::GetFlag(FLAGS_replica_id);
  options.stream_replicas = absl::GetFlag(FLAGS_stream_replicas);
  options.nats_ack_timeout = absl::GetFlag(FLAGS_nats_ack_timeout);
  options.activation_timeout = absl::GetFlag(FLAGS_activation_timeout);
  options.idempotency_window = absl::GetFlag(FLAGS_idempotency_window);

  auto server = exportscreen::server::ScreeningServer::Start(options);
  if (!server.ok()) {
    ES_LOG_ERROR("cannot start: ", server.status().ToString());
    return 1;
  }
  // A failed load keeps the server up and NOT_SERVING (health says so and
  // Screen answers UNAVAILABLE) so operators can see and fix it.
  (*server)->Load().IgnoreError();

  int signal = 0;
  sigwait(&stop_signals, &signal);
  ES_LOG_INFO("signal ", signal, ": shutting down");
  (*server)->Shutdown();
  ES_LOG_INFO("stopped");
  return 0;
}
