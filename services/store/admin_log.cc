#include "services/store/admin_log.h"

#include "services/common/status_macros.h"
#include "services/store/key_codec.h"
#include "services/store/store_db.h"

namespace exportscreen::store {

absl::Status AdminLog::AppendAdminAction(v1::AdminAction* action) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const uint64_t next,
                   NextPrefixedSequence(db_->db(), db_->cf(kCfMeta), kMetaAdminPrefix));
  action->set_sequence(next);
  std::string key = kMetaAdminPrefix;
  PutFixed64BE(&key, next);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Put(db_->cf(kCfMeta), key, Serialize(*action)), "batch"));
  return WriteSynced(db_->db(), &batch, "append admin action");
}

absl::StatusOr<std::vector<v1::AdminAction>> AdminLog::ListAdminActions(int limit) const {
  std::vector<v1::AdminAction> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(kCfMeta)));
  for (it->SeekForPrev(rocksdb::Slice(PrefixEnd(kMetaAdminPrefix)));
       it->Valid() && it->key().starts_with(kMetaAdminPrefix) &&
       static_cast<int>(out.size()) < limit;
       it->Prev()) {
    ASSIGN_OR_RETURN(auto a, Parse<v1::AdminAction>(it->value(), "admin action"));
    out.push_back(std::move(a));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan admin log"));
  return out;
}

}  // namespace exportscreen::store
