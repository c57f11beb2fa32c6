// Cluster mode (issue 17): activation and rollback as a compare-and-set on
// the activation stack every replica shares (snapshot_manager.h,
// SharedActivation).
#include "absl/strings/str_cat.h"
#include "services/common/logging.h"
#include "services/common/status_macros.h"
#include "services/serving/manager_internal.h"
#include "services/serving/snapshot_manager.h"

namespace exportscreen::serving {

v1::ClusterControl PushActivation(const v1::ClusterControl& stack,
                                  const v1::ActiveVersions& active) {
  v1::ClusterControl next;
  const int keep = std::min(stack.stack_size(), kMaxActivationStack - 1);
  for (int i = stack.stack_size() - keep; i < stack.stack_size(); ++i) {
    *next.add_stack() = stack.stack(i);
  }
  *next.add_stack() = active;
  return next;
}

absl::StatusOr<v1::ClusterControl> PopActivation(const v1::ClusterControl& stack) {
  if (stack.stack().empty()) return absl::FailedPreconditionError("nothing is active");
  const v1::ActiveVersions& top = *stack.stack().rbegin();
  int n = stack.stack_size();
  while (n > 0 && stack.stack(n - 1).rule_set_version() == top.rule_set_version() &&
         stack.stack(n - 1).list_version() == top.list_version()) {
    --n;
  }
  if (n == 0) {
    return absl::FailedPreconditionError("no earlier versions in the activation history");
  }
  v1::ClusterControl next;
  for (int i = 0; i < n; ++i) *next.add_stack() = stack.stack(i);
  return next;
}

absl::Status SnapshotManager::ActivateShared(const std::string& rule_set_version,
                                             const std::string& list_version,
                                             const std::string& actor,
                                             const std::pair<std::string, std::string>* expected) {
  // Checked here first (builds, fits the budget): a pair that does not
  // build is refused before any replica is told to serve it.
  RETURN_IF_ERROR(CachedBuild(rule_set_version, list_version).status());
  RETURN_IF_ERROR(shared_.ensure_published(rule_set_version, list_version));
  v1::ActiveVersions active;
  active.set_rule_set_version(rule_set_version);
  active.set_list_version(list_version);
  SetTimestamp(clock_->Now(), active.mutable_activated_at());
  active.set_activated_by(actor);
  ASSIGN_OR_RETURN(
      auto stored, shared_.update([&](const v1::ClusterControl& current,
                                      bool) -> absl::StatusOr<std::optional<v1::ClusterControl>> {
        if (expected != nullptr) {
          const bool same = !current.stack().empty() &&
                            current.stack().rbegin()->rule_set_version() == expected->first &&
                            current.stack().rbegin()->list_version() == expected->second;
          if (!same) {
            return absl::AbortedError(
                absl::StrCat("the active versions changed (now ",
                             current.stack().empty()
                                 ? std::string("none")
                                 : absl::StrCat(current.stack().rbegin()->rule_set_version(), " / ",
                                                current.stack().rbegin()->list_version()),
                             "); ", list_version, " is stored but was not activated"));
          }
        }
        return PushActivation(current, active);
      }));
  ES_LOG_INFO("cluster: activation of rules=", rule_set_version, " lists=", list_version, " by ",
              actor, " is control revision ", stored.second);
  return shared_.wait_all(active, stored.second);
}

absl::StatusOr<v1::ActiveVersions> SnapshotManager::RollbackShared() {
  ASSIGN_OR_RETURN(auto stored,
                   shared_.update([](const v1::ClusterControl& current,
                                     bool) -> absl::StatusOr<std::optional<v1::ClusterControl>> {
                     ASSIGN_OR_RETURN(v1::ClusterControl next, PopActivation(current));
                     return std::optional<v1::ClusterControl>(std::move(next));
                   }));
  const v1::ActiveVersions target = *stored.first.stack().rbegin();
  ES_LOG_INFO("cluster: rollback to rules=", target.rule_set_version(),
              " lists=", target.list_version(), " is control revision ", stored.second);
  RETURN_IF_ERROR(shared_.wait_all(target, stored.second));
  return target;
}

absl::Status SnapshotManager::ApplyShared(const v1::ActiveVersions& active) {
  absl::MutexLock lock(&mu_);
  auto current = Current();
  if (current != nullptr && current->rule_set_version == active.rule_set_version() &&
      current->list_version == active.list_version()) {
    return absl::OkStatus();
  }
  return ActivateLocked(active.rule_set_version(), active.list_version(),
                        absl::StrCat(active.activated_by(), " (cluster)"));
}

}  // namespace exportscreen::serving
