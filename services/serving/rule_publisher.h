// RulePublisher: validates rule files (compiles them) and stores them as a
// rule-set version, content-addressed ("R-" + the first 12 hex digits of the
// files' digest): the same files give the same version on every store.
// Publishing never activates (SnapshotManager::Activate does).
//
// Thread-safe: stateless beyond the store, whose PutRuleSet is idempotent
// for one content.
#ifndef EXPORTSCREEN_SERVICES_SERVING_RULE_PUBLISHER_H_
#define EXPORTSCREEN_SERVICES_SERVING_RULE_PUBLISHER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "exportscreen/v1/service.pb.h"
#include "services/common/clock.h"
#include "services/store/entity_store.h"

namespace exportscreen::serving {

// The largest rule set (sum of its files) that is compiled and stored; it
// is read back whole by GetRuleSet.
inline constexpr size_t kMaxRuleSetBytes = 8u << 20;

// INVALID_ARGUMENT naming `files` if the rule files together (names and
// contents) exceed kMaxRuleSetBytes.
absl::Status CheckRuleSetSize(const std::map<std::string, std::string>& files);

class RulePublisher {
 public:
  // REQUIRES: store and clock outlive the publisher.
  RulePublisher(store::EntityStore* store, Clock* clock) : store_(store), clock_(clock) {}

  // Compiles `files` and stores them as a rule-set version (`source` and
  // `actor` recorded with it). INVALID_ARGUMENT with "FILE:LINE: RULE_ID:
  // reason" lines if they do not compile; nothing stored then.
  absl::StatusOr<v1::RuleSetInfo> Publish(const std::map<std::string, std::string>& files,
                                          const std::string& source,
                                          const std::string& actor) const;

 private:
  store::EntityStore* const store_;
  Clock* const clock_;
};

}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_RULE_PUBLISHER_H_
