// Shared pieces of the list importers: text clean-up, date and citation
// parsing, stable digests, and ImportSink, which collects entities,
// rejections and warnings for one import and enforces its invariants
// (unique entity ids, every record accounted for exactly once).
//
// Free functions are thread-safe (stateless). ImportSink is
// thread-compatible: one per import.
#ifndef EXPORTSCREEN_SERVICES_STORE_IMPORTERS_IMPORT_UTIL_H_
#define EXPORTSCREEN_SERVICES_STORE_IMPORTERS_IMPORT_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/entities.pb.h"
#include "services/store/importers.h"

namespace exportscreen::store::importers {

// Returns `in` with every invalid UTF-8 sequence replaced by U+FFFD and a
// leading BOM removed. Sets `*replaced` to the number of replacements.
std::string SanitizeUtf8(absl::string_view in, int64_t* replaced);
// True if `in` is valid UTF-8 without a BOM (the fast path: no copy).
bool IsCleanUtf8(absl::string_view in);

// Trims and collapses runs of ASCII whitespace (incl. CR/LF/TAB) into one
// space.
std::string CleanText(absl::string_view in);

// OFAC writes "-0-" (often "-0- ") for null. Returns "" for that, else the
// cleaned text.
std::string OfacField(absl::string_view in);

// Splits on `sep`, cleans each item, drops empty ones.
std::vector<std::string> SplitList(absl::string_view in, char sep);

// Parses "YYYY-MM-DD" (a trailing time or zone such as "-04:00" is
// ignored) or "MM/DD/YYYY" (also M/D/YYYY) into "YYYY-MM-DD", checking that
// the day exists. Returns false otherwise.
bool ParseDate(absl::string_view in, std::string* iso);

// Federal Register citations: "84 FR 22963, 85 FR 29853" -> two items;
// "68 F.R. 38290 6/27/03 71 F.R. 38843" -> {"68 FR 38290", "71 FR 38843"}.
// Text without any "<vol> FR <page>" pattern is kept as one cleaned item per
// ','/';'-separated part.
std::vector<std::string> ParseFrCitations(absl::string_view in);

// Entity List footnote markers in licence-requirement text: a digit 1-5
// written after ")", ")," or "EAR", directly or after one space (e.g.
// "734.9(e)1", "the EAR2", "734.9(g), 3", "of the EAR) 4"), and not
// followed by another digit or "(". Sorted, unique. Agrees with the
// el_footnotes_parsed column of the 2026-07-31 BIS file on every EL row.
std::vector<int> ParseElFootnotes(absl::string_view in);

// Stable 64-bit FNV-1a digest of the parts (separated by 0x1F), as 16 hex
// digits. Same input, same id, on every platform and run.
std::string StableDigest(std::initializer_list<absl::string_view> parts);

// Upper-case ASCII copy.
std::string AsciiUpper(absl::string_view in);

// Collects one import's output. Every record read must end in exactly one
// of AddEntity (success or duplicate rejection), Merge, Reject or Skip.
class ImportSink {
 public:
  explicit ImportSink(ImportResult* result) : result_(result) {}
  ImportSink(const ImportSink&) = delete;
  ImportSink& operator=(const ImportSink&) = delete;

  // Normalises `entity` (entity_id = list:source_id, countries upper-case
  // ISO-2 and unique, aliases unique and not equal to the primary name,
  // programs and citations unique) and adds it, unless its id was already
  // added in this import: then it is a rejection naming the first line.
  // Returns the index of the entity in result->entities, or -1.
  int64_t AddEntity(v1::ListedEntity entity);
  void Reject(absl::string_view file, int64_t line, std::string reason);
  void Warn(absl::string_view file, int64_t line, std::string reason);
  void Skip() {
    ++result_->records_read;
    ++result_->skipped_lines;
  }
  void Merge() {
    ++result_->records_read;
    ++result_->merged_rows;
  }
  // A digest-based source id that is unique within `list` in this import:
  // `digest`, or `digest-2`, `digest-3` ... on collisions (deterministic:
  // depends only on the order of records).
  std::string UniqueDigestId(absl::string_view list, absl::string_view digest);

  ImportResult* result() { return result_; }
  v1::ListedEntity* entity(int64_t index) { return &result_->entities[static_cast<size_t>(index)]; }

 private:
  struct Origin {
    std::string file;
    int64_t line = 0;
  };
  ImportResult* result_;
  absl::flat_hash_map<std::string, Origin> ids_;
  absl::flat_hash_set<std::string> digest_ids_;
};

// Normalises an entity in place (see ImportSink::AddEntity). Exposed for
// formats that patch entities after adding them (OFAC alt/add rows).
void NormalizeEntity(v1::ListedEntity* entity);

// Adds an alias unless empty; kind "aka", "fka", "nka" or "".
void AddAlias(v1::ListedEntity* entity, absl::string_view name, v1::AliasStrength strength,
              absl::string_view kind);

}  // namespace exportscreen::store::importers

#endif  // EXPORTSCREEN_SERVICES_STORE_IMPORTERS_IMPORT_UTIL_H_
