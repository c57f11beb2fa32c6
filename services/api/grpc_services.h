// gRPC handlers (callback API). Thin: they pin a snapshot, hand the work to
// the project's bounded worker pool (callback handlers must never block),
// and translate absl::Status to grpc::Status once, here.
//
// Thread-safety: the services are thread-safe; each call's state lives in
// its reactor.
#ifndef EXPORTSCREEN_SERVICES_API_GRPC_SERVICES_H_
#define EXPORTSCREEN_SERVICES_API_GRPC_SERVICES_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/api/auth.h"
#include "services/api/observability.h"
#include "services/api/screen_message_pool.h"
#include "services/api/screener.h"
#include "services/common/clock.h"
#include "services/common/thread_pool.h"
#include "services/serving/disposition_registry.h"
#include "services/serving/list_importer.h"
#include "services/serving/rule_publisher.h"
#include "services/serving/snapshot_manager.h"

namespace exportscreen::api {

// absl::Status -> grpc::Status; a v1.BadRequest payload becomes the
// grpc-status-details-bin trailer (a v1.RpcStatus, wire-compatible with
// google.rpc.Status).
grpc::Status ToGrpcStatus(const absl::Status& status);

// One admin-log entry: when, who (principal and peer), which method, what
// was asked and the result (message cut to 2,000 bytes). The active
// versions are the caller's to add.
v1::AdminAction NewAdminAction(absl::Time at, absl::string_view method, const std::string& actor,
                               const std::string& peer, const std::string& summary,
                               const absl::Status& result);

// The metadata key in which the analyst console (services/server/
// console_http.h) passes the address of the browser it calls for, as
// ConsoleClientValue(address).
inline constexpr char kConsoleClientKey[] = "x-es-console-client";
// "<secret> <address>": the secret is random per process and never leaves
// it (the console calls over the in-process channel).
std::string ConsoleClientValue(absl::string_view browser_address);

// The address the admin log records for a call: its peer ("ipv4:...").
// A call the analyst console made on a browser's behalf is recorded as
// "console " + the browser's address. The console's metadata is believed
// only with this process's secret and not from a network peer, so a
// client cannot pass itself off as someone else.
std::string AuditPeer(const grpc::ServerContextBase& context);
// "console " + `browser_address`: how the admin log names a console client.
std::string ConsolePeer(absl::string_view browser_address);

// Appends one entry to `store`'s admin log with the active versions of
// `manager` (an error is logged, not returned: the action itself has
// happened).
void RecordAdminAction(const serving::SnapshotManager& manager, store::EntityStore* store,
                       absl::Time at, absl::string_view method, const std::string& actor,
                       const std::string& peer, const std::string& summary,
                       const absl::Status& result);

// Authenticates the caller of `context` (bearer token in `authorization`, or
// the mTLS certificate CN) and checks it has one of `roles`.
// UNAUTHENTICATED or PERMISSION_DENIED otherwise.
// `observer` (may be null) learns the authenticated caller, refused or not.
absl::StatusOr<Caller> AuthCall(grpc::CallbackServerContext* context, const Authorizer& authorizer,
                                absl::string_view method, std::initializer_list<v1::Role> roles,
                                CallObserver* observer = nullptr);

struct ServiceOptions {
  // Record every decision in the store (audit chain).
  bool record_decisions = true;
  // Per-stream window of lines in flight (flow control of ScreenStream).
  int stream_window = 64;
  // Unary Screen requests up to this many bytes are evaluated on the gRPC
  // callback thread itself instead of the worker pool (one thread hop less;
  // 0 = always the pool). Larger requests go to the pool so that a heavy
  // request cannot hold a callback thread long.
  size_t screen_inline_max_bytes = 0;
  // RPC metrics and access log (issue 15); null = off. Must outlive the
  // service.
  const Observability* observability = nullptr;
  // Idempotent Screen (issue 17, idempotency.h): window zero = off. Only
  // with record_decisions.
  IdempotencyOptions idempotency{absl::ZeroDuration()};
};

// ScreenStream is a raw (ByteBuffer) method: the reactor parses each frame
// itself, so a frame that does not parse is answered as a bad line
// (INVALID_ARGUMENT in-band) instead of ending the stream.
// Screen is raw too: the body is size-checked before it is parsed (the
// per-method receive limit, kMaxScreenRequestBytes) and a body that does not
// parse is INVALID_ARGUMENT (gRPC's own parse failure says UNIMPLEMENTED
// with no message); it is parsed into a pooled DecisionRecord as before.
using ScreeningServiceBase = v1::ScreeningService::WithRawCallbackMethod_Screen<
    v1::ScreeningService::WithRawCallbackMethod_ScreenStream<
        v1::ScreeningService::WithCallbackMethod_GetDecision<v1::ScreeningService::Service>>>;

class ScreeningServiceImpl final : public ScreeningServiceBase {
 public:
  // REQUIRES: all pointers outlive the service. `store` records the
  // decisions (if options.record_decisions) and answers GetDecision.
  ScreeningServiceImpl(serving::SnapshotManager* manager, store::EntityStore* store,
                       WorkerPool* pool, Clock* clock, const Authorizer* authorizer,
                       ServiceOptions options);

  grpc::ServerUnaryReactor* Screen(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ScreenStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetDecision(grpc::CallbackServerContext* context,
                                        const v1::GetDecisionRequest* request,
                                        v1::DecisionRecord* response) override;

  // See Screener::set_on_recorded. Call before serving.
  void set_on_recorded(Screener::OnRecorded fn) { screener_.set_on_recorded(std::move(fn)); }
  const Screener& screener() const { return screener_; }

 private:
  friend class ScreenStreamReactor;
  serving::SnapshotManager* const manager_;
  store::EntityStore* const store_;
  WorkerPool* const pool_;
  const Authorizer* const authorizer_;
  const ServiceOptions options_;
  Screener screener_;
  // Request/response storage of unary Screen calls, reused across calls.
  ScreenMessagePool screen_messages_;
};

// The serving classes the admin handlers call (none may be null; all must
// outlive the service).
struct AdminServing {
  serving::SnapshotManager* manager;
  serving::ListImporter* importer;
  serving::RulePublisher* publisher;
  serving::DispositionRegistry* dispositions;
  store::EntityStore* store;
};

class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  // REQUIRES: what `serving` names and admin_pool outlive the service. Long
  // operations (imports) run on admin_pool.
  AdminServiceImpl(const AdminServing& serving, WorkerPool* admin_pool,
                   const Authorizer* authorizer, Clock* clock);

  // Cluster mode (issue 17): `status` reads the control key and the live
  // replicas. Without one (embedded), FAILED_PRECONDITION. Set before serving.
  void set_cluster_status(std::function<absl::StatusOr<v1::ClusterStatus>()> status) {
    cluster_status_ = std::move(status);
  }
  grpc::ServerUnaryReactor* GetClusterStatus(grpc::CallbackServerContext* context,
                                             const v1::GetClusterStatusRequest* request,
                                             v1::ClusterStatus* response) override;
  grpc::ServerUnaryReactor* GetServingStatus(grpc::CallbackServerContext* context,
                                             const v1::GetServingStatusRequest* request,
                                             v1::ServingStatus* response) override;
  grpc::ServerUnaryReactor* ImportList(grpc::CallbackServerContext* context,
                                       const v1::ImportListRequest* request,
                                       v1::ImportListResponse* response) override;
  grpc::ServerUnaryReactor* ListVersions(grpc::CallbackServerContext* context,
                                         const v1::ListVersionsRequest* request,
                                         v1::ListVersionsResponse* response) override;

  grpc::ServerUnaryReactor* PublishRuleSet(grpc::CallbackServerContext* context,
                                           const v1::PublishRuleSetRequest* request,
                                           v1::RuleSetInfo* response) override;
  grpc::ServerUnaryReactor* GetRuleSet(grpc::CallbackServerContext* context,
                                       const v1::GetRuleSetRequest* request,
                                       v1::StoredRuleSet* response) override;
  grpc::ServerUnaryReactor* DiffRuleSets(grpc::CallbackServerContext* context,
                                         const v1::DiffRequest* request,
                                         v1::DiffResponse* response) override;
  grpc::ServerUnaryReactor* DiffListVersions(grpc::CallbackServerContext* context,
                                             const v1::DiffRequest* request,
                                             v1::DiffResponse* response) override;
  grpc::ServerUnaryReactor* Activate(grpc::CallbackServerContext* context,
                                     const v1::ActivateRequest* request,
                                     v1::ActiveVersions* response) override;
  grpc::ServerUnaryReactor* Rollback(grpc::CallbackServerContext* context,
                                     const v1::RollbackRequest* request,
                                     v1::ActiveVersions* response) override;
  grpc::ServerUnaryReactor* DryRun(grpc::CallbackServerContext* context,
                                   const v1::DryRunRequest* request,
                                   v1::DryRunResponse* response) override;
  grpc::ServerUnaryReactor* ListDecisions(grpc::CallbackServerContext* context,
                                          const v1::ListDecisionsRequest* request,
                                          v1::ListDecisionsResponse* response) override;
  grpc::ServerUnaryReactor* VerifyAuditChain(grpc::CallbackServerContext* context,
                                             const v1::VerifyAuditChainRequest* request,
                                             v1::VerifyAuditChainResponse* response) override;
  grpc::ServerWriteReactor<v1::VerifyAuditChainProgress>* StreamVerifyAuditChain(
      grpc::CallbackServerContext* context, const v1::VerifyAuditChainRequest* request) override;
  grpc::ServerUnaryReactor* ReplayDecision(grpc::CallbackServerContext* context,
                                           const v1::ReplayDecisionRequest* request,
                                           v1::ReplayDecisionResponse* response) override;

  // Continuous screening after each activation: re-screen CLEAR decisions
  // of the last `lookback` (at most `max_decisions`); 0 disables.
  void set_rescreen(absl::Duration lookback, int max_decisions) {
    rescreen_lookback_ = lookback;
    rescreen_max_ = max_decisions;
  }

  // Backups (issue 15): directories are resolved under `root` ("" =
  // backups disabled). Set before serving.
  void set_backup_root(std::string root, uint64_t rate_limit_bytes = 0) {
    backup_root_ = std::move(root);
    backup_rate_limit_ = rate_limit_bytes;
  }
  grpc::ServerUnaryReactor* Backup(grpc::CallbackServerContext* context,
                                   const v1::BackupRequest* request,
                                   v1::BackupResponse* response) override;

  // RPC metrics and access log (null = off). Set before serving.
  void set_observability(const Observability* obs) { observability_ = obs; }

  // Called with the new serving state whenever an activation happens here.
  void set_on_activate(std::function<void()> fn) { on_activate_ = std::move(fn); }
  // Continuous screening of a decision recorded after an activation under
  // the superseded versions (evaluated on the old snapshot while the
  // activation's re-screen ran): a CLEAR decision whose versions are not the
  // active ones is re-screened on the admin pool and alerted like the rest.
  // Cheap when nothing needs doing; called on the recorder thread.
  void RescreenIfSuperseded(const v1::DecisionRecord& record);

  grpc::ServerUnaryReactor* RecordDisposition(grpc::CallbackServerContext* context,
                                              const v1::RecordDispositionRequest* request,
                                              v1::Disposition* response) override;
  grpc::ServerUnaryReactor* RevokeDisposition(grpc::CallbackServerContext* context,
                                              const v1::RevokeDispositionRequest* request,
                                              v1::Disposition* response) override;
  grpc::ServerUnaryReactor* ListDispositions(grpc::CallbackServerContext* context,
                                             const v1::ListDispositionsRequest* request,
                                             v1::ListDispositionsResponse* response) override;
  grpc::ServerUnaryReactor* ListAdminActions(grpc::CallbackServerContext* context,
                                             const v1::ListAdminActionsRequest* request,
                                             v1::ListAdminActionsResponse* response) override;

 private:
  // Authenticates and authorises the caller, then runs `fn` on the admin
  // pool and finishes with its status. If `record`, the action (who, what,
  // when, versions, result) goes to the admin log, refusals included.
  grpc::ServerUnaryReactor* RunAdmin(grpc::CallbackServerContext* context, absl::string_view method,
                                     std::initializer_list<v1::Role> roles, bool record,
                                     std::string summary,
                                     std::function<absl::Status(const Caller&)> fn);
  // After an activation: health update and continuous screening (queued on
  // the admin pool, off the activation's own reply).
  void AfterActivation();
  // `from`, or the active version (a member of the current snapshot).
  absl::StatusOr<std::string> FromOrActive(
      const std::string& from, std::string engine::ScreeningSnapshot::*active_version) const;
  void Record(absl::string_view method, const std::string& actor, const std::string& peer,
              const std::string& summary, const absl::Status& result);

  serving::SnapshotManager* const manager_;
  serving::ListImporter* const importer_;
  serving::RulePublisher* const publisher_;
  serving::DispositionRegistry* const dispositions_;
  store::EntityStore* const store_;
  WorkerPool* const admin_pool_;
  const Authorizer* const authorizer_;
  Clock* const clock_;
  std::function<void()> on_activate_;
  std::function<absl::StatusOr<v1::ClusterStatus>()> cluster_status_;
  std::string backup_root_;
  uint64_t backup_rate_limit_ = 0;
  const Observability* observability_ = nullptr;
  absl::Duration rescreen_lookback_ = absl::Hours(24 * 30);
  int rescreen_max_ = 10000;
};

// Fills a ServingStatus from the current snapshot (no gRPC needed).
void FillServingStatus(const serving::SnapshotManager& manager, const store::EntityStore& store,
                       v1::ServingStatus* status);

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_GRPC_SERVICES_H_
