// Cluster mode (issue 17): the decisions other replicas recorded, as this
// replica consumed them from the `decisions` stream. Each replica keeps its
// own hash chain (decision_log.h) and publishes every record's envelope;
// every replica stores the other replicas' envelopes here, under
// "<replica>\0<8-byte BE sequence>" in the replica_decisions column family,
// with the stream position consumed (meta) in the same write, so a restart
// resumes where it stopped. Envelopes are digest-checked before they are
// stored (the record's hash is recomputed over its bytes and its sequence
// must match). Chain(replica) is a read-only DecisionLog over one replica's
// chain, for `audit verify`. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_REPLICA_DECISIONS_H_
#define EXPORTSCREEN_SERVICES_STORE_REPLICA_DECISIONS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/entities.pb.h"
#include "services/store/decision_log.h"

namespace exportscreen::store {

class StoreDb;

class ReplicaDecisionStore {
 public:
  explicit ReplicaDecisionStore(const StoreDb* db) : db_(db) {}

  struct Entry {
    std::string replica;
    uint64_t sequence = 0;
    std::string envelope;  // decision_envelope.h
  };
  // DATA_LOSS naming the replica and sequence unless `envelope` is a
  // well-formed envelope whose hash matches its bytes and whose record
  // names `sequence`.
  static absl::Status CheckEnvelope(const Entry& entry);
  // Stores `entries` (each checked first) and the stream position in one
  // write. An entry already stored is overwritten with the same bytes.
  absl::Status Put(const std::vector<Entry>& entries, uint64_t stream_position) const;
  // The stream position consumed so far (0: none).
  absl::StatusOr<uint64_t> Position() const;
  // One stored decision; NOT_FOUND if absent.
  absl::StatusOr<v1::DecisionRecord> Get(absl::string_view replica, uint64_t sequence) const;
  // The replicas with at least one stored decision.
  absl::StatusOr<std::vector<std::string>> Replicas() const;
  // The newest stored sequence of `replica` (0: none).
  absl::StatusOr<uint64_t> LastSequence(absl::string_view replica) const;
  // A read-only DecisionLog over `replica`'s chain (appends, retention and
  // checkpoints are refused; the verified mark is not kept).
  std::unique_ptr<DecisionLog> Chain(const std::string& replica) const;

 private:
  const StoreDb* db_;
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_REPLICA_DECISIONS_H_
