// Cluster mode (issue 17): list versions and rule sets shared through the
// JetStream stream `versions` (subjects "versions.list.<id>" and
// "versions.rules.<id>", chunked and digest-checked: version_chunks.h).
//
// The version stores of a replica are wrapped: storing a version stores it
// in the local RocksDB store and publishes it (with ack) unless the stream
// holds it already; reading a version the local store lacks waits, bounded,
// until the consumer has read the stream as far as it reached when asked
// (the fetch from the log), then reads again. The consumer stores every
// version of the stream in the local store (idempotent by content id), after
// checking its digest and that the content gives its id. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_CLUSTER_VERSION_LOG_H_
#define EXPORTSCREEN_SERVICES_CLUSTER_VERSION_LOG_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/cluster/nats_client.h"
#include "services/cluster/version_chunks.h"
#include "services/store/version_store.h"

namespace exportscreen::cluster {

class VersionLog {
 public:
  // Creates the stream if missing (retrying while JetStream elects its
  // leaders, up to `connect_timeout`). `nats` outlives the log.
  static absl::StatusOr<std::unique_ptr<VersionLog>> Open(
      NatsClient* nats, int stream_replicas, absl::Duration fetch_timeout,
      absl::Duration connect_timeout, std::unique_ptr<store::ListVersionStore> lists,
      std::unique_ptr<store::RuleSetStore> rule_sets);
  ~VersionLog();

  // The wrapped stores, for EntityStore::WrapVersionStores.
  std::unique_ptr<store::ListVersionStore> NewListStore();
  std::unique_ptr<store::RuleSetStore> NewRuleSetStore();

  // Subscribes to the stream from its start (after the replica's own
  // start-up, which may seed an empty store). Resubscribes when stalled.
  absl::Status StartConsumer();
  // Publishes the versions unless the stream holds them (before an
  // activation names them). UNAVAILABLE if the log does not acknowledge.
  absl::Status EnsurePublished(const std::string& rule_set_version,
                               const std::string& list_version);
  uint64_t consumed() const { return consumed_.load(); }
  // The stream's last sequence.
  absl::StatusOr<uint64_t> Head() const;
  // Versions refused by the consumer (digest or id mismatch).
  uint64_t refused() const { return refused_.load(); }

  // The consumer callback (one message of the stream).
  void Consume(const VersionChunk& chunk, uint64_t stream_sequence);

  // For the wrappers.
  store::ListVersionStore& local_lists() const { return *lists_; }
  store::RuleSetStore& local_rule_sets() const { return *rule_sets_; }
  absl::Status PublishList(const store::ListVersionData& data);
  absl::Status PublishRuleSet(const v1::StoredRuleSet& rule_set);
  // Waits (bounded) until the consumer reached the stream's head as of now.
  // False if the stream cannot be asked or the wait timed out.
  bool CatchUp() const;

 private:
  VersionLog(NatsClient* nats, absl::Duration fetch_timeout,
             std::unique_ptr<store::ListVersionStore> lists,
             std::unique_ptr<store::RuleSetStore> rule_sets);
  absl::StatusOr<bool> InStream(absl::string_view kind, absl::string_view id) const;
  absl::Status Publish(absl::string_view kind, absl::string_view id, absl::string_view content);
  void StoreComplete(const std::string& kind, const std::string& id, const std::string& content)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the local store holds the version (versions never go away, so
  // what was found once is remembered).
  bool HaveLocally(const std::string& kind, const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Subscribe();
  void WatchLoop();

  NatsClient* const nats_;
  const absl::Duration fetch_timeout_;
  std::unique_ptr<store::ListVersionStore> lists_;
  std::unique_ptr<store::RuleSetStore> rule_sets_;
  jsCtx* js_ = nullptr;
  absl::Mutex mu_;  // the consumer's state
  VersionAssembler assembler_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> known_ ABSL_GUARDED_BY(mu_);
  absl::Mutex sub_mu_;
  natsSubscription* sub_ ABSL_GUARDED_BY(sub_mu_) = nullptr;
  std::atomic<uint64_t> consumed_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> started_{false};
  std::thread watcher_;
};

}  // namespace exportscreen::cluster

#endif  // EXPORTSCREEN_SERVICES_CLUSTER_VERSION_LOG_H_
