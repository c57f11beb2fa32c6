#include "services/store/decision_log.h"

#include <utility>

#include "absl/synchronization/notification.h"

namespace exportscreen::store {

absl::StatusOr<std::string> DecisionLog::AppendDecision(v1::DecisionRecord* record) {
  absl::Notification written;
  absl::Status status;
  std::unique_ptr<v1::DecisionRecord> out;
  AppendDecisionAsync(std::make_unique<v1::DecisionRecord>(std::move(*record)),
                      [&](absl::Status s, std::unique_ptr<v1::DecisionRecord> r) {
                        status = std::move(s);
                        out = std::move(r);
                        written.Notify();
                      });
  written.WaitForNotification();
  *record = std::move(*out);
  if (!status.ok()) return status;
  return record->decision_id();
}

}  // namespace exportscreen::store
