// Aliases hidden inside BIS list names. The BIS lists print one name field
// such as "Huawei Technologies Co., Ltd. (Huawei). Affiliated Entity: Beijing
// Huawei Longshine Information Technology Co., Ltd.", "KOLOKOL (AKA: ALDRICH
// AMES)" or "X -AKAS- A, B". The full text stays the primary name; this adds
// strong aliases for the parts a screener would type: the name without the
// trailing acronym, the acronym, the affiliated entity's own name, and the
// a.k.a./f.k.a. names. Thread-safe (stateless).
#ifndef EXPORTSCREEN_SERVICES_STORE_IMPORTERS_NAME_PARTS_H_
#define EXPORTSCREEN_SERVICES_STORE_IMPORTERS_NAME_PARTS_H_

#include "exportscreen/v1/entities.pb.h"

namespace exportscreen::store::importers {

// Appends the derived aliases of entity->primary_name() to entity->aliases.
void AddDerivedAliases(v1::ListedEntity* entity);

}  // namespace exportscreen::store::importers

#endif  // EXPORTSCREEN_SERVICES_STORE_IMPORTERS_NAME_PARTS_H_
