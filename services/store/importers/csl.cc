// "csl": the trade.gov Consolidated Screening List CSV (29 columns,
// `;`-separated multi-values). The `source` column decides the list code;
// OFAC's non-SDN sub-lists (SSI, PLC, CMIC, NS-MBS, FSE, CAP) become
// "NONSDN" with the sub-list's code added to the programs.
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/store/importers/country_names.h"
#include "services/common/csv_reader.h"
#include "services/store/importers/formats.h"
#include "services/store/importers/name_parts.h"

namespace exportscreen::store::importers {
namespace {

enum Col {
  kId = 0,
  kSource,
  kEntityNumber,
  kType,
  kPrograms,
  kName,
  kTitle,
  kAddresses,
  kFrNotice,
  kStartDate,
  kEndDate,
  kStandardOrder,
  kLicenseRequirement,
  kLicensePolicy,
  kCallSign,
  kVesselType,
  kGrossTonnage,
  kGrossRegisteredTonnage,
  kVesselFlag,
  kVesselOwner,
  kRemarks,
  kSourceListUrl,
  kAltNames,
  kCitizenships,
  kDatesOfBirth,
  kNationalities,
  kPlacesOfBirth,
  kSourceInformationUrl,
  kIds,
  kColumnCount
};

const std::vector<absl::string_view>& Header() {
  static const auto* header = new std::vector<absl::string_view>{"_id",
                                                                 "source",
                                                                 "entity_number",
                                                                 "type",
                                                                 "programs",
                                                                 "name",
                                                                 "title",
                                                                 "addresses",
                                                                 "federal_register_notice",
                                                                 "start_date",
                                                                 "end_date",
                                                                 "standard_order",
                                                                 "license_requirement",
                                                                 "license_policy",
                                                                 "call_sign",
                                                                 "vessel_type",
                                                                 "gross_tonnage",
                                                                 "gross_registered_tonnage",
                                                                 "vessel_flag",
                                                                 "vessel_owner",
                                                                 "remarks",
                                                                 "source_list_url",
                                                                 "alt_names",
                                                                 "citizenships",
                                                                 "dates_of_birth",
                                                                 "nationalities",
                                                                 "places_of_birth",
                                                                 "source_information_url",
                                                                 "ids"};
  return *header;
}

struct SourceCode {
  absl::string_view marker;  // abbreviation in parentheses in `source`
  absl::string_view list;
  absl::string_view program;  // added to programs ("" = none)
  bool bis;                   // BIS list: licence text and name parts
};

// Matched against the "(XX)" abbreviation of the source, e.g.
// "Entity List (EL) - Bureau of Industry and Security".
constexpr SourceCode kSources[] = {
    {"(EL)", "EL", "", true},
    {"(DPL)", "DPL", "", true},
    {"(UVL)", "UVL", "", true},
    {"(MEU)", "MEU", "", true},
    {"(SDN)", "SDN", "", false},
    {"(ISN)", "ISN", "", false},
    {"(DTC)", "DTC", "", false},
    {"(SSI)", "NONSDN", "SSI", false},
    {"(PLC)", "NONSDN", "PLC", false},
    {"(CMIC)", "NONSDN", "CMIC", false},
    {"(NS-MBS List)", "NONSDN", "NS-MBS", false},
    {"(NS-MBS)", "NONSDN", "NS-MBS", false},
    {"(FSE)", "NONSDN", "FSE", false},
    {"(CAP)", "NONSDN", "CAP", false},
};

const SourceCode* FindSource(absl::string_view source) {
  for (const SourceCode& s : kSources) {
    if (absl::StrContains(source, s.marker)) return &s;
  }
  return nullptr;
}

v1::EntityType TypeOf(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t == "individual") return v1::ENTITY_TYPE_PERSON;
  if (t == "entity") return v1::ENTITY_TYPE_ORGANIZATION;
  if (t == "vessel") return v1::ENTITY_TYPE_VESSEL;
  if (t == "aircraft") return v1::ENTITY_TYPE_AIRCRAFT;
  return v1::ENTITY_TYPE_UNSPECIFIED;
}

// "street, city, postal, CN": the last part is the ISO country when it is
// two upper-case letters; the rest stays together as the street text (the
// CSL joins empty parts away, so city/postal positions are not reliable).
void AddAddress(absl::string_view text, v1::ListedEntity* e) {
  std::vector<std::string> parts = SplitList(text, ',');
  if (parts.empty()) return;
  v1::Address* a = e->add_addresses();
  if (IsIsoAlpha2(parts.back())) {
    a->set_country(parts.back());
    e->add_countries(parts.back());
    parts.pop_back();
  }
  a->set_street(absl::StrJoin(parts, ", "));
}

// Identifier types of the CSL `ids` column that are facts, not identifiers.
bool IsNonIdentifier(absl::string_view type) {
  static constexpr absl::string_view kPrefixes[] = {"Gender",
                                                    "Secondary sanctions risk",
                                                    "Transactions Prohibited",
                                                    "Executive Order",
                                                    "Listing Date",
                                                    "Effective Date",
                                                    "Target Type",
                                                    "Purchase/Sales",
                                                    "Organization Established Date",
                                                    "Issuer Name",
                                                    "Additional Sanctions Information",
                                                    "Organization Type"};
  for (absl::string_view p : kPrefixes) {
    if (absl::StartsWith(type, p)) return true;
  }
  return false;
}

// "Passport, U00242309, TR; Gender, Male" -> identifiers.
void AddIdentifiers(absl::string_view text, v1::ListedEntity* e) {
  for (const std::string& item : SplitList(text, ';')) {
    std::vector<std::string> parts = SplitList(item, ',');
    if (parts.size() < 2 || IsNonIdentifier(parts[0])) continue;
    v1::Identifier* id = e->add_identifiers();
    id->set_type(parts[0]);
    if (parts.size() >= 3 && IsIsoAlpha2(parts.back())) {
      id->set_country(parts.back());
      parts.pop_back();
    }
    id->set_value(absl::StrJoin(parts.begin() + 1, parts.end(), ", "));
  }
}

void SetDate(const ImportInput& file, int64_t line, absl::string_view what, absl::string_view text,
             std::string* out, ImportSink* sink) {
  const std::string clean = CleanText(text);
  if (clean.empty()) return;
  if (!ParseDate(clean, out)) {
    sink->Warn(file.name, line, absl::StrCat("bad ", what, " \"", clean, "\" ignored"));
  }
}

// Adds the facts of `from` (another listing of the same record) to `to`.
void MergeInto(const v1::ListedEntity& from, v1::ListedEntity* to) {
  if (!absl::EqualsIgnoreCase(from.primary_name(), to->primary_name())) {
    AddAlias(to, from.primary_name(), v1::ALIAS_STRENGTH_STRONG, "aka");
  }
  for (const auto& a : from.aliases()) *to->add_aliases() = a;
  for (const auto& a : from.addresses()) *to->add_addresses() = a;
  for (const auto& c : from.countries()) to->add_countries(c);
  for (const auto& p : from.programs()) to->add_programs(p);
  for (const auto& c : from.federal_register_citations()) {
    to->add_federal_register_citations(c);
  }
  for (const auto& d : from.dates_of_birth()) to->add_dates_of_birth(d);
  for (const auto& id : from.identifiers()) *to->add_identifiers() = id;
}

}  // namespace

absl::Status ParseCslFile(const ImportInput& file, ImportSink* sink) {
  HeadedCsvReader reader(file, ',', Header(), "csl");
  CsvRecord rec;
  struct NonSdnOrigin {
    int64_t index;
    absl::string_view program;
  };
  absl::flat_hash_map<std::string, NonSdnOrigin> nonsdn;
  while (reader.Next(&rec, sink)) {
    const auto& f = rec.fields;
    const SourceCode* source = FindSource(f[kSource]);
    if (source == nullptr) {
      sink->Reject(file.name, rec.line,
                   absl::StrCat("unknown source \"", CleanText(f[kSource]), "\""));
      continue;
    }
    v1::ListedEntity e;
    e.set_primary_name(CleanText(f[kName]));
    if (e.primary_name().empty()) {
      sink->Reject(file.name, rec.line, "empty name");
      continue;
    }
    e.set_list(std::string(source->list));
    std::string id = CleanText(f[kId]);
    if (id.empty()) id = CleanText(f[kEntityNumber]);
    if (id.empty()) {
      id = sink->UniqueDigestId(source->list,
                                StableDigest({source->list, e.primary_name(), f[kAddresses]}));
    }
    e.set_source_id(id);
    e.set_type(TypeOf(f[kType]));
    for (const std::string& p : SplitList(f[kPrograms], ';')) {
      e.add_programs(p);
    }
    if (!source->program.empty()) e.add_programs(std::string(source->program));
    e.set_title(CleanText(f[kTitle]));
    for (const std::string& a : SplitList(f[kAddresses], ';')) {
      AddAddress(a, &e);
    }
    for (std::string& c : ParseFrCitations(f[kFrNotice])) {
      e.add_federal_register_citations(std::move(c));
    }
    SetDate(file, rec.line, "start_date", f[kStartDate], e.mutable_start_date(), sink);
    SetDate(file, rec.line, "end_date", f[kEndDate], e.mutable_end_date(), sink);
    e.set_license_requirement(CleanText(f[kLicenseRequirement]));
    e.set_license_policy(CleanText(f[kLicensePolicy]));
    if (e.list() == "EL") {
      for (int v : ParseElFootnotes(e.license_requirement())) {
        e.add_el_footnotes(v);
      }
    }
    const std::string call_sign = CleanText(f[kCallSign]);
    if (!call_sign.empty()) {
      v1::Identifier* cs = e.add_identifiers();
      cs->set_type("Call Sign");
      cs->set_value(call_sign);
    }
    for (const std::string& alt : SplitList(f[kAltNames], ';')) {
      AddAlias(&e, alt, v1::ALIAS_STRENGTH_STRONG, "aka");
    }
    if (source->bis) AddDerivedAliases(&e);
    for (int col : {kCitizenships, kNationalities}) {
      for (const std::string& c : SplitList(f[col], ';')) {
        const std::string code = AsciiUpper(c);
        if (IsIsoAlpha2(code)) e.add_countries(code);
      }
    }
    for (const std::string& d : SplitList(f[kDatesOfBirth], ';')) {
      e.add_dates_of_birth(d);
    }
    AddIdentifiers(f[kIds], &e);
    std::string remarks = CleanText(f[kRemarks]);
    const std::string standard_order = CleanText(f[kStandardOrder]);
    if (!standard_order.empty()) {
      absl::StrAppend(&remarks, remarks.empty() ? "" : " ", "Standard order: ", standard_order,
                      ".");
    }
    std::vector<std::string> vessel;
    for (int col :
         {kVesselType, kGrossTonnage, kGrossRegisteredTonnage, kVesselFlag, kVesselOwner}) {
      std::string v = CleanText(f[col]);
      if (!v.empty()) vessel.push_back(absl::StrCat(Header()[col], ": ", v));
    }
    if (!vessel.empty()) {
      absl::StrAppend(&remarks, remarks.empty() ? "" : " ", absl::StrJoin(vessel, "; "), ".");
    }
    e.set_remarks(std::move(remarks));
    e.set_source_file(file.name);
    e.set_source_line(rec.line);
    // The same OFAC record can sit on two non-SDN sub-lists (e.g. SSI and
    // NS-MBS, same ent_num): that is one NONSDN entity on both, so the
    // later row is merged into it (programs, names, addresses ...). A repeat
    // within the same sub-list stays a duplicate rejection.
    if (e.list() == "NONSDN") {
      auto it = nonsdn.find(e.source_id());
      if (it != nonsdn.end() && it->second.program != source->program) {
        v1::ListedEntity* first = sink->entity(it->second.index);
        MergeInto(e, first);
        NormalizeEntity(first);
        sink->Merge();
        continue;
      }
    }
    const int64_t index = sink->AddEntity(std::move(e));
    if (index >= 0 && source->list == "NONSDN") {
      nonsdn.emplace(sink->entity(index)->source_id(), NonSdnOrigin{index, source->program});
    }
  }
  if (!reader.status().ok()) return reader.status();
  if (!reader.header_seen()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.name, " is empty; ", ExpectedHeaderText(Header())));
  }
  return absl::OkStatus();
}

}  // namespace exportscreen::store::importers
