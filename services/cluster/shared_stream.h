// Cluster mode (issue 17): one JetStream stream of records every replica
// shares (locations, dispositions, alerts, the admin log): a publish that
// returns only after JetStream acknowledged it, and an ordered consumer
// that applies every message, in stream order, to the replica's store.
//
// The consumer starts after the position the replica's store says it has
// applied (the store keeps it with the records, in one write: redelivery
// after a restart is skipped, so apply is idempotent), counts what it
// applied, and knows the stream's head when it started: caught_up() is
// true once it got there (health stays NOT_SERVING until then). A message
// the store cannot apply stops the consumer at that position (error()
// says why) and it is retried, by resubscribing from there, every second;
// a consumer that stalls (the stream ahead, nothing delivered) is
// resubscribed the same way. A stream whose head is below what the replica
// applied (recreated or lost, e.g. NATS storage wiped) stops the consumer
// for good: its new messages would reuse sequences already applied.
// Publishes carry a message id: JetStream drops a second publish of the
// same id within the duplicates window (2 min). A publish is refused at
// once while the connection is down (never put in the client's reconnect
// buffer); UNAVAILABLE after it was sent means "not acknowledged": it may
// still be stored, and a resend with the same id is stored once.
// Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_CLUSTER_SHARED_STREAM_H_
#define EXPORTSCREEN_SERVICES_CLUSTER_SHARED_STREAM_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/cluster/nats_client.h"

namespace exportscreen::cluster {

struct StreamMessage {
  uint64_t sequence = 0;
  std::string subject;
  std::string msg_id;   // the publisher's message id
  std::string replica;  // the publishing replica (header Es-Replica)
  std::string data;
};

struct PublishAck {
  uint64_t sequence = 0;
  bool duplicate = false;  // JetStream had the message id already
};

class SharedStream {
 public:
  // Applies one message to the store (with `sequence` as its position).
  // ALREADY_EXISTS counts as applied; any other error stops the consumer
  // at this message (retried).
  using Apply = std::function<absl::Status(const StreamMessage& msg)>;

  // Creates stream `name` over "<name>.>" if missing (retrying while
  // JetStream elects its leaders, up to `connect_timeout`). `nats`
  // outlives the stream.
  static absl::StatusOr<std::unique_ptr<SharedStream>> Open(NatsClient* nats,
                                                            const std::string& name,
                                                            std::string replica_id, int replicas,
                                                            absl::Duration ack_timeout,
                                                            absl::Duration connect_timeout);
  ~SharedStream();

  // Publishes on subject "<name>.<subject_tail>" and waits for the ack.
  // UNAVAILABLE if none came (nothing is known to be stored).
  absl::StatusOr<PublishAck> Publish(const std::string& subject_tail, const std::string& msg_id,
                                     const std::string& data);
  // Publishes on this replica's subject and waits until the consumer
  // applied the message here: its sequence. UNAVAILABLE if not
  // acknowledged, or not applied in time (then it is in the log: the
  // consumer applies it later).
  absl::StatusOr<uint64_t> PublishApplied(const std::string& msg_id, const std::string& data);
  // A message id unique to this publish (this replica, time, counter).
  std::string NewMsgId();
  // Starts consuming after `position` (what the store applied).
  void Start(uint64_t position, Apply apply);
  // Stops consuming: no Apply runs once it returns (server shutdown, before
  // what the Apply callbacks use goes away). Publishing still works.
  void Stop();
  // Waits until the consumer applied `sequence` (false after `timeout`).
  bool WaitApplied(uint64_t sequence, absl::Duration timeout) const;

  uint64_t consumed() const { return consumed_.load(); }
  // The head as of Start(), reached.
  bool caught_up() const { return started_.load() && consumed_.load() >= start_head_.load(); }
  // Why the consumer is stuck ("" if it is not).
  std::string error() const;
  // Stuck at a message it could not apply (atomic: for every call).
  bool stuck() const { return stuck_.load(); }
  // The stream was recreated or lost below what this replica applied.
  bool diverged() const { return diverged_.load(); }
  absl::StatusOr<uint64_t> Head() const;
  const std::string& name() const { return name_; }
  // This replica's subject tail (its id).
  const std::string& replica_subject() const { return replica_id_; }

  // The consumer callback.
  void Deliver(StreamMessage msg);

 private:
  SharedStream(NatsClient* nats, std::string name, std::string replica_id,
               absl::Duration ack_timeout)
      : nats_(nats),
        name_(std::move(name)),
        replica_id_(std::move(replica_id)),
        ack_timeout_(ack_timeout) {}
  absl::Status Subscribe();
  void WatchLoop();
  // The stream's head is below the position this replica applied: it was
  // recreated or lost, and its new messages would be taken for ones
  // already applied. Stuck for good (error() says so), until restarted.
  void Diverged(uint64_t head, uint64_t applied);

  NatsClient* const nats_;
  const std::string name_;
  const std::string replica_id_;
  const absl::Duration ack_timeout_;
  jsCtx* js_ = nullptr;
  Apply apply_;
  mutable absl::Mutex mu_;
  std::string error_ ABSL_GUARDED_BY(mu_);
  bool failed_ ABSL_GUARDED_BY(mu_) = false;  // skip deliveries until resubscribed
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex sub_mu_;
  natsSubscription* sub_ ABSL_GUARDED_BY(sub_mu_) = nullptr;
  std::atomic<uint64_t> consumed_{0};
  std::atomic<uint64_t> start_head_{0};
  std::atomic<bool> started_{false};
  std::atomic<bool> stuck_{false};     // error_ is set
  std::atomic<bool> diverged_{false};  // the stream is behind what was applied
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> msg_counter_{0};
  std::thread watcher_;
};

}  // namespace exportscreen::cluster

#endif  // EXPORTSCREEN_SERVICES_CLUSTER_SHARED_STREAM_H_
