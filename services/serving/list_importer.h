// ListImporter: list updates from operators. Parses list files with the
// store's importers (or ownership links and catalogue items as JSON lines),
// derives a new list version from the active one, stores it whole or not at
// all, and optionally activates it through the SnapshotManager.
//
// Imports are serialised: each derives from the version the previous one
// activated. The activation is a compare-and-set on the active pair the
// import derived from, so an activation by someone else in between is
// never undone by an import built on older content (ABORTED instead; the
// new version stays stored and can be activated by hand).
//
// Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_SERVING_LIST_IMPORTER_H_
#define EXPORTSCREEN_SERVICES_SERVING_LIST_IMPORTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/serving/snapshot_manager.h"
#include "services/store/entity_store.h"
#include "services/store/importers.h"

namespace exportscreen::serving {

struct ImportOutcome {
  store::ImportResult parsed;
  v1::ListVersionInfo info;  // version empty on dry run
  int64_t added = 0, removed = 0, changed = 0;
  bool activated = false;
  // Records accepted (entities, ownership links or catalogue items).
  int64_t records = 0;
};

class ListImporter {
 public:
  // REQUIRES: manager, store and clock outlive the importer.
  ListImporter(SnapshotManager* manager, store::EntityStore* store, Clock* clock)
      : manager_(manager), store_(store), clock_(clock) {}

  // Parses list files and stores a new list version derived from the active
  // one (entities of the imported lists replaced if replace_lists). Formats
  // "ownership_jsonl" (v1.OwnershipLink per line) and "items_jsonl"
  // (v1.CatalogItem per line) replace (or, with replace_lists false, merge
  // into) the ownership links or the item catalogue the same way. Atomic:
  // either the whole version is stored or nothing. Optionally activates it
  // with the active rule set. A dry run stores nothing.
  absl::StatusOr<ImportOutcome> Import(absl::string_view format,
                                       const std::vector<store::ImportInput>& files,
                                       bool replace_lists, bool activate, bool dry_run,
                                       const std::string& actor) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::StatusOr<ImportOutcome> ImportReferenceData(absl::string_view format,
                                                    const std::vector<store::ImportInput>& files,
                                                    bool replace, bool activate, bool dry_run,
                                                    const std::string& actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `next` and, if asked, activates it in place of `base`.
  absl::Status StoreAndActivate(const engine::ScreeningSnapshot* base, store::ListVersionData* next,
                                bool activate, const std::string& actor, ImportOutcome* outcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  SnapshotManager* const manager_;
  store::EntityStore* const store_;
  Clock* const clock_;
  absl::Mutex mu_;
};

// Gives `data` its content-addressed id (store::ListVersionId) and stores
// it; content that is stored already is that version (its info replaces
// data's).
absl::Status StoreListVersion(store::EntityStore* store, store::ListVersionData* data);

// The first list version of an empty store, from BootstrapOptions: the real
// lists of lists_dir (bootstrap.txt), else seeds_dir/entities.jsonl, plus
// the seeds' ownership links and catalogue items. Not stored, no id yet
// (StoreListVersion gives it).
absl::StatusOr<store::ListVersionData> BuildSeedListVersion(const BootstrapOptions& options,
                                                            absl::Time now);

}  // namespace exportscreen::serving

#endif  // EXPORTSCREEN_SERVICES_SERVING_LIST_IMPORTER_H_
