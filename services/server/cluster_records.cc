// Cluster mode (issue 17) of ScreeningServer: the records every replica
// shares besides decisions and versions: location reports, dispositions,
// alerts and the admin action log, each on its JetStream stream
// (services/cluster/shared_stream.h) and consumed, in stream order, into
// the replica's store, which keeps the position it applied with the
// records (a redelivery is skipped). A record is stored only once the log
// acknowledged it and this replica applied it (else UNAVAILABLE), and
// carries the replica that made it. A replica reports SERVING only once
// it caught up with every stream.
#include "absl/strings/str_cat.h"
#include "services/common/logging.h"
#include "services/common/status_macros.h"
#include "services/server/server.h"
#include "services/serving/location_ingest.h"

namespace exportscreen::server {
namespace {

constexpr absl::Duration kConnectTimeout = absl::Seconds(15);

// Alerts stream messages: 'A' + an alert, or 'K' + an acknowledgement.
std::string AlertMessage(const v1::Alert& alert, bool ack) {
  return absl::StrCat(ack ? "K" : "A", alert.SerializeAsString());
}

}  // namespace

// Before the services: the store's location evidence goes through the log.
absl::Status ScreeningServer::StartSharedRecords() {
  RETURN_IF_ERROR(
      store_->WrapLocations([&](store::LocationEvidence* local)
                                -> absl::StatusOr<std::unique_ptr<store::LocationEvidence>> {
        ASSIGN_OR_RETURN(location_log_,
                         cluster::LocationLog::Open(
                             cluster_nats_.get(), options_.replica_id, options_.stream_replicas,
                             options_.nats_ack_timeout, kConnectTimeout, local));
        return location_log_->NewEvidence();
      }));
  return StartSharedStores();
}

// The dispositions, alerts and admin stores append through their streams.
absl::Status ScreeningServer::StartSharedStores() {
  auto open = [&](const char* name) {
    return cluster::SharedStream::Open(cluster_nats_.get(), name, options_.replica_id,
                                       options_.stream_replicas, options_.nats_ack_timeout,
                                       kConnectTimeout);
  };
  ASSIGN_OR_RETURN(disposition_stream_, open("dispositions"));
  ASSIGN_OR_RETURN(alert_stream_, open("alerts"));
  ASSIGN_OR_RETURN(admin_stream_, open("admin"));
  const std::string replica = options_.replica_id;
  store_->dispositions().set_publish(
      [s = disposition_stream_.get(), replica](const v1::Disposition& d) {
        v1::Disposition copy = d;
        copy.set_replica_id(replica);
        return s->PublishApplied(s->NewMsgId(), copy.SerializeAsString());
      });
  store_->alerts().set_publish([s = alert_stream_.get(), replica](const v1::Alert& a, bool ack) {
    v1::Alert copy = a;
    if (!ack) copy.set_replica_id(replica);
    return s->PublishApplied(s->NewMsgId(), AlertMessage(copy, ack));
  });
  store_->admin_log().set_publish([s = admin_stream_.get(), replica](const v1::AdminAction& a) {
    v1::AdminAction copy = a;
    copy.set_replica_id(replica);
    return s->PublishApplied(s->NewMsgId(), copy.SerializeAsString());
  });
  return absl::OkStatus();
}

// After the location ingestor loaded the feed: consume the streams. What
// became latest is published to the snapshots' location feed (at the
// stream sequence, in stream order); an applied disposition reloads the
// registry, so the next evaluation on this replica pins a set with it.
void ScreeningServer::StartSharedRecordConsumers() {
  if (location_log_ == nullptr) return;
  absl::Status s = location_log_->Start(
      [this, feed = manager_->location_feed()](const std::vector<v1::LocationReport>& latest,
                                               const std::vector<v1::LocationReport>& stored,
                                               const std::string& replica, uint64_t sequence) {
        if (!latest.empty()) {
          std::vector<std::pair<std::string, engine::ReportedLocation>> updates;
          updates.reserve(latest.size());
          for (const auto& r : latest) {
            updates.emplace_back(r.serial_number(), serving::ToReportedLocation(r));
          }
          feed->Store(feed->Load()->With(std::move(updates), sequence));
        }
        // Another replica's reports: the diversion alerts of this replica's
        // decisions (the ingesting replica raised those of its own), off
        // the consumer's thread.
        if (replica != options_.replica_id && !stored.empty()) RaiseAlertsLater(stored);
      });
  if (!s.ok()) ES_LOG_ERROR("cluster: locations consumer not started: ", s.ToString());
  auto skip = [](const cluster::StreamMessage& m) {
    ES_LOG_WARNING("cluster: ", m.subject, " sequence ", m.sequence, " from ", m.replica,
                   " does not decode: skipped");
    return absl::OkStatus();
  };
  auto disposition_position = store_->dispositions().LastSequence();
  disposition_stream_->Start(
      disposition_position.ok() ? *disposition_position : 0,
      [this, skip](const cluster::StreamMessage& m) {
        v1::Disposition d;
        if (!d.ParseFromString(m.data)) return skip(m);
        // Applied before (a retry after a failed reload): reload all the same,
        // or the served set would miss it until the next disposition.
        if (absl::Status a = store_->dispositions().ApplyDisposition(std::move(d), m.sequence);
            !a.ok() && !absl::IsAlreadyExists(a)) {
          return a;
        }
        return dispositions_->Reload();
      });
  auto alert_position = store_->alerts().AppliedPosition();
  alert_stream_->Start(
      alert_position.ok() ? *alert_position : 0, [this, skip](const cluster::StreamMessage& m) {
        v1::Alert a;
        if (m.data.empty() || (m.data[0] != 'A' && m.data[0] != 'K') ||
            !a.ParseFromArray(m.data.data() + 1, static_cast<int>(m.data.size() - 1))) {
          return skip(m);
        }
        return store_->alerts().ApplyAlert(std::move(a), m.data[0] == 'K', m.sequence);
      });
  auto admin_position = store_->admin_log().LastSequence();
  admin_stream_->Start(admin_position.ok() ? *admin_position : 0,
                       [this, skip](const cluster::StreamMessage& m) {
                         v1::AdminAction a;
                         if (!a.ParseFromString(m.data)) return skip(m);
                         return store_->admin_log().ApplyAdminAction(std::move(a), m.sequence);
                       });
  for (const auto* st : {&disposition_position, &alert_position, &admin_position}) {
    if (!st->ok()) ES_LOG_ERROR("cluster: stream position not read: ", st->status().ToString());
  }
}

void ScreeningServer::RaiseAlertsLater(std::vector<v1::LocationReport> reports) {
  const bool queued = location_pool_->TrySchedule([this, reports = std::move(reports)] {
    absl::StatusOr<int64_t> raised = location_ingestor_->RaiseAlertsFor(reports);
    if (!raised.ok()) {
      ES_LOG_ERROR("cluster: diversion alerts of shared reports: ", raised.status().ToString());
    } else if (*raised > 0) {
      ES_LOG_WARNING("cluster: ", *raised,
                     " diversion alerts raised for reports ingested on another replica");
    }
  });
  if (!queued) ES_LOG_ERROR("cluster: diversion alerts of shared reports dropped (queue full)");
}

// Server shutdown: no stream is applied once the services are gone.
void ScreeningServer::StopSharedRecords() {
  if (location_log_ == nullptr) return;
  location_log_->Stop();
  disposition_stream_->Stop();
  alert_stream_->Stop();
  admin_stream_->Stop();
}

bool ScreeningServer::SharedRecordsCaughtUp(std::string* reason) const {
  if (location_log_ == nullptr) return true;
  if (!location_log_->caught_up() || !disposition_stream_->caught_up()) {
    *reason =
        absl::StrCat("not serving: catching up with the ",
                     location_log_->caught_up() ? "dispositions" : "locations", " stream (retry)");
    return false;
  }
  // Caught up once, but a message it cannot apply stops a consumer there:
  // answers would then miss the locations or dispositions after it.
  if (location_log_->stuck() || disposition_stream_->stuck()) {
    *reason = absl::StrCat(
        "not serving: ",
        location_log_->stuck() ? location_log_->error() : disposition_stream_->error(), " (retry)");
    return false;
  }
  return true;
}

// Caught up with every shared stream (the head as of start-up), no stream
// lost (recreated below what was applied), and the streams answers depend
// on (locations, dispositions) not stuck at a message; else `*reason` says
// which.
bool ScreeningServer::SharedRecordsReady(std::string* reason) const {
  if (location_log_ == nullptr) return true;
  struct Stream {
    const char* name;
    bool caught_up;
    bool blocked;  // stuck (answers depend on it) or lost
    uint64_t consumed;
    std::string error;
  };
  const Stream streams[] = {
      {"locations", location_log_->caught_up(), location_log_->stuck(), location_log_->consumed(),
       location_log_->error()},
      {"dispositions", disposition_stream_->caught_up(), disposition_stream_->stuck(),
       disposition_stream_->consumed(), disposition_stream_->error()},
      {"alerts", alert_stream_->caught_up(), alert_stream_->diverged(), alert_stream_->consumed(),
       alert_stream_->error()},
      {"admin", admin_stream_->caught_up(), admin_stream_->diverged(), admin_stream_->consumed(),
       admin_stream_->error()}};
  for (const Stream& s : streams) {
    if (s.caught_up && !s.blocked) continue;
    if (reason != nullptr) {
      *reason = s.blocked ? s.error
                          : absl::StrCat("catching up with the ", s.name, " stream (at ",
                                         s.consumed, ")", s.error.empty() ? "" : ": ", s.error);
    }
    return false;
  }
  return true;
}

void ScreeningServer::AddStreamPositions(v1::ReplicaStatus* r) const {
  if (location_log_ == nullptr) return;
  auto add = [r](const char* name, uint64_t consumed, absl::StatusOr<uint64_t> head) {
    v1::StreamPosition* p = r->add_streams();
    p->set_stream(name);
    p->set_consumed(consumed);
    if (head.ok()) p->set_head(*head);
    if (p->head() > consumed) p->set_lag(p->head() - consumed);
  };
  add("locations", location_log_->consumed(), location_log_->Head());
  add("dispositions", disposition_stream_->consumed(), disposition_stream_->Head());
  add("alerts", alert_stream_->consumed(), alert_stream_->Head());
  add("admin", admin_stream_->consumed(), admin_stream_->Head());
}

}  // namespace exportscreen::server
