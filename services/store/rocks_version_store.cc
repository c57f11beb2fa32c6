#include "services/store/rocks_version_store.h"

#include <algorithm>

#include "services/common/status_macros.h"
#include "services/store/key_codec.h"

namespace exportscreen::store {
namespace {

// Oldest first: by creation time, then version id.
template <typename Info>
void SortByCreation(std::vector<Info>* infos) {
  std::sort(infos->begin(), infos->end(), [](const Info& a, const Info& b) {
    return std::make_pair(a.created_at().seconds(), a.version()) <
           std::make_pair(b.created_at().seconds(), b.version());
  });
}

}  // namespace

absl::Status RocksListVersionStore::PutListVersion(const ListVersionData& data) {
  const std::string& version = data.info.version();
  if (version.empty() || version.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("list version id is empty or has NUL");
  }
  rocksdb::DB* db = db_->db();
  std::string existing;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), db_->cf(kCfListVersions), version, &existing);
  if (s.ok()) return absl::AlreadyExistsError(absl::StrCat("list version ", version, " exists"));
  if (!s.IsNotFound()) return FromRocks(s, "get list version");

  rocksdb::WriteBatch batch;
  for (const auto& e : data.entities) {
    RETURN_IF_ERROR(FromRocks(
        batch.Put(db_->cf(kCfEntities), VersionedKey(version, e.entity_id()), Serialize(e)),
        "batch"));
  }
  uint64_t seq = 0;
  for (const auto& link : data.ownership) {
    RETURN_IF_ERROR(FromRocks(
        batch.Put(db_->cf(kCfOwnership), VersionedSeqKey(version, seq++), Serialize(link)),
        "batch"));
  }
  for (const auto& item : data.items) {
    RETURN_IF_ERROR(FromRocks(
        batch.Put(db_->cf(kCfItems), VersionedKey(version, item.part_number()), Serialize(item)),
        "batch"));
  }
  // The info record goes last in the same batch: a version is visible only
  // when all of its records are.
  RETURN_IF_ERROR(
      FromRocks(batch.Put(db_->cf(kCfListVersions), version, Serialize(data.info)), "batch"));
  return WriteSynced(db, &batch, "write list version");
}

absl::StatusOr<ListVersionData> RocksListVersionStore::ReadListVersion(
    absl::string_view version) const {
  rocksdb::DB* db = db_->db();
  const rocksdb::Snapshot* snap = db->GetSnapshot();
  struct Release {
    rocksdb::DB* db;
    const rocksdb::Snapshot* snap;
    ~Release() { db->ReleaseSnapshot(snap); }
  } release{db, snap};
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;

  ListVersionData data;
  std::string value;
  rocksdb::Status s =
      db->Get(ro, db_->cf(kCfListVersions), rocksdb::Slice(version.data(), version.size()), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("list version ", version));
  RETURN_IF_ERROR(FromRocks(s, "get list version"));
  ASSIGN_OR_RETURN(data.info, Parse<v1::ListVersionInfo>(value, "list version"));

  const std::string prefix = VersionPrefix(version);
  const std::string end = PrefixEnd(prefix);
  auto scan = [&](absl::string_view cf_name, auto* out, absl::string_view what) -> absl::Status {
    rocksdb::Slice upper(end);
    rocksdb::ReadOptions sro = ro;
    sro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(sro, db_->cf(cf_name)));
    using Msg = typename std::remove_reference_t<decltype(*out)>::value_type;
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      ASSIGN_OR_RETURN(Msg msg, Parse<Msg>(it->value(), what));
      out->push_back(std::move(msg));
    }
    return FromRocks(it->status(), what);
  };
  RETURN_IF_ERROR(scan(kCfEntities, &data.entities, "entity"));
  RETURN_IF_ERROR(scan(kCfOwnership, &data.ownership, "ownership link"));
  RETURN_IF_ERROR(scan(kCfItems, &data.items, "catalog item"));
  return data;
}

absl::StatusOr<std::vector<v1::ListVersionInfo>> RocksListVersionStore::ListListVersions() const {
  ASSIGN_OR_RETURN(auto out, ScanPrefix<v1::ListVersionInfo>(db_->db(), db_->cf(kCfListVersions),
                                                             "", "list versions"));
  SortByCreation(&out);
  return out;
}

absl::Status RocksRuleSetStore::PutRuleSet(const v1::StoredRuleSet& rule_set) {
  const std::string& version = rule_set.info().version();
  if (version.empty()) return absl::InvalidArgumentError("empty rule version");
  std::string existing;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfRuleSets), version, &existing);
  if (s.ok()) return absl::OkStatus();  // content-addressed: same content
  if (!s.IsNotFound()) return FromRocks(s, "get rule set");
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(
      FromRocks(batch.Put(db_->cf(kCfRuleSets), version, Serialize(rule_set)), "batch"));
  return WriteSynced(db_->db(), &batch, "put rule set");
}

absl::StatusOr<v1::StoredRuleSet> RocksRuleSetStore::GetRuleSet(absl::string_view version) const {
  ASSIGN_OR_RETURN(auto rs, GetOptional<v1::StoredRuleSet>(db_->db(), db_->cf(kCfRuleSets), version,
                                                           "rule set"));
  if (!rs.has_value()) return absl::NotFoundError(absl::StrCat("rule set ", version));
  return std::move(*rs);
}

absl::StatusOr<std::vector<v1::RuleSetInfo>> RocksRuleSetStore::ListRuleSets() const {
  ASSIGN_OR_RETURN(auto sets,
                   ScanPrefix<v1::StoredRuleSet>(db_->db(), db_->cf(kCfRuleSets), "", "rule sets"));
  std::vector<v1::RuleSetInfo> out;
  out.reserve(sets.size());
  for (auto& rs : sets) out.push_back(std::move(*rs.mutable_info()));
  SortByCreation(&out);
  return out;
}

}  // namespace exportscreen::store
