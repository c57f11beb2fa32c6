// AdminLog: who did what to the service, when, with which result (every
// operator, analyst and auditor action), append-only in the meta column
// family under "admin/<8-byte seq>". Synced appends; thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_ADMIN_LOG_H_
#define EXPORTSCREEN_SERVICES_STORE_ADMIN_LOG_H_

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

 private:
  const StoreDb* db_;
  absl::Mutex mu_;  // serialises appends (sequence)
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_ADMIN_LOG_H_
