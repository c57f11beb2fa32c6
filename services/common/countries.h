// The one country table of the service: ISO 3166-1 alpha-2 codes and
// English names, generated at build time from Debian's iso-codes
// (iso_3166-1.json), plus data kept in the repository
// (rules/country_spellings.tsv): the spellings the screening lists print
// that are not ISO names, and the codes they use that ISO does not assign
// (XK Kosovo; the retired AN, CS, SU, YU). Data, not policy: which
// countries are restricted lives in rules/. Immutable: thread-safe.
#ifndef EXPORTSCREEN_SERVICES_COMMON_COUNTRIES_H_
#define EXPORTSCREEN_SERVICES_COMMON_COUNTRIES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace exportscreen::countries {

// True if `code` is an ISO-assigned alpha-2 code, or XK (which the lists
// use for Kosovo), in upper case.
bool IsAssignedAlpha2(absl::string_view code);

// True if `code` is a code of the table: the assigned ones, XK and the
// retired codes the lists still print.
bool IsKnownCode(absl::string_view code);

// Lower-cases ASCII letters and turns every run of ASCII punctuation or
// space into one space ("Korea, North" -> "korea north"). Non-ASCII bytes
// are kept as they are.
std::string NormalizeKey(absl::string_view name);

// Looks a country name up (ISO name, official or common name, or a list
// spelling). True if known; `*code` is then its code, or "" for a known
// region that is not one country. False if unknown.
bool LookupName(absl::string_view name, std::string* code);

}  // namespace exportscreen::countries

#endif  // EXPORTSCREEN_SERVICES_COMMON_COUNTRIES_H_
