#include "services/store/request_index.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "services/common/status_macros.h"
#include "services/store/key_codec.h"
#include "services/store/store_db.h"

namespace exportscreen::store {

namespace {
constexpr char kPrefix[] = "request/";
}  // namespace

// "v1 <body> <owner> <ms> <decision id or ->"
std::string RequestClaim::Encode() const {
  return absl::StrCat("v1 ", body_digest, " ", owner, " ", claimed_unix_ms, " ",
                      decision_id.empty() ? "-" : decision_id);
}

std::optional<RequestClaim> RequestClaim::Decode(absl::string_view value) {
  std::vector<absl::string_view> f = absl::StrSplit(value, ' ');
  RequestClaim c;
  if (f.size() != 5 || f[0] != "v1" || f[1].empty() || f[2].empty() ||
      !absl::SimpleAtoi(f[3], &c.claimed_unix_ms) || f[4].empty()) {
    return std::nullopt;
  }
  c.body_digest = std::string(f[1]);
  c.owner = std::string(f[2]);
  if (f[4] != "-") c.decision_id = std::string(f[4]);
  return c;
}

absl::StatusOr<std::optional<RequestIndex::Entry>> RocksRequestIndex::GetLocked(
    const std::string& key) {
  std::string value;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfMeta), kPrefix + key, &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "request index"));
  const size_t space = value.find(' ');
  Entry e;
  std::optional<RequestClaim> claim;
  if (space == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(value).substr(0, space), &e.revision) ||
      !(claim = RequestClaim::Decode(absl::string_view(value).substr(space + 1)))) {
    return absl::DataLossError(absl::StrCat("request index: entry ", key, " does not decode"));
  }
  e.claim = *std::move(claim);
  return e;
}

absl::Status RocksRequestIndex::PutLocked(const std::string& key, const RequestClaim& claim,
                                          uint64_t revision) {
  return FromRocks(db_->db()->Put(rocksdb::WriteOptions(), db_->cf(kCfMeta), kPrefix + key,
                                  absl::StrCat(revision, " ", claim.Encode())),
                   "request index");
}

absl::StatusOr<std::optional<RequestIndex::Entry>> RocksRequestIndex::Create(
    const std::string& key, const RequestClaim& claim, uint64_t* revision) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::optional<Entry> existing, GetLocked(key));
  if (existing.has_value()) return existing;
  RETURN_IF_ERROR(PutLocked(key, claim, 1));
  *revision = 1;
  return std::nullopt;
}

absl::StatusOr<std::optional<RequestIndex::Entry>> RocksRequestIndex::Get(const std::string& key) {
  absl::MutexLock lock(&mu_);
  return GetLocked(key);
}

absl::StatusOr<uint64_t> RocksRequestIndex::Replace(const std::string& key,
                                                    const RequestClaim& claim, uint64_t revision) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::optional<Entry> existing, GetLocked(key));
  if (!existing.has_value() || existing->revision != revision) {
    return absl::AbortedError("request index: the claim moved");
  }
  RETURN_IF_ERROR(PutLocked(key, claim, revision + 1));
  return revision + 1;
}

void RocksRequestIndex::ReplaceLater(const std::string& key, const RequestClaim& claim,
                                     uint64_t revision) {
  (void)Replace(key, claim, revision);  // a RocksDB write: does not block long
}

absl::Status RocksRequestIndex::Release(const std::string& key, uint64_t revision) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::optional<Entry> existing, GetLocked(key));
  if (!existing.has_value() || existing->revision != revision) return absl::OkStatus();
  return FromRocks(db_->db()->Delete(rocksdb::WriteOptions(), db_->cf(kCfMeta), kPrefix + key),
                   "request index");
}

absl::StatusOr<int64_t> RocksRequestIndex::ExpireClaimsBefore(int64_t cutoff_unix_ms) {
  // Candidates from one scan without the lock (Screens keep claiming);
  // each is checked again and deleted under it, in batches of 1,000.
  std::vector<std::pair<std::string, uint64_t>> expired;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(kCfMeta)));
    for (it->Seek(kPrefix); it->Valid() && it->key().starts_with(kPrefix); it->Next()) {
      const absl::string_view value(it->value().data(), it->value().size());
      const size_t space = value.find(' ');
      uint64_t revision = 0;
      std::optional<RequestClaim> claim;
      if (space == absl::string_view::npos ||
          !absl::SimpleAtoi(value.substr(0, space), &revision) ||
          !(claim = RequestClaim::Decode(value.substr(space + 1)))) {
        continue;  // a claim that does not decode is reported when it is used
      }
      if (claim->claimed_unix_ms < cutoff_unix_ms) {
        expired.emplace_back(it->key().ToString().substr(sizeof(kPrefix) - 1), revision);
      }
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "request index scan"));
  }
  int64_t deleted = 0;
  for (size_t i = 0; i < expired.size(); i += 1000) {
    absl::MutexLock lock(&mu_);
    rocksdb::WriteBatch batch;
    for (size_t j = i; j < std::min(expired.size(), i + 1000); ++j) {
      ASSIGN_OR_RETURN(std::optional<Entry> now, GetLocked(expired[j].first));
      if (!now.has_value() || now->revision != expired[j].second ||
          now->claim.claimed_unix_ms >= cutoff_unix_ms) {
        continue;  // renewed or taken over meanwhile
      }
      batch.Delete(db_->cf(kCfMeta), kPrefix + expired[j].first);
      ++deleted;
    }
    RETURN_IF_ERROR(
        FromRocks(db_->db()->Write(rocksdb::WriteOptions(), &batch), "request index expiry"));
  }
  return deleted;
}

}  // namespace exportscreen::store
