// Cluster mode (issue 17): the claims of request ids for idempotent Screen
// (store/request_index.h) in JetStream KV bucket `requests`, shared by all
// replicas: created with KV create (one creator wins), replaced with KV
// update on the revision read (compare-and-set), expired by the bucket's
// TTL (= the idempotency window). Writes that must not block (a decision
// id written into its claim from the recorder's thread, a release) go
// through a thread of its own. Its own NATS connection. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_CLUSTER_KV_REQUEST_INDEX_H_
#define EXPORTSCREEN_SERVICES_CLUSTER_KV_REQUEST_INDEX_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/cluster/nats_client.h"
#include "services/store/request_index.h"

namespace exportscreen::cluster {

class KvRequestIndex : public store::RequestIndex {
 public:
  // Connects and binds to (creating if missing) the bucket. UNAVAILABLE if
  // NATS does not answer within `timeout`.
  static absl::StatusOr<std::unique_ptr<store::RequestIndex>> Open(
      const std::vector<std::string>& urls, const std::string& replica_id, int replicas,
      absl::Duration window, absl::Duration timeout);
  ~KvRequestIndex() override;

  absl::StatusOr<std::optional<Entry>> Create(const std::string& key,
                                              const store::RequestClaim& claim,
                                              uint64_t* revision) override;
  absl::StatusOr<std::optional<Entry>> Get(const std::string& key) override;
  absl::StatusOr<uint64_t> Replace(const std::string& key, const store::RequestClaim& claim,
                                   uint64_t revision) override;
  void ReplaceLater(const std::string& key, const store::RequestClaim& claim,
                    uint64_t revision) override;
  absl::Status Release(const std::string& key, uint64_t revision) override;

 private:
  struct Op {
    std::string key;
    std::optional<store::RequestClaim> claim;  // none: release
    uint64_t revision = 0;
  };
  KvRequestIndex() = default;
  void WriterLoop();

  std::unique_ptr<NatsClient> nats_;
  kvStore* kv_ = nullptr;
  absl::Mutex mu_;
  std::deque<Op> ops_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace exportscreen::cluster

#endif  // EXPORTSCREEN_SERVICES_CLUSTER_KV_REQUEST_INDEX_H_
