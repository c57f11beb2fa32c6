// ISO 3166-1 alpha-2 country codes valid in requests (officially assigned,
// plus "XK" Kosovo, which screening lists use), from the one country table
// (services/common/countries.h). Data, not policy: which countries are
// restricted lives in rules/. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_API_ISO_COUNTRIES_H_
#define EXPORTSCREEN_SERVICES_API_ISO_COUNTRIES_H_

#include "absl/strings/string_view.h"

namespace exportscreen::api {

// True if `code` is an assigned alpha-2 code in upper case.
bool IsIsoAlpha2(absl::string_view code);

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_ISO_COUNTRIES_H_
