// ScreeningEngine: evaluates one request against one snapshot. Pure: no
// gRPC, RocksDB or ICU headers, no I/O, no clock (as_of is passed in).
// Thread-safe (stateless).
//
// CONTRACT used by services/api and services/serving:
#ifndef EXPORTSCREEN_SERVICES_ENGINE_SCREENING_ENGINE_H_
#define EXPORTSCREEN_SERVICES_ENGINE_SCREENING_ENGINE_H_

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "exportscreen/v1/screening.pb.h"
#include "services/engine/snapshot.h"

namespace exportscreen::engine {

class ScreeningEngine {
 public:
  // Screens `request` (already validated by the caller) under `snapshot` as
  // of `as_of`. Fills decision, party_matches, item_determinations, findings,
  // destination_groups, rule_set_version, list_version, as_of_date and
  // request_id. The caller fills decision_id and evaluated_at.
  // Fail closed: a check that cannot run yields a REVIEW finding (or an
  // error status), never CLEAR.
  static absl::StatusOr<v1::ScreenResponse> Screen(
      const ScreeningSnapshot& snapshot, const v1::ScreenRequest& request,
      absl::CivilDay as_of);
};

}  // namespace exportscreen::engine

#endif  // EXPORTSCREEN_SERVICES_ENGINE_SCREENING_ENGINE_H_
