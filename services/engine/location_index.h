// LocationIndex: the latest verified location report of every chip serial,
// in memory, for the screening hot path (rf.location_mismatch). Immutable
// once built; a new index is derived per ingest batch by With(), which
// copies only a small delta map and folds it into the base when the delta
// grows past 1/8 of the base (amortised O(1) per update, two probes per
// lookup).
//
// LocationFeed: the one mutable place: an atomically swapped
// shared_ptr<const LocationIndex>, shared by every snapshot of a
// SnapshotManager, so ingest publishes new locations without rebuilding a
// snapshot (name index, rules). A request loads the index once per item
// lookup batch and uses that copy.
//
// Thread-safety: LocationIndex is read-only; LocationFeed is thread-safe.
#ifndef EXPORTSCREEN_SERVICES_ENGINE_LOCATION_INDEX_H_
#define EXPORTSCREEN_SERVICES_ENGINE_LOCATION_INDEX_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace exportscreen::engine {

// The latest report of one serial (what a finding shows).
struct ReportedLocation {
  std::string country;  // ISO alpha-2
  std::string verifier_id;
  absl::Time observed_at;
  std::string report_id;
};

class LocationIndex {
 public:
  using Map = absl::flat_hash_map<std::string, ReportedLocation>;

  LocationIndex() = default;

  // nullptr if the serial has no report.
  const ReportedLocation* Find(absl::string_view serial) const {
    if (delta_ != nullptr) {
      auto it = delta_->find(serial);
      if (it != delta_->end()) return &it->second;
    }
    if (base_ != nullptr) {
      auto it = base_->find(serial);
      if (it != base_->end()) return &it->second;
    }
    return nullptr;
  }
  bool empty() const {
    return (base_ == nullptr || base_->empty()) && (delta_ == nullptr || delta_->empty());
  }
  // Approximate (a serial in both maps counts twice).
  size_t size() const { return (base_ ? base_->size() : 0) + (delta_ ? delta_->size() : 0); }

  // The store's location sequence this index reflects (answers record it,
  // replay rebuilds the same evidence from the store's history).
  uint64_t sequence() const { return sequence_; }

  // A new index with `updates` (serial, location) applied, reflecting
  // location sequence `sequence`; the caller passes only newer observations
  // (the store decides what is latest).
  std::shared_ptr<const LocationIndex> With(
      std::vector<std::pair<std::string, ReportedLocation>> updates, uint64_t sequence = 0) const {
    auto next = std::make_shared<LocationIndex>();
    next->sequence_ = sequence;
    const size_t base_size = base_ ? base_->size() : 0;
    const size_t delta_size = (delta_ ? delta_->size() : 0) + updates.size();
    if (delta_size * 8 > base_size + 1024) {
      // Fold everything into a new base.
      auto base = base_ ? std::make_shared<Map>(*base_) : std::make_shared<Map>();
      if (delta_) {
        for (const auto& [k, v] : *delta_) (*base)[k] = v;
      }
      for (auto& [k, v] : updates) (*base)[std::move(k)] = std::move(v);
      next->base_ = std::move(base);
    } else {
      auto delta = delta_ ? std::make_shared<Map>(*delta_) : std::make_shared<Map>();
      for (auto& [k, v] : updates) (*delta)[std::move(k)] = std::move(v);
      next->base_ = base_;
      next->delta_ = std::move(delta);
    }
    return next;
  }

 private:
  std::shared_ptr<const Map> base_;
  std::shared_ptr<const Map> delta_;
  uint64_t sequence_ = 0;
};

class LocationFeed {
 public:
  LocationFeed() : current_(std::make_shared<const LocationIndex>()) {}
  std::shared_ptr<const LocationIndex> Load() const {
    return current_.load(std::memory_order_acquire);
  }
  void Store(std::shared_ptr<const LocationIndex> index) {
    current_.store(std::move(index), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const LocationIndex>> current_;
};

}  // namespace exportscreen::engine

#endif  // EXPORTSCREEN_SERVICES_ENGINE_LOCATION_INDEX_H_
