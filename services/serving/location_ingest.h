// Chip location verification (issue 8): trust configuration, verification
// and ingest of signed location reports, and post-shipment diversion alerts.
//
// Ingest of one batch:
//   1. stateless checks per report, in parallel on a worker pool: well
//      formed, signed, known verifier, not future-dated beyond the allowed
//      clock skew, not older than max age, Ed25519 signature valid over the
//      canonical encoding (location_signing.h);
//   2. the store keeps identity (idempotent on report_id; a reused report_id
//      with other content, or a second report for the same (verifier,
//      serial, observed_at), is a replay) in one WriteBatch;
//   3. the reports that became the latest of their serial are published to
//      the SnapshotManager's LocationFeed (screening sees them at once);
//   4. every stored report is compared with the screened shipments that
//      contained its serial: if the newest CLEAR or LICENSE_REQUIRED
//      decision recorded before the observation declared another
//      destination, a DIVERSION alert is appended (one per decision+serial).
// Rejected reports are reported with their reason and never stored.
//
// Bundles (IngestBundles): step 1 verifies one Ed25519 signature per bundle
// (bundles in parallel on the pool; location_signing.h defines the digest),
// then runs the per-report stateless checks without a per-report signature;
// a bundle that fails its own checks (malformed, unsigned, unknown verifier,
// bad signature) rejects every one of its reports with "bundle <id>:
// <reason>". Steps 2-4 are the same as for single reports; stored reports
// carry bundle_id and no signature of their own. Re-ingesting a bundle is
// idempotent (its reports come back as duplicates); a report stored singly
// and later sent in a bundle (or the other way) is a report_id conflict.
//
// Thread-safety: LocationTrust is immutable. LocationIngestor is
// thread-safe; batches are ingested one at a time (internal mutex).
#ifndef EXPORTSCREEN_SERVICES_SERVING_LOCATION_INGEST_H_
#define EXPORTSCREEN_SERVICES_SERVING_LOCATION_INGEST_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "exportscreen/v1/location.pb.h"
#include "services/common/clock.h"
#include "services/common/thread_pool.h"
#include "services/serving/location_signing.h"
#include "services/serving/snapshot_manager.h"
#include "services/store/entity_store.h"

namespace exportscreen::serving {

class LocationTrust {
 public:
  // INVALID_ARGUMENT naming the verifier on a bad key or duplicate id.
  static absl::StatusOr<std::unique_ptr<LocationTrust>> FromConfig(
      const v1::LocationTrustConfig& config);
  // Text format of v1.LocationTrustConfig.
  static absl::StatusOr<std::unique_ptr<LocationTrust>> FromText(absl::string_view text);
  static absl::StatusOr<std::unique_ptr<LocationTrust>> FromFile(const std::string& path);

  // The reason a report must be rejected ("" if it passes every stateless
  // check, signature included).
  std::string Check(const v1::LocationReport& report, absl::Time now) const;
  // The reason every report of the bundle must be rejected ("" if the
  // bundle is well formed, signed by a known verifier and its signature
  // over BundleDigest is valid). Does not look at the reports' fields.
  std::string CheckBundle(const v1::ReportBundle& bundle) const;
  // The stateless checks of one report of a bundle that passed CheckBundle:
  // everything Check does except the report's own signature, plus: the
  // report's verifier_id is the bundle's and its signature field is empty.
  std::string CheckBundled(const v1::LocationReport& report, const std::string& bundle_verifier_id,
                           absl::Time now) const;

  const v1::LocationTrustConfig& config() const { return config_; }
  // Well formed, known verifier, within skew and max age; *key = the key.
  std::string CheckFields(const v1::LocationReport& report, absl::Time now,
                          const Ed25519PublicKey** key) const;
  absl::Duration skew() const { return skew_; }
  absl::Duration max_age() const { return max_age_; }

 private:
  v1::LocationTrustConfig config_;
  absl::flat_hash_map<std::string, Ed25519PublicKey> keys_;
  absl::Duration skew_;
  absl::Duration max_age_;
};

struct LocationIngestOptions {
  // Threads verifying signatures (the calling thread helps too).
  int verify_threads = 2;
  // Reports per WriteBatch in Ingest().
  size_t batch_size = 4096;
  // IngestBundles(): whole bundles per batch until at least this many
  // reports (bigger batches: fewer index publishes and store round trips).
  size_t bundle_batch_size = 32768;
};

class LocationIngestor {
 public:
  // Loads the latest location of every serial from the store into the
  // manager's LocationFeed. REQUIRES: store, manager, clock outlive it.
  static absl::StatusOr<std::unique_ptr<LocationIngestor>> Create(
      store::EntityStore* store, SnapshotManager* manager, std::unique_ptr<LocationTrust> trust,
      Clock* clock, LocationIngestOptions options = {});
  ~LocationIngestor();

  // Ingests one batch; `index_base` is the stream position of reports[0]
  // (for the rejection list). Adds to `summary`. Errors only for store
  // failures (then nothing of this batch is stored).
  absl::Status IngestBatch(std::vector<v1::LocationReport> reports, int64_t index_base,
                           v1::IngestSummary* summary);
  // Ingests any number of reports, in batches of options.batch_size.
  absl::StatusOr<v1::IngestSummary> Ingest(std::vector<v1::LocationReport> reports);

  // Ingests whole bundles as one batch (one WriteBatch for all their
  // reports); `index_base` is the stream position of the first bundle's
  // first report. Adds to `summary` (received counts reports,
  // bundles_received bundles). Errors only for store failures.
  absl::Status IngestBundleBatch(std::vector<v1::ReportBundle> bundles, int64_t index_base,
                                 v1::IngestSummary* summary);
  // Ingests any number of bundles, whole bundles per batch of at least
  // options.bundle_batch_size reports (a bundle is never split).
  absl::StatusOr<v1::IngestSummary> IngestBundles(std::vector<v1::ReportBundle> bundles);

  // Cluster mode: raises the diversion alerts of reports another replica
  // stored (step 4 against this replica's decisions; the serial index of
  // decisions is per replica). Returns how many were raised.
  absl::StatusOr<int64_t> RaiseAlertsFor(const std::vector<v1::LocationReport>& reports);

  const LocationTrust& trust() const { return *trust_; }
  const LocationIngestOptions& options() const { return options_; }

 private:
  LocationIngestor(store::EntityStore* store, SnapshotManager* manager,
                   std::unique_ptr<LocationTrust> trust, Clock* clock,
                   LocationIngestOptions options);
  // Verifies every report (parallel); reasons[i] = "" if valid.
  void VerifyAll(const std::vector<v1::LocationReport>& reports, absl::Time now,
                 std::vector<std::string>* reasons);
  // Runs fn(i) for i in [0, n), in chunks of `chunk`, on the pool and the
  // calling thread.
  void ParallelFor(size_t n, size_t chunk, const std::function<void(size_t)>& fn);
  // Steps 2-4 for checked reports (reasons[i] = "" if valid). REQUIRES mu_.
  absl::Status StoreChecked(std::vector<v1::LocationReport> reports,
                            std::vector<std::string> reasons,
                            const std::vector<std::string>* bundle_ids, int64_t index_base,
                            absl::Time now, v1::IngestSummary* summary);
  absl::Status RaiseAlerts(const std::vector<const v1::LocationReport*>& stored,
                           v1::IngestSummary* summary);
  bool CountryOfConcern(const std::string& country) const;

  store::EntityStore* const store_;
  SnapshotManager* const manager_;
  const std::unique_ptr<LocationTrust> trust_;
  Clock* const clock_;
  const LocationIngestOptions options_;
  std::unique_ptr<WorkerPool> pool_;  // null if verify_threads <= 1
  absl::flat_hash_set<std::string> alert_countries_;
  absl::Mutex mu_;  // one batch at a time
};

// Latest-report entry of the in-memory index for a stored report.
engine::ReportedLocation ToReportedLocation(const v1::LocationReport& report);

}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_LOCATION_INGEST_H_
