// ActivationStore: which rule-set and list versions are active, and the
// activation history (the stack that rollback pops), in the meta column
// family: "active" and "history/<8-byte seq>". Synced writes; thread-safe.
#ifndef EXPORTSCREEN_SERVICES_STORE_ACTIVATION_STORE_H_
#define EXPORTSCREEN_SERVICES_STORE_ACTIVATION_STORE_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/entities.pb.h"

namespace exportscreen::store {

class StoreDb;

class ActivationStore {
 public:
  explicit ActivationStore(const StoreDb* db) : db_(db) {}
  // The active versions, or nullopt before the first activation.
  absl::StatusOr<std::optional<v1::ActiveVersions>> GetActive() const;
  // Records `active` as the active versions and appends it to the
  // history, in one write.
  absl::Status SetActive(const v1::ActiveVersions& active);
  // Activation history, oldest first.
  absl::StatusOr<std::vector<v1::ActiveVersions>> ActivationHistory() const;

 private:
  const StoreDb* db_;
  absl::Mutex mu_;  // serialises SetActive (history sequence)
};

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_ACTIVATION_STORE_H_
