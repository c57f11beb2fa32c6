#include "services/store/rocks_location_evidence.h"

#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "exportscreen/v1/entities.pb.h"
#include "services/common/status_macros.h"
#include "services/store/key_codec.h"

namespace exportscreen::store {
namespace {

// Deterministic serialisation without the store-assigned receive time: two
// reports are "the same" iff these bytes are equal.
std::string ReportFingerprint(const v1::LocationReport& r) {
  if (!r.has_received_at()) return Serialize(r);
  v1::LocationReport copy = r;
  copy.clear_received_at();
  return Serialize(copy);
}

std::string ReplayKey(const v1::LocationReport& r) {
  std::string key = r.verifier_id();
  key.push_back('\0');
  key += r.serial_number();
  key.push_back('\0');
  PutFixed64BE(&key, static_cast<uint64_t>(r.observed_at().seconds()) ^ (uint64_t{1} << 63));
  const uint32_t nanos = static_cast<uint32_t>(r.observed_at().nanos());
  for (int shift = 24; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((nanos >> shift) & 0xff));
  }
  return key;
}

// Strictly newer observation (ties broken by report_id, so the order is total).
bool NewerReport(const v1::LocationReport& a, const v1::LocationReport& b) {
  if (a.observed_at().seconds() != b.observed_at().seconds()) {
    return a.observed_at().seconds() > b.observed_at().seconds();
  }
  if (a.observed_at().nanos() != b.observed_at().nanos()) {
    return a.observed_at().nanos() > b.observed_at().nanos();
  }
  return a.report_id() > b.report_id();
}

std::string SerialDecisionPrefix(absl::string_view serial) {
  std::string key(serial);
  key.push_back('\0');
  return key;
}

}  // namespace

absl::Status RocksLocationEvidence::PutLocationReports(
    const std::vector<v1::LocationReport>& reports, std::vector<LocationPut>* outcome,
    std::vector<v1::LocationReport>* latest, uint64_t* sequence) {
  absl::MutexLock lock(&mu_);
  return PutLocked(reports, 0, outcome, latest, sequence);
}

absl::Status RocksLocationEvidence::ApplyLocationReports(
    const std::vector<v1::LocationReport>& reports, uint64_t sequence,
    std::vector<LocationPut>* outcome, std::vector<v1::LocationReport>* latest) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const uint64_t current, LocationSequenceLocked());
  if (sequence <= current) {
    outcome->assign(reports.size(), LocationPut::kDuplicate);
    latest->clear();
    return absl::AlreadyExistsError(
        absl::StrCat("location sequence ", sequence, " already applied (at ", current, ")"));
  }
  return PutLocked(reports, sequence, outcome, latest, nullptr);
}

absl::Status RocksLocationEvidence::PutLocked(const std::vector<v1::LocationReport>& reports,
                                              uint64_t at, std::vector<LocationPut>* outcome,
                                              std::vector<v1::LocationReport>* latest,
                                              uint64_t* sequence) {
  const size_t n = reports.size();
  outcome->assign(n, LocationPut::kStored);
  latest->clear();
  if (n == 0 && at == 0) {
    if (sequence == nullptr) return absl::OkStatus();
    ASSIGN_OR_RETURN(*sequence, LocationSequenceLocked());
    return absl::OkStatus();
  }

  std::vector<std::string> ids(n), replay(n);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = reports[i].report_id();
    replay[i] = ReplayKey(reports[i]);
  }
  std::vector<std::optional<std::string>> stored_reports, stored_replay;
  RETURN_IF_ERROR(MultiGetOptional(db_->db(), db_->cf(kCfLocationReports), ids, &stored_reports));
  RETURN_IF_ERROR(MultiGetOptional(db_->db(), db_->cf(kCfLocationReplay), replay, &stored_replay));

  rocksdb::WriteBatch batch;
  absl::flat_hash_map<absl::string_view, size_t> first_by_id, first_by_replay;
  first_by_id.reserve(n);
  first_by_replay.reserve(n);
  std::vector<size_t> stored;
  stored.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const v1::LocationReport& r = reports[i];
    if (auto it = first_by_id.find(ids[i]); it != first_by_id.end()) {
      (*outcome)[i] = ReportFingerprint(reports[it->second]) == ReportFingerprint(r)
                          ? LocationPut::kDuplicate
                          : LocationPut::kConflict;
      continue;
    }
    first_by_id.emplace(ids[i], i);
    if (stored_reports[i].has_value()) {
      ASSIGN_OR_RETURN(auto existing,
                       Parse<v1::LocationReport>(*stored_reports[i], "location report"));
      (*outcome)[i] = ReportFingerprint(existing) == ReportFingerprint(r) ? LocationPut::kDuplicate
                                                                          : LocationPut::kConflict;
      continue;
    }
    if (first_by_replay.contains(replay[i]) ||
        (stored_replay[i].has_value() && *stored_replay[i] != r.report_id())) {
      (*outcome)[i] = LocationPut::kReplay;
      continue;
    }
    first_by_replay.emplace(replay[i], i);
    RETURN_IF_ERROR(
        FromRocks(batch.Put(db_->cf(kCfLocationReports), r.report_id(), Serialize(r)), "batch"));
    RETURN_IF_ERROR(
        FromRocks(batch.Put(db_->cf(kCfLocationReplay), replay[i], r.report_id()), "batch"));
    stored.push_back(i);
  }

  // Latest per serial: the newest of (stored latest, this batch's reports).
  absl::flat_hash_map<absl::string_view, size_t> newest;  // serial -> index
  newest.reserve(stored.size());
  for (size_t i : stored) {
    auto [it, inserted] = newest.emplace(reports[i].serial_number(), i);
    if (!inserted && NewerReport(reports[i], reports[it->second])) it->second = i;
  }
  std::vector<std::string> serials;
  std::vector<size_t> candidate;
  serials.reserve(newest.size());
  candidate.reserve(newest.size());
  for (const auto& [serial, i] : newest) {
    serials.emplace_back(serial);
    candidate.push_back(i);
  }
  std::vector<std::optional<std::string>> stored_latest;
  RETURN_IF_ERROR(MultiGetOptional(db_->db(), db_->cf(kCfLocationLatest), serials, &stored_latest));
  ASSIGN_OR_RETURN(const uint64_t current_seq, LocationSequenceLocked());
  // `at` (a replicated log's position) is the sequence even if nothing
  // became latest: it is also the position the log was applied to.
  const uint64_t next_seq = at > 0 ? at : current_seq + 1;
  for (size_t k = 0; k < serials.size(); ++k) {
    const v1::LocationReport& r = reports[candidate[k]];
    if (stored_latest[k].has_value()) {
      ASSIGN_OR_RETURN(auto current,
                       Parse<v1::LocationReport>(*stored_latest[k], "latest location"));
      if (!NewerReport(r, current)) continue;
    }
    const std::string value = Serialize(r);
    RETURN_IF_ERROR(FromRocks(batch.Put(db_->cf(kCfLocationLatest), serials[k], value), "batch"));
    RETURN_IF_ERROR(FromRocks(
        batch.Put(db_->cf(kCfLocationHistory), VersionedSeqKey(serials[k], next_seq), value),
        "batch"));
    latest->push_back(r);
  }
  const bool advance = !latest->empty() || at > 0;
  if (advance) {
    std::string seq;
    PutFixed64BE(&seq, next_seq);
    RETURN_IF_ERROR(FromRocks(batch.Put(db_->cf(kCfMeta), kMetaLocationSequence, seq), "batch"));
  }
  if (sequence != nullptr) *sequence = advance ? next_seq : current_seq;
  if (batch.Count() == 0) return absl::OkStatus();
  RETURN_IF_ERROR(
      FromRocks(db_->db()->Write(rocksdb::WriteOptions(), &batch), "put location reports"));
  if (advance) location_seq_ = next_seq;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> RocksLocationEvidence::LocationSequenceLocked() {
  if (location_seq_loaded_) return location_seq_;
  std::string value;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->cf(kCfMeta), kMetaLocationSequence, &value);
  if (s.IsNotFound()) {
    // No sequence yet. A store written before location history existed may
    // hold latest reports without history: they become sequence 1, so a
    // replay sees them as every decision since did.
    location_seq_ = 0;
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(kCfLocationLatest)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice serial = it->key();
      RETURN_IF_ERROR(
          FromRocks(batch.Put(db_->cf(kCfLocationHistory),
                              VersionedSeqKey(absl::string_view(serial.data(), serial.size()), 1),
                              it->value()),
                    "batch"));
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan latest locations"));
    if (batch.Count() > 0) {
      std::string seq;
      PutFixed64BE(&seq, 1);
      RETURN_IF_ERROR(FromRocks(batch.Put(db_->cf(kCfMeta), kMetaLocationSequence, seq), "batch"));
      RETURN_IF_ERROR(FromRocks(db_->db()->Write(rocksdb::WriteOptions(), &batch),
                                "backfill location history"));
      location_seq_ = 1;
    }
  } else {
    RETURN_IF_ERROR(FromRocks(s, "get location sequence"));
    if (value.size() != 8) return absl::DataLossError("bad location sequence");
    location_seq_ = DecodeFixed64BE(value.data());
  }
  location_seq_loaded_ = true;
  return location_seq_;
}

absl::StatusOr<uint64_t> RocksLocationEvidence::LocationSequence() {
  absl::MutexLock lock(&mu_);
  return LocationSequenceLocked();
}

absl::StatusOr<std::optional<v1::LocationReport>> RocksLocationEvidence::LocationAt(
    absl::string_view serial, uint64_t sequence) const {
  const std::string target = VersionedSeqKey(serial, sequence);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(kCfLocationHistory)));
  it->SeekForPrev(target);
  RETURN_IF_ERROR(FromRocks(it->status(), "seek location history"));
  if (!it->Valid()) return std::optional<v1::LocationReport>();
  const rocksdb::Slice key = it->key();
  // Same serial: the key is exactly serial\0<8 bytes>.
  if (key.size() != serial.size() + 9 ||
      std::memcmp(key.data(), serial.data(), serial.size()) != 0 || key[serial.size()] != '\0') {
    return std::optional<v1::LocationReport>();
  }
  ASSIGN_OR_RETURN(auto r, Parse<v1::LocationReport>(it->value(), "location history"));
  return std::optional<v1::LocationReport>(std::move(r));
}

absl::StatusOr<std::optional<v1::LocationReport>> RocksLocationEvidence::GetLocationReport(
    absl::string_view report_id) const {
  return GetOptional<v1::LocationReport>(db_->db(), db_->cf(kCfLocationReports), report_id,
                                         "location report");
}

absl::StatusOr<std::optional<v1::LocationReport>> RocksLocationEvidence::LatestLocation(
    absl::string_view serial) const {
  return GetOptional<v1::LocationReport>(db_->db(), db_->cf(kCfLocationLatest), serial,
                                         "latest location");
}

absl::Status RocksLocationEvidence::ScanLatestLocations(
    const std::function<void(const v1::LocationReport&)>& fn) const {
  const rocksdb::Snapshot* snap = db_->db()->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  absl::Status status;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, db_->cf(kCfLocationLatest)));
    v1::LocationReport r;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        status = absl::DataLossError("cannot parse latest location");
        break;
      }
      fn(r);
    }
    if (status.ok()) status = FromRocks(it->status(), "scan latest locations");
  }
  db_->db()->ReleaseSnapshot(snap);
  return status;
}

absl::Status RocksLocationEvidence::IndexDecisionSerials(const v1::DecisionRecord& record,
                                                         rocksdb::WriteBatch* batch) const {
  v1::SerialDecisionRef ref;
  bool built = false;
  for (const auto& item : record.request().items()) {
    for (const auto& serial : item.serial_numbers()) {
      if (serial.empty()) continue;
      if (!built) {
        ref.set_decision_id(record.decision_id());
        ref.set_sequence(record.sequence());
        ref.set_destination_country(record.request().destination_country());
        ref.set_decision(record.response().decision());
        *ref.mutable_recorded_at() = record.recorded_at();
        built = true;
      }
      std::string key = SerialDecisionPrefix(serial);
      PutFixed64BE(&key, record.sequence());
      RETURN_IF_ERROR(
          FromRocks(batch->Put(db_->cf(kCfSerialDecisions), key, Serialize(ref)), "batch"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::SerialDecisionRef>> RocksLocationEvidence::DecisionsForSerial(
    absl::string_view serial) const {
  std::vector<v1::SerialDecisionRef> out;
  const std::string prefix = SerialDecisionPrefix(serial);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(kCfSerialDecisions)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ASSIGN_OR_RETURN(auto ref, Parse<v1::SerialDecisionRef>(it->value(), "serial decision"));
    out.push_back(std::move(ref));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan serial decisions"));
  return out;
}

}  // namespace exportscreen::store
