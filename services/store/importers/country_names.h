// Country-name table: English country names as printed by OFAC (add.csv,
// remarks), the UN consolidated XML and BIS files, mapped to ISO 3166-1
// alpha-2 codes. Immutable static data: thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_IMPORTERS_COUNTRY_NAMES_H_
#define EXPORTSCREEN_SERVICES_STORE_IMPORTERS_COUNTRY_NAMES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace exportscreen::store::importers {

// Lower-cases ASCII letters and turns every run of ASCII punctuation or
// space into one space ("Korea, North" -> "korea north"). Non-ASCII bytes
// are kept as they are.
std::string NormalizeCountryKey(absl::string_view name);

// Looks `name` up. Returns true if it is known; `*code` is then the ISO
// alpha-2 code, or "" for a known region that is not one country (e.g.
// "Region: Jammu and Kashmir", "undetermined"). Returns false if unknown.
bool LookupCountryName(absl::string_view name, std::string* code);

// True if `code` is two ASCII upper-case letters.
bool IsIsoAlpha2(absl::string_view code);

// True if `code` is an ISO alpha-2 code of the table (assigned codes plus
// XK Kosovo and the retired AN, CS, SU, YU).
bool IsKnownCountryCode(absl::string_view code);

// True for the two-letter postal codes of US states, DC and territories.
bool IsUsStateCode(absl::string_view code);

}  // namespace exportscreen::store::importers

#endif  // EXPORTSCREEN_SERVICES_STORE_IMPORTERS_COUNTRY_NAMES_H_
