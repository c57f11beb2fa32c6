// RocksDB implementation of DecisionLog (decision_log.h): envelopes in the
// decisions column family under 8-byte big-endian sequences; the chain
// anchor, checkpoints, the envelope boundary and the verified mark in meta.
// A recorder thread group-commits queued appends: one WriteBatch (synced
// if StoreOptions::sync_decisions) per round, with the serial index of
// location evidence written in the same batch.
#ifndef EXPORTSCREEN_SERVICES_STORE_ROCKS_DECISION_LOG_H_
#define EXPORTSCREEN_SERVICES_STORE_ROCKS_DECISION_LOG_H_

#include <deque>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/store/decision_log.h"
#include "services/store/rocks_location_evidence.h"
#include "services/store/store_db.h"

namespace exportscreen::store {

class RocksDecisionLog : public DecisionLog {
 public:
  // Reads the chain head and starts the recorder thread. `serials` adds
  // each decision's serial index entries to its batch (may be null).
  // `replica` (cluster mode, issue 17; "" = embedded): decision ids are
  // "<replica>-D<16 hex>" instead of "D<16 hex>".
  static absl::StatusOr<std::unique_ptr<RocksDecisionLog>> Open(
      const StoreDb* db, bool sync, const RocksLocationEvidence* serials, std::string replica = "");
  // Drains the queue (every queued append is written and answered), then
  // stops the recorder.
  ~RocksDecisionLog() override;

  using DecisionLog::AppendDecisionAsync;
  void AppendDecisionAsync(std::unique_ptr<v1::DecisionRecord> record, DecisionDone done,
                           std::string* response_bytes) override;
  absl::StatusOr<v1::DecisionRecord> GetDecision(absl::string_view id) const override;
  int64_t decision_count() const override;
  absl::Status ScanDecisions(
      uint64_t from_sequence, bool reverse,
      const std::function<bool(const v1::DecisionRecord&)>& fn) const override;
  absl::Status ScanStored(
      uint64_t from_sequence,
      const std::function<bool(uint64_t, const absl::StatusOr<StoredDecision>&)>& fn)
      const override;
  uint64_t envelope_since() const override;
  absl::StatusOr<int64_t> ExpireDecisionsBefore(absl::Time cutoff) override;
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> GetChainAnchor() const override;
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> Checkpoint(absl::Time now) override;
  absl::StatusOr<std::vector<v1::ChainCheckpoint>> ListCheckpoints() const override;
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> GetVerifiedMark() const override;
  absl::Status SetVerifiedMark(const v1::ChainCheckpoint& mark) override;
  absl::Status RawPutDecisionForTest(uint64_t sequence, const std::string& bytes) override;
  absl::Status RawDeleteDecisionForTest(uint64_t sequence) override;

 private:
  RocksDecisionLog(const StoreDb* db, bool sync, const RocksLocationEvidence* serials,
                   std::string replica)
      : db_(db), sync_(sync), serials_(serials), replica_(std::move(replica)) {}
  struct PendingDecision {
    std::unique_ptr<v1::DecisionRecord> record;
    DecisionDone done;
    std::string* response_bytes;  // may be null
  };
  absl::Status LoadChainHead();
  void RecorderLoop();
  bool RecorderReady() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
    return stopping_ || !queue_.empty();
  }
  // Writes one group and answers each of its appends.
  void WriteAndAnswer(std::vector<PendingDecision>* group);
  absl::Status WriteDecisionGroup(const std::vector<PendingDecision>& group);

  const StoreDb* db_;
  const bool sync_;
  const RocksLocationEvidence* serials_;
  const std::string replica_;

  absl::Mutex queue_mu_;
  std::deque<PendingDecision> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread recorder_;
  mutable absl::Mutex chain_mu_;
  uint64_t next_sequence_ ABSL_GUARDED_BY(chain_mu_) = 1;
  std::string chain_head_hash_ ABSL_GUARDED_BY(chain_mu_);
  uint64_t envelope_since_ ABSL_GUARDED_BY(chain_mu_) = 0;
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_ROCKS_DECISION_LOG_H_
