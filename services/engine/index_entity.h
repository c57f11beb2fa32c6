// Conversion of a listed entity (store record) into what the name index
// needs. Shared by snapshot building and the matching tools, so both index
// exactly the same names and corroborating data. Thread-safe (pure).
#ifndef EXPORTSCREEN_SERVICES_ENGINE_INDEX_ENTITY_H_
#define EXPORTSCREEN_SERVICES_ENGINE_INDEX_ENTITY_H_

#include <cstdint>

#include "exportscreen/v1/entities.pb.h"
#include "services/matching/name_index.h"

namespace exportscreen::engine {

// Primary name, aliases (strong/weak), person flag, countries (listed and
// address countries), address parts and identifier values of `entity`.
matching::IndexEntity ToIndexEntity(const v1::ListedEntity& entity, uint32_t ordinal);

}  // namespace exportscreen::engine

#endif  // EXPORTSCREEN_SERVICES_ENGINE_INDEX_ENTITY_H_
