#include "services/store/alert_store.h"

#include "absl/strings/numbers.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/store/key_codec.h"
#include "services/store/store_db.h"

namespace exportscreen::store {
namespace {

std::string AlertKey(uint64_t seq) {
  std::string key = "a";
  PutFixed64BE(&key, seq);
  return key;
}

std::string AlertDedupeKey(absl::string_view decision_id, absl::string_view what) {
  std::string key = "k";
  key.append(decision_id.data(), decision_id.size());
  key.push_back('\0');
  key.append(what.data(), what.size());
  return key;
}

std::string AlertId(uint64_t seq) {
  static const char kHex[] = "0123456789abcdef";
  std::string id = "A";
  for (int shift = 60; shift >= 0; shift -= 4) id.push_back(kHex[(seq >> shift) & 0xf]);
  return id;
}

// What makes an alert a repeat: diversion alerts per (decision, serial);
// re-screening alerts per (decision, versions that changed the answer);
// stale-list alerts per list version.
std::string DedupeKey(const v1::Alert& a) {
  return AlertDedupeKey(a.decision_id(),
                        a.kind() == v1::ALERT_KIND_RESCREEN_CHANGE
                            ? absl::StrCat("rescreen:", a.rule_set_version(), "/", a.list_version())
                        : a.kind() == v1::ALERT_KIND_LIST_STALE
                            ? absl::StrCat("list-stale:", a.list_version())
                            : a.serial_number());
}

constexpr char kPositionKey[] = "p:log-position";  // cluster mode

void SetAcknowledged(v1::Alert* a, const std::string& by, absl::Time at) {
  a->set_acknowledged(true);
  a->set_acknowledged_by(by);
  const int64_t nanos = absl::ToUnixNanos(at);
  a->mutable_acknowledged_at()->set_seconds(nanos / 1000000000);
  a->mutable_acknowledged_at()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

void CountRaised(const v1::Alert& a) {
  static metrics::Family* const raised = metrics::Registry::Default().Get(
      "es_alerts_raised_total", "Alerts stored, by kind", metrics::Type::kCounter, {"kind"});
  raised->CounterWith({v1::AlertKind_Name(a.kind())})->Add();
}

}  // namespace

absl::StatusOr<v1::Alert> AlertStore::GetAlert(uint64_t sequence) const {
  std::string value;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfAlerts), AlertKey(sequence), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("alert ", AlertId(sequence)));
  RETURN_IF_ERROR(FromRocks(s, "get alert"));
  return Parse<v1::Alert>(value, "alert");
}

absl::StatusOr<uint64_t> AlertStore::AppliedPosition() const {
  std::string value;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfAlerts), kPositionKey, &value);
  if (s.IsNotFound()) return 0;
  RETURN_IF_ERROR(FromRocks(s, "get alert log position"));
  if (value.size() != 8) return absl::DataLossError("bad alert log position");
  return DecodeFixed64BE(value.data());
}

// Cluster mode: one message per alert that is new here; a repeat another
// replica raised first is dropped when applied (not appended).
absl::Status AlertStore::AppendShared(std::vector<v1::Alert> alerts,
                                      std::vector<v1::Alert>* appended) {
  std::vector<std::string> dedupe(alerts.size());
  for (size_t i = 0; i < alerts.size(); ++i) dedupe[i] = DedupeKey(alerts[i]);
  std::vector<std::optional<std::string>> existing;
  RETURN_IF_ERROR(MultiGetOptional(db_->db(), db_->cf(kCfAlerts), dedupe, &existing));
  absl::flat_hash_map<std::string, bool> seen;
  for (size_t i = 0; i < alerts.size(); ++i) {
    if (existing[i].has_value() || !seen.emplace(dedupe[i], true).second) continue;
    ASSIGN_OR_RETURN(const uint64_t sequence, publish_(alerts[i], false));
    absl::StatusOr<v1::Alert> stored = GetAlert(sequence);
    if (stored.ok()) {
      appended->push_back(*std::move(stored));
    } else if (!absl::IsNotFound(stored.status())) {
      return stored.status();
    }
  }
  return absl::OkStatus();
}

absl::Status AlertStore::ApplyAlert(v1::Alert alert, bool ack, uint64_t sequence) {
  rocksdb::ColumnFamilyHandle* cf = db_->cf(kCfAlerts);
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const uint64_t position, AppliedPosition());
  if (sequence <= position) {
    return absl::AlreadyExistsError(absl::StrCat("alert log sequence ", sequence));
  }
  rocksdb::WriteBatch batch;
  bool raised = false;
  if (ack) {
    uint64_t target = 0;
    const absl::string_view id = alert.alert_id();
    if (id.size() > 1 && absl::SimpleHexAtoi(id.substr(1), &target)) {
      absl::StatusOr<v1::Alert> a = GetAlert(target);
      if (a.ok() && !a->acknowledged()) {
        SetAcknowledged(&*a, alert.acknowledged_by(),
                        absl::FromUnixSeconds(alert.acknowledged_at().seconds()) +
                            absl::Nanoseconds(alert.acknowledged_at().nanos()));
        RETURN_IF_ERROR(FromRocks(batch.Put(cf, AlertKey(target), Serialize(*a)), "batch"));
      }
    }
  } else {
    const std::string dedupe = DedupeKey(alert);
    std::string existing;
    rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), cf, dedupe, &existing);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "get alert key");
    if (s.IsNotFound()) {
      alert.set_sequence(sequence);
      alert.set_alert_id(AlertId(sequence));
      RETURN_IF_ERROR(FromRocks(batch.Put(cf, AlertKey(sequence), Serialize(alert)), "batch"));
      RETURN_IF_ERROR(FromRocks(batch.Put(cf, dedupe, alert.alert_id()), "batch"));
      raised = true;
    }
  }
  std::string pos;
  PutFixed64BE(&pos, sequence);
  RETURN_IF_ERROR(FromRocks(batch.Put(cf, kPositionKey, pos), "batch"));
  RETURN_IF_ERROR(WriteSynced(db_->db(), &batch, "apply alert"));
  next_alert_ = 0;  // the embedded counter reloads
  if (raised) CountRaised(alert);
  return absl::OkStatus();
}

absl::Status AlertStore::AppendAlerts(std::vector<v1::Alert> alerts,
                                      std::vector<v1::Alert>* appended) {
  appended->clear();
  if (alerts.empty()) return absl::OkStatus();
  if (publish_) return AppendShared(std::move(alerts), appended);
  rocksdb::DB* db = db_->db();
  rocksdb::ColumnFamilyHandle* cf = db_->cf(kCfAlerts);
  absl::MutexLock lock(&mu_);
  if (next_alert_ == 0) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    it->SeekForPrev(AlertKey(~uint64_t{0}));
    next_alert_ = 1;
    if (it->Valid() && it->key().size() == 9 && it->key()[0] == 'a') {
      next_alert_ = DecodeFixed64BE(it->key().data() + 1) + 1;
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan alerts"));
  }
  std::vector<std::string> dedupe(alerts.size());
  for (size_t i = 0; i < alerts.size(); ++i) dedupe[i] = DedupeKey(alerts[i]);
  std::vector<std::optional<std::string>> existing;
  RETURN_IF_ERROR(MultiGetOptional(db, cf, dedupe, &existing));
  rocksdb::WriteBatch batch;
  absl::flat_hash_map<absl::string_view, bool> in_batch;
  uint64_t seq = next_alert_;
  for (size_t i = 0; i < alerts.size(); ++i) {
    if (existing[i].has_value() || !in_batch.emplace(dedupe[i], true).second) continue;
    v1::Alert& a = alerts[i];
    a.set_sequence(seq);
    a.set_alert_id(AlertId(seq));
    RETURN_IF_ERROR(FromRocks(batch.Put(cf, AlertKey(seq), Serialize(a)), "batch"));
    RETURN_IF_ERROR(FromRocks(batch.Put(cf, dedupe[i], a.alert_id()), "batch"));
    appended->push_back(a);
    ++seq;
  }
  if (appended->empty()) return absl::OkStatus();
  absl::Status s = WriteSynced(db, &batch, "append alerts");
  if (!s.ok()) {
    appended->clear();
    return s;
  }
  next_alert_ = seq;
  for (const v1::Alert& a : *appended) CountRaised(a);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Alert>> AlertStore::ListAlerts(int limit,
                                                              bool unacknowledged_only) const {
  std::vector<v1::Alert> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(kCfAlerts)));
  for (it->SeekForPrev(AlertKey(~uint64_t{0})); it->Valid() && static_cast<int>(out.size()) < limit;
       it->Prev()) {
    if (it->key().size() != 9 || it->key()[0] != 'a') break;
    ASSIGN_OR_RETURN(auto a, Parse<v1::Alert>(it->value(), "alert"));
    if (unacknowledged_only && a.acknowledged()) continue;
    out.push_back(std::move(a));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "list alerts"));
  return out;
}

absl::StatusOr<v1::Alert> AlertStore::AcknowledgeAlert(absl::string_view alert_id,
                                                       const std::string& by, absl::Time at) {
  uint64_t seq = 0;
  if (alert_id.size() != 17 || alert_id[0] != 'A' ||
      !absl::SimpleHexAtoi(alert_id.substr(1), &seq) || AlertId(seq) != alert_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("alert_id: \"", alert_id, "\" is not A + 16 hex digits"));
  }
  if (publish_) {
    ASSIGN_OR_RETURN(v1::Alert a, GetAlert(seq));
    if (a.acknowledged()) return a;
    v1::Alert ack;
    ack.set_alert_id(std::string(alert_id));
    SetAcknowledged(&ack, by, at);
    RETURN_IF_ERROR(publish_(ack, true).status());
    return GetAlert(seq);
  }
  rocksdb::DB* db = db_->db();
  rocksdb::ColumnFamilyHandle* cf = db_->cf(kCfAlerts);
  absl::MutexLock lock(&mu_);
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf, AlertKey(seq), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("alert ", alert_id));
  RETURN_IF_ERROR(FromRocks(s, "get alert"));
  ASSIGN_OR_RETURN(auto a, Parse<v1::Alert>(value, "alert"));
  if (a.acknowledged()) return a;
  SetAcknowledged(&a, by, at);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(batch.Put(cf, AlertKey(seq), Serialize(a)), "batch"));
  RETURN_IF_ERROR(WriteSynced(db, &batch, "acknowledge alert"));
  return a;
}

}  // namespace exportscreen::store
