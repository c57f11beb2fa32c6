// DecisionCounts (decision_counts.h): per-filter counts, extended at each
// chain's head.
#include "services/serving/decision_counts.h"

#include <memory>
#include <utility>
#include <vector>

#include "services/common/status_macros.h"
#include "services/serving/operations.h"

namespace exportscreen::serving {
namespace {

// The filter part of a request: what decides which decisions are counted.
std::string FilterKey(const v1::ListDecisionsRequest& request) {
  v1::ListDecisionsRequest key = request;
  key.clear_decisions();
  key.clear_limit();
  key.clear_page_token();
  std::string out;
  key.SerializePartialToString(&out);
  return out;
}

}  // namespace

absl::StatusOr<DecisionCountsResult> DecisionCounts::Count(const store::EntityStore& store,
                                                           const v1::ListDecisionsRequest& request,
                                                           absl::Duration budget) {
  const std::string key = FilterKey(request);
  Entry cached;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) cached = it->second;
  }
  // Every chain the store holds: its own ("") and, in cluster mode, the
  // other replicas' it consumed (request.replica picks one).
  std::vector<std::pair<std::string, std::unique_ptr<store::DecisionLog>>> others;
  std::vector<std::pair<std::string, const store::DecisionLog*>> chains;
  if (request.replica().empty() || request.replica() == store.replica_id()) {
    chains.emplace_back("", &store.decisions());
  }
  if (!store.replica_id().empty()) {
    ASSIGN_OR_RETURN(std::vector<std::string> replicas, store.replica_decisions().Replicas());
    for (const std::string& replica : replicas) {
      if (replica == store.replica_id()) continue;
      if (!request.replica().empty() && replica != request.replica()) continue;
      others.emplace_back(replica, store.replica_decisions().Chain(replica));
      chains.emplace_back(replica, others.back().second.get());
    }
  }

  const DecisionFilter filter(request);
  const absl::Time deadline = absl::Now() + budget;
  DecisionCountsResult result;
  Entry updated;
  for (const auto& [name, log] : chains) {
    ASSIGN_OR_RETURN(std::optional<v1::ChainCheckpoint> anchor, log->GetChainAnchor());
    ChainCount chain;
    chain.anchor = anchor ? anchor->sequence() : 0;
    auto known = cached.find(name);
    if (known != cached.end() && known->second.anchor == chain.anchor) chain = known->second;
    const uint64_t counted_to = chain.head;
    bool first = true;
    RETURN_IF_ERROR(log->ScanDecisions(0, /*reverse=*/true, [&](const v1::DecisionRecord& r) {
      if (r.sequence() <= counted_to) return false;  // counted before
      if (first) {
        chain.head = r.sequence();
        first = false;
      }
      if ((++result.scanned & 1023) == 0 && absl::Now() > deadline) {
        result.complete = false;
        return false;
      }
      switch (filter.Check(r, /*ignore_classes=*/true)) {
        case DecisionFilter::Verdict::kOlder:
          return false;  // the rest of this chain is older still
        case DecisionFilter::Verdict::kSkip:
          return true;
        case DecisionFilter::Verdict::kMatch:
          break;
      }
      const int d = r.response().decision();
      if (d >= 0 && d < 5) ++chain.counts[d];
      return true;
    }));
    for (int d = 0; d < 5; ++d) result.counts[d] += chain.counts[d];
    updated[name] = chain;
    if (!result.complete) break;
  }
  if (!result.complete) return result;

  absl::MutexLock lock(&mu_);
  auto [it, inserted] = cache_.insert_or_assign(key, std::move(updated));
  if (inserted) {
    age_[next_age_++] = key;
    while (cache_.size() > max_filters_ && !age_.empty()) {
      cache_.erase(age_.begin()->second);
      age_.erase(age_.begin());
    }
  }
  return result;
}

}  // namespace exportscreen::serving
