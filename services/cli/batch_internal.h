// Internal to services/cli: small I/O helpers shared by the parts of
// `screenctl batch` (records, checkpoint, the run). Not part of the CLI
// library's API; include only from services/cli/batch*.cc.
#ifndef EXPORTSCREEN_SERVICES_CLI_BATCH_INTERNAL_H_
#define EXPORTSCREEN_SERVICES_CLI_BATCH_INTERNAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace exportscreen::cli::batch_internal {

// Appends `s` as a JSON string literal (quoted, escaped) to *out. The
// records are flat and hot; protobuf's JSON printer is several times slower.
void AppendJsonString(std::string* out, absl::string_view s);

// Writes all of `data` to fd (retrying short writes and EINTR).
// Errors: DATA_LOSS with the errno text.
absl::Status WriteAll(int fd, absl::string_view data);

}  // namespace exportscreen::cli::batch_internal

#endif  // EXPORTSCREEN_SERVICES_CLI_BATCH_INTERNAL_H_
