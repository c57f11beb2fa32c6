// Operator and audit operations over the store and the snapshot manager:
// version diffs, dry runs, decision listing and replay. Transport-free (the
// gRPC handlers in api/ call these). Thread-safe (they only read the store
// and build private snapshots).
#ifndef EXPORTSCREEN_SERVICES_SERVING_OPERATIONS_H_
#define EXPORTSCREEN_SERVICES_SERVING_OPERATIONS_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "exportscreen/v1/service.pb.h"
#include "services/common/clock.h"
#include "services/serving/snapshot_manager.h"
#include "services/store/entity_store.h"

namespace exportscreen::serving {

// Rule-level diff: rules keyed by their id (meta.id, or kind + code/name for
// declarations), compared by content.
absl::StatusOr<v1::DiffResponse> DiffRuleSets(const store::EntityStore& store,
                                              const std::string& from_version,
                                              const std::string& to_version);

// Entity-level diff of two list versions.
absl::StatusOr<v1::DiffResponse> DiffListVersions(const store::EntityStore& store,
                                                  const std::string& from_version,
                                                  const std::string& to_version);

// The largest answer a read of stored records builds: half the server's
// 16 MiB send limit, so that a page of decision records, a dry run's changes
// or a stored rule set can always be sent back (issue 12: the limits agree).
inline constexpr size_t kMaxReadAnswerBytes = 8u << 20;

// Re-screens stored decisions (or the given requests) under candidate
// versions; reports the changed answers. Stores nothing. Changes beyond
// kMaxReadAnswerBytes are counted but not listed (changes_truncated).
absl::StatusOr<v1::DryRunResponse> DryRun(const SnapshotManager& manager,
                                          const v1::DryRunRequest& request, Clock* clock);

// Compares a fresh evaluation with a stored answer: decision, findings,
// party matches, item determinations, versions (decision id and time aside).
// Returns the differences, empty if identical.
std::vector<std::string> CompareResponses(const v1::ScreenResponse& stored,
                                          const v1::ScreenResponse& replayed);

// Re-evaluates a stored decision under its own versions.
absl::StatusOr<v1::ReplayDecisionResponse> ReplayDecision(const SnapshotManager& manager,
                                                          const std::string& decision_id);

// Continuous screening: re-screens the CLEAR decisions recorded within
// `lookback` (newest first, at most `max_decisions`) that were answered
// under other versions than the active ones, and stores one
// RESCREEN_CHANGE alert for each whose answer is no longer CLEAR (with the
// old and new answer, and the entities and rules that caused it). Returns
// the alerts stored (duplicates of earlier runs are not stored again).
absl::StatusOr<std::vector<v1::Alert>> RescreenRecentClearDecisions(const SnapshotManager& manager,
                                                                    absl::Duration lookback,
                                                                    int max_decisions,
                                                                    Clock* clock);

// Continuous screening of one stored decision: if it is CLEAR and was
// answered under other versions than the active ones, re-screens it and
// stores a RESCREEN_CHANGE alert if the answer is no longer CLEAR (not again
// if the same alert exists). Returns the alerts stored.
absl::StatusOr<std::vector<v1::Alert>> RescreenDecision(const SnapshotManager& manager,
                                                        const v1::DecisionRecord& record,
                                                        Clock* clock);

// Stored decisions, newest first, filtered and paged. A page ends at
// request.limit records or before kMaxReadAnswerBytes (it always holds at
// least one record if any matches), with next_page_token set. In cluster
// mode it merges every replica chain the store holds (request.replica picks
// one): decision_listing.cc.
absl::StatusOr<v1::ListDecisionsResponse> ListDecisions(const store::EntityStore& store,
                                                        const v1::ListDecisionsRequest& request);

// Visits every decision chain the store holds, each newest first: this
// store's own, then in cluster mode every other replica's it consumed. `fn`
// returns kNext to go on, kNextChain to skip the rest of this chain (e.g.
// older than a range), kStop to end.
enum class ScanStep { kNext, kNextChain, kStop };
absl::Status ScanAllChains(const store::EntityStore& store,
                           const std::function<ScanStep(const v1::DecisionRecord&)>& fn);

// The filter of a ListDecisionsRequest (time range, classes, rule id, party
// name substring, list code, destination), for ListDecisions and the
// console's counts.
class DecisionFilter {
 public:
  explicit DecisionFilter(const v1::ListDecisionsRequest& request);
  enum class Verdict { kMatch, kSkip, kOlder };  // kOlder: before from_time
  // `ignore_classes`: the counts per class filter by everything else.
  Verdict Check(const v1::DecisionRecord& r, bool ignore_classes = false) const;

 private:
  std::string party_lower_;
  std::string rule_id_;
  std::string list_code_;
  std::string destination_;
  std::set<int> classes_;
  int64_t from_s_;
  int64_t until_s_;
};

}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_OPERATIONS_H_
