#include "services/api/request_validator.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "exportscreen/v1/status.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "services/api/iso_countries.h"
#include "services/common/clock.h"

namespace exportscreen::api {
namespace {

class Violations {
 public:
  void Add(std::string field, std::string description) {
    // A bounded status: the first kMaxViolations, then a count.
    if (bad_request_.field_violations_size() >= kMaxViolations) {
      ++more_;
      return;
    }
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
    if (more_ > 0) parts.push_back(absl::StrCat("and ", more_, " more"));
    absl::Status status = absl::InvalidArgumentError(absl::StrJoin(parts, "; "));
    status.SetPayload(kBadRequestPayloadUrl, absl::Cord(bad_request_.SerializeAsString()));
    return status;
  }

 private:
  static constexpr int kMaxViolations = 20;
  v1::BadRequest bad_request_;
  int more_ = 0;
};

// A field path built only when a violation is reported: the checks of a
// valid request allocate nothing for field names.
struct Field {
  Field(const char* p) : prefix(p) {}         // NOLINT: implicit
  Field(const std::string& p) : prefix(p) {}  // NOLINT: implicit
  Field(absl::string_view p, absl::string_view s) : prefix(p), suffix(s) {}
  std::string str() const { return absl::StrCat(prefix, suffix); }
  absl::string_view prefix, suffix;
};

void Trim(std::string* s) {
  absl::string_view t = absl::StripAsciiWhitespace(*s);
  if (t.size() != s->size()) *s = std::string(t);
}

// Drops the unknown fields of `m` itself (its known sub-messages are
// visited by the caller).
void DropUnknown(google::protobuf::Message* m) {
  const google::protobuf::Reflection* r = m->GetReflection();
  if (!r->GetUnknownFields(*m).empty()) r->MutableUnknownFields(m)->Clear();
}

// Upper-cases and checks an optional country code.
void CheckCountry(std::string* code, Field field, bool required, Violations* v) {
  Trim(code);
  absl::AsciiStrToUpper(code);
  if (code->empty()) {
    if (required) v->Add(field.str(), "is required (ISO 3166-1 alpha-2, e.g. \"CN\")");
    return;
  }
  if (!IsIsoAlpha2(*code)) {
    v->Add(field.str(),
           absl::StrCat("unknown country code ", Echo(*code), " (expected ISO 3166-1 alpha-2)"));
  }
}

void CheckName(std::string* name, Field field, Violations* v) {
  Trim(name);
  if (name->empty()) {
    v->Add(field.str(), "is empty");
  } else if (name->size() > kMaxNameBytes) {
    v->Add(field.str(), absl::StrCat("is longer than ", kMaxNameBytes, " bytes"));
  } else {
    bool has_content = false;
    for (unsigned char c : *name) {
      if (!absl::ascii_ispunct(c) && !absl::ascii_isspace(c)) {
        has_content = true;
        break;
      }
    }
    if (!has_content) v->Add(field.str(), "has no letters or digits");
  }
}

// A bounded free-text or code field.
void CheckLength(const std::string& value, size_t max, Field field, Violations* v) {
  if (value.size() > max) {
    v->Add(field.str(), absl::StrCat("is longer than ", max, " bytes (", value.size(), ")"));
  }
}

// A bounded repeated field.
template <typename R>
bool CheckCount(const R& repeated, int max, Field field, Violations* v) {
  if (repeated.size() > max) {
    v->Add(field.str(), absl::StrCat("more than ", max, " entries (", repeated.size(), ")"));
    return false;
  }
  return true;
}

void CheckEnum(int number, bool (*is_valid)(int), Field field, Violations* v) {
  if (!is_valid(number)) {
    v->Add(field.str(), absl::StrCat("unknown enum number ", number));
  }
}

void CheckNumber(bool present, double value, Field field, Violations* v) {
  if (!present) return;
  if (!std::isfinite(value) || value < 0) {
    v->Add(field.str(), "must be a finite number >= 0");
  }
}

}  // namespace

std::string Echo(absl::string_view value) {
  if (value.size() <= kMaxEchoBytes) return absl::StrCat("\"", value, "\"");
  size_t cut = kMaxEchoBytes;
  // Back up to the start of a UTF-8 character.
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return absl::StrCat("\"", value.substr(0, cut), "...\" (", value.size(), " bytes)");
}

bool NormalizeEccn(std::string* eccn) {
  Trim(eccn);
  std::string& e = *eccn;
  if (e.size() > 40) return false;
  if (absl::EqualsIgnoreCase(e, "EAR99")) {
    e = "EAR99";
    return true;
  }
  if (e.size() < 5) return false;
  const auto up = [](char c) { return absl::ascii_toupper(static_cast<unsigned char>(c)); };
  e[1] = up(e[1]);
  if (!absl::ascii_isdigit(static_cast<unsigned char>(e[0])) || !(e[1] >= 'A' && e[1] <= 'E') ||
      !absl::ascii_isdigit(static_cast<unsigned char>(e[2])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(e[3])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(e[4]))) {
    // The 0Y521 series has product group Y.
    if (!(e[1] == 'Y' && absl::ascii_isdigit(static_cast<unsigned char>(e[0])) &&
          absl::ascii_isdigit(static_cast<unsigned char>(e[2])) &&
          absl::ascii_isdigit(static_cast<unsigned char>(e[3])) &&
          absl::ascii_isdigit(static_cast<unsigned char>(e[4])))) {
      return false;
    }
  }
  // Paragraph steps: "." followed by letters or digits.
  size_t i = 5;
  while (i < e.size()) {
    if (e[i] != '.') return false;
    size_t j = i + 1;
    while (j < e.size() && absl::ascii_isalnum(static_cast<unsigned char>(e[j]))) {
      e[j] = absl::ascii_tolower(static_cast<unsigned char>(e[j]));
      ++j;
    }
    if (j == i + 1) return false;  // empty step
    i = j;
  }
  return true;
}

namespace {

// The location attestation, if any.
void ValidateAttestation(v1::ScreenRequest* request, Violations* vp) {
  Violations& v = *vp;
  if (request->has_location_attestation()) {
    v1::LocationAttestation* la = request->mutable_location_attestation();
    DropUnknown(la);
    CheckLength(la->verifier(), kMaxShortTextBytes, "location_attestation.verifier", &v);
    if (CheckCount(la->report_ids(), kMaxReportIds, "location_attestation.report_ids", &v)) {
      for (int i = 0; i < la->report_ids_size(); ++i) {
        CheckLength(la->report_ids(i), kMaxShortTextBytes,
                    absl::StrCat("location_attestation.report_ids[", i, "]"), &v);
      }
    }
  }
}

// parties[i]: role, type, names, addresses, identifiers; the party's
// country defaults to its address's.
void ValidateParty(v1::Party* p, const std::string& f, Violations* vp) {
  Violations& v = *vp;
  DropUnknown(p);
  CheckEnum(p->role(), v1::PartyRole_IsValid, Field{f, ".role"}, &v);
  CheckEnum(p->type(), v1::PartyType_IsValid, Field{f, ".type"}, &v);
  CheckName(p->mutable_name(), Field{f, ".name"}, &v);
  if (p->aliases_size() > kMaxAliases) {
    v.Add(absl::StrCat(f, ".aliases"), absl::StrCat("more than ", kMaxAliases, " aliases"));
  }
  for (int a = 0; a < p->aliases_size() && a < kMaxAliases; ++a) {
    CheckName(p->mutable_aliases(a), absl::StrCat(f, ".aliases[", a, "]"), &v);
  }
  CheckCountry(p->mutable_country(), Field{f, ".country"}, false, &v);
  if (p->has_address()) {
    v1::Address* ad = p->mutable_address();
    DropUnknown(ad);
    CheckEnum(ad->kind(), v1::AddressKind_IsValid, Field{f, ".address.kind"}, &v);
    CheckLength(ad->street(), kMaxNameBytes, Field{f, ".address.street"}, &v);
    CheckLength(ad->city(), kMaxShortTextBytes, Field{f, ".address.city"}, &v);
    CheckLength(ad->region(), kMaxShortTextBytes, Field{f, ".address.region"}, &v);
    CheckLength(ad->postal_code(), kMaxShortTextBytes, Field{f, ".address.postal_code"}, &v);
    CheckCountry(ad->mutable_country(), Field{f, ".address.country"}, false, &v);
  }
  CheckCountry(p->mutable_headquarters_country(), Field{f, ".headquarters_country"}, false, &v);
  CheckCountry(p->mutable_ultimate_parent_country(), Field{f, ".ultimate_parent_country"}, false,
               &v);
  CheckLength(p->ultimate_parent_name(), kMaxNameBytes, Field{f, ".ultimate_parent_name"}, &v);
  CheckLength(p->business_description(), kMaxLongTextBytes, Field{f, ".business_description"}, &v);
  if (p->incorporated_year() < 0 || p->incorporated_year() > 9999) {
    v.Add(absl::StrCat(f, ".incorporated_year"),
          absl::StrCat("must be a year (0 = unknown), not ", p->incorporated_year()));
  }
  if (CheckCount(p->identifiers(), kMaxIdentifiers, Field{f, ".identifiers"}, &v)) {
    for (int k = 0; k < p->identifiers_size(); ++k) {
      v1::Identifier* id = p->mutable_identifiers(k);
      DropUnknown(id);
      const std::string g = absl::StrCat(f, ".identifiers[", k, "]");
      CheckLength(id->type(), kMaxShortTextBytes, Field{g, ".type"}, &v);
      CheckLength(id->value(), kMaxShortTextBytes, Field{g, ".value"}, &v);
      CheckCountry(id->mutable_country(), Field{g, ".country"}, false, &v);
    }
  }
  if (p->country().empty() && !p->address().country().empty()) {
    p->set_country(p->address().country());
  }
}

// items[i]: kind, part and ECCN, numbers, parameters, features, serials.
void ValidateItem(v1::Item* it, const std::string& f, Violations* vp) {
  Violations& v = *vp;
  DropUnknown(it);
  CheckEnum(it->kind(), v1::ItemKind_IsValid, Field{f, ".kind"}, &v);
  Trim(it->mutable_part_number());
  CheckLength(it->part_number(), kMaxShortTextBytes, Field{f, ".part_number"}, &v);
  CheckLength(it->description(), kMaxLongTextBytes, Field{f, ".description"}, &v);
  CheckLength(it->vendor(), kMaxShortTextBytes, Field{f, ".vendor"}, &v);
  CheckLength(it->model(), kMaxShortTextBytes, Field{f, ".model"}, &v);
  if (!it->declared_eccn().empty()) {
    std::string original = it->declared_eccn();
    if (!NormalizeEccn(it->mutable_declared_eccn())) {
      v.Add(absl::StrCat(f, ".declared_eccn"),
            absl::StrCat("is not an ECCN (e.g. \"3A090.a\") or EAR99: ", Echo(original)));
    }
  }
  if (it->quantity() < 0) v.Add(absl::StrCat(f, ".quantity"), "must be >= 0");
  CheckNumber(it->has_tpp(), it->tpp(), Field{f, ".tpp"}, &v);
  CheckNumber(it->has_performance_density(), it->performance_density(),
              Field{f, ".performance_density"}, &v);
  CheckNumber(it->has_die_area_mm2(), it->die_area_mm2(), f + ".die_area_mm2", &v);
  CheckNumber(it->has_memory_bandwidth_gbps(), it->memory_bandwidth_gbps(),
              Field{f, ".memory_bandwidth_gbps"}, &v);
  CheckNumber(true, it->unit_value_usd(), Field{f, ".unit_value_usd"}, &v);
  if (it->parameters_size() > kMaxCodes) {
    v.Add(absl::StrCat(f, ".parameters"),
          absl::StrCat("more than ", kMaxCodes, " parameters (", it->parameters_size(), ")"));
  } else {
    for (const auto& [name, value] : it->parameters()) {
      if (name.size() > kMaxShortTextBytes) {
        v.Add(absl::StrCat(f, ".parameters"),
              absl::StrCat("a parameter name is longer than ", kMaxShortTextBytes, " bytes"));
      } else if (!std::isfinite(value)) {
        v.Add(absl::StrCat(f, ".parameters[", name, "]"), "must be finite");
      }
    }
  }
  if (CheckCount(it->features(), kMaxCodes, Field{f, ".features"}, &v)) {
    for (int k = 0; k < it->features_size(); ++k) {
      CheckLength(it->features(k), kMaxShortTextBytes, absl::StrCat(f, ".features[", k, "]"), &v);
    }
  }
  if (it->serial_numbers_size() > kMaxSerialsPerItem) {
    v.Add(absl::StrCat(f, ".serial_numbers"),
          absl::StrCat("more than ", kMaxSerialsPerItem, " serial numbers"));
  } else {
    for (int k = 0; k < it->serial_numbers_size(); ++k) {
      if (it->serial_numbers(k).size() > kMaxShortTextBytes) {
        v.Add(absl::StrCat(f, ".serial_numbers[", k, "]"),
              absl::StrCat("is longer than ", kMaxShortTextBytes, " bytes"));
        break;
      }
    }
  }
}

}  // namespace

absl::Status NormalizeAndValidate(v1::ScreenRequest* request) {
  Violations v;
  // The whole request first: nothing past the limit is looked at further.
  const size_t bytes = request->ByteSizeLong();
  if (bytes > kMaxScreenRequestBytes) {
    v.Add("request", absl::StrCat("is ", bytes, " bytes; the limit is ", kMaxScreenRequestBytes));
    return v.ToStatus();
  }
  DropUnknown(request);
  if (request->request_id().size() > 128) {
    v.Add("request_id", "is longer than 128 characters");
  }
  CheckLength(request->exporter(), kMaxNameBytes, "exporter", &v);
  CheckCountry(request->mutable_destination_country(), "destination_country",
               /*required=*/true, &v);
  CheckCountry(request->mutable_export_country(), "export_country",
               /*required=*/false, &v);
  if (!request->as_of_date().empty()) {
    absl::CivilDay day;
    if (!ParseCivilDay(request->as_of_date(), &day)) {
      v.Add("as_of_date",
            absl::StrCat("must be a date YYYY-MM-DD, not ", Echo(request->as_of_date())));
    }
  }
  if (request->max_hits_per_party() < 0 || request->max_hits_per_party() > kMaxHitsPerParty) {
    v.Add("max_hits_per_party", absl::StrCat("must be 0 (default) to ", kMaxHitsPerParty, ", not ",
                                             request->max_hits_per_party()));
  }
  CheckLength(request->end_use_description(), kMaxLongTextBytes, "end_use_description", &v);
  if (CheckCount(request->end_use_codes(), kMaxCodes, "end_use_codes", &v)) {
    for (int i = 0; i < request->end_use_codes_size(); ++i) {
      Trim(request->mutable_end_use_codes(i));
      CheckLength(request->end_use_codes(i), kMaxShortTextBytes,
                  absl::StrCat("end_use_codes[", i, "]"), &v);
    }
  }
  ValidateAttestation(request, &v);
  if (request->parties_size() == 0) {
    v.Add("parties", "at least one party is required");
  } else if (request->parties_size() > kMaxParties) {
    v.Add("parties", absl::StrCat("more than ", kMaxParties, " parties"));
  }
  for (int i = 0; i < request->parties_size() && i < kMaxParties; ++i) {
    ValidateParty(request->mutable_parties(i), absl::StrCat("parties[", i, "]"), &v);
  }
  if (request->items_size() > kMaxItems) {
    v.Add("items", absl::StrCat("more than ", kMaxItems, " items"));
  }
  for (int i = 0; i < request->items_size() && i < kMaxItems; ++i) {
    ValidateItem(request->mutable_items(i), absl::StrCat("items[", i, "]"), &v);
  }
  return v.ToStatus();
}

}  // namespace exportscreen::api
