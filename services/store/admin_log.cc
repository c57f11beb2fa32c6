#include "services/store/admin_log.h"

#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"
#include "services/store/key_codec.h"
#include "services/store/store_db.h"

namespace exportscreen::store {

namespace {

std::string AdminKey(uint64_t sequence) {
  std::string key = kMetaAdminPrefix;
  PutFixed64BE(&key, sequence);
  return key;
}

}  // namespace

absl::Status AdminLog::AppendAdminAction(v1::AdminAction* action) {
  if (publish_) {
    ASSIGN_OR_RETURN(const uint64_t sequence, publish_(*action));
    action->set_sequence(sequence);
    return absl::OkStatus();
  }
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

absl::Status AdminLog::ApplyAdminAction(v1::AdminAction action, uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  const std::string key = AdminKey(sequence);
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfMeta), key, &value);
  if (s.ok()) return absl::AlreadyExistsError(absl::StrCat("admin action ", sequence));
  if (!s.IsNotFound()) return FromRocks(s, "get admin action");
  action.set_sequence(sequence);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Put(db_->cf(kCfMeta), key, Serialize(action)), "batch"));
  return WriteSynced(db_->db(), &batch, "apply admin action");
}

absl::StatusOr<uint64_t> AdminLog::LastSequence() const {
  ASSIGN_OR_RETURN(const uint64_t next,
                   NextPrefixedSequence(db_->db(), db_->cf(kCfMeta), kMetaAdminPrefix));
  return next - 1;
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
