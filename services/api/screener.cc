#include "services/common/proto_time.h"
#include "services/api/screener.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "services/api/request_validator.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/engine/screening_engine.h"

namespace exportscreen::api {

namespace {

// Decisions by class and party-list hits by list and action (metrics).
void CountAnswer(const v1::ScreenResponse& response) {
  static metrics::Family* const decisions =
      metrics::Registry::Default().Get("es_decisions_total", "Screening answers by decision class",
                                       metrics::Type::kCounter, {"decision"});
  static metrics::Family* const hits = metrics::Registry::Default().Get(
      "es_party_hits_total", "Party-list matches in answers by list code and match action",
      metrics::Type::kCounter, {"list", "action"});
  decisions->CounterWith({v1::Decision_Name(response.decision())})->Add();
  for (const v1::PartyMatch& m : response.party_matches()) {
    hits->CounterWith({m.list(), v1::MatchAction_Name(m.action())})->Add();
  }
}

}  // namespace

absl::Status Screener::EvaluateInto(const engine::ScreeningView& view, v1::ScreenRequest* request,
                                    v1::ScreenResponse* response, bool validated) const {
  if (!validated) RETURN_IF_ERROR(NormalizeAndValidate(request));
  const absl::Time now = clock_->Now();
  absl::CivilDay as_of = absl::ToCivilDay(now, absl::UTCTimeZone());
  if (!request->as_of_date().empty()) {
    ParseCivilDay(request->as_of_date(), &as_of);  // validated above
  }
  RETURN_IF_ERROR(engine::ScreeningEngine::ScreenInto(view, *request, as_of, response));
  if (response->decision() == v1::DECISION_UNSPECIFIED) {
    return absl::InternalError("engine returned no decision");
  }
  if (response->rule_set_version() != view.snapshot.rule_set_version ||
      response->list_version() != view.snapshot.list_version) {
    return absl::InternalError("engine answered with other versions");
  }
  CountAnswer(*response);
  SetProtoTime(now, response->mutable_evaluated_at());
  return absl::OkStatus();
}

bool Screener::ClaimRequestId(const engine::ScreeningView& view,
                              std::unique_ptr<v1::DecisionRecord>* record,
                              const std::string& caller, const std::string& scope, RecordDone* done,
                              std::string* response_bytes) const {
  (void)view;
  v1::ScreenRequest* request = (*record)->mutable_request();
  // Validated before claiming; the claim's digest is the normalised
  // request's, the request its record will hold (so a record found in a
  // chain can be checked to be this very request).
  if (absl::Status valid = NormalizeAndValidate(request); !valid.ok()) {
    (*done)(std::move(valid), std::move(*record));
    return true;
  }
  absl::StatusOr<Idempotency::Outcome> outcome =
      idempotency_->Begin(scope.empty() ? caller : scope, caller, *request);
  if (!outcome.ok()) {
    (*done)(outcome.status(), std::move(*record));
    return true;
  }
  if (outcome->recorded.has_value()) {
    // The decision recorded for this request id, answered again. Copied
    // into the record's own messages (a pooled record's request and
    // response are the pool's: never replaced).
    const v1::DecisionRecord& recorded = *outcome->recorded;
    v1::DecisionRecord* r = record->get();
    r->mutable_response()->CopyFrom(recorded.response());
    r->set_decision_id(recorded.decision_id());
    *r->mutable_recorded_at() = recorded.recorded_at();
    r->set_caller(recorded.caller());
    r->set_sequence(recorded.sequence());
    r->set_prev_hash(recorded.prev_hash());
    r->set_hash(recorded.hash());
    if (response_bytes != nullptr && !(*record)->response().SerializeToString(response_bytes)) {
      (*done)(absl::InternalError("answer could not be serialised"), std::move(*record));
      return true;
    }
    (*done)(absl::OkStatus(), std::move(*record));
    return true;
  }
  *done = [this, ticket = *std::move(outcome->ticket), done = std::move(*done)](
              absl::Status s, std::unique_ptr<v1::DecisionRecord> r) {
    idempotency_->Finish(ticket, s, r.get());
    done(std::move(s), std::move(r));
  };
  return false;
}

void Screener::ScreenRecord(const engine::ScreeningView& view,
                            std::unique_ptr<v1::DecisionRecord> record, const std::string& caller,
                            RecordDone done, std::string* response_bytes,
                            const std::string& scope) const {
  // The response must start empty: a reused record was Clear()ed by its
  // pool; clear again so a stale answer can never leak into this one.
  record->mutable_response()->Clear();
  const bool idempotent =
      idempotency_ != nullptr && store_ != nullptr && !record->request().request_id().empty();
  if (idempotent && ClaimRequestId(view, &record, caller, scope, &done, response_bytes)) {
    return;
  }
  absl::Status status =
      EvaluateInto(view, record->mutable_request(), record->mutable_response(), idempotent);
  if (!status.ok() || store_ == nullptr) {
    if (status.ok() && response_bytes != nullptr &&
        !record->response().SerializeToString(response_bytes)) {
      status = absl::InternalError("answer could not be serialised");
    }
    done(std::move(status), std::move(record));
    return;
  }
  *record->mutable_recorded_at() = record->response().evaluated_at();
  record->set_caller(caller);
  if (on_recorded_) {
    done = [this, done = std::move(done)](absl::Status s, std::unique_ptr<v1::DecisionRecord> r) {
      if (s.ok() && r != nullptr) on_recorded_(*r);
      done(std::move(s), std::move(r));
    };
  }
  store_->decisions().AppendDecisionAsync(std::move(record), std::move(done), response_bytes);
}

absl::StatusOr<v1::ScreenResponse> Screener::Screen(const engine::ScreeningView& view,
                                                    v1::ScreenRequest request,
                                                    const std::string& caller) const {
  auto record = std::make_unique<v1::DecisionRecord>();
  *record->mutable_request() = std::move(request);
  absl::Notification finished;
  absl::Status status;
  std::unique_ptr<v1::DecisionRecord> answered;
  ScreenRecord(view, std::move(record), caller,
               [&](absl::Status s, std::unique_ptr<v1::DecisionRecord> r) {
                 status = std::move(s);
                 answered = std::move(r);
                 finished.Notify();
               });
  finished.WaitForNotification();
  if (!status.ok()) return status;
  return std::move(*answered->mutable_response());
}

}  // namespace exportscreen::api
