// Request validation at the API edge: every problem becomes
// INVALID_ARGUMENT naming the field ("parties[1].name: is empty") and
// carrying a v1.BadRequest payload (kBadRequestPayloadUrl) with all field
// violations. Normalises harmless variations (country-code case, surrounding
// whitespace) in place. Thread-safe (stateless).
#ifndef EXPORTSCREEN_SERVICES_API_REQUEST_VALIDATOR_H_
#define EXPORTSCREEN_SERVICES_API_REQUEST_VALIDATOR_H_

#include "absl/status/status.h"
#include "exportscreen/v1/screening.pb.h"

namespace exportscreen::api {

inline constexpr char kBadRequestPayloadUrl[] =
    "type.googleapis.com/exportscreen.v1.BadRequest";

// Limits (documented in the README).
inline constexpr size_t kMaxNameBytes = 4096;
inline constexpr int kMaxParties = 100;
inline constexpr int kMaxAliases = 50;
inline constexpr int kMaxItems = 1000;
inline constexpr int kMaxSerialsPerItem = 100000;

// Normalises and validates `request`. OK or INVALID_ARGUMENT.
absl::Status NormalizeAndValidate(v1::ScreenRequest* request);

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_REQUEST_VALIDATOR_H_
