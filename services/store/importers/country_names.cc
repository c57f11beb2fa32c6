// The importers' view of the one country table (services/common/countries.h).
#include "services/store/importers/country_names.h"

#include "services/common/countries.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>

namespace exportscreen::store::importers {

std::string NormalizeCountryKey(absl::string_view name) { return countries::NormalizeKey(name); }

bool LookupCountryName(absl::string_view name, std::string* code) {
  return countries::LookupName(name, code);
}

bool IsKnownCountryCode(absl::string_view code) {
  return IsIsoAlpha2(code) && countries::IsKnownCode(code);
}

bool IsUsStateCode(absl::string_view code) {
  static constexpr absl::string_view kStates[] = {
      "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
      "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
      "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
      "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP"};
  for (absl::string_view s : kStates) {
    if (code == s) return true;
  }
  return false;
}

bool IsIsoAlpha2(absl::string_view code) {
  if (code.size() != 2) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

}  // namespace exportscreen::store::importers
