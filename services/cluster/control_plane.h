// Cluster mode (issue 17): activation as a compare-and-set on the `control`
// KV bucket, and each replica's state in the `replicas` bucket.
//
// Key "active" of `control` holds a v1.ClusterControl: the activation
// stack, the active pair on top. Update() is a compare-and-set on the key's
// revision (retried when another replica changed it meanwhile). Every
// replica watches the key and applies each new revision (the `apply`
// callback: fetch what it lacks, build, swap); a revision that fails to
// apply is retried every second while the replica keeps serving its last
// complete pair. Every replica puts its v1.ReplicaStatus under its id in
// `replicas` every heartbeat and right after each apply; the bucket's TTL
// drops a replica that stopped. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_CLUSTER_CONTROL_PLANE_H_
#define EXPORTSCREEN_SERVICES_CLUSTER_CONTROL_PLANE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "exportscreen/v1/cluster.pb.h"
#include "services/cluster/nats_client.h"

typedef struct __kvWatcher kvWatcher;

namespace exportscreen::cluster {

struct ControlOptions {
  std::string replica_id;
  int replicas = 1;  // R of the buckets it creates
  absl::Duration heartbeat = absl::Seconds(1);
  // A replica whose heartbeat is older is not live (not waited for).
  absl::Duration live_within = absl::Seconds(3);
  absl::Duration bucket_ttl = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(15);
};

class ControlPlane {
 public:
  using Apply = std::function<absl::Status(const v1::ClusterControl& control, uint64_t revision)>;
  // The replica's status (address, versions, health, log positions); the
  // plane adds its id, control revisions, apply error and the time.
  using Report = std::function<v1::ReplicaStatus()>;
  // `next` maps the current value (`exists` false: no key yet) to the new
  // one, or nullopt to leave it as it is.
  using Next = std::function<absl::StatusOr<std::optional<v1::ClusterControl>>(
      const v1::ClusterControl& current, bool exists)>;

  // Binds (creating if missing) both buckets. `nats` outlives the plane.
  static absl::StatusOr<std::unique_ptr<ControlPlane>> Open(NatsClient* nats,
                                                            ControlOptions options);
  ~ControlPlane();

  // Compare-and-set of key "active". Returns the value now stored and its
  // revision (0 if the key still does not exist).
  absl::StatusOr<std::pair<v1::ClusterControl, uint64_t>> Update(const Next& next);
  // Starts the watcher (applying each new revision) and the heartbeat.
  void Start(Apply apply, Report report);

  // Live replicas (heartbeat within live_within), by id.
  absl::StatusOr<std::vector<v1::ReplicaStatus>> LiveReplicas() const;
  // Waits until every live replica serves `active`'s pair at `revision` or
  // later. DEADLINE_EXCEEDED naming the replicas that do not (and what they
  // serve) after `timeout`.
  absl::Status WaitAllServing(const v1::ActiveVersions& active, uint64_t revision,
                              absl::Duration timeout) const;
  absl::StatusOr<v1::ClusterStatus> Status() const;

  uint64_t applied_revision() const { return applied_.load(); }
  uint64_t seen_revision() const { return seen_.load(); }
  std::string apply_error() const;
  // Puts this replica's status now (also done every heartbeat).
  void Heartbeat();

 private:
  ControlPlane(NatsClient* nats, ControlOptions options)
      : nats_(nats), options_(std::move(options)) {}
  absl::StatusOr<std::optional<std::pair<v1::ClusterControl, uint64_t>>> Get() const;
  void WatchLoop();
  void HeartbeatLoop();
  void ApplyLatest(const v1::ClusterControl& control, uint64_t revision);

  NatsClient* const nats_;
  const ControlOptions options_;
  kvStore* control_ = nullptr;
  kvStore* replicas_ = nullptr;
  Apply apply_;
  Report report_;
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> seen_{0};
  mutable absl::Mutex mu_;
  std::string apply_error_ ABSL_GUARDED_BY(mu_);
  absl::Mutex apply_mu_;  // one apply at a time (watcher and poll)
  absl::Notification stop_;
  std::thread watcher_;
  std::thread heartbeat_;
};

}  // namespace exportscreen::cluster

#endif  // EXPORTSCREEN_SERVICES_CLUSTER_CONTROL_PLANE_H_
