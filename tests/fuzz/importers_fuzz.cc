// libFuzzer target: every list importer (CSL CSV, BIS CSV, OFAC SDN with
// alt/add/comments, DPL, UN XML, entities JSONL) on arbitrary bytes. The
// first byte chooses the format (and, for OFAC, which file the bytes are).
// Invariant: no crash; a result or an error status, never both broken.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "services/store/importers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* const kFormats[] = {"csl", "bis_csv", "ofac_sdn",
                                         "dpl", "un_xml",  "entities_jsonl"};
  static const char* const kNames[] = {"consolidated.csv", "bis.csv",          "sdn.csv",
                                       "dpl.txt",          "consolidated.xml", "entities.jsonl"};
  const int f = data[0] % 6;
  std::vector<exportscreen::store::ImportInput> files;
  std::string content(reinterpret_cast<const char*>(data + 1), size - 1);
  if (f == 2 && (data[0] / 6) % 2 == 1) {
    // A primary file plus the fuzzed alt/add file.
    files.push_back(
        {"sdn.csv",
         "36,\"AEROCARIBBEAN AIRLINES\",-0-,\"CUBA\",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n"});
    files.push_back({(data[0] / 12) % 2 ? "alt.csv" : "add.csv", content});
  } else {
    files.push_back({kNames[f], content});
  }
  auto r = exportscreen::store::ParseListFiles(kFormats[f], files);
  if (r.ok()) {
    for (const auto& e : r->entities) {
      if (e.entity_id().empty()) __builtin_trap();
    }
  }
  return 0;
}
