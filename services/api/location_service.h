// LocationService (issue 8): gRPC callback handlers for chip location
// reports. IngestReports is client-streaming: reports are read in batches
// (flow control: the next read starts after the batch is ingested on the
// worker pool) and the summary is returned when the client closes the
// stream. IngestBundles does the same for signed report bundles (whole
// bundles per batch of >= 4096 reports). ListAlerts lists diversion alerts. Thin: the work is in
// serving::LocationIngestor and the store.
//
// Roles: IngestReports and IngestBundles need OPERATOR; ListAlerts ANALYST, AUDITOR or
// OPERATOR. Thread-safe; each call's state lives in its reactor.
#ifndef EXPORTSCREEN_SERVICES_API_LOCATION_SERVICE_H_
#define EXPORTSCREEN_SERVICES_API_LOCATION_SERVICE_H_

#include "exportscreen/v1/location.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/api/auth.h"
#include "services/api/observability.h"
#include "services/common/thread_pool.h"
#include "services/serving/location_ingest.h"

namespace exportscreen::api {

template <typename Message>
class IngestReactor;

class LocationServiceImpl final : public v1::LocationService::CallbackService {
 public:
  // REQUIRES: all pointers outlive the service. Ingest batches and alert
  // listing run on `pool`.
  LocationServiceImpl(serving::LocationIngestor* ingestor, store::EntityStore* store,
                      WorkerPool* pool, const Authorizer* authorizer);
  // RPC metrics and access log (null = off). Set before serving.
  void set_observability(const Observability* obs) { observability_ = obs; }

  grpc::ServerReadReactor<v1::LocationReport>* IngestReports(grpc::CallbackServerContext* context,
                                                             v1::IngestSummary* response) override;
  grpc::ServerReadReactor<v1::ReportBundle>* IngestBundles(grpc::CallbackServerContext* context,
                                                           v1::IngestSummary* response) override;
  grpc::ServerUnaryReactor* ListAlerts(grpc::CallbackServerContext* context,
                                       const v1::ListAlertsRequest* request,
                                       v1::ListAlertsResponse* response) override;
  // Analyst or operator; in the admin log (refusals too).
  grpc::ServerUnaryReactor* AcknowledgeAlert(grpc::CallbackServerContext* context,
                                             const v1::AcknowledgeAlertRequest* request,
                                             v1::Alert* response) override;

 private:
  template <typename Message>
  friend class IngestReactor;
  template <typename Message>
  grpc::ServerReadReactor<Message>* StartIngest(grpc::CallbackServerContext* context,
                                                absl::string_view method,
                                                v1::IngestSummary* response);
  // Location evidence changes answers: every ingest, refused ones too,
  // goes to the admin log with its principal and counts.
  void RecordIngest(absl::string_view method, const std::string& actor, const std::string& peer,
                    const std::string& summary, const absl::Status& result);
  serving::LocationIngestor* const ingestor_;
  store::EntityStore* const store_;
  WorkerPool* const pool_;
  const Authorizer* const authorizer_;
  const Observability* observability_ = nullptr;
};

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_LOCATION_SERVICE_H_
