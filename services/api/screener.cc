#include "services/api/screener.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/api/request_validator.h"
#include "services/common/status_macros.h"
#include "services/engine/screening_engine.h"

namespace exportscreen::api {

absl::StatusOr<v1::ScreenResponse> Screener::Screen(
    const engine::ScreeningSnapshot& snapshot, v1::ScreenRequest request,
    const std::string& caller) const {
  RETURN_IF_ERROR(NormalizeAndValidate(&request));
  const absl::Time now = clock_->Now();
  absl::CivilDay as_of = absl::ToCivilDay(now, absl::UTCTimeZone());
  if (!request.as_of_date().empty()) {
    ParseCivilDay(request.as_of_date(), &as_of);  // validated above
  }
  ASSIGN_OR_RETURN(v1::ScreenResponse response,
                   engine::ScreeningEngine::Screen(snapshot, request, as_of));
  if (response.decision() == v1::DECISION_UNSPECIFIED) {
    return absl::InternalError("engine returned no decision");
  }
  if (response.rule_set_version() != snapshot.rule_set_version ||
      response.list_version() != snapshot.list_version) {
    return absl::InternalError("engine answered with other versions");
  }
  const int64_t nanos = absl::ToUnixNanos(now);
  response.mutable_evaluated_at()->set_seconds(nanos / 1000000000);
  response.mutable_evaluated_at()->set_nanos(
      static_cast<int32_t>(nanos % 1000000000));
  if (store_ != nullptr) {
    // The response moves into the record and back out: no copy.
    v1::DecisionRecord record;
    *record.mutable_recorded_at() = response.evaluated_at();
    *record.mutable_request() = std::move(request);
    *record.mutable_response() = std::move(response);
    record.set_caller(caller);
    absl::StatusOr<std::string> id = store_->AppendDecision(&record);
    if (!id.ok()) return id.status();  // unrecorded: never answered
    // AppendDecision set the decision id in the record's response.
    return std::move(*record.mutable_response());
  }
  return response;
}

}  // namespace exportscreen::api
