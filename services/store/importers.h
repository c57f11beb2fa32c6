// Parsers for real public screening-list formats. Pure functions over file
// contents (no I/O, no RocksDB): the caller reads files and stores results.
// Thread-safe (stateless).
//
// CONTRACT used by services/serving, tools and benchmarks (keep stable):
// every input row becomes an entity or a rejection with its line number;
// nothing is silently dropped.
#ifndef EXPORTSCREEN_SERVICES_STORE_IMPORTERS_H_
#define EXPORTSCREEN_SERVICES_STORE_IMPORTERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/entities.pb.h"

namespace exportscreen::store {

struct ImportInput {
  std::string name;     // file name (base name decides the role for ofac_sdn)
  std::string content;  // raw bytes
};

struct ImportRejection {
  std::string file;
  int64_t line = 0;  // 1-based physical line where the record starts
  std::string reason;
};

struct ImportResult {
  std::vector<v1::ListedEntity> entities;
  std::vector<ImportRejection> rejected;
  // Rows read that were not data (headers, the OFAC 0x1A EOF line, blank
  // lines), counted so that rows = entities(+merged rows) + rejected + skipped.
  int64_t skipped_lines = 0;
  // Rows folded into an entity created by an earlier row: OFAC alt/add/
  // comment rows, and further address rows of the same DPL order. So
  // records read = entities + merged_rows + rejected + skipped_lines.
  int64_t merged_rows = 0;
  // Records read (rows, or XML records), whatever their fate.
  int64_t records_read = 0;
  // Problems that did not cost the row its entity (an unparsable date, an
  // unknown country name, invalid UTF-8 replaced by U+FFFD): same shape as
  // a rejection, for the import report.
  std::vector<ImportRejection> warnings;
};

// Formats:
//  "csl"            trade.gov Consolidated Screening List CSV (29 columns)
//  "bis_csv"        BIS lists CSV of 2026-07-31 (EL/DPL/UVL/MEU, footnotes)
//  "ofac_sdn"       OFAC legacy sdn.csv (+ alt.csv, add.csv, sdn_comments.csv;
//                   also the cons_*.csv non-SDN set, list code "NONSDN")
//  "dpl"            BIS Denied Persons dpl.txt (tab-separated)
//  "un_xml"         UN Security Council consolidated XML
//  "entities_jsonl" one v1.ListedEntity per line in protobuf JSON (seeds/)
// Errors: INVALID_ARGUMENT for an unknown format or a file that is not of
// the format at all (e.g. wrong header); row-level problems are rejections.
// The call is all-or-nothing: on error no partial result is returned.
//
// Row policy (all formats): wrong column count, empty name, a record cut off
// inside a quoted field, a non-numeric OFAC ent_num, an alt/add/comment row
// whose ent_num has no primary record, and a repeated entity_id (the later
// row; "duplicate id X, first at line N") are rejections. An unparsable
// optional date (start/end, LISTED_ON, Expiration_Date) or an unknown
// country name is a warning: a listed party must not disappear because of a
// typo in a secondary field. The DPL Effective_Date identifies the order,
// so a bad one rejects the row. Invalid UTF-8 is replaced by U+FFFD (one
// warning per file). File names are reduced to their base name.
// ofac_sdn: alt/add/comments files without their primary file (sdn.csv or
// cons_prim.csv) in the same call are INVALID_ARGUMENT ("no primary file").
// Implementation: services/store/importers/ (one file per format).
absl::StatusOr<ImportResult> ParseListFiles(absl::string_view format,
                                            const std::vector<ImportInput>& files);

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_IMPORTERS_H_
