#include "services/api/grpc_services.h"
#include "services/api/handler_util.h"

#include "services/api/audit_verify_stream.h"
#include "services/serving/audit_verification.h"

#include <chrono>
#include <deque>
#include <filesystem>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "absl/time/civil_time.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/status.pb.h"
#include "google/protobuf/any.pb.h"
#include "services/api/observability.h"
#include "services/api/request_validator.h"
#include "services/common/logging.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/engine/dispositions.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/serving/operations.h"

namespace exportscreen::api {

absl::Status CheckAsOfAllowed(const Caller& caller, const v1::ScreenRequest& r) {
  // Near misses (explain) show why a name did not hit: an analyst's view,
  // refused (not silently ignored) for other roles.
  if (r.explain() && !caller.HasAnyRole({v1::ROLE_ANALYST})) {
    return absl::PermissionDeniedError(absl::StrCat(
        "explain: ", caller.name, " may not ask for near misses; it needs ", "ROLE_ANALYST"));
  }
  if (r.as_of_date().empty() ||
      caller.HasAnyRole({v1::ROLE_ANALYST, v1::ROLE_AUDITOR, v1::ROLE_OPERATOR})) {
    return absl::OkStatus();
  }
  if (r.as_of_date() == absl::FormatCivilTime(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()))) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("as_of_date: ", caller.name,
                   " may only screen as of today; another date needs ROLE_ANALYST, "
                   "ROLE_AUDITOR or ROLE_OPERATOR"));
}

absl::StatusOr<Caller> AuthCall(grpc::CallbackServerContext* context, const Authorizer& authorizer,
                                absl::string_view method, std::initializer_list<v1::Role> roles,
                                CallObserver* observer) {
  std::string authorization;
  const auto& md = context->client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    authorization.assign(it->second.data(), it->second.size());
  }
  std::string cert_cn;
  if (auto auth_context = context->auth_context(); auth_context != nullptr) {
    auto values = auth_context->FindPropertyValues("x509_common_name");
    if (!values.empty()) cert_cn.assign(values[0].data(), values[0].size());
  }
  absl::StatusOr<Caller> caller = authorizer.Authenticate(authorization, cert_cn);
  if (caller.ok() && observer != nullptr) observer->SetCaller(*caller);
  if (!caller.ok()) {
    ES_LOG_WARNING_RATE_LIMITED("refused ", method, " from ", context->peer(), ": ",
                                caller.status().message());
    return caller.status();
  }
  absl::Status allowed = Authorizer::Require(*caller, method, roles);
  if (!allowed.ok()) {
    ES_LOG_WARNING_RATE_LIMITED("refused ", method, " for principal \"", caller->name, "\" from ",
                                context->peer(), ": ", allowed.message());
    return allowed;
  }
  return caller;
}

namespace {

const std::string& ConsoleSecret() {
  static const std::string* const secret = [] {
    std::random_device random;  // the kernel's generator
    auto* s = new std::string();
    for (int i = 0; i < 4; ++i) absl::StrAppend(s, absl::Hex(random(), absl::kZeroPad8));
    return s;
  }();
  return *secret;
}

}  // namespace

std::string ConsoleClientValue(absl::string_view browser_address) {
  return absl::StrCat(ConsoleSecret(), " ", browser_address);
}

std::string AuditPeer(const grpc::ServerContextBase& context) {
  std::string peer = context.peer();
  if (absl::StartsWith(peer, "ipv4:") || absl::StartsWith(peer, "ipv6:") ||
      absl::StartsWith(peer, "unix:")) {
    return peer;  // from the network: never the console
  }
  const auto& md = context.client_metadata();
  auto it = md.find(kConsoleClientKey);
  if (it == md.end()) return peer;
  absl::string_view value(it->second.data(), it->second.size());
  const std::string& secret = ConsoleSecret();
  if (value.size() <= secret.size() + 1 || value.size() > secret.size() + 80 ||
      value[secret.size()] != ' ') {
    return peer;
  }
  unsigned char differ = 0;  // in constant time
  for (size_t i = 0; i < secret.size(); ++i) differ |= value[i] ^ secret[i];
  if (differ != 0) return peer;
  return ConsolePeer(value.substr(secret.size() + 1));
}

std::string ConsolePeer(absl::string_view browser_address) {
  return absl::StrCat("console ", browser_address);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  if (auto payload = status.GetPayload(kBadRequestPayloadUrl)) {
    v1::RpcStatus rich;
    rich.set_code(static_cast<int>(code));
    rich.set_message(message);
    google::protobuf::Any* any = rich.add_details();
    any->set_type_url(kBadRequestPayloadUrl);
    any->set_value(std::string(*payload));
    return grpc::Status(code, message, rich.SerializeAsString());
  }
  return grpc::Status(code, message);
}

}  // namespace exportscreen::api
