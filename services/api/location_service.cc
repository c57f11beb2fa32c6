#include "services/api/location_service.h"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "exportscreen/v1/auth.pb.h"
#include "services/api/grpc_services.h"
#include "services/common/logging.h"

namespace exportscreen::api {
namespace {

constexpr size_t kBatch = 4096;
// Reports per stream (a bigger import is split by the client).
constexpr int64_t kMaxReportsPerStream = 10'000'000;

// Reports per ingest batch: kBatch for single reports, the ingestor's
// bundle batch size for bundles (fewer, bigger store batches).
size_t BatchReports(const serving::LocationIngestor&, const v1::LocationReport*) { return kBatch; }
size_t BatchReports(const serving::LocationIngestor& ingestor, const v1::ReportBundle*) {
  return std::max<size_t>(1, ingestor.options().bundle_batch_size);
}

size_t ReportsIn(const v1::LocationReport&) { return 1; }
size_t ReportsIn(const v1::ReportBundle& b) { return size_t(b.reports_size()); }

absl::Status IngestInto(serving::LocationIngestor* ingestor, std::vector<v1::LocationReport> batch,
                        int64_t base, v1::IngestSummary* summary) {
  return ingestor->IngestBatch(std::move(batch), base, summary);
}
absl::Status IngestInto(serving::LocationIngestor* ingestor, std::vector<v1::ReportBundle> batch,
                        int64_t base, v1::IngestSummary* summary) {
  return ingestor->IngestBundleBatch(std::move(batch), base, summary);
}

}  // namespace

// Reads LocationReports or ReportBundles into batches of BatchReports()
// reports (bundles are never split: a batch ends after the bundle that
// reaches the size) and ingests each batch on the worker pool.
template <typename Message>
class IngestReactor final : public grpc::ServerReadReactor<Message> {
  using Base = grpc::ServerReadReactor<Message>;
  using Base::Finish;
  using Base::StartRead;

 public:
  IngestReactor(LocationServiceImpl* service, v1::IngestSummary* response, absl::string_view method,
                std::string actor, std::string peer, std::unique_ptr<CallObserver> observer)
      : service_(service),
        response_(response),
        method_(method),
        actor_(std::move(actor)),
        peer_(std::move(peer)),
        observer_(std::move(observer)) {
    Reserve();
    StartRead(&incoming_);
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      batch_reports_ += ReportsIn(incoming_);
      batch_.push_back(std::move(incoming_));
      incoming_.Clear();
      if (base_ + int64_t(batch_reports_) > kMaxReportsPerStream) {
        FinishRecorded(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                    "too many reports in one stream; split the import"));
        return;
      }
      if (batch_reports_ <
          BatchReports(*service_->ingestor_, static_cast<const Message*>(nullptr))) {
        StartRead(&incoming_);
        return;
      }
    }
    // A full batch, or the end of the stream: ingest off the gRPC thread.
    const bool last = !ok;
    if (!service_->pool_->TrySchedule([this, last] { Process(last); })) {
      FinishRecorded(
          grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy: ingest queue full"));
    }
  }

  void OnDone() override {
    observer_->SetLines(base_ + static_cast<int64_t>(batch_reports_));
    observer_->Done();
    delete this;
  }

 private:
  void Process(bool last) {
    std::vector<Message> batch;
    batch.swap(batch_);
    Reserve();
    const int64_t base = base_;
    base_ += int64_t(batch_reports_);
    batch_reports_ = 0;
    absl::Status s = batch.empty()
                         ? absl::OkStatus()
                         : IngestInto(service_->ingestor_, std::move(batch), base, response_);
    if (!s.ok()) {
      ES_LOG_ERROR("location ingest failed: ", s.ToString());
      FinishRecorded(ToGrpcStatus(s));
      return;
    }
    if (last) {
      FinishRecorded(grpc::Status::OK);
    } else {
      StartRead(&incoming_);
    }
  }

  void FinishRecorded(grpc::Status status) {
    service_->RecordIngest(
        method_, actor_, peer_,
        absl::StrCat("received=", response_->received(), " accepted=", response_->accepted(),
                     " duplicates=", response_->duplicates(), " rejected=",
                     response_->rejected_size(), " alerts=", response_->alerts_raised()),
        absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message()));
    observer_->SetStatus(status);
    Finish(std::move(status));
  }

  void Reserve() {
    if constexpr (std::is_same_v<Message, v1::LocationReport>) batch_.reserve(kBatch);
  }

  LocationServiceImpl* const service_;
  v1::IngestSummary* const response_;
  Message incoming_;
  std::vector<Message> batch_;
  size_t batch_reports_ = 0;  // reports in batch_
  int64_t base_ = 0;          // reports before batch_
  const std::string method_, actor_, peer_;
  const std::unique_ptr<CallObserver> observer_;
};

LocationServiceImpl::LocationServiceImpl(serving::LocationIngestor* ingestor,
                                         store::EntityStore* store, WorkerPool* pool,
                                         const Authorizer* authorizer)
    : ingestor_(ingestor), store_(store), pool_(pool), authorizer_(authorizer) {}

template <typename Message>
grpc::ServerReadReactor<Message>* LocationServiceImpl::StartIngest(
    grpc::CallbackServerContext* context, absl::string_view method, v1::IngestSummary* response) {
  auto observer = std::make_unique<CallObserver>(
      observability_, absl::StrCat("exportscreen.v1.LocationService/", method), context);
  absl::StatusOr<Caller> caller =
      AuthCall(context, *authorizer_, method, {v1::ROLE_OPERATOR}, observer.get());
  if (!caller.ok()) {
    RecordIngest(method, "", AuditPeer(*context), "refused", caller.status());
    class Refuse final : public grpc::ServerReadReactor<Message> {
     public:
      Refuse(grpc::Status s, std::unique_ptr<CallObserver> observer)
          : observer_(std::move(observer)) {
        observer_->SetStatus(s);
        this->Finish(std::move(s));
      }
      void OnDone() override {
        observer_->Done();
        delete this;
      }

     private:
      const std::unique_ptr<CallObserver> observer_;
    };
    return new Refuse(ToGrpcStatus(caller.status()), std::move(observer));
  }
  return new IngestReactor<Message>(this, response, method, caller->name, AuditPeer(*context),
                                    std::move(observer));
}

void LocationServiceImpl::RecordIngest(absl::string_view method, const std::string& actor,
                                       const std::string& peer, const std::string& summary,
                                       const absl::Status& result) {
  v1::AdminAction action = NewAdminAction(absl::Now(), method, actor, peer, summary, result);
  absl::Status s = store_->admin_log().AppendAdminAction(&action);
  if (!s.ok()) ES_LOG_ERROR("cannot record admin action ", method, ": ", s.ToString());
}

grpc::ServerReadReactor<v1::LocationReport>* LocationServiceImpl::IngestReports(
    grpc::CallbackServerContext* context, v1::IngestSummary* response) {
  return StartIngest<v1::LocationReport>(context, "IngestReports", response);
}

grpc::ServerReadReactor<v1::ReportBundle>* LocationServiceImpl::IngestBundles(
    grpc::CallbackServerContext* context, v1::IngestSummary* response) {
  return StartIngest<v1::ReportBundle>(context, "IngestBundles", response);
}

grpc::ServerUnaryReactor* LocationServiceImpl::ListAlerts(grpc::CallbackServerContext* context,
                                                          const v1::ListAlertsRequest* request,
                                                          v1::ListAlertsResponse* response) {
  auto* reactor = new ObservedUnaryReactor(observability_,
                                           "exportscreen.v1.LocationService/ListAlerts", context);
  absl::StatusOr<Caller> caller =
      AuthCall(context, *authorizer_, "ListAlerts",
               {v1::ROLE_ANALYST, v1::ROLE_AUDITOR, v1::ROLE_OPERATOR}, reactor->observer());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  const bool queued = pool_->TrySchedule([this, request, response, reactor] {
    const int limit = request->limit() > 0 ? std::min(request->limit(), 10000) : 100;
    auto alerts = store_->alerts().ListAlerts(limit, request->unacknowledged_only());
    if (!alerts.ok()) {
      reactor->Finish(ToGrpcStatus(alerts.status()));
      return;
    }
    for (auto& a : *alerts) *response->add_alerts() = std::move(a);
    reactor->Finish(grpc::Status::OK);
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* LocationServiceImpl::AcknowledgeAlert(
    grpc::CallbackServerContext* context, const v1::AcknowledgeAlertRequest* request,
    v1::Alert* response) {
  auto* reactor = new ObservedUnaryReactor(
      observability_, "exportscreen.v1.LocationService/AcknowledgeAlert", context);
  const std::string summary = absl::StrCat("alert=", request->alert_id());
  absl::StatusOr<Caller> caller =
      AuthCall(context, *authorizer_, "AcknowledgeAlert", {v1::ROLE_ANALYST, v1::ROLE_OPERATOR},
               reactor->observer());
  if (!caller.ok()) {
    RecordIngest("AcknowledgeAlert", "(unauthenticated or not allowed)", AuditPeer(*context),
                 summary, caller.status());
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  const bool queued = pool_->TrySchedule(
      [this, request, response, reactor, summary, peer = AuditPeer(*context), name = caller->name] {
        auto alert = store_->alerts().AcknowledgeAlert(request->alert_id(), name, absl::Now());
        RecordIngest("AcknowledgeAlert", name, peer, summary, alert.status());
        if (!alert.ok()) {
          reactor->Finish(ToGrpcStatus(alert.status()));
          return;
        }
        *response = *std::move(alert);
        reactor->Finish(grpc::Status::OK);
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy"));
  }
  return reactor;
}

}  // namespace exportscreen::api
