#include "services/store/disposition_store.h"

#include "absl/strings/str_format.h"
#include "services/common/status_macros.h"
#include "services/store/key_codec.h"
#include "services/store/store_db.h"

namespace exportscreen::store {

absl::Status DispositionStore::AppendDisposition(v1::Disposition* disposition) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const uint64_t next,
                   NextPrefixedSequence(db_->db(), db_->cf(kCfMeta), kMetaDispositionPrefix));
  disposition->set_sequence(next);
  disposition->set_id(absl::StrFormat("DP%016x", next));
  std::string key = kMetaDispositionPrefix;
  PutFixed64BE(&key, next);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Put(db_->cf(kCfMeta), key, Serialize(*disposition)), "batch"));
  return WriteSynced(db_->db(), &batch, "append disposition");
}

absl::StatusOr<std::vector<v1::Disposition>> DispositionStore::ListDispositions() const {
  return ScanPrefix<v1::Disposition>(db_->db(), db_->cf(kCfMeta), kMetaDispositionPrefix,
                                     "dispositions");
}

}  // namespace exportscreen::store
