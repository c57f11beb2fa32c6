// Placeholder until the importers land.
#include "services/store/importers.h"

namespace exportscreen::store {

absl::StatusOr<ImportResult> ParseListFiles(
    absl::string_view format, const std::vector<ImportInput>& files) {
  return absl::UnimplementedError("importers not built yet");
}

}  // namespace exportscreen::store
