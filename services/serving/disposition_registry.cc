#include "services/serving/disposition_registry.h"

#include <limits>
#include <utility>
#include <vector>

#include "services/common/status_macros.h"

namespace exportscreen::serving {

absl::Status DispositionRegistry::Reload() {
  absl::MutexLock lock(&mu_);
  return ReloadLocked();
}

absl::Status DispositionRegistry::ReloadLocked() {
  ASSIGN_OR_RETURN(std::vector<v1::Disposition> log, store_->dispositions().ListDispositions());
  feed_.Store(
      std::make_shared<const engine::DispositionSet>(log, std::numeric_limits<uint64_t>::max()));
  return absl::OkStatus();
}

absl::StatusOr<v1::Disposition> DispositionRegistry::Record(v1::Disposition disposition) {
  // Not under mu_: in cluster mode the append returns once the log's
  // consumer applied it here, and the consumer reloads (Reload) first.
  RETURN_IF_ERROR(store_->dispositions().AppendDisposition(&disposition));
  RETURN_IF_ERROR(Reload());
  return disposition;
}

absl::StatusOr<std::shared_ptr<const engine::DispositionSet>> DispositionsAt(
    const store::EntityStore& store, uint64_t sequence) {
  ASSIGN_OR_RETURN(std::vector<v1::Disposition> log, store.dispositions().ListDispositions());
  return std::make_shared<const engine::DispositionSet>(log, sequence);
}

}  // namespace exportscreen::serving
