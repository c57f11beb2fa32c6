#include "services/store/activation_store.h"

#include "services/common/status_macros.h"
#include "services/store/key_codec.h"
#include "services/store/store_db.h"

namespace exportscreen::store {

absl::StatusOr<std::optional<v1::ActiveVersions>> ActivationStore::GetActive() const {
  return GetOptional<v1::ActiveVersions>(db_->db(), db_->cf(kCfMeta), kMetaActive, "active");
}

absl::Status ActivationStore::SetActive(const v1::ActiveVersions& active) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const uint64_t next,
                   NextPrefixedSequence(db_->db(), db_->cf(kCfMeta), kMetaHistoryPrefix));
  std::string history_key = kMetaHistoryPrefix;
  PutFixed64BE(&history_key, next);
  const std::string value = Serialize(active);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Put(db_->cf(kCfMeta), kMetaActive, value), "batch"));
  RETURN_IF_ERROR(FromRocks(batch.Put(db_->cf(kCfMeta), history_key, value), "batch"));
  return WriteSynced(db_->db(), &batch, "set active");
}

absl::StatusOr<std::vector<v1::ActiveVersions>> ActivationStore::ActivationHistory() const {
  return ScanPrefix<v1::ActiveVersions>(db_->db(), db_->cf(kCfMeta), kMetaHistoryPrefix, "history");
}

}  // namespace exportscreen::store
