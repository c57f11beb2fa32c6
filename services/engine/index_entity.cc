#include "services/engine/index_entity.h"

#include <algorithm>

namespace exportscreen::engine {

matching::IndexEntity ToIndexEntity(const v1::ListedEntity& e, uint32_t ordinal) {
  matching::IndexEntity ie;
  ie.ordinal = ordinal;
  ie.primary_name = e.primary_name();
  for (const auto& alias : e.aliases()) {
    ie.aliases.emplace_back(alias.name(),
                            alias.strength() == v1::ALIAS_STRENGTH_WEAK
                                ? matching::NameKind::kWeakAlias
                                : matching::NameKind::kStrongAlias);
  }
  ie.is_person = e.type() == v1::ENTITY_TYPE_PERSON;
  ie.countries.assign(e.countries().begin(), e.countries().end());
  for (const auto& a : e.addresses()) {
    for (const std::string* part : {&a.street(), &a.city(), &a.region()}) {
      if (!part->empty()) ie.address_parts.push_back(*part);
    }
    if (!a.country().empty() &&
        std::find(ie.countries.begin(), ie.countries.end(), a.country()) ==
            ie.countries.end()) {
      ie.countries.push_back(a.country());
    }
  }
  for (const auto& id : e.identifiers()) ie.identifiers.push_back(id.value());
  return ie;
}

}  // namespace exportscreen::engine
