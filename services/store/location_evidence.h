// LocationEvidence: accepted chip-location reports and what screening needs
// of them (issue 8). An interface, so that a log-backed implementation
// (cluster mode: the stream sequence as the location sequence) can stand
// beside the RocksDB one (rocks_location_evidence.h).
//
// Contract: reports reaching the store have been verified (signature,
// verifier, time) by the caller; the store enforces identity: idempotent on
// report_id, no second report for the same (verifier, serial, observed_at).
// Every call that changes some serial's latest report is one step of the
// location sequence, and the latest reports stay readable as of any
// sequence (LocationAt), so a decision's evidence can be replayed.
// Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_LOCATION_EVIDENCE_H_
#define EXPORTSCREEN_SERVICES_STORE_LOCATION_EVIDENCE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/location.pb.h"

namespace exportscreen::store {

// What PutLocationReports did with one report.
enum class LocationPut {
  kStored,     // new: stored as evidence
  kDuplicate,  // same report_id, same content: nothing written (idempotent)
  kConflict,   // same report_id, different content: rejected (replay)
  kReplay,     // another report_id with the same (verifier, serial,
               // observed_at): rejected (replay)
};

class LocationEvidence {
 public:
  virtual ~LocationEvidence() = default;
  // Stores `reports` at once. Writes `outcome[i]` for reports[i] (also for
  // duplicates inside the call: the first one wins). `latest` receives the
  // reports that became the latest of their serial. `sequence` (optional)
  // receives the location sequence after the call.
  virtual absl::Status PutLocationReports(const std::vector<v1::LocationReport>& reports,
                                          std::vector<LocationPut>* outcome,
                                          std::vector<v1::LocationReport>* latest,
                                          uint64_t* sequence = nullptr) = 0;
  // Cluster mode: stores `reports` as location sequence `sequence` (a
  // replicated log's position; the location sequence becomes `sequence`
  // even if nothing became latest, so it is also the log position applied).
  // ALREADY_EXISTS (nothing written) if the store is at `sequence` or
  // beyond: applying a log is idempotent.
  virtual absl::Status ApplyLocationReports(const std::vector<v1::LocationReport>& /*reports*/,
                                            uint64_t /*sequence*/,
                                            std::vector<LocationPut>* /*outcome*/,
                                            std::vector<v1::LocationReport>* /*latest*/) {
    return absl::UnimplementedError("ApplyLocationReports");
  }
  // The current location sequence (0: no report yet).
  virtual absl::StatusOr<uint64_t> LocationSequence() = 0;
  // The latest report of `serial` as of location sequence `sequence` (what
  // a decision that saw that sequence saw), or nullopt.
  virtual absl::StatusOr<std::optional<v1::LocationReport>> LocationAt(absl::string_view serial,
                                                                       uint64_t sequence) const = 0;
  virtual absl::StatusOr<std::optional<v1::LocationReport>> GetLocationReport(
      absl::string_view report_id) const = 0;
  // The latest report of a serial, or nullopt.
  virtual absl::StatusOr<std::optional<v1::LocationReport>> LatestLocation(
      absl::string_view serial) const = 0;
  // Visits the latest report of every serial (one consistent state, serial
  // order).
  virtual absl::Status ScanLatestLocations(
      const std::function<void(const v1::LocationReport&)>& fn) const = 0;
  // Screened shipments that contained `serial`, oldest first (recorded with
  // their decisions).
  virtual absl::StatusOr<std::vector<v1::SerialDecisionRef>> DecisionsForSerial(
      absl::string_view serial) const = 0;
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_LOCATION_EVIDENCE_H_
