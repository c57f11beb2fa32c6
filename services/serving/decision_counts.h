// Decisions per class under a ListDecisions filter, for the console's queue
// (its class tabs), kept per filter so that a repeated count scans only the
// decisions recorded since the last one: decisions are immutable and every
// chain only grows at its head, so the count of a chain up to a sequence
// never changes, unless retention deleted its oldest records (the chain
// anchor moved: that chain is counted again from scratch).
//
// Thread-safety: Count may run on many threads at once (the cache is
// guarded; two first counts of one filter both scan, the later one kept).
#ifndef EXPORTSCREEN_SERVICES_SERVING_DECISION_COUNTS_H_
#define EXPORTSCREEN_SERVICES_SERVING_DECISION_COUNTS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "exportscreen/v1/service.pb.h"
#include "services/store/entity_store.h"

namespace exportscreen::serving {

struct DecisionCountsResult {
  std::array<int64_t, 5> counts{};  // by v1::Decision number
  int64_t scanned = 0;              // records read by this call
  bool complete = true;             // false: the budget ran out first
};

class DecisionCounts {
 public:
  // At most this many filters are remembered (the oldest forgotten first).
  explicit DecisionCounts(size_t max_filters = 64) : max_filters_(max_filters) {}

  // Counts the decisions of every chain of `store` that match `request`'s
  // filter (its class filter, page token and limit ignored), scanning for
  // at most `budget`; an incomplete count is returned but not kept.
  absl::StatusOr<DecisionCountsResult> Count(const store::EntityStore& store,
                                             const v1::ListDecisionsRequest& request,
                                             absl::Duration budget);

 private:
  struct ChainCount {
    uint64_t head = 0;    // newest sequence counted (0: none)
    uint64_t anchor = 0;  // the chain's retention anchor when counted
    std::array<int64_t, 5> counts{};
  };
  using Entry = std::map<std::string, ChainCount>;  // by chain ("" = own)

  const size_t max_filters_;
  absl::Mutex mu_;
  std::map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::string> age_ ABSL_GUARDED_BY(mu_);  // insertion order
  uint64_t next_age_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_DECISION_COUNTS_H_
