// screening_server: the exportscreen gRPC server. Flags only; see server.h.
#include <csignal>
#include <algorithm>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "services/common/logging.h"
#include "google/protobuf/stubs/logging.h"
#include "services/server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to listen on (plaintext: loopback only)");
ABSL_FLAG(std::string, db, "var/db", "RocksDB directory (created if missing)");
ABSL_FLAG(std::string, rules, "rules",
          "rule directory (*.textproto) loaded into an empty store");
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
ABSL_FLAG(int64_t, screen_inline_max_bytes, 0,
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

namespace {
// libprotobuf logs one line per string field with invalid UTF-8 it parses;
// any caller can send such bodies (they are answered INVALID_ARGUMENT), so
// its lines are rate limited like our own.
void ProtobufLog(google::protobuf::LogLevel level, const char* filename,
                 int line, const std::string& message) {
  ES_LOG_WARNING_RATE_LIMITED("libprotobuf ", filename, ":", line, ": ", message);
}
}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "exportscreen screening server.\n"
      "  screening_server --listen=127.0.0.1:50051 --db=var/db --rules=rules "
      "--seeds=seeds --seed_lists=seeds/lists");
  absl::ParseCommandLine(argc, argv);
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
