#include "services/store/replica_decisions.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"
#include "services/store/key_codec.h"
#include "services/store/store_db.h"

namespace exportscreen::store {
namespace {

std::string ReplicaKey(absl::string_view replica, uint64_t sequence) {
  std::string key(replica);
  key.push_back('\0');
  PutFixed64BE(&key, sequence);
  return key;
}

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// Read-only DecisionLog over one replica's chain.
class ReplicaChain : public DecisionLog {
 public:
  ReplicaChain(const StoreDb* db, std::string replica)
      : db_(db), replica_(std::move(replica)), prefix_(VersionPrefix(replica_)) {}

  using DecisionLog::AppendDecisionAsync;
  void AppendDecisionAsync(std::unique_ptr<v1::DecisionRecord> record, DecisionDone done,
                           std::string* /*response_bytes*/) override {
    done(absl::FailedPreconditionError("another replica's chain is read-only"), std::move(record));
  }
  absl::StatusOr<v1::DecisionRecord> GetDecision(absl::string_view id) const override {
    std::string replica;
    uint64_t seq = 0;
    if (!ParseReplicaDecisionId(id, &replica, &seq) || replica != replica_) {
      return absl::NotFoundError(absl::StrCat("decision ", id));
    }
    return ReplicaDecisionStore(db_).Get(replica_, seq);
  }
  int64_t decision_count() const override {
    auto last = ReplicaDecisionStore(db_).LastSequence(replica_);
    return last.ok() ? static_cast<int64_t>(*last) : 0;
  }
  absl::Status ScanDecisions(
      uint64_t from_sequence, bool reverse,
      const std::function<bool(const v1::DecisionRecord&)>& fn) const override {
    if (reverse) return ScanNewestFirst(from_sequence, fn);
    return ScanStored(from_sequence, [&](uint64_t, const absl::StatusOr<StoredDecision>& d) {
      if (!d.ok()) return false;
      v1::DecisionRecord r;
      if (!r.ParseFromString(std::string(d->record_bytes))) return false;
      r.set_hash(std::string(d->hash));
      return fn(r);
    });
  }
  // Newest first from `from_sequence` (0 = the newest). A record that does
  // not decode ends the scan with DATA_LOSS naming it (never skipped).
  absl::Status ScanNewestFirst(uint64_t from_sequence,
                               const std::function<bool(const v1::DecisionRecord&)>& fn) const {
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->cf(kCfReplicaDecisions)));
    const std::string start = ReplicaKey(replica_, from_sequence == 0 ? UINT64_MAX : from_sequence);
    for (it->SeekForPrev(start); it->Valid(); it->Prev()) {
      const absl::string_view key = View(it->key());
      if (!absl::StartsWith(key, prefix_) || key.size() != prefix_.size() + 8) break;
      const uint64_t seq = DecodeFixed64BE(key.data() + prefix_.size());
      absl::StatusOr<StoredDecision> d = DecodeStoredDecision(View(it->value()));
      v1::DecisionRecord r;
      if (!d.ok() || !r.ParseFromString(std::string(d->record_bytes))) {
        return absl::DataLossError(absl::StrCat("replica ", replica_, " decision ", seq,
                                                ": stored record does not decode"));
      }
      r.set_hash(std::string(d->hash));
      if (!fn(r)) break;
    }
    return FromRocks(it->status(), "scan replica decisions");
  }
  absl::Status ScanStored(
      uint64_t from_sequence,
      const std::function<bool(uint64_t, const absl::StatusOr<StoredDecision>&)>& fn)
      const override {
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->cf(kCfReplicaDecisions)));
    for (it->Seek(ReplicaKey(replica_, from_sequence)); it->Valid(); it->Next()) {
      const absl::string_view key = View(it->key());
      if (!absl::StartsWith(key, prefix_) || key.size() != prefix_.size() + 8) break;
      const uint64_t seq = DecodeFixed64BE(key.data() + prefix_.size());
      if (!fn(seq, DecodeStoredDecision(View(it->value())))) break;
    }
    return FromRocks(it->status(), "scan replica decisions");
  }
  uint64_t envelope_since() const override { return 1; }
  absl::StatusOr<int64_t> ExpireDecisionsBefore(absl::Time) override { return 0; }
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> GetChainAnchor() const override {
    return std::optional<v1::ChainCheckpoint>();
  }
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> Checkpoint(absl::Time) override {
    return std::optional<v1::ChainCheckpoint>();
  }
  absl::StatusOr<std::vector<v1::ChainCheckpoint>> ListCheckpoints() const override {
    return std::vector<v1::ChainCheckpoint>();
  }
  absl::StatusOr<std::optional<v1::ChainCheckpoint>> GetVerifiedMark() const override {
    return std::optional<v1::ChainCheckpoint>();
  }
  absl::Status SetVerifiedMark(const v1::ChainCheckpoint&) override { return absl::OkStatus(); }
  absl::Status RawPutDecisionForTest(uint64_t sequence, const std::string& bytes) override {
    return FromRocks(db_->db()->Put(rocksdb::WriteOptions(), db_->cf(kCfReplicaDecisions),
                                    ReplicaKey(replica_, sequence), bytes),
                     "raw put");
  }
  absl::Status RawDeleteDecisionForTest(uint64_t sequence) override {
    return FromRocks(db_->db()->Delete(rocksdb::WriteOptions(), db_->cf(kCfReplicaDecisions),
                                       ReplicaKey(replica_, sequence)),
                     "raw delete");
  }

 private:
  const StoreDb* db_;
  const std::string replica_;
  const std::string prefix_;
};

}  // namespace

absl::Status ReplicaDecisionStore::CheckEnvelope(const Entry& entry) {
  const std::string where = absl::StrCat("replica ", entry.replica, " decision ", entry.sequence);
  if (!IsValidReplicaId(entry.replica)) {
    return absl::DataLossError(absl::StrCat(where, ": malformed replica id"));
  }
  auto decoded = DecodeStoredDecision(entry.envelope);
  if (!decoded.ok())
    return absl::DataLossError(absl::StrCat(where, ": ", decoded.status().message()));
  if (decoded->legacy) return absl::DataLossError(absl::StrCat(where, ": not an envelope"));
  if (DecisionBytesHash(decoded->record_bytes) != decoded->hash) {
    return absl::DataLossError(absl::StrCat(where, ": hash does not match the record bytes"));
  }
  if (decoded->record_sequence != entry.sequence) {
    return absl::DataLossError(
        absl::StrCat(where, ": the record names sequence ", decoded->record_sequence));
  }
  return absl::OkStatus();
}

absl::Status ReplicaDecisionStore::Put(const std::vector<Entry>& entries,
                                       uint64_t stream_position) const {
  rocksdb::WriteBatch batch;
  for (const Entry& e : entries) {
    RETURN_IF_ERROR(CheckEnvelope(e));
    RETURN_IF_ERROR(FromRocks(
        batch.Put(db_->cf(kCfReplicaDecisions), ReplicaKey(e.replica, e.sequence), e.envelope),
        "batch"));
  }
  std::string pos;
  PutFixed64BE(&pos, stream_position);
  RETURN_IF_ERROR(
      FromRocks(batch.Put(db_->cf(kCfMeta), kMetaReplicaDecisionsPosition, pos), "batch"));
  return FromRocks(db_->db()->Write(rocksdb::WriteOptions(), &batch), "put replica decisions");
}

absl::StatusOr<uint64_t> ReplicaDecisionStore::Position() const {
  std::string pos;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfMeta), kMetaReplicaDecisionsPosition, &pos);
  if (s.IsNotFound()) return 0;
  RETURN_IF_ERROR(FromRocks(s, "get replica decisions position"));
  if (pos.size() != 8) return absl::DataLossError("bad replica decisions position");
  return DecodeFixed64BE(pos.data());
}

absl::StatusOr<v1::DecisionRecord> ReplicaDecisionStore::Get(absl::string_view replica,
                                                             uint64_t sequence) const {
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfReplicaDecisions),
                                     ReplicaKey(replica, sequence), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("decision ", ReplicaDecisionId(replica, sequence)));
  }
  RETURN_IF_ERROR(FromRocks(s, "get replica decision"));
  return ParseStoredDecision(value);
}

absl::StatusOr<std::vector<std::string>> ReplicaDecisionStore::Replicas() const {
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(kCfReplicaDecisions)));
  for (it->SeekToFirst(); it->Valid();) {
    const absl::string_view key = View(it->key());
    const size_t nul = key.find('\0');
    if (nul == absl::string_view::npos) return absl::DataLossError("malformed replica key");
    out.emplace_back(key.substr(0, nul));
    std::string next = out.back();
    next.push_back('\x01');
    it->Seek(next);
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan replicas"));
  return out;
}

absl::StatusOr<uint64_t> ReplicaDecisionStore::LastSequence(absl::string_view replica) const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(kCfReplicaDecisions)));
  it->SeekForPrev(ReplicaKey(replica, ~uint64_t{0}));
  uint64_t last = 0;
  const std::string prefix = VersionPrefix(replica);
  if (it->Valid()) {
    const absl::string_view key = View(it->key());
    if (absl::StartsWith(key, prefix) && key.size() == prefix.size() + 8) {
      last = DecodeFixed64BE(key.data() + prefix.size());
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "last replica decision"));
  return last;
}

std::unique_ptr<DecisionLog> ReplicaDecisionStore::Chain(const std::string& replica) const {
  return std::make_unique<ReplicaChain>(db_, replica);
}

}  // namespace exportscreen::store
