// DecisionLog: the legal record of every answered screening, as a hash
// chain (decision_envelope.h). An interface, so that a log-backed
// implementation (cluster mode) can stand beside the RocksDB one
// (rocks_decision_log.h) without touching callers.
//
// Contract: appends get consecutive sequences from 1 and ids "D" + 16 hex
// digits of the sequence (cluster mode: "<replica>-D" + 16 hex digits, the
// chain being per replica); each record names the previous record's hash;
// an append is acknowledged (its `done` runs) only once it is durable as
// configured, so an answered decision is always recorded. Retention
// deletes the oldest records and leaves an anchor (the last deleted
// record's sequence and hash) from which the rest still verifies.
// Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_DECISION_LOG_H_
#define EXPORTSCREEN_SERVICES_STORE_DECISION_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "exportscreen/v1/entities.pb.h"
#include "services/store/decision_envelope.h"

namespace exportscreen::store {

class DecisionLog {
 public:
  virtual ~DecisionLog() = default;

  // Appends `record` (sequence, decision id, prev_hash and hash assigned
  // and written into it) and waits until it is durable. Returns the id.
  // (AppendDecisionAsync, waited for: one definition for every log.)
  absl::StatusOr<std::string> AppendDecision(v1::DecisionRecord* record);
  // Asynchronous append (group commit): `done` runs, on the log's thread,
  // with the status and the record (id and hashes filled) once the record
  // is durable. Answer from `done`, never before. `done` must not block.
  using DecisionDone = std::function<void(absl::Status, std::unique_ptr<v1::DecisionRecord>)>;
  void AppendDecisionAsync(std::unique_ptr<v1::DecisionRecord> record, DecisionDone done) {
    AppendDecisionAsync(std::move(record), std::move(done), nullptr);
  }
  // As above; if `response_bytes` is not null, it holds, when `done` runs
  // with OK, the serialised response exactly as it stands inside the
  // recorded (hashed) record bytes, so that the caller can send the very
  // bytes that were recorded instead of serialising the answer again.
  virtual void AppendDecisionAsync(std::unique_ptr<v1::DecisionRecord> record, DecisionDone done,
                                   std::string* response_bytes) = 0;

  // NOT_FOUND if unknown, INVALID_ARGUMENT (naming decision_id) if malformed.
  virtual absl::StatusOr<v1::DecisionRecord> GetDecision(absl::string_view id) const = 0;
  // Decisions recorded so far (the sequence of the newest).
  virtual int64_t decision_count() const = 0;
  // Visits stored decisions in sequence order from `from_sequence` (1 =
  // first), newest first if `reverse` (then 0 = the newest), until `fn`
  // returns false. One consistent state.
  virtual absl::Status ScanDecisions(
      uint64_t from_sequence, bool reverse,
      const std::function<bool(const v1::DecisionRecord&)>& fn) const = 0;
  // The stored form of each decision from `from_sequence` on, in sequence
  // order, without parsing the records (for verification): `fn` gets the
  // sequence of the record's key and the decoded envelope, or a DATA_LOSS
  // status if the value does not decode; it returns false to stop.
  virtual absl::Status ScanStored(
      uint64_t from_sequence,
      const std::function<bool(uint64_t, const absl::StatusOr<StoredDecision>&)>& fn) const = 0;
  // The first sequence written as an envelope (0: none yet). Every record
  // from there on must be an envelope.
  virtual uint64_t envelope_since() const = 0;
  // True if decision `id`, as GetDecision returns it, is durable as
  // configured (cluster mode: a record of this replica's chain is not
  // while the log has not acknowledged everything).
  virtual bool Durable(absl::string_view id) const {
    (void)id;
    return true;
  }

  // Retention: deletes the decisions recorded before `cutoff`, oldest first,
  // never the newest, and moves the chain anchor. Returns how many.
  virtual absl::StatusOr<int64_t> ExpireDecisionsBefore(absl::Time cutoff) = 0;
  virtual absl::StatusOr<std::optional<v1::ChainCheckpoint>> GetChainAnchor() const = 0;
  // Records a checkpoint of the current head (nullopt if empty) and returns it.
  virtual absl::StatusOr<std::optional<v1::ChainCheckpoint>> Checkpoint(absl::Time now) = 0;
  virtual absl::StatusOr<std::vector<v1::ChainCheckpoint>> ListCheckpoints() const = 0;
  // The point up to which a verification last found the chain intact, so a
  // later one can resume there (nullopt: none).
  virtual absl::StatusOr<std::optional<v1::ChainCheckpoint>> GetVerifiedMark() const = 0;
  virtual absl::Status SetVerifiedMark(const v1::ChainCheckpoint& mark) = 0;

  // Test seams for tamper-evidence tests: raw access to a decision's stored
  // bytes. Never used by the service.
  virtual absl::Status RawPutDecisionForTest(uint64_t sequence, const std::string& bytes) = 0;
  virtual absl::Status RawDeleteDecisionForTest(uint64_t sequence) = 0;
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_DECISION_LOG_H_
