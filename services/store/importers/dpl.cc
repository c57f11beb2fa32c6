// "dpl": the BIS Denied Persons List dpl.txt (tab-separated, quoted, with a
// header). One denial order can span several rows, one per address; rows
// with the same name and effective date are folded into one entity (the
// later rows count as merged_rows), whose source id is a digest of both.
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/store/importers/country_names.h"
#include "services/common/csv_reader.h"
#include "services/store/importers/formats.h"
#include "services/store/importers/name_parts.h"

namespace exportscreen::store::importers {
namespace {

enum Col {
  kName = 0,
  kStreet,
  kCity,
  kState,
  kCountry,
  kPostalCode,
  kEffectiveDate,
  kExpirationDate,
  kStandardOrder,
  kLastUpdate,
  kAction,
  kFrCitation,
  kColumnCount
};

const std::vector<absl::string_view>& Header() {
  static const auto* header = new std::vector<absl::string_view>{
      "Name",           "Street_Address", "City",           "State",
      "Country",        "Postal_Code",    "Effective_Date", "Expiration_Date",
      "Standard_Order", "Last_Update",    "Action",         "FR_Citation"};
  return *header;
}

// The address of one row. The country column holds ISO codes, sometimes a
// name ("PRC") or a US state put in the wrong column ("NM"); an empty
// country with a US state code means the US.
v1::Address MakeAddress(const std::vector<std::string>& f, const ImportInput& file, int64_t line,
                        ImportSink* sink) {
  v1::Address a;
  a.set_street(CleanText(f[kStreet]));
  a.set_city(CleanText(f[kCity]));
  a.set_region(CleanText(f[kState]));
  a.set_postal_code(CleanText(f[kPostalCode]));
  const std::string country = AsciiUpper(CleanText(f[kCountry]));
  std::string code;
  if (IsKnownCountryCode(country)) {
    a.set_country(country);
  } else if (!country.empty() && LookupCountryName(country, &code)) {
    a.set_country(code);
  } else if (IsUsStateCode(country) && a.region().empty()) {
    a.set_region(country);
    a.set_country("US");
  } else if (country.empty() && IsUsStateCode(AsciiUpper(a.region()))) {
    a.set_country("US");
  } else if (!country.empty()) {
    sink->Warn(file.name, line, absl::StrCat("unknown country \"", country, "\""));
  }
  return a;
}

}  // namespace

absl::Status ParseDplFile(const ImportInput& file, ImportSink* sink) {
  HeadedCsvReader reader(file, '\t', Header(), "dpl");
  CsvRecord rec;
  // Digest of (name, effective date) -> entity index in this import.
  absl::flat_hash_map<std::string, int64_t> orders;
  while (reader.Next(&rec, sink)) {
    const auto& f = rec.fields;
    const std::string name = CleanText(f[kName]);
    if (name.empty()) {
      sink->Reject(file.name, rec.line, "empty name");
      continue;
    }
    // The effective date identifies the order: without it the row cannot be
    // told apart from another order against the same name, so it is fatal.
    std::string effective;
    if (!ParseDate(f[kEffectiveDate], &effective)) {
      sink->Reject(file.name, rec.line,
                   absl::StrCat("bad Effective_Date \"", CleanText(f[kEffectiveDate]),
                                "\" (expected MM/DD/YYYY)"));
      continue;
    }
    const v1::Address address = MakeAddress(f, file, rec.line, sink);
    const std::string digest = StableDigest({"DPL", name, effective});
    auto it = orders.find(digest);
    if (it != orders.end()) {
      // Another address of the same order.
      v1::ListedEntity* e = sink->entity(it->second);
      *e->add_addresses() = address;
      if (!address.country().empty()) e->add_countries(address.country());
      for (std::string& c : ParseFrCitations(f[kFrCitation])) {
        e->add_federal_register_citations(std::move(c));
      }
      NormalizeEntity(e);
      sink->Merge();
      continue;
    }
    v1::ListedEntity e;
    e.set_list("DPL");
    e.set_source_id(sink->UniqueDigestId("DPL", digest));
    e.set_primary_name(name);
    AddDerivedAliases(&e);
    *e.add_addresses() = address;
    if (!address.country().empty()) e.add_countries(address.country());
    e.set_start_date(effective);
    const std::string expiration = CleanText(f[kExpirationDate]);
    if (!expiration.empty() && !ParseDate(expiration, e.mutable_end_date())) {
      sink->Warn(file.name, rec.line,
                 absl::StrCat("bad Expiration_Date \"", expiration, "\" ignored"));
    }
    for (std::string& c : ParseFrCitations(f[kFrCitation])) {
      e.add_federal_register_citations(std::move(c));
    }
    std::string remarks;
    const std::string order = CleanText(f[kStandardOrder]);
    if (!order.empty()) absl::StrAppend(&remarks, "Standard order: ", order, ".");
    const std::string action = CleanText(f[kAction]);
    if (!action.empty()) {
      absl::StrAppend(&remarks, remarks.empty() ? "" : " ", "Action: ", action, ".");
    }
    const std::string updated = CleanText(f[kLastUpdate]);
    if (!updated.empty()) {
      absl::StrAppend(&remarks, remarks.empty() ? "" : " ", "Last update: ", updated, ".");
    }
    e.set_remarks(std::move(remarks));
    e.set_source_file(file.name);
    e.set_source_line(rec.line);
    const int64_t index = sink->AddEntity(std::move(e));
    if (index >= 0) orders.emplace(digest, index);
  }
  if (!reader.status().ok()) return reader.status();
  if (!reader.header_seen()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.name, " is empty; ", ExpectedHeaderText(Header())));
  }
  return absl::OkStatus();
}

}  // namespace exportscreen::store::importers
