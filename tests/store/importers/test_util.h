// Helpers for the importer tests: read the real list files, find entities, run
// ParseListFiles on inline text. Thread-compatible.
#ifndef EXPORTSCREEN_TESTS_STORE_IMPORTERS_TEST_UTIL_H_
#define EXPORTSCREEN_TESTS_STORE_IMPORTERS_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/importers.h"

namespace exportscreen::store::testing {

// The real public lists: the repository's snapshot in seeds/lists/ unless
// CMake's ES_LISTS_DIR points elsewhere.
inline std::string ListsDir() { return std::string(ES_LISTS_DIR); }

// Reads a file under ListsDir(); returns false if it is missing.
inline bool ReadListFile(const std::string& relative, ImportInput* out) {
  std::ifstream in(ListsDir() + "/" + relative, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out->name = relative;
  out->content = ss.str();
  return true;
}

inline const v1::ListedEntity* FindById(const ImportResult& r, const std::string& id) {
  for (const auto& e : r.entities) {
    if (e.entity_id() == id) return &e;
  }
  return nullptr;
}

inline const v1::ListedEntity* FindByName(const ImportResult& r, const std::string& name) {
  for (const auto& e : r.entities) {
    if (e.primary_name() == name) return &e;
  }
  return nullptr;
}

inline bool HasAlias(const v1::ListedEntity& e, const std::string& name,
                     v1::AliasStrength strength) {
  for (const auto& a : e.aliases()) {
    if (a.name() == name && a.strength() == strength) return true;
  }
  return false;
}

inline std::string Reasons(const ImportResult& r) {
  std::string out;
  for (const auto& j : r.rejected) {
    out += j.file + ":" + std::to_string(j.line) + ": " + j.reason + "\n";
  }
  return out;
}

// records_read = entities + merged + rejected + skipped.
inline void ExpectAccounted(const ImportResult& r) {
  EXPECT_EQ(r.records_read, static_cast<int64_t>(r.entities.size()) + r.merged_rows +
                                static_cast<int64_t>(r.rejected.size()) + r.skipped_lines);
}

inline ImportResult MustParse(const std::string& format, std::vector<ImportInput> files) {
  auto r = ParseListFiles(format, files);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return ImportResult();
  ExpectAccounted(*r);
  return *std::move(r);
}

}  // namespace exportscreen::store::testing

#endif  // EXPORTSCREEN_TESTS_STORE_IMPORTERS_TEST_UTIL_H_
