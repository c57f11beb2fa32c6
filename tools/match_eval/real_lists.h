// Loads every real public list in shared/data/lists with the store's
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
};

// Loads the lists under `lists_dir` (e.g. ES_SHARED_DIR "/data/lists").
// A source that fails to load is reported and skipped; errors only if
// nothing loads.
absl::StatusOr<RealLists> LoadRealLists(const std::string& lists_dir);

}  // namespace exportscreen::tools

#endif  // EXPORTSCREEN_TOOLS_MATCH_EVAL_REAL_LISTS_H_
