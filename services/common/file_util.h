// Reading whole files: the one file reader of the service. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_COMMON_FILE_UTIL_H_
#define EXPORTSCREEN_SERVICES_COMMON_FILE_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace exportscreen {

// The bytes of the file at `path`. NOT_FOUND ("cannot read <what> <path>")
// if it cannot be opened, INTERNAL if reading fails midway.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, absl::string_view what = "");

}  // namespace exportscreen

#endif  // EXPORTSCREEN_SERVICES_COMMON_FILE_UTIL_H_
