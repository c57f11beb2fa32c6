#include "services/common/countries.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace exportscreen::countries {
namespace {

#include "countries_data.h"

// The user-assigned code the lists use for Kosovo, valid in requests.
constexpr absl::string_view kKosovo = "XK";

struct Table {
  absl::flat_hash_set<std::string> assigned;  // ISO + XK
  absl::flat_hash_set<std::string> known;     // + retired codes of the lists
  absl::flat_hash_map<std::string, std::string> by_key;
};

const Table& GetTable() {
  static const Table* const table = [] {
    auto* t = new Table;
    for (const IsoCountryRow& r : kIsoRows) {
      t->assigned.insert(r.code);
      t->known.insert(r.code);
      for (const char* name : {r.name, r.official_name, r.common_name}) {
        if (*name != '\0') t->by_key.emplace(NormalizeKey(name), r.code);
      }
    }
    t->assigned.insert(std::string(kKosovo));
    for (const SpellingRow& r : kSpellingRows) {
      t->by_key.emplace(r.key, r.code);
      if (*r.code != '\0') t->known.insert(r.code);
    }
    return t;
  }();
  return *table;
}

}  // namespace

bool IsAssignedAlpha2(absl::string_view code) {
  return code.size() == 2 && GetTable().assigned.contains(code);
}

bool IsKnownCode(absl::string_view code) {
  return code.size() == 2 && GetTable().known.contains(code);
}

std::string NormalizeKey(absl::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool pending_space = false;
  for (unsigned char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c < 0x80 && !alnum) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
  }
  return out;
}

bool LookupName(absl::string_view name, std::string* code) {
  const std::string key = NormalizeKey(name);
  if (key.empty()) return false;
  const auto& by_key = GetTable().by_key;
  auto it = by_key.find(key);
  if (it == by_key.end()) return false;
  *code = it->second;
  return true;
}

}  // namespace exportscreen::countries
