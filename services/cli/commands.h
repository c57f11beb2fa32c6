// Helpers of screenctl shared by its commands (I/O, JSON, exit codes).
// Thread-compatible.
#ifndef EXPORTSCREEN_SERVICES_CLI_COMMANDS_H_
#define EXPORTSCREEN_SERVICES_CLI_COMMANDS_H_

#include <string>

#include "exportscreen/v1/screening.pb.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"

namespace exportscreen::cli {

// Reads a file, or stdin if path is "-".
bool ReadInput(const std::string& path, std::string* out);
std::string BaseName(const std::string& path);
// Protobuf JSON (snake_case field names, no whitespace).
std::string ToJson(const google::protobuf::Message& msg);
bool ParseJson(const std::string& json, google::protobuf::Message* msg, std::string* error);
// 0 CLEAR, 2 REVIEW, 3 LICENSE_REQUIRED, 4 PROHIBITED, 1 otherwise.
int DecisionExitCode(v1::Decision decision);
const char* StatusCodeName(grpc::StatusCode code);
int UsageError(const std::string& message);
// `rules validate DIR`: compiles locally; 0 valid, 5 invalid, 1 unreadable.
int ValidateRules(const std::string& dir);
// `screenctl rules attributes`: what a rule condition can test (name, type,
// scope, first rule family, values, meaning). Exit 0.
int ListRuleAttributes();

}  // namespace exportscreen::cli

#endif  // EXPORTSCREEN_SERVICES_CLI_COMMANDS_H_
