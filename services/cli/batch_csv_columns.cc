// The CSV columns of `screenctl batch` input, by what they set (shipment,
// party, item), and the merging of a shipment's rows.
#include "services/cli/batch_csv_columns.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/cli/batch_input.h"

namespace exportscreen::cli {
namespace batch_internal {
namespace {

std::vector<std::string> SplitList(absl::string_view v) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(v, ';', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

absl::Status BadValue(absl::string_view what, absl::string_view v) {
  return absl::InvalidArgumentError(absl::StrCat("not ", what, ": '", v.substr(0, 80), "'"));
}

absl::StatusOr<double> ParseDouble(absl::string_view v) {
  double d = 0;
  if (!absl::SimpleAtod(v, &d)) return BadValue("a number", v);
  return d;
}

absl::StatusOr<bool> ParseBool(absl::string_view v) {
  std::string l = absl::AsciiStrToLower(v);
  if (l == "true" || l == "yes" || l == "1" || l == "y") return true;
  if (l == "false" || l == "no" || l == "0" || l == "n") return false;
  return BadValue("true or false", v);
}

// Enum by full name or by the name without its prefix, any case.
template <typename E>
absl::StatusOr<E> ParseEnum(absl::string_view v, const std::string& prefix,
                            bool (*parse)(const std::string&, E*)) {
  std::string upper = absl::AsciiStrToUpper(v);
  E e;
  if (parse(upper, &e) || parse(prefix + upper, &e)) return e;
  return BadValue(absl::StrCat("a ", absl::AsciiStrToLower(prefix), "value"), v);
}

#define ES_STR(target, expr)           \
  [](absl::string_view v, CsvRow* r) { \
    r->expr(std::string(v));           \
    return absl::OkStatus();           \
  }
#define ES_NUM(expr)                           \
  [](absl::string_view v, CsvRow* r) {         \
    absl::StatusOr<double> d = ParseDouble(v); \
    if (!d.ok()) return d.status();            \
    r->expr(*d);                               \
    return absl::OkStatus();                   \
  }

// Columns of the shipment (the same in every row of a shipment).
void AddShipmentColumns(std::vector<Column>* columns) {
  columns->insert(
      columns->end(),
      {
          {"shipment_id", Target::kShipment,
           [](absl::string_view v, CsvRow* r) {
             r->shipment_id = std::string(v);
             r->shipment.set_request_id(std::string(v));
             return absl::OkStatus();
           }},
          {"exporter", Target::kShipment, ES_STR(s, shipment.set_exporter)},
          {"destination_country", Target::kShipment, ES_STR(s, shipment.set_destination_country)},
          {"export_country", Target::kShipment, ES_STR(s, shipment.set_export_country)},
          {"end_use_codes", Target::kShipment,
           [](absl::string_view v, CsvRow* r) {
             for (auto& c : SplitList(v)) r->shipment.add_end_use_codes(c);
             return absl::OkStatus();
           }},
          {"end_use_description", Target::kShipment, ES_STR(s, shipment.set_end_use_description)},
          {"as_of_date", Target::kShipment, ES_STR(s, shipment.set_as_of_date)},
          {"location_attested", Target::kShipment,
           [](absl::string_view v, CsvRow* r) {
             absl::StatusOr<bool> b = ParseBool(v);
             if (!b.ok()) return b.status();
             r->shipment.mutable_location_attestation()->set_provided(*b);
             return absl::OkStatus();
           }},
          {"location_verifier", Target::kShipment,
           ES_STR(s, shipment.mutable_location_attestation()->set_verifier)},
      });
}

// Columns of the row's party.
void AddPartyColumns(std::vector<Column>* columns) {
  columns->insert(
      columns->end(),
      {
          {"party_role", Target::kParty,
           [](absl::string_view v, CsvRow* r) {
             auto e = ParseEnum<v1::PartyRole>(v, "PARTY_ROLE_", v1::PartyRole_Parse);
             if (!e.ok()) return e.status();
             r->party.set_role(*e);
             return absl::OkStatus();
           }},
          {"party_name", Target::kParty, ES_STR(p, party.set_name)},
          {"party_aliases", Target::kParty,
           [](absl::string_view v, CsvRow* r) {
             for (auto& a : SplitList(v)) r->party.add_aliases(a);
             return absl::OkStatus();
           }},
          {"party_country", Target::kParty, ES_STR(p, party.set_country)},
          {"party_street", Target::kParty, ES_STR(p, party.mutable_address()->set_street)},
          {"party_city", Target::kParty, ES_STR(p, party.mutable_address()->set_city)},
          {"party_region", Target::kParty, ES_STR(p, party.mutable_address()->set_region)},
          {"party_postal_code", Target::kParty,
           ES_STR(p, party.mutable_address()->set_postal_code)},
          {"party_address_kind", Target::kParty,
           [](absl::string_view v, CsvRow* r) {
             auto e = ParseEnum<v1::AddressKind>(v, "ADDRESS_KIND_", v1::AddressKind_Parse);
             if (!e.ok()) return e.status();
             r->party.mutable_address()->set_kind(*e);
             return absl::OkStatus();
           }},
          {"party_identifiers", Target::kParty,
           [](absl::string_view v, CsvRow* r) {
             for (auto& id : SplitList(v)) {
               size_t colon = id.find(':');
               if (colon == std::string::npos || colon == 0) {
                 return BadValue("TYPE:VALUE", id);
               }
               auto* ident = r->party.add_identifiers();
               ident->set_type(id.substr(0, colon));
               ident->set_value(id.substr(colon + 1));
             }
             return absl::OkStatus();
           }},
          {"party_hq_country", Target::kParty, ES_STR(p, party.set_headquarters_country)},
          {"party_parent_name", Target::kParty, ES_STR(p, party.set_ultimate_parent_name)},
          {"party_parent_country", Target::kParty, ES_STR(p, party.set_ultimate_parent_country)},
          {"party_business_description", Target::kParty, ES_STR(p, party.set_business_description)},
          {"party_incorporated_year", Target::kParty,
           [](absl::string_view v, CsvRow* r) {
             int year = 0;
             if (!absl::SimpleAtoi(v, &year)) return BadValue("a year", v);
             r->party.set_incorporated_year(year);
             return absl::OkStatus();
           }},
      });
}

// Columns of the row's item.
void AddItemColumns(std::vector<Column>* columns) {
  columns->insert(
      columns->end(),
      {
          {"item_part_number", Target::kItem, ES_STR(i, item.set_part_number)},
          {"item_description", Target::kItem, ES_STR(i, item.set_description)},
          {"item_eccn", Target::kItem, ES_STR(i, item.set_declared_eccn)},
          {"item_kind", Target::kItem,
           [](absl::string_view v, CsvRow* r) {
             auto e = ParseEnum<v1::ItemKind>(v, "ITEM_KIND_", v1::ItemKind_Parse);
             if (!e.ok()) return e.status();
             r->item.set_kind(*e);
             return absl::OkStatus();
           }},
          {"item_tpp", Target::kItem, ES_NUM(item.set_tpp)},
          {"item_performance_density", Target::kItem, ES_NUM(item.set_performance_density)},
          {"item_die_area_mm2", Target::kItem, ES_NUM(item.set_die_area_mm2)},
          {"item_memory_bandwidth_gbps", Target::kItem, ES_NUM(item.set_memory_bandwidth_gbps)},
          {"item_datacenter_marketed", Target::kItem,
           [](absl::string_view v, CsvRow* r) {
             absl::StatusOr<bool> b = ParseBool(v);
             if (!b.ok()) return b.status();
             r->item.set_datacenter_marketed(*b);
             return absl::OkStatus();
           }},
          {"item_quantity", Target::kItem,
           [](absl::string_view v, CsvRow* r) {
             int64_t q = 0;
             if (!absl::SimpleAtoi(v, &q)) return BadValue("an integer", v);
             r->item.set_quantity(q);
             return absl::OkStatus();
           }},
          {"item_serial_numbers", Target::kItem,
           [](absl::string_view v, CsvRow* r) {
             for (auto& s : SplitList(v)) r->item.add_serial_numbers(s);
             return absl::OkStatus();
           }},
          {"item_parameters", Target::kItem,
           [](absl::string_view v, CsvRow* r) {
             for (auto& kv : SplitList(v)) {
               size_t eq = kv.find('=');
               double d = 0;
               if (eq == std::string::npos || eq == 0 || !absl::SimpleAtod(kv.substr(eq + 1), &d)) {
                 return BadValue("name=number", kv);
               }
               (*r->item.mutable_parameters())[kv.substr(0, eq)] = d;
             }
             return absl::OkStatus();
           }},
          {"item_features", Target::kItem,
           [](absl::string_view v, CsvRow* r) {
             for (auto& f : SplitList(v)) r->item.add_features(f);
             return absl::OkStatus();
           }},
          {"item_vendor", Target::kItem, ES_STR(i, item.set_vendor)},
          {"item_model", Target::kItem, ES_STR(i, item.set_model)},
          {"item_unit_value_usd", Target::kItem,
           [](absl::string_view v, CsvRow* r) {
             absl::StatusOr<double> d = ParseDouble(v);
             if (!d.ok()) return d.status();
             r->item.set_unit_value_usd(*d);
             return absl::OkStatus();
           }},
      });
}

#undef ES_STR
#undef ES_NUM

}  // namespace

const std::vector<Column>& Columns() {
  static const auto* columns = [] {
    auto* v = new std::vector<Column>;
    AddShipmentColumns(v);
    AddPartyColumns(v);
    AddItemColumns(v);
    return v;
  }();
  return *columns;
}

absl::Status MergeShipmentFields(const v1::ScreenRequest& row, v1::ScreenRequest* into) {
  auto merge = [](const std::string& name, const std::string& from,
                  std::string* to) -> absl::Status {
    if (from.empty()) return absl::OkStatus();
    if (to->empty()) {
      *to = from;
      return absl::OkStatus();
    }
    if (*to != from) {
      return absl::InvalidArgumentError(absl::StrCat("column ", name, ": '", from,
                                                     "' differs from '", *to,
                                                     "' in an earlier row of the shipment"));
    }
    return absl::OkStatus();
  };
  absl::Status s;
  s.Update(merge("exporter", row.exporter(), into->mutable_exporter()));
  s.Update(
      merge("destination_country", row.destination_country(), into->mutable_destination_country()));
  s.Update(merge("export_country", row.export_country(), into->mutable_export_country()));
  s.Update(
      merge("end_use_description", row.end_use_description(), into->mutable_end_use_description()));
  s.Update(merge("as_of_date", row.as_of_date(), into->mutable_as_of_date()));
  if (!s.ok()) return s;
  if (into->request_id().empty()) into->set_request_id(row.request_id());
  for (const auto& code : row.end_use_codes()) {
    bool seen = false;
    for (const auto& have : into->end_use_codes()) seen |= have == code;
    if (!seen) into->add_end_use_codes(code);
  }
  if (row.has_location_attestation()) {
    const auto& a = row.location_attestation();
    auto* to = into->mutable_location_attestation();
    if (a.provided()) to->set_provided(true);
    if (!a.verifier().empty()) to->set_verifier(a.verifier());
  }
  return absl::OkStatus();
}

}  // namespace batch_internal

const std::vector<std::string>& CsvColumnNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (const auto& c : batch_internal::Columns()) v->push_back(c.name);
    return v;
  }();
  return *names;
}

}  // namespace exportscreen::cli
