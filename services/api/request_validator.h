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

inline constexpr char kBadRequestPayloadUrl[] = "type.googleapis.com/exportscreen.v1.BadRequest";

// Limits (documented in the README). Every string and repeated field of a
// ScreenRequest is bounded; the whole request is bounded too (the server's
// receive limit for Screen is the same number, so a request that is
// answered can always be read back from the decision log).
inline constexpr size_t kMaxScreenRequestBytes = 1 << 20;  // 1 MiB
inline constexpr size_t kMaxNameBytes = 4096;
inline constexpr size_t kMaxShortTextBytes = 256;  // ids, codes, serials
inline constexpr size_t kMaxLongTextBytes = 8192;  // descriptions
inline constexpr int kMaxParties = 100;
inline constexpr int kMaxAliases = 50;
inline constexpr int kMaxIdentifiers = 50;
inline constexpr int kMaxItems = 1000;
inline constexpr int kMaxSerialsPerItem = 100000;
inline constexpr int kMaxCodes = 64;  // end-use codes, features, parameters
inline constexpr int kMaxReportIds = 10000;
// ScreenRequest.max_hits_per_party: 0 (the default, 10) to this many.
inline constexpr int kMaxHitsPerParty = 100;
// Longest value echoed back in an error (bytes; longer ones are cut).
inline constexpr size_t kMaxEchoBytes = 64;

// True for "EAR99" and for an ECCN of the Commerce Control List's shape:
// category digit, product group letter, three digits, then optional
// paragraph steps (".a", ".f.1.a", ".z.1"). Normalises case in place
// ("3a090.A" -> "3A090.a", "ear99" -> "EAR99").
bool NormalizeEccn(std::string* eccn);

// Normalises and validates `request`. OK or INVALID_ARGUMENT naming every
// offending field. Unknown fields (proto3 keeps them) are dropped from the
// request and its nested messages, so they are neither evaluated nor
// recorded; enum numbers outside the proto's enums are rejected.
absl::Status NormalizeAndValidate(v1::ScreenRequest* request);

// `value` quoted for an error message, cut to kMaxEchoBytes (at a UTF-8
// character boundary) with the full length said.
std::string Echo(absl::string_view value);

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_REQUEST_VALIDATOR_H_
