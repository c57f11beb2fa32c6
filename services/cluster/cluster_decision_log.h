// Cluster mode (issue 17): the DecisionLog of a replica whose records are
// durable only once NATS JetStream acknowledged them.
//
// Appends go to the replica's own RocksDB chain first (sequence, id
// "<replica>-D<16 hex>", hash chain: the chain is per replica), then a
// publisher thread publishes the records' envelopes on subject
// "decisions.<replica>" of stream `decisions`, the queued group in batch
// messages (decision_batch.h; message id "<first decision id>+<count>"),
// and waits for JetStream's acks, a whole group at a time (the group commit
// of the RocksDB recorder, on the log): one Raft entry, one ack and one
// consumer write per message, not per decision. `done` runs with OK only after the ack; without one
// (timeout, error, connection lost) it runs with UNAVAILABLE and the log turns unhealthy: appends
// are refused (UNAVAILABLE, nothing recorded) until a resync has republished every local record
// from the first unacknowledged one (one message per record, message id = its decision id: a record
// whose batch was stored but not acknowledged is then in the stream twice, and consumers store it
// once) and JetStream answers again. The local chain is thus the outbox: a record is never answered
// without being in the log, and a record that was written locally but not acknowledged reaches the
// log at the next resync (also at start-up, after a crash).
//
// A consumer stores every other replica's record (digest-checked) in the
// replica decision store, so GetDecision of any replica's id works on every
// replica (a miss waits, bounded, until this replica has consumed the
// stream as far as it was when asked). Start-up refuses a local chain that
// is behind what the log holds for this replica (a lost disk must not
// reuse decision ids). Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_CLUSTER_CLUSTER_DECISION_LOG_H_
#define EXPORTSCREEN_SERVICES_CLUSTER_CLUSTER_DECISION_LOG_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/cluster/nats_client.h"
#include "services/store/decision_log.h"
#include "services/store/replica_decisions.h"

namespace exportscreen::cluster {

struct ClusterOptions {
  std::vector<std::string> nats_urls;
  std::string replica_id;
  int stream_replicas = 1;  // R of the streams it creates (3 in production)
  absl::Duration ack_timeout = absl::Seconds(2);
  absl::Duration connect_timeout = absl::Seconds(15);
  size_t max_group = 512;  // records per publish group
  // A group goes out as batch messages of at most this many bytes
  // (decision_batch.h; NATS's default max_payload is 1 MiB).
  size_t max_batch_bytes = 256 * 1024;
};

class ClusterDecisionLog : public store::DecisionLog {
 public:
  // Connects, creates the `decisions` stream if missing, checks the local
  // chain against the log, starts the publisher, the resync loop and the
  // consumer. Errors: UNAVAILABLE (NATS unreachable),
  // FAILED_PRECONDITION (the log holds more of this replica's chain than
  // the local store).
  static absl::StatusOr<std::unique_ptr<ClusterDecisionLog>> Open(
      std::unique_ptr<store::DecisionLog> local, const store::ReplicaDecisionStore* replicas,
      ClusterOptions options);
  ~ClusterDecisionLog() override;

  // True while appends can be acknowledged by the log.
  bool healthy() const;
  // At shutdown (NatsClient::CloseIfDisconnected): records not yet
  // acknowledged are republished by the next start's resync.
  void CloseIfDisconnected() { nats_->CloseIfDisconnected(); }
  // Cluster mode: records (and so answers) only while `gate` holds, e.g.
  // while the replica has applied the shared records (dispositions,
  // locations) its answers depend on; else UNAVAILABLE with its reason.
  // Set before the server takes calls.
  void SetAppendGate(std::function<bool(std::string* why)> gate) { gate_ = std::move(gate); }
  // Why not (empty when healthy).
  std::string NotServingReason() const;
  // Stream position consumed into the local store.
  uint64_t consumed() const { return consumed_.load(); }
  // The decisions stream's last sequence (for the log lag).
  absl::StatusOr<uint64_t> LogHead() const { return StreamLastSequence(); }

  using DecisionLog::AppendDecisionAsync;
  // `response_bytes` is filled by the local recorder (before the log's
  // acknowledgement); it is valid for the caller once `done` runs with OK.
  void AppendDecisionAsync(std::unique_ptr<v1::DecisionRecord> record, DecisionDone done,
                           std::string* response_bytes) override;
  absl::StatusOr<v1::DecisionRecord> GetDecision(absl::string_view id) const override;
  // The rest is this replica's own chain (the local one).
  int64_t decision_count() const override { return local_->decision_count(); }
  absl::Status ScanDecisions(
      uint64_t from_sequence, bool reverse,
      const std::function<bool(const v1::DecisionRecord&)>& fn) const override {
    return local_->ScanDecisions(from_sequence, reverse, fn);
  }
  absl::Status ScanStored(
      uint64_t from_sequence,
      const std::function<bool(uint64_t, const absl::StatusOr<store::StoredDecision>&)>& fn)
      const override {
    return local_->ScanStored(from_sequence, fn);
  }
  uint64_t envelope_since() const override { return local_->envelope_since(); }
  // Another replica's record came from the log; one of this replica's own
  // is known to be in the log only while the log is healthy (a resync
  // republished everything before it turned healthy again).
  bool Durable(absl::string_view id) const override {
    return !absl::StartsWith(id, options_.replica_id + "-") || healthy();
  }
  absl::StatusOr<int64_t> ExpireDecisionsBefore(absl::Time cutoff) override {
    return local_->ExpireDecisionsBefore(cutoff);
  }
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> GetChainAnchor() const override {
    return local_->GetChainAnchor();
  }
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> Checkpoint(absl::Time now) override {
    return local_->Checkpoint(now);
  }
  absl::StatusOr<std::vector<v1::ChainCheckpoint>> ListCheckpoints() const override {
    return local_->ListCheckpoints();
  }
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> GetVerifiedMark() const override {
    return local_->GetVerifiedMark();
  }
  absl::Status SetVerifiedMark(const v1::ChainCheckpoint& mark) override {
    return local_->SetVerifiedMark(mark);
  }
  absl::Status RawPutDecisionForTest(uint64_t sequence, const std::string& bytes) override {
    return local_->RawPutDecisionForTest(sequence, bytes);
  }
  absl::Status RawDeleteDecisionForTest(uint64_t sequence) override {
    return local_->RawDeleteDecisionForTest(sequence);
  }

  // One received message of the decisions stream (the consumer callback).
  void Consume(absl::string_view subject, absl::string_view data, uint64_t stream_sequence);
  // One publish acknowledgement (the publish handler).
  void Acked(absl::string_view msg_id, bool ok, const std::string& error);

 private:
  struct Pending {
    std::unique_ptr<v1::DecisionRecord> record;
    DecisionDone done;
    std::string envelope;
    bool acked = false;
    std::string error;
  };
  ClusterDecisionLog(std::unique_ptr<store::DecisionLog> local,
                     const store::ReplicaDecisionStore* replicas, ClusterOptions options);
  absl::Status Start();
  void Enqueue(absl::Status status, std::unique_ptr<v1::DecisionRecord> record, DecisionDone done);
  void PublisherLoop();
  void PublishGroup(std::vector<Pending>* group);
  void ResyncLoop();
  absl::Status Resync();
  absl::StatusOr<uint64_t> LastPublishedSequence();
  absl::Status PublishSync(const std::string& id, const std::string& envelope);
  // (Re)subscribes to the stream from the position after `position`.
  absl::Status StartConsumer(uint64_t position);
  // Resubscribes when the stream is ahead and nothing came in since the
  // last check (an ordered consumer that did not survive an outage).
  void CheckConsumer();
  absl::StatusOr<uint64_t> StreamLastSequence() const;
  void SetUnhealthy(const std::string& why, uint64_t from_sequence);
  bool PublisherReady() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }
  bool GroupAnswered() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(group_mu_) {
    return group_ == nullptr || answered_ >= group_messages_;
  }
  // The ack (or the failure) of one batch message: marks its records.
  void AnswerMessage(absl::string_view msg_id, bool ok, const std::string& error);

  std::unique_ptr<store::DecisionLog> local_;
  const store::ReplicaDecisionStore* replicas_;
  const ClusterOptions options_;
  const std::string subject_;
  std::unique_ptr<NatsClient> nats_;
  jsCtx* publish_js_ = nullptr;  // asynchronous publishes of the publisher
  jsCtx* sync_js_ = nullptr;     // resync, last message, stream info, consumer
  absl::Mutex sub_mu_;
  natsSubscription* sub_ ABSL_GUARDED_BY(sub_mu_) = nullptr;
  uint64_t checked_consumed_ = 0;  // resync thread only
  bool resubscribe_ = false;       // resync thread only

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool healthy_ ABSL_GUARDED_BY(mu_) = false;
  std::function<bool(std::string* why)> gate_;  // set before serving, then read only
  std::string reason_ ABSL_GUARDED_BY(mu_) = "decision log: not yet synchronised";
  // The first local sequence that may be missing from the log (0: none).
  uint64_t resync_from_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t unhealthy_generation_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex group_mu_;
  std::vector<Pending>* group_ ABSL_GUARDED_BY(group_mu_) = nullptr;
  struct MessageRange {
    size_t begin = 0, end = 0;  // records of the group
    bool answered = false;
  };
  // The group's messages by message id; how many there are and answered.
  absl::flat_hash_map<std::string, MessageRange> group_index_ ABSL_GUARDED_BY(group_mu_);
  size_t group_messages_ ABSL_GUARDED_BY(group_mu_) = 0;
  size_t answered_ ABSL_GUARDED_BY(group_mu_) = 0;

  std::atomic<uint64_t> consumed_{0};

  absl::Notification stop_;
  std::thread publisher_;
  std::thread resyncer_;
};

}  // namespace exportscreen::cluster

#endif  // EXPORTSCREEN_SERVICES_CLUSTER_CLUSTER_DECISION_LOG_H_
