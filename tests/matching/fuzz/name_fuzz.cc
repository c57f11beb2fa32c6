// libFuzzer target: normalises and matches arbitrary bytes against a small
// index. Build with clang: -DEXPORTSCREEN_BUILD_FUZZ=ON, CC=clang CXX=clang++.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/matching/name_index.h"
#include "services/matching/normalizer.h"

namespace {

using exportscreen::matching::IndexEntity;
using exportscreen::matching::NameIndex;
using exportscreen::matching::NameKind;

const NameIndex& Index() {
  static const NameIndex* index = [] {
    std::vector<IndexEntity> es;
    const char* names[] = {"Huawei Technologies Co., Ltd.",
                           "OAO Rosneft",
                           "SMITH, John William",
                           "华为技术有限公司",
                           "ООО Газпром",
                           "Sharif University of Technology",
                           "Beijing Institute No. 14",
                           "Hua Wei Trading Ltd"};
    uint32_t ord = 0;
    for (const char* n : names) {
      IndexEntity e;
      e.ordinal = ord++;
      e.primary_name = n;
      e.aliases.push_back({std::string(n) + " Intl", NameKind::kWeakAlias});
      e.countries = {"CN"};
      e.address_parts = {"Shenzhen"};
      e.identifiers = {"12345678"};
      es.push_back(std::move(e));
    }
    return NameIndex::Build(std::move(es)).value().release();
  }();
  return *index;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  exportscreen::matching::NormalizedName n;
  exportscreen::matching::NormalizeName(input, true, &n);
  if (n.tokens.size() > exportscreen::matching::kMaxTokens) __builtin_trap();
  exportscreen::matching::PartyQuery q;
  q.name = input;
  q.country = size > 2 ? input.substr(0, 2) : "";
  q.address_parts = {input.substr(0, size / 2)};
  q.identifiers = {input.substr(size / 2)};
  exportscreen::matching::MatchOptions o;
  o.min_score = size % 2 ? 0.0 : 0.8;
  auto hits = Index().Match(q, o);
  if (!hits.ok() && hits.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  if (hits.ok()) {
    for (const auto& h : *hits) {
      if (h.score < 0 || h.score > 1) __builtin_trap();
    }
  }
  return 0;
}
