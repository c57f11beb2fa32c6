// Analyst console (issue 18): a JSON API and static pages on the server's
// HTTP listener (--metrics_listen, cpp-httplib).
//
// The API answers with the protobuf JSON (snake_case field names) of the
// existing messages and calls the server's own gRPC services through an
// in-process channel, forwarding the caller's `Authorization: Bearer TOKEN`
// header: the same handlers, role checks, validation and admin-log entries
// as gRPC, no second model of the data. On top of that a screening client
// (a caller with no other role) cannot use the console at all.
//
//   GET  /api/v1/whoami                       principal and roles
//   GET  /api/v1/decisions?...                ListDecisionsResponse (filters:
//        from, until (RFC 3339 or YYYY-MM-DD), decision (comma-separated
//        DECISION_* or REVIEW, ...), party, rule, list, destination, limit,
//        page_token, view=summary)
//   GET  /api/v1/decisions/counts?...         decisions per class (same filters)
//   GET  /api/v1/decisions/{id}               DecisionRecord
//   GET  /api/v1/decisions/{id}/replay        ReplayDecisionResponse
//   GET  /api/v1/entities/{id}                ListedEntity of the active list version
//   GET  /api/v1/dispositions                 ListDispositionsResponse
//   POST /api/v1/dispositions                 RecordDispositionRequest -> Disposition
//   POST /api/v1/dispositions/{id}/revoke     {"reason"} -> Disposition
//   GET  /api/v1/alerts?unacknowledged_only=&limit=   ListAlertsResponse
//   POST /api/v1/alerts/{id}/acknowledge      Alert
//   GET  /api/v1/versions                     ListVersionsResponse
//   GET  /api/v1/status                       ServingStatus
//   GET  /api/v1/versions/diff?kind=lists|rules&from=&to=   DiffResponse
//   GET  /api/v1/admin-log?limit=             ListAdminActionsResponse
//   GET  /api/v1/audit/verify                 VerifyAuditChainResponse
//   POST /api/v1/screen                       ScreenRequest -> ScreenResponse
//   GET  /console/...                         static files of --console_dir
//
// Errors: {"code": "INVALID_ARGUMENT", "error": "...", "field": "..."} with
// 400 (bad input; `field` names it), 401 (no or unknown token), 403 (role),
// 404, 409 (precondition), 415 (POST without application/json), 429, 503.
// Requests whose Host is neither a loopback name nor one of the configured
// host names (--console_hosts) are refused (DNS rebinding). Over TLS every
// answer carries Strict-Transport-Security.
//
// Thread-safety: handlers run on the HTTP threads; all state is immutable
// after Install.
#ifndef EXPORTSCREEN_SERVICES_SERVER_CONSOLE_HTTP_H_
#define EXPORTSCREEN_SERVICES_SERVER_CONSOLE_HTTP_H_

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "services/api/auth.h"
#include "services/serving/snapshot_manager.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace exportscreen::server {

// The console's static files: `flag` if set, else the first of
// "services/console/web" (relative to the working directory) and the
// source tree's copy that holds index.html. "" if none.
std::string ResolveConsoleDir(const std::string& flag);

struct ConsoleOptions {
  std::string static_dir;  // "" = no pages (404 saying which flag to give)
  // Host names (Host header, port ignored, any case) answered besides the
  // loopback names.
  std::vector<std::string> hosts;
  bool tls = false;  // the listener is HTTPS
};

class ConsoleApi {
 public:
  // REQUIRES: all pointers outlive the console. `channel` reaches this
  // server's gRPC services (in-process).
  ConsoleApi(std::shared_ptr<grpc::Channel> channel, const api::Authorizer* authorizer,
             const serving::SnapshotManager* manager, ConsoleOptions options);
  ~ConsoleApi();

  // Registers the routes on `http`.
  void Install(httplib::Server* http);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace exportscreen::server

#endif  // EXPORTSCREEN_SERVICES_SERVER_CONSOLE_HTTP_H_
