// Loads every real public list in a lists folder (by default the
// repository's snapshot, seeds/lists/, = ES_LISTS_DIR) with the store's
// importers and converts the entities to matching::IndexEntity, for the
// evaluation tool and the matching benchmarks. Not used by the service.
// Thread-compatible (plain functions over files).
#ifndef EXPORTSCREEN_TOOLS_MATCH_EVAL_REAL_LISTS_H_
#define EXPORTSCREEN_TOOLS_MATCH_EVAL_REAL_LISTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/matching/name_index.h"

namespace exportscreen::tools {

struct RealLists {
  // Ordinal i is entities[i]; list[i] is its list code ("EL", "SDN" ...).
  std::vector<matching::IndexEntity> entities;
  std::vector<std::string> list;
  // One line per loaded source: "format file: N entities, M rejected".
  std::vector<std::string> report;
  // Sources skipped because a file is missing or does not parse; callers
  // that evaluate (match_eval --check) treat any as a failure.
  int skipped_sources = 0;
};

// Loads the lists under `lists_dir` (e.g. ES_LISTS_DIR). A source that
// fails to load is reported, counted in skipped_sources and skipped; errors
// only if nothing loads.
absl::StatusOr<RealLists> LoadRealLists(const std::string& lists_dir);

}  // namespace exportscreen::tools

#endif  // EXPORTSCREEN_TOOLS_MATCH_EVAL_REAL_LISTS_H_
