// Helpers shared by the gRPC handlers of this folder (screening_service.cc,
// admin_service.cc): role sets, finishing unary calls, timestamps. Internal
// to services/api.
#ifndef EXPORTSCREEN_SERVICES_API_HANDLER_UTIL_H_
#define EXPORTSCREEN_SERVICES_API_HANDLER_UTIL_H_

#include <chrono>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "exportscreen/v1/auth.pb.h"
#include "exportscreen/v1/screening.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/common/proto_time.h"
#include "services/api/auth.h"
#include "services/api/grpc_services.h"
#include "services/api/observability.h"

namespace exportscreen::api {

inline constexpr char kNotServing[] = "not serving: no rule set and list version are active yet";

inline bool DeadlinePassed(const grpc::CallbackServerContext* context) {
  return context->deadline() != std::chrono::system_clock::time_point::max() &&
         context->deadline() <= std::chrono::system_clock::now();
}

inline void SetTimestamp(absl::Time t, google::protobuf::Timestamp* ts) { SetProtoTime(t, ts); }

inline constexpr std::initializer_list<v1::Role> kScreeners = {v1::ROLE_SCREENING_CLIENT,
                                                               v1::ROLE_ANALYST, v1::ROLE_OPERATOR};
inline constexpr std::initializer_list<v1::Role> kReaders = {v1::ROLE_ANALYST, v1::ROLE_AUDITOR,
                                                             v1::ROLE_OPERATOR};
inline constexpr std::initializer_list<v1::Role> kAnyone = {
    v1::ROLE_SCREENING_CLIENT, v1::ROLE_ANALYST, v1::ROLE_OPERATOR, v1::ROLE_AUDITOR};
inline constexpr std::initializer_list<v1::Role> kOperators = {v1::ROLE_OPERATOR};
// Separation of duties: who loads lists (operators) never clears hits.
inline constexpr std::initializer_list<v1::Role> kDispositioners = {v1::ROLE_ANALYST};

// Finishes a unary call with `result`: its value into `response`, or its error.
template <typename T>
void FinishWith(ObservedUnaryReactor* reactor, absl::StatusOr<T> result, T* response) {
  if (!result.ok()) {
    reactor->Finish(ToGrpcStatus(result.status()));
    return;
  }
  *response = *std::move(result);
  reactor->Finish(grpc::Status::OK);
}

// `bytes` as a one-slice ByteBuffer that owns them (no copy): how an answer
// serialised once (and recorded) is sent as it is.
inline grpc::ByteBuffer OwnedByteBuffer(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(
      owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

inline void FinishOverloaded(ObservedUnaryReactor* reactor) {
  reactor->Finish(
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server overloaded: retry with backoff"));
}

// A screening client gets answers about today: evaluating as of another
// date (what-if, historical review) is for analysts, auditors and
// operators, so a trade system cannot obtain CLEAR by picking a date before
// a rule took effect. Also: explain (near misses) is for analysts only.
absl::Status CheckAsOfAllowed(const Caller& caller, const v1::ScreenRequest& r);

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_HANDLER_UTIL_H_
