// "entities_jsonl": one v1.ListedEntity per line in protobuf JSON (the
// seeds/ format). Blank lines and lines starting with '#' are skipped.
// Unknown fields are rejected (a typo must not silently drop data).
// entity_id is recomputed from list and source_id; a different entity_id in
// the input is a rejection. source_file/source_line are set to where the
// line was read.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "services/store/importers/formats.h"

namespace exportscreen::store::importers {

absl::Status ParseEntitiesJsonlFile(const ImportInput& file, ImportSink* sink) {
  const absl::string_view content = file.content;
  size_t pos = 0;
  int64_t line_no = 0;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == absl::string_view::npos) end = content.size();
    const absl::string_view line = absl::StripAsciiWhitespace(content.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') {
      sink->Skip();
      continue;
    }
    v1::ListedEntity e;
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(line.data(), line.size()), &e, options);
    if (!status.ok()) {
      sink->Reject(file.name, line_no,
                   absl::StrCat("invalid ListedEntity JSON: ", status.ToString()));
      continue;
    }
    if (e.list().empty() || e.source_id().empty()) {
      sink->Reject(file.name, line_no, "list and source_id are required");
      continue;
    }
    if (CleanText(e.primary_name()).empty()) {
      sink->Reject(file.name, line_no, "empty primary_name");
      continue;
    }
    const std::string expected_id = absl::StrCat(e.list(), ":", e.source_id());
    if (!e.entity_id().empty() && e.entity_id() != expected_id) {
      sink->Reject(file.name, line_no,
                   absl::StrCat("entity_id \"", e.entity_id(), "\" is not list:source_id \"",
                                expected_id, "\""));
      continue;
    }
    e.set_source_file(file.name);
    e.set_source_line(line_no);
    sink->AddEntity(std::move(e));
  }
  return absl::OkStatus();
}

}  // namespace exportscreen::store::importers
