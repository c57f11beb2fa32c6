#include "services/serving/snapshot_manager.h"

#include <filesystem>
#include <limits>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/crypto/digest.h"
#include <algorithm>

#include "services/common/logging.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/engine/index_entity.h"
#include "services/rules/rule_set.h"
#include "services/serving/location_ingest.h"
#include "services/serving/manager_internal.h"

namespace exportscreen::serving {

void SnapshotManager::Retire(std::shared_ptr<const engine::ScreeningSnapshot> snapshot) const {
  if (snapshot == nullptr) return;
  absl::MutexLock lock(&retire_mu_);
  dying_.push_back(std::move(snapshot));
}

void SnapshotManager::RetirerLoop() {
  static metrics::Gauge* const held = metrics::Registry::Default().GetGauge(
      "es_snapshot_held_bytes", "Heap bytes of the snapshots the manager holds");
  for (;;) {
    std::vector<std::shared_ptr<const engine::ScreeningSnapshot>> free_now;
    bool stop = false;
    {
      absl::MutexLock lock(&retire_mu_);
      retire_mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(50));
      stop = stopping_;
      // One entry per snapshot (a snapshot let go from the cache and from
      // the recently active list is handed over twice).
      std::sort(dying_.begin(), dying_.end());
      dying_.erase(std::unique(dying_.begin(), dying_.end()), dying_.end());
      // Only the retirer holds these: no request can still be using them.
      auto keep = std::partition(dying_.begin(), dying_.end(),
                                 [&](const auto& s) { return stop || s.use_count() > 1; });
      for (auto it = keep; it != dying_.end(); ++it) free_now.push_back(std::move(*it));
      dying_.erase(keep, dying_.end());
      if (stop) free_now.swap(dying_);
    }
    free_now.clear();  // the snapshots die here, on the manager's thread
    held->Set(static_cast<double>(HeldBytes()));
    if (stop) return;
  }
}

size_t SnapshotManager::HeldBytes() const {
  std::vector<const engine::ScreeningSnapshot*> seen;
  size_t bytes = 0;
  auto add = [&](const std::shared_ptr<const engine::ScreeningSnapshot>& s) {
    if (s == nullptr || std::find(seen.begin(), seen.end(), s.get()) != seen.end()) return;
    seen.push_back(s.get());
    bytes += s->memory_bytes;
  };
  add(Current());
  {
    absl::MutexLock lock(&cache_mu_);
    for (const auto& s : cache_) add(s);
  }
  {
    absl::MutexLock lock(&retire_mu_);
    for (const auto& s : retired_) add(s);
    for (const auto& s : dying_) add(s);
  }
  return bytes;
}

absl::StatusOr<size_t> SnapshotManager::EstimateBytes(const std::string& list_version) const {
  ASSIGN_OR_RETURN(auto infos, store_->lists().ListListVersions());
  int64_t entities = -1;
  for (const auto& info : infos) {
    if (info.version() == list_version) entities = info.entity_count();
  }
  if (entities < 0) return absl::NotFoundError(absl::StrCat("list version ", list_version));
  // Before any build, a conservative 4 KiB per entity (measured: ~1 KiB).
  const double per_entity = bytes_per_entity_.load() > 0 ? bytes_per_entity_.load() * 1.1 : 4096;
  return static_cast<size_t>(per_entity * static_cast<double>(entities)) + (1u << 20);
}

absl::Status SnapshotManager::ReserveFor(const std::string& list_version) const {
  if (memory_budget_bytes_ == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(const size_t need, EstimateBytes(list_version));
  auto fits = [&] { return HeldBytes() + need <= memory_budget_bytes_; };
  if (fits()) return absl::OkStatus();
  // Let go of recently built, then recently active snapshots, oldest first,
  // and give the retirer a moment to free those no request holds.
  {
    absl::MutexLock lock(&cache_mu_);
    while (!cache_.empty()) {
      Retire(std::move(cache_.front()));
      cache_.pop_front();
    }
  }
  {
    absl::MutexLock lock(&retire_mu_);
    for (auto& s : retired_) dying_.push_back(std::move(s));
    retired_.clear();
  }
  for (int i = 0; i < 40 && !fits(); ++i) absl::SleepFor(absl::Milliseconds(50));
  if (fits()) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("a snapshot of list version ", list_version, " (about ", need >> 20,
                   " MiB) does not fit the snapshot memory budget of ", memory_budget_bytes_ >> 20,
                   " MiB beside the ", HeldBytes() >> 20,
                   " MiB held by the active snapshot and those still in use; nothing was changed "
                   "(raise --snapshot_memory_budget_mb)"));
}

}  // namespace exportscreen::serving
