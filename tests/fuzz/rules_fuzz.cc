// libFuzzer target: the rule compiler on an arbitrary rule file next to a
// small valid base. Invariant: no crash; a broken file is an error status.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "services/rules/rule_set.h"

namespace {
constexpr char kBase[] = R"pb(
country_group {
  meta { id: "cg.d5" title: "D:5" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-05-30" }
  code: "D:5" countries: ["CN", "RU"]
}
match_thresholds {
  meta { id: "thresholds" title: "t" citation: "policy" jurisdiction: "INTERNAL" effective_from: "2024-01-01" }
  review: 0.85 block: 0.95
}
coverage {
  meta { id: "coverage" title: "c" citation: "policy" jurisdiction: "INTERNAL" effective_from: "2022-10-07" }
  modelled_from: "2022-10-07"
}
eccn { eccn: "3A090.a" tags: ["ac_a"] }
vocabulary { kind: KIND_ECCN_TAG codes { code: "ac_a" } }
)pb";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::map<std::string, std::string> files = {
      {"base.textproto", kBase},
      {"fuzz.textproto", std::string(reinterpret_cast<const char*>(data), size)}};
  auto rs = exportscreen::rules::RuleSet::Compile(files);
  (void)rs;
  return 0;
}
