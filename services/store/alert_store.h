// AlertStore: diversion, re-screening and stale-list alerts, in the alerts
// column family ("a<8-byte seq>" -> Alert, "k<decision>\0<what>" -> alert
// id for de-duplication). Synced appends (alerts are rare and must survive
// a crash); thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_ALERT_STORE_H_
#define EXPORTSCREEN_SERVICES_STORE_ALERT_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "exportscreen/v1/location.pb.h"

namespace exportscreen::store {

class StoreDb;

class AlertStore {
 public:
  explicit AlertStore(const StoreDb* db) : db_(db) {}
  // Appends the alerts that are new: one diversion alert per (decision,
  // serial), one re-screening alert per (decision, versions), one
  // stale-list alert per list version; the others are dropped. Assigns
  // sequence and alert_id; `appended` receives the stored alerts. One write.
  absl::Status AppendAlerts(std::vector<v1::Alert> alerts, std::vector<v1::Alert>* appended);
  // Newest first, at most `limit`.
  absl::StatusOr<std::vector<v1::Alert>> ListAlerts(int limit, bool unacknowledged_only) const;
  // Marks alert `alert_id` ("A" + 16 hex) acknowledged by `by` at `at`
  // (synced) and returns it; an acknowledged alert keeps its first
  // acknowledgement. INVALID_ARGUMENT if malformed, NOT_FOUND if unknown.
  absl::StatusOr<v1::Alert> AcknowledgeAlert(absl::string_view alert_id, const std::string& by,
                                             absl::Time at);

  // Cluster mode (issue 17): appends and acknowledgements go through
  // `publish` (the replicated log; `ack`: an acknowledgement, of
  // alert.alert_id by alert.acknowledged_by at alert.acknowledged_at),
  // which returns the message's log sequence once ApplyAlert stored it
  // here. The alert's sequence and id are then the log's. Set before use.
  using Publish = std::function<absl::StatusOr<uint64_t>(const v1::Alert& alert, bool ack)>;
  void set_publish(Publish publish) { publish_ = std::move(publish); }
  // Cluster mode: applies log message `sequence` (an alert, stored as
  // alert "A" + 16 hex of `sequence` unless a repeat, or an
  // acknowledgement) with the position, synced, in one write.
  // ALREADY_EXISTS if applied before (idempotent).
  absl::Status ApplyAlert(v1::Alert alert, bool ack, uint64_t sequence);
  // The last log sequence applied (0: none).
  absl::StatusOr<uint64_t> AppliedPosition() const;

 private:
  absl::StatusOr<v1::Alert> GetAlert(uint64_t sequence) const;
  absl::Status AppendShared(std::vector<v1::Alert> alerts, std::vector<v1::Alert>* appended);

  const StoreDb* db_;
  Publish publish_;
  absl::Mutex mu_;
  uint64_t next_alert_ ABSL_GUARDED_BY(mu_) = 0;  // 0: not loaded
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_ALERT_STORE_H_
