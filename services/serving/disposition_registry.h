// DispositionRegistry: the analysts' dispositions (dismissed hits and their
// revocations) as the engine sees them. Recording appends to the store's
// log and publishes the new set at once to every evaluation that pins a
// view afterwards (no snapshot is rebuilt); replay reads the set as it was
// at a past sequence.
//
// Cluster mode (issue 17): the store's appends go through the dispositions
// stream and every replica's consumer calls Reload() after applying one, so
// every replica's next evaluation pins a set with it (in log order).
//
// Thread-safe: reloads are serialised (each publishes what the store held
// then, so the published set never goes back); Current() never waits.
#ifndef EXPORTSCREEN_SERVICES_SERVING_DISPOSITION_REGISTRY_H_
#define EXPORTSCREEN_SERVICES_SERVING_DISPOSITION_REGISTRY_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/service.pb.h"
#include "services/engine/dispositions.h"
#include "services/store/entity_store.h"

namespace exportscreen::serving {

class DispositionRegistry {
 public:
  // REQUIRES: store outlives the registry. Starts empty: call Reload().
  explicit DispositionRegistry(store::EntityStore* store) : store_(store) {}

  // Re-reads the whole log from the store and publishes it.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(mu_);
  // Appends one disposition (or a revocation) and publishes the new set.
  // Returns it as stored (with its sequence).
  absl::StatusOr<v1::Disposition> Record(v1::Disposition disposition) ABSL_LOCKS_EXCLUDED(mu_);
  // The set a new evaluation pins.
  std::shared_ptr<const engine::DispositionSet> Current() const { return feed_.Load(); }

 private:
  absl::Status ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  store::EntityStore* const store_;
  absl::Mutex mu_;
  engine::DispositionFeed feed_;
};

// The dispositions as they were at `sequence` (for replay).
absl::StatusOr<std::shared_ptr<const engine::DispositionSet>> DispositionsAt(
    const store::EntityStore& store, uint64_t sequence);

}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_DISPOSITION_REGISTRY_H_
