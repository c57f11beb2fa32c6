#include "services/api/iso_countries.h"

#include "services/common/countries.h"

namespace exportscreen::api {

bool IsIsoAlpha2(absl::string_view code) { return countries::IsAssignedAlpha2(code); }

}  // namespace exportscreen::api
