// RocksDB implementation of LocationEvidence (location_evidence.h).
// Column families: location_reports (report_id -> report), location_replay
// (verifier\0serial\0observed_at -> report_id), location_latest (serial ->
// latest report), location_history (serial\0<8-byte seq> -> the latest
// report as of that sequence), serial_decisions (serial\0<8-byte decision
// seq> -> SerialDecisionRef, written with the decision), and the meta key
// "location_sequence".
#ifndef EXPORTSCREEN_SERVICES_STORE_ROCKS_LOCATION_EVIDENCE_H_
#define EXPORTSCREEN_SERVICES_STORE_ROCKS_LOCATION_EVIDENCE_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/store/location_evidence.h"
#include "services/store/store_db.h"

namespace exportscreen::v1 {
class DecisionRecord;
}  // namespace exportscreen::v1

namespace exportscreen::store {

class RocksLocationEvidence : public LocationEvidence {
 public:
  explicit RocksLocationEvidence(const StoreDb* db) : db_(db) {}
  absl::Status PutLocationReports(const std::vector<v1::LocationReport>& reports,
                                  std::vector<LocationPut>* outcome,
                                  std::vector<v1::LocationReport>* latest,
                                  uint64_t* sequence = nullptr) override;
  absl::StatusOr<uint64_t> LocationSequence() override;
  absl::Status ApplyLocationReports(const std::vector<v1::LocationReport>& reports,
                                    uint64_t sequence, std::vector<LocationPut>* outcome,
                                    std::vector<v1::LocationReport>* latest) override;
  absl::StatusOr<std::optional<v1::LocationReport>> LocationAt(absl::string_view serial,
                                                               uint64_t sequence) const override;
  absl::StatusOr<std::optional<v1::LocationReport>> GetLocationReport(
      absl::string_view report_id) const override;
  absl::StatusOr<std::optional<v1::LocationReport>> LatestLocation(
      absl::string_view serial) const override;
  absl::Status ScanLatestLocations(
      const std::function<void(const v1::LocationReport&)>& fn) const override;
  absl::StatusOr<std::vector<v1::SerialDecisionRef>> DecisionsForSerial(
      absl::string_view serial) const override;

  // Adds the serial -> decision entries of `record` (sequence and id
  // assigned) to `batch`: the decision log calls it so that they are
  // written with the decision, all or nothing.
  absl::Status IndexDecisionSerials(const v1::DecisionRecord& record,
                                    rocksdb::WriteBatch* batch) const;

 private:
  absl::StatusOr<uint64_t> LocationSequenceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // PutLocationReports at sequence `at` (0: the next one).
  absl::Status PutLocked(const std::vector<v1::LocationReport>& reports, uint64_t at,
                         std::vector<LocationPut>* outcome, std::vector<v1::LocationReport>* latest,
                         uint64_t* sequence) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const StoreDb* db_;
  absl::Mutex mu_;
  uint64_t location_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool location_seq_loaded_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_ROCKS_LOCATION_EVIDENCE_H_
