// Cluster mode (issue 17) of ScreeningServer: the records every replica
// shares besides decisions and versions (location reports, ...), each on
// its JetStream stream (services/cluster/shared_stream.h), consumed into
// the replica's store; a replica reports SERVING only once it caught up.
#include "absl/strings/str_cat.h"
#include "services/common/logging.h"
#include "services/common/status_macros.h"
#include "services/server/server.h"
#include "services/serving/location_ingest.h"

namespace exportscreen::server {

// Before the services: the store's location evidence goes through the log.
absl::Status ScreeningServer::StartSharedRecords() {
  const absl::Duration connect_timeout = absl::Seconds(15);
  return store_->WrapLocations(
      [&](store::LocationEvidence* local)
          -> absl::StatusOr<std::unique_ptr<store::LocationEvidence>> {
        ASSIGN_OR_RETURN(location_log_,
                         cluster::LocationLog::Open(cluster_nats_.get(), options_.replica_id,
                                                    options_.stream_replicas,
                                                    options_.nats_ack_timeout, connect_timeout,
                                                    local));
        return location_log_->NewEvidence();
      });
}

// After the location ingestor loaded the feed: consume the streams (what
// became latest is published to the snapshots' location feed, at the
// stream sequence, in stream order).
void ScreeningServer::StartSharedRecordConsumers() {
  if (location_log_ == nullptr) return;
  absl::Status s = location_log_->Start(
      [feed = manager_->location_feed()](const std::vector<v1::LocationReport>& latest,
                                         uint64_t sequence) {
        std::vector<std::pair<std::string, engine::ReportedLocation>> updates;
        updates.reserve(latest.size());
        for (const auto& r : latest) {
          updates.emplace_back(r.serial_number(), serving::ToReportedLocation(r));
        }
        feed->Store(feed->Load()->With(std::move(updates), sequence));
      });
  if (!s.ok()) ES_LOG_ERROR("cluster: locations consumer not started: ", s.ToString());
}

// Caught up with every shared stream (the head as of start-up) and no
// message stuck; else `*reason` says which.
bool ScreeningServer::SharedRecordsReady(std::string* reason) const {
  if (location_log_ == nullptr) return true;
  if (!location_log_->caught_up()) {
    if (reason != nullptr) {
      const std::string error = location_log_->error();
      *reason = absl::StrCat("catching up with the locations stream (at ",
                             location_log_->consumed(), ")", error.empty() ? "" : ": ", error);
    }
    return false;
  }
  return true;
}

}  // namespace exportscreen::server
