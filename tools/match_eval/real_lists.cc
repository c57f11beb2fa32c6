#include "tools/match_eval/real_lists.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/engine/index_entity.h"
#include "services/store/importers.h"

namespace exportscreen::tools {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

struct Source {
  const char* format;
  std::vector<const char*> files;
};

}  // namespace

absl::StatusOr<RealLists> LoadRealLists(const std::string& lists_dir) {
  const std::vector<Source> sources = {
      {"bis_csv", {"bis_csl_2026-07-31/bis_lists_from_csl_2026-07-31.csv"}},
      {"ofac_sdn",
       {"ofac_sdn_2024-05-03/sdn.csv", "ofac_sdn_2025-12_partial/alt.csv",
        "ofac_sdn_2025-12_partial/add.csv"}},
      {"ofac_sdn",
       {"ofac_non_sdn_2025-12/cons_prim.csv", "ofac_non_sdn_2025-12/cons_alt.csv",
        "ofac_non_sdn_2025-12/cons_add.csv"}},
      {"dpl", {"bis_dpl_2023-11/dpl.txt"}},
      {"un_xml", {"un_consolidated_2026-02/UN_consolidated.xml"}},
      {"csl", {"us_csl_2023-11_truncated/csl.csv"}},
  };
  RealLists out;
  for (const Source& src : sources) {
    std::vector<store::ImportInput> inputs;
    bool missing = false;
    for (const char* f : src.files) {
      store::ImportInput in;
      in.name = absl::StrCat(lists_dir, "/", f);
      if (!ReadFile(in.name, &in.content)) {
        missing = true;
        break;
      }
      inputs.push_back(std::move(in));
    }
    std::string label = absl::StrCat(src.format, " ", src.files[0]);
    if (missing) {
      ++out.skipped_sources;
      out.report.push_back(absl::StrCat(
          label, ": missing file ",
          inputs.size() < src.files.size() ? src.files[inputs.size()] : "", ", skipped"));
      continue;
    }
    auto parsed = store::ParseListFiles(src.format, inputs);
    if (!parsed.ok()) {
      // Retry with the primary file alone (e.g. alias files of another date).
      inputs.resize(1);
      parsed = store::ParseListFiles(src.format, inputs);
    }
    if (!parsed.ok()) {
      ++out.skipped_sources;
      out.report.push_back(absl::StrCat(label, ": ", parsed.status().ToString(), ", skipped"));
      continue;
    }
    out.report.push_back(absl::StrCat(label, ": ", parsed->entities.size(), " entities, ",
                                      parsed->rejected.size(), " rejected"));
    for (const auto& e : parsed->entities) {
      matching::IndexEntity ie =
          engine::ToIndexEntity(e, static_cast<uint32_t>(out.entities.size()));
      out.entities.push_back(std::move(ie));
      out.list.push_back(e.list());
    }
  }
  if (out.entities.empty()) {
    return absl::NotFoundError(absl::StrCat("no list could be loaded from ", lists_dir));
  }
  return out;
}

}  // namespace exportscreen::tools
