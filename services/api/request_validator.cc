#include "services/api/request_validator.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "exportscreen/v1/status.pb.h"
#include "services/api/iso_countries.h"
#include "services/common/clock.h"

namespace exportscreen::api {
namespace {

class Violations {
 public:
  void Add(std::string field, std::string description) {
    auto* v = bad_request_.add_field_violations();
    v->set_field(std::move(field));
    v->set_description(std::move(description));
  }
  absl::Status ToStatus() const {
    if (bad_request_.field_violations().empty()) return absl::OkStatus();
    std::vector<std::string> parts;
    for (const auto& v : bad_request_.field_violations()) {
      parts.push_back(absl::StrCat(v.field(), ": ", v.description()));
    }
    absl::Status status =
        absl::InvalidArgumentError(absl::StrJoin(parts, "; "));
    status.SetPayload(kBadRequestPayloadUrl,
                      absl::Cord(bad_request_.SerializeAsString()));
    return status;
  }

 private:
  v1::BadRequest bad_request_;
};

void Trim(std::string* s) {
  absl::string_view t = absl::StripAsciiWhitespace(*s);
  if (t.size() != s->size()) *s = std::string(t);
}

// Upper-cases and checks an optional country code.
void CheckCountry(std::string* code, const std::string& field, bool required,
                  Violations* v) {
  Trim(code);
  absl::AsciiStrToUpper(code);
  if (code->empty()) {
    if (required) v->Add(field, "is required (ISO 3166-1 alpha-2, e.g. \"CN\")");
    return;
  }
  if (!IsIsoAlpha2(*code)) {
    v->Add(field, absl::StrCat("unknown country code \"", *code,
                               "\" (expected ISO 3166-1 alpha-2)"));
  }
}

void CheckName(std::string* name, const std::string& field, Violations* v) {
  Trim(name);
  if (name->empty()) {
    v->Add(field, "is empty");
  } else if (name->size() > kMaxNameBytes) {
    v->Add(field, absl::StrCat("is longer than ", kMaxNameBytes, " bytes"));
  } else {
    bool has_content = false;
    for (unsigned char c : *name) {
      if (!absl::ascii_ispunct(c) && !absl::ascii_isspace(c)) {
        has_content = true;
        break;
      }
    }
    if (!has_content) v->Add(field, "has no letters or digits");
  }
}

void CheckNumber(bool present, double value, const std::string& field,
                 Violations* v) {
  if (!present) return;
  if (!std::isfinite(value) || value < 0) {
    v->Add(field, "must be a finite number >= 0");
  }
}

}  // namespace

absl::Status NormalizeAndValidate(v1::ScreenRequest* request) {
  Violations v;
  if (request->request_id().size() > 128) {
    v.Add("request_id", "is longer than 128 characters");
  }
  CheckCountry(request->mutable_destination_country(), "destination_country",
               /*required=*/true, &v);
  CheckCountry(request->mutable_export_country(), "export_country",
               /*required=*/false, &v);
  if (!request->as_of_date().empty()) {
    absl::CivilDay day;
    if (!ParseCivilDay(request->as_of_date(), &day)) {
      v.Add("as_of_date", "must be a date YYYY-MM-DD");
    }
  }
  if (request->parties_size() == 0) {
    v.Add("parties", "at least one party is required");
  } else if (request->parties_size() > kMaxParties) {
    v.Add("parties", absl::StrCat("more than ", kMaxParties, " parties"));
  }
  for (int i = 0; i < request->parties_size() && i < kMaxParties; ++i) {
    v1::Party* p = request->mutable_parties(i);
    const std::string f = absl::StrCat("parties[", i, "]");
    CheckName(p->mutable_name(), f + ".name", &v);
    if (p->aliases_size() > kMaxAliases) {
      v.Add(f + ".aliases", absl::StrCat("more than ", kMaxAliases, " aliases"));
    }
    for (int a = 0; a < p->aliases_size() && a < kMaxAliases; ++a) {
      CheckName(p->mutable_aliases(a), absl::StrCat(f, ".aliases[", a, "]"), &v);
    }
    CheckCountry(p->mutable_country(), f + ".country", false, &v);
    CheckCountry(p->mutable_address()->mutable_country(), f + ".address.country",
                 false, &v);
    CheckCountry(p->mutable_headquarters_country(), f + ".headquarters_country",
                 false, &v);
    CheckCountry(p->mutable_ultimate_parent_country(),
                 f + ".ultimate_parent_country", false, &v);
    if (p->country().empty() && !p->address().country().empty()) {
      p->set_country(p->address().country());
    }
  }
  if (request->items_size() > kMaxItems) {
    v.Add("items", absl::StrCat("more than ", kMaxItems, " items"));
  }
  for (int i = 0; i < request->items_size() && i < kMaxItems; ++i) {
    v1::Item* it = request->mutable_items(i);
    const std::string f = absl::StrCat("items[", i, "]");
    Trim(it->mutable_part_number());
    Trim(it->mutable_declared_eccn());
    if (it->quantity() < 0) v.Add(f + ".quantity", "must be >= 0");
    CheckNumber(it->has_tpp(), it->tpp(), f + ".tpp", &v);
    CheckNumber(it->has_performance_density(), it->performance_density(),
                f + ".performance_density", &v);
    CheckNumber(it->has_die_area_mm2(), it->die_area_mm2(), f + ".die_area_mm2",
                &v);
    CheckNumber(it->has_memory_bandwidth_gbps(), it->memory_bandwidth_gbps(),
                f + ".memory_bandwidth_gbps", &v);
    CheckNumber(true, it->unit_value_usd(), f + ".unit_value_usd", &v);
    for (const auto& [name, value] : it->parameters()) {
      if (!std::isfinite(value)) {
        v.Add(absl::StrCat(f, ".parameters[", name, "]"), "must be finite");
      }
    }
    if (it->serial_numbers_size() > kMaxSerialsPerItem) {
      v.Add(f + ".serial_numbers",
            absl::StrCat("more than ", kMaxSerialsPerItem, " serial numbers"));
    }
  }
  return v.ToStatus();
}

}  // namespace exportscreen::api
