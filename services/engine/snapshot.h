// ScreeningSnapshot: everything one request needs, immutable once built and
// shared by pointer (`std::shared_ptr<const ScreeningSnapshot>`). A request
// copies the pointer once and uses only that copy, so its answer names
// exactly one rule-set version and one list version. Thread-safe (read-only).
//
// Built by services/serving from the store; consumed by ScreeningEngine.
#ifndef EXPORTSCREEN_SERVICES_ENGINE_SNAPSHOT_H_
#define EXPORTSCREEN_SERVICES_ENGINE_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "exportscreen/v1/entities.pb.h"
#include "services/engine/dispositions.h"
#include "services/engine/location_index.h"
#include "services/matching/name_index.h"
#include "services/rules/rule_set.h"

namespace exportscreen::engine {

// The list data of one list version, in memory.
struct ReferenceData {
  // Listed entities; the position is the NameIndex ordinal.
  std::vector<v1::ListedEntity> entities;
  // entity_id -> position in `entities`.
  absl::flat_hash_map<std::string, uint32_t> entity_by_id;
  // Ownership links (affiliates rule).
  std::vector<v1::OwnershipLink> ownership;
  // Item catalogue by part number (exact, as stored).
  absl::flat_hash_map<std::string, v1::CatalogItem> items_by_part;
  // Optional (added by the rules/engine module): OwnershipKey(owned_name) ->
  // positions in `ownership`. Fill with IndexOwnership(); if empty while
  // `ownership` is not, the engine scans `ownership` linearly.
  absl::flat_hash_map<std::string, std::vector<uint32_t>> ownership_by_owned;
};

// Key under which ownership links are matched to party names: ASCII
// letters and digits, lower case, everything else dropped ("Foo Co., Ltd."
// -> "foocoltd"). Deliberately simple: the affiliates rule needs the owned
// company's exact name; fuzzy matching of owners is the NameIndex's job.
std::string OwnershipKey(absl::string_view name);
// Fills data->ownership_by_owned from data->ownership.
void IndexOwnership(ReferenceData* data);

struct ScreeningSnapshot {
  std::shared_ptr<const rules::RuleSet> rules;
  std::shared_ptr<const matching::NameIndex> index;
  std::shared_ptr<const ReferenceData> data;
  std::string rule_set_version;
  std::string list_version;
  absl::Time loaded_at;
  double load_seconds = 0;
  // When the list version was created (imported); list freshness.
  absl::Time list_created_at;
  // Heap bytes held by this snapshot's own parts (name index, reference
  // data), measured when it was built; the snapshot manager's budget.
  size_t memory_bytes = 0;
};

// What one evaluation sees (issue 16): a snapshot plus the location
// evidence and the dispositions as of one sequence each, pinned by the
// caller (the API layer pins the current ones; replay pins those a stored
// decision saw). The engine reads nothing else, so it is a pure function of
// the view, the request and the date.
struct ScreeningView {
  explicit ScreeningView(const ScreeningSnapshot& s,
                         std::shared_ptr<const LocationIndex> l = nullptr,
                         std::shared_ptr<const DispositionSet> d = nullptr)
      : snapshot(s), locations(std::move(l)), dispositions(std::move(d)) {}
  const ScreeningSnapshot& snapshot;
  // The latest verified chip location per serial as of one location
  // sequence. Null: no location source at all (rules on where chips were
  // seen cannot decide: REVIEW, never CLEAR).
  std::shared_ptr<const LocationIndex> locations;
  // Analysts' false-positive dispositions as of one sequence. Null: none.
  std::shared_ptr<const DispositionSet> dispositions;
};

}  // namespace exportscreen::engine

#endif  // EXPORTSCREEN_SERVICES_ENGINE_SNAPSHOT_H_
