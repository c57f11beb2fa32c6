#include "services/store/disposition_store.h"

#include "absl/strings/str_format.h"
#include "services/common/status_macros.h"
#include "services/store/key_codec.h"
#include "services/store/store_db.h"

namespace exportscreen::store {

namespace {

std::string DispositionKey(uint64_t sequence) {
  std::string key = kMetaDispositionPrefix;
  PutFixed64BE(&key, sequence);
  return key;
}

}  // namespace

absl::Status DispositionStore::AppendDisposition(v1::Disposition* disposition) {
  if (publish_) {
    ASSIGN_OR_RETURN(const uint64_t sequence, publish_(*disposition));
    std::string value;
    RETURN_IF_ERROR(FromRocks(
        db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfMeta), DispositionKey(sequence), &value),
        "get disposition"));
    ASSIGN_OR_RETURN(*disposition, Parse<v1::Disposition>(value, "disposition"));
    return absl::OkStatus();
  }
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

absl::Status DispositionStore::ApplyDisposition(v1::Disposition disposition, uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  const std::string key = DispositionKey(sequence);
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfMeta), key, &value);
  if (s.ok()) return absl::AlreadyExistsError(absl::StrFormat("disposition %d", sequence));
  if (!s.IsNotFound()) return FromRocks(s, "get disposition");
  disposition.set_sequence(sequence);
  disposition.set_id(absl::StrFormat("DP%016x", sequence));
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Put(db_->cf(kCfMeta), key, Serialize(disposition)), "batch"));
  return WriteSynced(db_->db(), &batch, "apply disposition");
}

absl::StatusOr<uint64_t> DispositionStore::LastSequence() const {
  ASSIGN_OR_RETURN(const uint64_t next,
                   NextPrefixedSequence(db_->db(), db_->cf(kCfMeta), kMetaDispositionPrefix));
  return next - 1;
}

absl::StatusOr<std::vector<v1::Disposition>> DispositionStore::ListDispositions() const {
  return ScanPrefix<v1::Disposition>(db_->db(), db_->cf(kCfMeta), kMetaDispositionPrefix,
                                     "dispositions");
}

}  // namespace exportscreen::store
