#include "services/cluster/location_log.h"

#include "absl/strings/str_cat.h"
#include "services/common/logging.h"
#include "services/common/status_macros.h"
#include "services/crypto/digest.h"

namespace exportscreen::cluster {
namespace {

constexpr char kStream[] = "locations";

std::string Fingerprint(const v1::LocationReport& r) {
  v1::LocationReport copy = r;
  copy.clear_received_at();  // set by the receiving replica, at its clock
  std::string out;
  copy.SerializeToString(&out);
  return out;
}

// The message id of a batch: the same reports give the same id (a retried
// ingest is dropped by JetStream within its duplicates window).
std::string BatchId(const std::vector<v1::LocationReport>& reports) {
  std::string all;
  for (const auto& r : reports) {
    const std::string f = Fingerprint(r);
    absl::StrAppend(&all, f.size(), ":", f);
  }
  return absl::StrCat("loc-", Sha256Hex(all).substr(0, 40));
}

// The wrapped evidence: puts go through the log, reads to the local store.
class SharedEvidence : public store::LocationEvidence {
 public:
  explicit SharedEvidence(LocationLog* log) : log_(log) {}
  absl::Status PutLocationReports(const std::vector<v1::LocationReport>& reports,
                                  std::vector<store::LocationPut>* outcome,
                                  std::vector<v1::LocationReport>* latest,
                                  uint64_t* sequence) override {
    return log_->Put(reports, outcome, latest, sequence);
  }
  absl::StatusOr<uint64_t> LocationSequence() override { return log_->local().LocationSequence(); }
  absl::StatusOr<std::optional<v1::LocationReport>> LocationAt(absl::string_view serial,
                                                               uint64_t sequence) const override {
    return log_->local().LocationAt(serial, sequence);
  }
  absl::StatusOr<std::optional<v1::LocationReport>> GetLocationReport(
      absl::string_view report_id) const override {
    return log_->local().GetLocationReport(report_id);
  }
  absl::StatusOr<std::optional<v1::LocationReport>> LatestLocation(
      absl::string_view serial) const override {
    return log_->local().LatestLocation(serial);
  }
  absl::Status ScanLatestLocations(
      const std::function<void(const v1::LocationReport&)>& fn) const override {
    return log_->local().ScanLatestLocations(fn);
  }
  absl::StatusOr<std::vector<v1::SerialDecisionRef>> DecisionsForSerial(
      absl::string_view serial) const override {
    return log_->local().DecisionsForSerial(serial);
  }

 private:
  LocationLog* const log_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LocationLog>> LocationLog::Open(
    NatsClient* nats, const std::string& replica_id, int stream_replicas,
    absl::Duration ack_timeout, absl::Duration connect_timeout, store::LocationEvidence* local) {
  std::unique_ptr<LocationLog> log(new LocationLog(local, ack_timeout));
  ASSIGN_OR_RETURN(log->stream_, SharedStream::Open(nats, kStream, replica_id, stream_replicas,
                                                    ack_timeout, connect_timeout));
  return log;
}

std::unique_ptr<store::LocationEvidence> LocationLog::NewEvidence() {
  return std::make_unique<SharedEvidence>(this);
}

absl::Status LocationLog::Start(OnApplied on_applied) {
  on_applied_ = std::move(on_applied);
  ASSIGN_OR_RETURN(const uint64_t position, local_->LocationSequence());
  stream_->Start(position, [this](const StreamMessage& msg) { return Apply(msg); });
  return absl::OkStatus();
}

absl::Status LocationLog::Put(const std::vector<v1::LocationReport>& reports,
                              std::vector<store::LocationPut>* outcome,
                              std::vector<v1::LocationReport>* latest, uint64_t* sequence) {
  if (reports.empty()) return local_->PutLocationReports(reports, outcome, latest, sequence);
  v1::ReportBundle batch;  // the container of a message (not a signed bundle)
  for (const auto& r : reports) *batch.add_reports() = r;
  const std::string id = BatchId(reports);
  {
    absl::MutexLock lock(&mu_);
    waiting_[id] = std::nullopt;
  }
  auto forget = [&] {
    absl::MutexLock lock(&mu_);
    auto it = waiting_.find(id);
    std::optional<std::vector<store::LocationPut>> result;
    if (it != waiting_.end()) {
      result = std::move(it->second);
      waiting_.erase(it);
    }
    return result;
  };
  absl::StatusOr<PublishAck> ack =
      stream_->Publish(stream_->replica_subject(), id, batch.SerializeAsString());
  if (!ack.ok()) {
    forget();
    return ack.status();  // UNAVAILABLE: nothing stored
  }
  if (!stream_->WaitApplied(ack->sequence, ack_timeout_ + absl::Seconds(5))) {
    forget();
    return absl::UnavailableError(
        absl::StrCat("location reports acknowledged by the log as sequence ", ack->sequence,
                     " but not applied on this replica in time (",
                     stream_->error().empty() ? "consumer behind" : stream_->error(),
                     "); they are not lost: a retry reports them as duplicates"));
  }
  std::optional<std::vector<store::LocationPut>> result = forget();
  if (result.has_value() && !ack->duplicate) {
    *outcome = *std::move(result);
  } else {
    OutcomeFromStore(reports, outcome);
  }
  latest->clear();  // already published to the feed by on_applied
  if (sequence != nullptr) *sequence = ack->sequence;
  return absl::OkStatus();
}

void LocationLog::OutcomeFromStore(const std::vector<v1::LocationReport>& reports,
                                   std::vector<store::LocationPut>* outcome) const {
  outcome->assign(reports.size(), store::LocationPut::kDuplicate);
  for (size_t i = 0; i < reports.size(); ++i) {
    auto stored = local_->GetLocationReport(reports[i].report_id());
    if (!stored.ok() || !stored->has_value()) {
      (*outcome)[i] = store::LocationPut::kReplay;
    } else if (Fingerprint(**stored) != Fingerprint(reports[i])) {
      (*outcome)[i] = store::LocationPut::kConflict;
    }
  }
}

absl::Status LocationLog::Apply(const StreamMessage& msg) {
  v1::ReportBundle batch;
  std::vector<v1::LocationReport> reports;
  if (batch.ParseFromString(msg.data)) {
    reports.assign(std::make_move_iterator(batch.mutable_reports()->begin()),
                   std::make_move_iterator(batch.mutable_reports()->end()));
  } else {
    // Applied as nothing (the position moves on): never blocks the stream.
    ES_LOG_WARNING("cluster: locations stream sequence ", msg.sequence, " from ", msg.replica,
                   " does not decode: skipped");
  }
  std::vector<store::LocationPut> outcome;
  std::vector<v1::LocationReport> latest;
  RETURN_IF_ERROR(local_->ApplyLocationReports(reports, msg.sequence, &outcome, &latest));
  std::vector<v1::LocationReport> stored;
  for (size_t i = 0; i < reports.size(); ++i) {
    if (outcome[i] == store::LocationPut::kStored) stored.push_back(reports[i]);
  }
  if (on_applied_) on_applied_(latest, stored, msg.replica, msg.sequence);
  absl::MutexLock lock(&mu_);
  if (auto it = waiting_.find(msg.msg_id); it != waiting_.end()) it->second = std::move(outcome);
  return absl::OkStatus();
}

}  // namespace exportscreen::cluster
