#include "services/common/file_util.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace exportscreen {

absl::StatusOr<std::string> ReadFileToString(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  const std::string name = what.empty() ? path : absl::StrCat(what, " ", path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", name));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat("error reading ", name));
  return ss.str();
}

}  // namespace exportscreen
