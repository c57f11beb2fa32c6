// AdminLog: who did what to the service, when, with which result (every
// operator, analyst and auditor action), append-only in the meta column
// family under "admin/<8-byte seq>". Synced appends; thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_ADMIN_LOG_H_
#define EXPORTSCREEN_SERVICES_STORE_ADMIN_LOG_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/auth.pb.h"

namespace exportscreen::store {

class StoreDb;

class AdminLog {
 public:
  explicit AdminLog(const StoreDb* db) : db_(db) {}
  // Appends an action (its sequence assigned here).
  absl::Status AppendAdminAction(v1::AdminAction* action);
  // The newest `limit` actions, newest first.
  absl::StatusOr<std::vector<v1::AdminAction>> ListAdminActions(int limit) const;

  // Cluster mode (issue 17): appends go through `publish` (the replicated
  // log), which returns the action's log sequence once ApplyAdminAction
  // stored it here. Set before any append.
  using Publish = std::function<absl::StatusOr<uint64_t>(const v1::AdminAction&)>;
  void set_publish(Publish publish) { publish_ = std::move(publish); }
  // Cluster mode: stores `action` as log sequence `sequence`, synced.
  // ALREADY_EXISTS if stored before (idempotent).
  absl::Status ApplyAdminAction(v1::AdminAction action, uint64_t sequence);
  // The highest sequence stored (0: none): the log position applied.
  absl::StatusOr<uint64_t> LastSequence() const;

 private:
  const StoreDb* db_;
  Publish publish_;
  absl::Mutex mu_;  // serialises appends (sequence)
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_ADMIN_LOG_H_
