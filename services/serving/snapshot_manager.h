// SnapshotManager: loads, builds, activates and rolls back screening
// snapshots (TensorFlow-Serving style: load the new version completely and
// check it, then swap one pointer; never zero versions once serving).
//
// A snapshot = compiled rule set + name index + in-memory list data of one
// list version + both version ids. Current() is lock-free for readers (one
// atomic shared_ptr load); requests copy the pointer once and use only that
// copy. Building happens off the request path.
//
// Bounded (issue 16): the snapshots the manager holds (active, recently
// active, recently built) stay within a memory budget. Before a build the
// manager estimates the new snapshot's bytes (entities of the list version
// times the bytes per entity measured on earlier builds); if it does not
// fit beside what is held, older snapshots are let go first, and if it
// still does not fit the build (and so the activation) is refused with
// RESOURCE_EXHAUSTED, leaving everything as it was. Snapshots let go are
// freed on the manager's retirer thread once no request holds them, never
// on a request thread.
//
// Imports (ListImporter), rule publication (RulePublisher) and dispositions
// (DispositionRegistry) are classes of their own; this one loads, activates,
// rolls back and serves.
//
// Thread-safety: all methods are thread-safe. Activations and rollbacks are
// serialised by an internal mutex; Current() never waits on it.
#ifndef EXPORTSCREEN_SERVICES_SERVING_SNAPSHOT_MANAGER_H_
#define EXPORTSCREEN_SERVICES_SERVING_SNAPSHOT_MANAGER_H_

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/cluster.pb.h"
#include "services/common/clock.h"
#include "services/engine/snapshot.h"
#include "services/serving/disposition_registry.h"
#include "services/serving/rule_publisher.h"
#include "services/store/entity_store.h"

namespace exportscreen::serving {

struct BootstrapOptions {
  // Directory of *.textproto rule files ("" = none).
  std::string rules_dir;
  // Directory with ownership.jsonl, items.jsonl and entities.jsonl ("" =
  // none). entities.jsonl (hand-written parties, a test fixture) is read
  // only when lists_dir is empty.
  std::string seeds_dir;
  // Directory with a dated snapshot of the real public lists and its
  // bootstrap.txt (lines "FORMAT FILE...", see seeds/lists/bootstrap.txt),
  // imported as the listed parties of the first list version ("" = none).
  std::string lists_dir;
  // If the store already has data and rules_dir's content differs from the
  // active rule set, publish it as a new version and activate it.
  bool reload_rules = false;
};

// Cluster mode (issue 17): the active pair of every replica is decided by a
// compare-and-set on a key they share (cluster/control_plane.h) holding the
// activation stack; each replica applies what the key says (ApplyShared).
struct SharedActivation {
  // Maps the stack stored (`exists` false: none yet) to the new one, or
  // nullopt to leave it.
  using Next = std::function<absl::StatusOr<std::optional<v1::ClusterControl>>(
      const v1::ClusterControl& current, bool exists)>;
  // Compare-and-set; returns the stack stored and its revision.
  std::function<absl::StatusOr<std::pair<v1::ClusterControl, uint64_t>>(const Next&)> update;
  // Makes sure every replica can fetch the versions (publishes them if
  // the shared log lacks them).
  std::function<absl::Status(const std::string& rule_set_version, const std::string& list_version)>
      ensure_published;
  // Waits until every live replica serves `active` at `revision` or later;
  // an error naming those that do not.
  std::function<absl::Status(const v1::ActiveVersions& active, uint64_t revision)> wait_all;
};

// The activation stack (at most kMaxActivationStack entries, the oldest
// dropped): push `active`; pop the top and every entry below it of the very
// same pair (FAILED_PRECONDITION if nothing would be left). The new top is
// the pair to serve.
inline constexpr int kMaxActivationStack = 64;
v1::ClusterControl PushActivation(const v1::ClusterControl& stack,
                                  const v1::ActiveVersions& active);
absl::StatusOr<v1::ClusterControl> PopActivation(const v1::ClusterControl& stack);

class SnapshotManager {
 public:
  // REQUIRES: store and clock outlive the manager; retained_snapshots >= 1
  // (how many recently active and recently built snapshots stay loaded for
  // rollback, replay and dry runs; each holds one list version in memory).
  // `dispositions` (may be null: then none, an empty set) is what Pin()
  // reads and Bootstrap() reloads; it must outlive the manager.
  SnapshotManager(store::EntityStore* store, Clock* clock, size_t retained_snapshots = 4,
                  DispositionRegistry* dispositions = nullptr);
  // Stops the retirer (freeing what it holds).
  ~SnapshotManager();

  // The memory budget of all snapshots held (0 = none). Set before serving.
  void set_memory_budget(size_t bytes) { memory_budget_bytes_ = bytes; }
  // Bytes of the snapshots held now (active, kept, and let go but still in
  // use by a request), and the estimate for building one of `list_version`.
  size_t HeldBytes() const;
  absl::StatusOr<size_t> EstimateBytes(const std::string& list_version) const;

  // The active snapshot, or nullptr before the first activation.
  // Why the manager is not serving (the last bootstrap or activation
  // error; empty while serving or before the first bootstrap), and the
  // warnings of the last bootstrap (e.g. a rule directory that did not
  // compile while the stored active pair kept serving).
  std::string NotServingReason() const ABSL_LOCKS_EXCLUDED(status_mu_);
  std::vector<std::string> Warnings() const ABSL_LOCKS_EXCLUDED(status_mu_);

  std::shared_ptr<const engine::ScreeningSnapshot> Current() const {
    return current_.load(std::memory_order_acquire);
  }

  // Startup. Empty store: imports the real lists of lists_dir (or, without
  // one, seeds_dir/entities.jsonl) plus the seeds' ownership links and
  // items as the first list version,
  // publishes rules_dir as the first rule set and activates both. Otherwise
  // activates the stored active versions. Errors leave the manager without
  // a snapshot (NOT_SERVING); nothing stored is changed by a failed load.
  absl::Status Bootstrap(const BootstrapOptions& options);

  // Builds (but does not activate) the snapshot of these versions.
  absl::StatusOr<std::shared_ptr<const engine::ScreeningSnapshot>> Build(
      const std::string& rule_set_version, const std::string& list_version) const;

  // As Build, but keeps the last few built snapshots (for replay and dry
  // runs of old versions) and returns the active one when it matches.
  absl::StatusOr<std::shared_ptr<const engine::ScreeningSnapshot>> CachedBuild(
      const std::string& rule_set_version, const std::string& list_version) const;

  // Re-activates the versions that were active before the current ones
  // (from the store's activation history, a stack: rollback pops, so
  // repeated rollbacks walk back through earlier activations). FAILED_PRECONDITION if there is
  // nothing to roll back to. Returns the versions now active.
  absl::StatusOr<v1::ActiveVersions> Rollback(const std::string& actor);

  // Builds, checks and atomically activates; records the active versions in
  // the store. On error the active snapshot is unchanged.
  absl::Status Activate(const std::string& rule_set_version, const std::string& list_version,
                        const std::string& actor);
  // As Activate, but only if the active pair is still (expected_rule_set,
  // expected_list): a compare-and-set. ABORTED naming the pair now active
  // otherwise, nothing changed.
  absl::Status ActivateIf(const std::string& expected_rule_set, const std::string& expected_list,
                          const std::string& rule_set_version, const std::string& list_version,
                          const std::string& actor);

  store::EntityStore* store() const { return store_; }

  // Cluster mode: Activate, ActivateIf and Rollback (and so ListImporter's
  // activations) become a compare-and-set on the shared stack and return once every live replica
  // serves the new pair (or fail naming those that do not); Bootstrap stays
  // local. Set before serving.
  void set_shared_activation(SharedActivation shared) { shared_ = std::move(shared); }
  bool shared() const { return shared_.update != nullptr; }
  // Cluster mode: serves `active` (the shared stack's top): builds it
  // (fetching versions the store lacks), records it in the local activation
  // history and swaps. On error the current snapshot keeps serving.
  absl::Status ApplyShared(const v1::ActiveVersions& active);

  // The view one evaluation sees: `snapshot` with the current location
  // evidence and dispositions, each as of one sequence (issue 16: the
  // engine reads no live feed). REQUIRES: `snapshot` outlives the view.
  engine::ScreeningView Pin(const engine::ScreeningSnapshot& snapshot) const;
  // What a stored decision saw, for replay: the location evidence of
  // `request`'s serials as it was at location sequence `sequence` (from the
  // store's history). The dispositions: serving::DispositionsAt.
  absl::StatusOr<std::shared_ptr<const engine::LocationIndex>> LocationsAt(
      const v1::ScreenRequest& request, uint64_t sequence) const;

  // Location evidence (issue 8): the live feed Pin() reads. Location ingest
  // swaps its index; no snapshot is rebuilt.
  std::shared_ptr<engine::LocationFeed> location_feed() const { return location_feed_; }

 private:
  absl::Status BootstrapOnce(const BootstrapOptions& options) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status SeedEmptyStore(const BootstrapOptions& options) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ActivateLocked(const std::string& rule_set_version, const std::string& list_version,
                              const std::string& actor, uint32_t rollback_pops = 0)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ActivateLockedImpl(const std::string& rule_set_version,
                                  const std::string& list_version, const std::string& actor,
                                  uint32_t rollback_pops) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes room for a snapshot of `list_version` within the budget (letting
  // go of kept snapshots, oldest first); RESOURCE_EXHAUSTED if it does not
  // fit beside the active one and those still in use.
  absl::Status ReserveFor(const std::string& list_version) const;
  // Hands a snapshot let go to the retirer.
  void Retire(std::shared_ptr<const engine::ScreeningSnapshot> snapshot) const;
  void RetirerLoop();
  // Cluster mode (shared_activation.cc): the compare-and-set on the shared
  // stack, then the wait for every live replica. With `expected`, only if
  // the stack's top is still that pair (ABORTED otherwise).
  absl::Status ActivateShared(const std::string& rule_set_version, const std::string& list_version,
                              const std::string& actor,
                              const std::pair<std::string, std::string>* expected = nullptr);
  absl::StatusOr<v1::ActiveVersions> RollbackShared();

  store::EntityStore* const store_;
  Clock* const clock_;
  SharedActivation shared_;
  const size_t retained_snapshots_;
  const std::shared_ptr<engine::LocationFeed> location_feed_ =
      std::make_shared<engine::LocationFeed>();
  DispositionRegistry* const dispositions_;  // may be null
  const RulePublisher publisher_;
  std::atomic<std::shared_ptr<const engine::ScreeningSnapshot>> current_;
  absl::Mutex mu_;
  mutable absl::Mutex retire_mu_;
  mutable absl::Mutex status_mu_;
  std::string not_serving_reason_ ABSL_GUARDED_BY(status_mu_);
  std::vector<std::string> warnings_ ABSL_GUARDED_BY(status_mu_);
  // Recently active snapshots, newest last (kept for fast rollback).
  mutable std::deque<std::shared_ptr<const engine::ScreeningSnapshot>> retired_
      ABSL_GUARDED_BY(retire_mu_);
  mutable absl::Mutex cache_mu_;
  mutable std::deque<std::shared_ptr<const engine::ScreeningSnapshot>> cache_
      ABSL_GUARDED_BY(cache_mu_);

  size_t memory_budget_bytes_ = 0;
  // Largest heap bytes per listed entity measured so far (estimates).
  mutable std::atomic<double> bytes_per_entity_{0};
  // Snapshots let go, freed by the retirer once only it holds them.
  mutable std::vector<std::shared_ptr<const engine::ScreeningSnapshot>> dying_
      ABSL_GUARDED_BY(retire_mu_);
  bool stopping_ ABSL_GUARDED_BY(retire_mu_) = false;
  std::thread retirer_;
};

// Converts list data into the in-memory reference data and name-index input.
std::shared_ptr<const engine::ReferenceData> MakeReferenceData(store::ListVersionData data);
std::vector<matching::IndexEntity> MakeIndexEntities(const engine::ReferenceData& data);

// Reads JSON-lines files of messages (blank and '#' lines skipped).
// INVALID_ARGUMENT naming file:line on a bad line.
absl::Status ReadJsonLines(const std::string& path,
                           const std::function<absl::Status(absl::string_view json, int line)>& fn);

// As ReadJsonLines, but a missing file is OK (nothing read).
absl::Status ReadOptionalJsonLines(
    const std::string& path,
    const std::function<absl::Status(absl::string_view json, int line)>& fn);

}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_SNAPSHOT_MANAGER_H_
