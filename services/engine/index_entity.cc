#include "services/engine/index_entity.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace exportscreen::engine {

matching::IndexEntity ToIndexEntity(const v1::ListedEntity& e, uint32_t ordinal) {
  matching::IndexEntity ie;
  ie.ordinal = ordinal;
  ie.primary_name = e.primary_name();
  for (const auto& alias : e.aliases()) {
    ie.aliases.emplace_back(alias.name(), alias.strength() == v1::ALIAS_STRENGTH_WEAK
                                              ? matching::NameKind::kWeakAlias
                                              : matching::NameKind::kStrongAlias);
  }
  ie.is_person = e.type() == v1::ENTITY_TYPE_PERSON;
  switch (e.type()) {
    case v1::ENTITY_TYPE_PERSON:
      ie.type = matching::PartyType::kPerson;
      break;
    case v1::ENTITY_TYPE_ORGANIZATION:
      ie.type = matching::PartyType::kOrganization;
      break;
    case v1::ENTITY_TYPE_VESSEL:
      ie.type = matching::PartyType::kVessel;
      break;
    case v1::ENTITY_TYPE_AIRCRAFT:
      ie.type = matching::PartyType::kAircraft;
      break;
    default:
      ie.type = matching::PartyType::kUnknown;
  }
  // Rows of one listed entity: same list, same type, same primary name
  // (case and spacing aside). The BIS CSV repeats an entity per address.
  {
    std::string key = absl::StrCat(e.list(), "\x1f", static_cast<int>(e.type()), "\x1f");
    bool space = false;
    for (char c : e.primary_name()) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        space = true;
        continue;
      }
      if (space && key.back() != '\x1f') key.push_back(' ');
      space = false;
      key.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
    // Fail closed: rows merge only if everything the rules read of them is
    // the same (licence requirement and policy, footnotes, programs, dates,
    // dates of birth), so a merged hit can never hide a stricter row or a
    // different person of the same name behind the best-scoring one.
    absl::StrAppend(&key, "\x1f", e.license_requirement(), "\x1f", e.license_policy(), "\x1f",
                    absl::StrJoin(e.el_footnotes(), ","), "\x1f", absl::StrJoin(e.programs(), ","),
                    "\x1f", e.start_date(), "\x1f", e.end_date(), "\x1f",
                    absl::StrJoin(e.dates_of_birth(), ","));
    if (!e.primary_name().empty()) ie.merge_key = std::move(key);
  }
  ie.countries.assign(e.countries().begin(), e.countries().end());
  for (const auto& a : e.addresses()) {
    for (const std::string* part : {&a.street(), &a.city(), &a.region()}) {
      if (!part->empty()) ie.address_parts.push_back(*part);
    }
    for (const std::string* part : {&a.city(), &a.region()}) {
      if (!part->empty()) ie.places.push_back(*part);
    }
    if (!a.country().empty() &&
        std::find(ie.countries.begin(), ie.countries.end(), a.country()) == ie.countries.end()) {
      ie.countries.push_back(a.country());
    }
  }
  for (const auto& id : e.identifiers()) ie.identifiers.push_back(id.value());
  return ie;
}

}  // namespace exportscreen::engine
