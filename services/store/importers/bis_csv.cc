// "bis_csv": the BIS lists CSV of 2026-07-31 (EL, DPL, UVL, MEU), columns
// list, entity_number, name, type, alt_names, address_countries_iso2,
// license_requirement, license_policy, el_footnotes_parsed, programs,
// federal_register_notice. entity_number is empty in the real file, so the
// source id is a digest of list + name + countries, made unique with -2, -3
// suffixes in file order.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/store/importers/country_names.h"
#include "services/common/csv_reader.h"
#include "services/store/importers/formats.h"
#include "services/store/importers/name_parts.h"

namespace exportscreen::store::importers {
namespace {

enum Col {
  kList = 0,
  kEntityNumber,
  kName,
  kType,
  kAltNames,
  kCountries,
  kLicenseRequirement,
  kLicensePolicy,
  kFootnotes,
  kPrograms,
  kFrNotice,
  kColumnCount
};

const std::vector<absl::string_view>& Header() {
  static const auto* header = new std::vector<absl::string_view>{"list",
                                                                 "entity_number",
                                                                 "name",
                                                                 "type",
                                                                 "alt_names",
                                                                 "address_countries_iso2",
                                                                 "license_requirement",
                                                                 "license_policy",
                                                                 "el_footnotes_parsed",
                                                                 "programs",
                                                                 "federal_register_notice"};
  return *header;
}

v1::EntityType TypeOf(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t == "individual" || t == "person") return v1::ENTITY_TYPE_PERSON;
  if (t == "entity" || t == "organization") {
    return v1::ENTITY_TYPE_ORGANIZATION;
  }
  if (t == "vessel") return v1::ENTITY_TYPE_VESSEL;
  if (t == "aircraft") return v1::ENTITY_TYPE_AIRCRAFT;
  return v1::ENTITY_TYPE_UNSPECIFIED;
}

bool IsListCode(absl::string_view code) {
  if (code.empty() || code.size() > 16) return false;
  for (char c : code) {
    if (!(absl::ascii_isupper(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ParseBisCsvFile(const ImportInput& file, ImportSink* sink) {
  HeadedCsvReader reader(file, ',', Header(), "bis_csv");
  CsvRecord rec;
  while (reader.Next(&rec, sink)) {
    const auto& f = rec.fields;
    v1::ListedEntity e;
    const std::string list = AsciiUpper(CleanText(f[kList]));
    if (!IsListCode(list)) {
      sink->Reject(file.name, rec.line, absl::StrCat("invalid list code \"", f[kList], "\""));
      continue;
    }
    e.set_primary_name(CleanText(f[kName]));
    if (e.primary_name().empty()) {
      sink->Reject(file.name, rec.line, "empty name");
      continue;
    }
    e.set_list(list);
    e.set_type(TypeOf(f[kType]));
    for (const std::string& alt : SplitList(f[kAltNames], ';')) {
      AddAlias(&e, alt, v1::ALIAS_STRENGTH_STRONG, "aka");
    }
    AddDerivedAliases(&e);
    const std::vector<std::string> countries = SplitList(f[kCountries], ';');
    for (const std::string& c : countries) {
      // ISO codes, and a few names ("TURKIYE", "PRC", "CRIMEA (OCCUPIED)").
      std::string code = AsciiUpper(c);
      if (!IsIsoAlpha2(code) && !LookupCountryName(c, &code)) code.clear();
      if (IsIsoAlpha2(code)) {
        e.add_countries(code);
        e.add_addresses()->set_country(code);
      } else {
        sink->Warn(file.name, rec.line, absl::StrCat("not an ISO country code: \"", c, "\""));
      }
    }
    e.set_license_requirement(CleanText(f[kLicenseRequirement]));
    e.set_license_policy(CleanText(f[kLicensePolicy]));
    const std::vector<std::string> notes = SplitList(f[kFootnotes], ';');
    for (const std::string& n : notes) {
      int v = 0;
      if (absl::SimpleAtoi(n, &v) && v >= 1 && v <= 9) {
        e.add_el_footnotes(v);
      } else {
        sink->Warn(file.name, rec.line, absl::StrCat("bad footnote \"", n, "\""));
      }
    }
    if (notes.empty() && list == "EL") {
      for (int v : ParseElFootnotes(e.license_requirement())) {
        e.add_el_footnotes(v);
      }
    }
    for (const std::string& p : SplitList(f[kPrograms], ';')) {
      e.add_programs(p);
    }
    for (std::string& c : ParseFrCitations(f[kFrNotice])) {
      e.add_federal_register_citations(std::move(c));
    }
    const std::string number = CleanText(f[kEntityNumber]);
    if (!number.empty()) {
      e.set_source_id(number);
    } else {
      std::string joined;
      for (const std::string& c : countries) absl::StrAppend(&joined, c, ";");
      e.set_source_id(sink->UniqueDigestId(list, StableDigest({list, e.primary_name(), joined})));
    }
    e.set_source_file(file.name);
    e.set_source_line(rec.line);
    sink->AddEntity(std::move(e));
  }
  if (!reader.status().ok()) return reader.status();
  if (!reader.header_seen()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.name, " is empty; ", ExpectedHeaderText(Header())));
  }
  return absl::OkStatus();
}

}  // namespace exportscreen::store::importers
