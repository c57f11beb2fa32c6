// Minimal grpc.health.v1 client (Debian ships no health.proto): calls
// /grpc.health.v1.Health/Check through the generic stub and decodes the one
// varint field of the answer. Thread-safe.
#ifndef EXPORTSCREEN_SERVICES_CLI_HEALTH_CLIENT_H_
#define EXPORTSCREEN_SERVICES_CLI_HEALTH_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"

namespace exportscreen::cli {

enum class HealthState { kUnknown = 0, kServing = 1, kNotServing = 2 };

// Checks `service` ("" = the whole server). Returns the RPC status; on OK,
// *state holds the answer.
grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                         std::chrono::system_clock::time_point deadline, HealthState* state);

}  // namespace exportscreen::cli

#endif  // EXPORTSCREEN_SERVICES_CLI_HEALTH_CLIENT_H_
