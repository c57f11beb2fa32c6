// DispositionSet: the analysts' false-positive dispositions in force, as an
// immutable lookup for the engine. A disposition dismisses a hit only while
// the screened party's name, country and address and the listed entity's
// record are exactly what the analyst saw (keys and fingerprints below);
// any change voids it. Thread-safe (immutable).
#ifndef EXPORTSCREEN_SERVICES_ENGINE_DISPOSITIONS_H_
#define EXPORTSCREEN_SERVICES_ENGINE_DISPOSITIONS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "exportscreen/v1/dispositions.pb.h"
#include "exportscreen/v1/entities.pb.h"
#include "exportscreen/v1/screening.pb.h"

namespace exportscreen::engine {

// Normalised identity of a screened party: lower-case letters and digits of
// the name, country, and address parts, "|"-separated.
std::string PartyKey(const v1::Party& party);
// SHA-256 (hex) of the listed entity's deterministic serialisation.
std::string EntityFingerprint(const v1::ListedEntity& entity);

class DispositionSet {
 public:
  // `log` is the append-only disposition log, oldest first; records with
  // sequence > `up_to_sequence` are ignored (replay of older answers).
  // Revocation records remove what they revoke.
  DispositionSet(const std::vector<v1::Disposition>& log, uint64_t up_to_sequence);

  // The disposition that dismisses `party`'s hit on `entity`, or null.
  const v1::Disposition* Find(const v1::Party& party, const v1::ListedEntity& entity) const;
  // Highest sequence included (0 if none): answers record it.
  uint64_t sequence() const { return sequence_; }
  size_t size() const { return by_key_.size(); }

 private:
  uint64_t sequence_ = 0;
  // entity_id + "\n" + party_key -> disposition.
  absl::flat_hash_map<std::string, v1::Disposition> by_key_;
};

// The dispositions in force, atomically swapped when an analyst records or
// revokes one (no snapshot rebuild), shared by the snapshots of a
// SnapshotManager. A request loads the set once and uses that copy; the
// answer names its sequence. Thread-safe.
class DispositionFeed {
 public:
  DispositionFeed()
      : current_(std::make_shared<const DispositionSet>(std::vector<v1::Disposition>(), 0)) {}
  explicit DispositionFeed(std::shared_ptr<const DispositionSet> fixed)
      : current_(std::move(fixed)) {}
  std::shared_ptr<const DispositionSet> Load() const {
    return current_.load(std::memory_order_acquire);
  }
  void Store(std::shared_ptr<const DispositionSet> set) {
    current_.store(std::move(set), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const DispositionSet>> current_;
};

}  // namespace exportscreen::engine

#endif  // EXPORTSCREEN_SERVICES_ENGINE_DISPOSITIONS_H_
