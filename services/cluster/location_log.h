// Cluster mode (issue 17): accepted location reports shared through the
// JetStream stream `locations` (subject "locations.<replica>").
//
// The replica's LocationEvidence is wrapped (NewEvidence): storing a batch
// of verified reports publishes it, as one message, and waits for
// JetStream's ack (none: UNAVAILABLE, nothing stored here; the message id
// is the digest of the reports, so a retried batch is dropped by JetStream)
// and then for this replica's consumer to have applied it; the outcome per
// report is what applying it gave. Every replica's consumer applies every
// message, in stream order, to its RocksDB evidence at location sequence =
// the message's stream sequence (store::LocationEvidence::
// ApplyLocationReports: idempotent, the position stored with the reports),
// and hands the reports that became latest to `on_applied` (the server
// publishes them to the snapshots' location feed). So the location
// sequence an answer records is the same store-wide sequence on every
// replica. Reads go to the local store. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_CLUSTER_LOCATION_LOG_H_
#define EXPORTSCREEN_SERVICES_CLUSTER_LOCATION_LOG_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/cluster/shared_stream.h"
#include "services/store/location_evidence.h"

namespace exportscreen::cluster {

class LocationLog {
 public:
  // `latest`: the reports that became the latest of their serial;
  // `stored`: every report of the message that was new here; `replica`:
  // the replica that published it.
  using OnApplied = std::function<void(const std::vector<v1::LocationReport>& latest,
                                       const std::vector<v1::LocationReport>& stored,
                                       const std::string& replica, uint64_t sequence)>;
  // `local` (the RocksDB evidence) and `nats` outlive the log.
  static absl::StatusOr<std::unique_ptr<LocationLog>> Open(
      NatsClient* nats, const std::string& replica_id, int stream_replicas,
      absl::Duration ack_timeout, absl::Duration connect_timeout, store::LocationEvidence* local);

  // The wrapped evidence, for EntityStore::WrapLocations.
  std::unique_ptr<store::LocationEvidence> NewEvidence();
  // Consumes the stream after the local location sequence.
  absl::Status Start(OnApplied on_applied);

  void Stop() { stream_->Stop(); }
  bool caught_up() const { return stream_->caught_up(); }
  std::string error() const { return stream_->error(); }
  bool stuck() const { return stream_->stuck(); }
  uint64_t consumed() const { return stream_->consumed(); }
  absl::StatusOr<uint64_t> Head() const { return stream_->Head(); }

  // The wrapper's PutLocationReports.
  absl::Status Put(const std::vector<v1::LocationReport>& reports,
                   std::vector<store::LocationPut>* outcome,
                   std::vector<v1::LocationReport>* latest, uint64_t* sequence);
  store::LocationEvidence& local() const { return *local_; }

 private:
  LocationLog(store::LocationEvidence* local, absl::Duration ack_timeout)
      : local_(local), ack_timeout_(ack_timeout) {}
  absl::Status Apply(const StreamMessage& msg);
  // Outcomes of reports applied before (a message JetStream deduplicated).
  void OutcomeFromStore(const std::vector<v1::LocationReport>& reports,
                        std::vector<store::LocationPut>* outcome) const;

  store::LocationEvidence* const local_;
  const absl::Duration ack_timeout_;
  std::unique_ptr<SharedStream> stream_;
  OnApplied on_applied_;
  absl::Mutex mu_;
  // Outcomes of this replica's messages by message id, filled by Apply for
  // the publishers waiting for them.
  absl::flat_hash_map<std::string, std::optional<std::vector<store::LocationPut>>> waiting_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace exportscreen::cluster

#endif  // EXPORTSCREEN_SERVICES_CLUSTER_LOCATION_LOG_H_
