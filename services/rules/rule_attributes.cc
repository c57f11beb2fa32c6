// The built-in attributes conditions may test (name, type, vocabulary, slot,
// scope, first stage, meaning) and the names the compiler prints for them.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/rules/rule_compiler.h"
#include "services/rules/rule_set.h"

namespace exportscreen::rules {
namespace compiler_internal {
namespace {

// Built-in attributes: name, type, vocabulary, slot, item scope, first stage.
struct AttrDef {
  const char* name;
  ValueType type;
  Vocab vocab;
  int slot;
  bool item;
  Stage stage;
  const char* doc;  // what it means (screenctl rules attributes, README)
};
constexpr AttrDef kBuiltins[] = {
    {"item.kind", ValueType::kSymbol, Vocab::kItemKind, slot::kKind, true, Stage::kClassification,
     "What the item is: IC, COMPUTER, HBM, SME_TOOL, SME_SUBSYSTEM, SME_UPGRADE_KIT, SOFTWARE, "
     "TECHNOLOGY, MATERIAL, OTHER."},
    {"item.tpp", ValueType::kNumber, Vocab::kNone, slot::kTpp, true, Stage::kClassification,
     "Total processing performance (request or catalogue)."},
    {"item.performance_density", ValueType::kNumber, Vocab::kNone, slot::kPerformanceDensity, true,
     Stage::kClassification,
     "TPP / applicable die area (given, or computed from item.tpp and item.die_area_mm2)."},
    {"item.die_area_mm2", ValueType::kNumber, Vocab::kNone, slot::kDieArea, true,
     Stage::kClassification, "Applicable die area in mm2."},
    {"item.memory_bandwidth_gbps", ValueType::kNumber, Vocab::kNone, slot::kMemoryBandwidth, true,
     Stage::kClassification, "DRAM/HBM bandwidth in GB/s."},
    {"item.quantity", ValueType::kNumber, Vocab::kNone, slot::kQuantity, true,
     Stage::kClassification, "Units of this line (unknown if 0)."},
    {"item.unit_value_usd", ValueType::kNumber, Vocab::kNone, slot::kUnitValue, true,
     Stage::kClassification, "Value of one unit in USD (unknown if 0)."},
    {"item.datacenter_marketed", ValueType::kBool, Vocab::kNone, slot::kDatacenter, true,
     Stage::kClassification, "Designed or marketed for data centres."},
    {"item.features", ValueType::kSet, Vocab::kFeature, slot::kFeatures, true,
     Stage::kClassification, "Declared item features (vocabulary of the rule files)."},
    {"item.declared_eccn", ValueType::kSymbol, Vocab::kEccn, slot::kDeclaredEccn, true,
     Stage::kClassification, "ECCN the exporter declared (ECCNs of the rule files)."},
    {"item.location_mismatch", ValueType::kBool, Vocab::kNone, slot::kLocationMismatch, true,
     Stage::kClassification,
     "Some serial was last reported outside the declared destination (unknown if none was "
     "reported)."},
    {"item.location_countries", ValueType::kSet, Vocab::kCountry, slot::kLocationCountries, true,
     Stage::kClassification,
     "Countries where the item's serials were last reported (Hong Kong as CN via the rule set's "
     "aliases); empty without serials; unknown if the evidence is incomplete."},
    {"item.location_groups", ValueType::kSet, Vocab::kGroup, slot::kLocationGroups, true,
     Stage::kClassification, "Country groups of item.location_countries."},
    {"item.serials_unseen", ValueType::kBool, Vocab::kNone, slot::kSerialsUnseen, true,
     Stage::kClassification,
     "Some serial was never reported by a trusted verifier (false without serials; unknown without "
     "a location feed)."},
    {"item.eccn", ValueType::kSymbol, Vocab::kEccn, slot::kEccn, true, Stage::kLicensing,
     "ECCN given by the classification rules (or the declared ECCN if none applies)."},
    {"item.eccn_tags", ValueType::kSet, Vocab::kEccnTag, slot::kEccnTags, true, Stage::kLicensing,
     "Tags of the item's ECCN (declared with the ECCNs in the rule files)."},
    {"item.license_required", ValueType::kBool, Vocab::kNone, slot::kLicenseRequired, true,
     Stage::kAfterLicensing,
     "Some licence rule or all-items party consequence requires a licence for this item."},
    {"destination.country", ValueType::kSymbol, Vocab::kCountry, slot::kDestCountry, false,
     Stage::kClassification, "Declared destination country (aliases applied)."},
    {"destination.groups", ValueType::kSet, Vocab::kGroup, slot::kDestGroups, false,
     Stage::kClassification, "Country groups of the destination."},
    {"export.country", ValueType::kSymbol, Vocab::kCountry, slot::kExportCountry, false,
     Stage::kClassification, "Country the shipment leaves from (US if not given)."},
    {"end_use.codes", ValueType::kSet, Vocab::kEndUse, slot::kEndUses, false,
     Stage::kClassification, "Declared end-use codes (vocabulary of the rule files)."},
    {"attestation.location_provided", ValueType::kBool, Vocab::kNone, slot::kLocationAttested,
     false, Stage::kClassification, "The request carries a location-verification attestation."},
    {"parties.hq_countries", ValueType::kSet, Vocab::kCountry, slot::kHqCountries, false,
     Stage::kClassification, "Headquarters and ultimate-parent countries of the parties."},
    {"parties.hq_groups", ValueType::kSet, Vocab::kGroup, slot::kHqGroups, false,
     Stage::kClassification, "Country groups of parties.hq_countries."},
    {"parties.countries", ValueType::kSet, Vocab::kCountry, slot::kPartyCountries, false,
     Stage::kClassification, "Countries of the parties (party or address country)."},
    {"parties.address_kinds", ValueType::kSet, Vocab::kAddressKind, slot::kAddressKinds, false,
     Stage::kClassification,
     "Address kinds of the parties (RESIDENTIAL, PO_BOX, FREIGHT_FORWARDER ...)."},
    {"parties.min_company_age_years", ValueType::kNumber, Vocab::kNone, slot::kMinCompanyAgeYears,
     false, Stage::kClassification,
     "Age in years of the youngest party company (from incorporated_year)."},
    {"parties.max_listed_owner_percent", ValueType::kNumber, Vocab::kNone,
     slot::kMaxListedOwnerPercent, false, Stage::kAfterLicensing,
     "Highest aggregate share listed owners hold in a party (ownership links)."},
    {"parties.any_list_hit", ValueType::kBool, Vocab::kNone, slot::kAnyListHit, false,
     Stage::kAfterLicensing, "Some party matched a listed entity."},
};

const char* VocabName(Vocab v) {
  switch (v) {
    case Vocab::kNone:
      return "";
    case Vocab::kItemKind:
      return "item kinds";
    case Vocab::kCountry:
      return "ISO 3166-1 alpha-2 countries";
    case Vocab::kGroup:
      return "country groups (country_group rules)";
    case Vocab::kEccn:
      return "ECCNs (eccn declarations)";
    case Vocab::kEccnTag:
      return "ECCN tags (vocabulary)";
    case Vocab::kFeature:
      return "item features (vocabulary)";
    case Vocab::kEndUse:
      return "end-use codes (vocabulary)";
    case Vocab::kAddressKind:
      return "address kinds";
    case Vocab::kCount:
      break;
  }
  return "";
}

}  // namespace

const char kParamPrefix[] = "item.param.";

const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kNumber:
      return "NUMBER";
    case ValueType::kBool:
      return "BOOL";
    case ValueType::kSymbol:
      return "SYMBOL";
    case ValueType::kSet:
      return "SET";
  }
  return "?";
}

const char* StageName(Stage s) {
  switch (s) {
    case Stage::kClassification:
      return "classification";
    case Stage::kLicensing:
      return "licensing";
    case Stage::kAfterLicensing:
      return "exceptions/red flags/fast path";
  }
  return "?";
}

bool ResolveBuiltinAttr(const std::string& name, ResolvedAttr* r) {
  for (const auto& b : kBuiltins) {
    if (name == b.name) {
      *r = {b.type, b.vocab, b.slot, b.item, b.stage};
      return true;
    }
  }
  return false;
}

}  // namespace compiler_internal

std::vector<AttributeInfo> BuiltinAttributes() {
  namespace ci = compiler_internal;
  std::vector<AttributeInfo> out;
  for (const auto& b : ci::kBuiltins) {
    out.push_back({b.name, ci::TypeName(b.type), ci::VocabName(b.vocab),
                   b.item ? "item" : "transaction", ci::StageName(b.stage), b.doc});
  }
  out.push_back({absl::StrCat(ci::kParamPrefix, "<name>"), ci::TypeName(ValueType::kNumber), "",
                 "item", ci::StageName(Stage::kClassification),
                 "An item parameter declared in the rule files (parameter "
                 "declarations), e.g. item.param.interconnect_gbps."});
  return out;
}

}  // namespace exportscreen::rules
