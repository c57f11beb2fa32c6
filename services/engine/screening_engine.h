// ScreeningEngine: evaluates one request against one snapshot. Pure: no
// gRPC, RocksDB or ICU headers, no I/O, no clock (as_of is passed in).
// Thread-safe (stateless).
//
// CONTRACT used by services/api and services/serving:
#ifndef EXPORTSCREEN_SERVICES_ENGINE_SCREENING_ENGINE_H_
#define EXPORTSCREEN_SERVICES_ENGINE_SCREENING_ENGINE_H_

#include <cstddef>
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "exportscreen/v1/screening.pb.h"
#include "services/engine/snapshot.h"

namespace exportscreen::engine {

// Listed-party hits per party when the request does not say
// (ScreenRequest.max_hits_per_party = 0; the request validator bounds it).
inline constexpr size_t kDefaultMaxHitsPerParty = 10;

class ScreeningEngine {
 public:
  // Screens `request` (already validated by the caller) under `view` (a
  // snapshot and the evidence pinned with it) as of `as_of`. Fills
  // decision, party_matches, item_determinations, findings,
  // destination_groups, rule_set_version, list_version, as_of_date,
  // request_id and the evidence sequences. The caller fills decision_id and
  // evaluated_at. Pure: reads only the view.
  // Fail closed: a check that cannot run yields a REVIEW finding (or an
  // error status), never CLEAR.
  static absl::StatusOr<v1::ScreenResponse> Screen(const ScreeningView& view,
                                                   const v1::ScreenRequest& request,
                                                   absl::CivilDay as_of);
  // Under `snapshot` with no evidence: no location source (rules on where
  // chips were seen cannot decide) and no dispositions (no hit dismissed).
  // Both only make answers stricter; for tests and what-ifs.
  static absl::StatusOr<v1::ScreenResponse> Screen(const ScreeningSnapshot& snapshot,
                                                   const v1::ScreenRequest& request,
                                                   absl::CivilDay as_of) {
    return Screen(ScreeningView{snapshot}, request, as_of);
  }

  // As Screen, but fills `*response` (REQUIRES: empty), which may live on the
  // caller's google::protobuf::Arena. Same answer, byte for byte. Most of the
  // engine's time is allocating (and later freeing) the answer's few hundred
  // messages and strings; on an arena those are bump allocations released
  // at once, so a server that answers from a per-call arena (e.g. gRPC's
  // message allocator) should call this one.
  static absl::Status ScreenInto(const ScreeningView& view, const v1::ScreenRequest& request,
                                 absl::CivilDay as_of, v1::ScreenResponse* response);
};

}  // namespace exportscreen::engine

#endif  // EXPORTSCREEN_SERVICES_ENGINE_SCREENING_ENGINE_H_
