// SHA-256 helpers (OpenSSL). Thread-safe (stateless).
#ifndef EXPORTSCREEN_SERVICES_COMMON_DIGEST_H_
#define EXPORTSCREEN_SERVICES_COMMON_DIGEST_H_

#include <string>

#include "absl/strings/string_view.h"

namespace exportscreen {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace exportscreen

#endif  // EXPORTSCREEN_SERVICES_COMMON_DIGEST_H_
