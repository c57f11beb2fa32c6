#include "services/common/file_util.h"
#include "services/cli/commands.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "google/protobuf/util/json_util.h"
#include "services/rules/rule_set.h"

namespace exportscreen::cli {

bool ReadInput(const std::string& path, std::string* out) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    auto content = ReadFileToString(path);
    if (!content.ok()) return false;
    *out = *std::move(content);
    return true;
  }
  *out = ss.str();
  return true;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string ToJson(const google::protobuf::Message& msg) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(msg, &out, options);
  if (!status.ok()) return "{}";
  return out;
}

bool ParseJson(const std::string& json, google::protobuf::Message* msg, std::string* error) {
  auto status = google::protobuf::util::JsonStringToMessage(json, msg);
  if (!status.ok()) {
    *error = status.ToString();
    return false;
  }
  return true;
}

int DecisionExitCode(v1::Decision decision) {
  switch (decision) {
    case v1::DECISION_CLEAR:
      return 0;
    case v1::DECISION_REVIEW:
      return 2;
    case v1::DECISION_LICENSE_REQUIRED:
      return 3;
    case v1::DECISION_PROHIBITED:
      return 4;
    default:
      return 1;
  }
}

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

int UsageError(const std::string& message) {
  std::cerr << "screenctl: " << message << " (see screenctl --help)\n";
  return 64;
}

int ValidateRules(const std::string& dir) {
  auto files = rules::ReadRuleFiles(dir);
  if (!files.ok()) {
    std::cerr << "error: " << files.status().message() << "\n";
    return 1;
  }
  auto compiled = rules::RuleSet::Compile(*files);
  if (!compiled.ok()) {
    std::cerr << compiled.status().message() << "\n";
    return 5;
  }
  std::cout << "OK: " << files->size() << " files, " << (*compiled)->rule_count() << " rules\n";
  return 0;
}

int ListRuleAttributes() {
  for (const rules::AttributeInfo& a : rules::BuiltinAttributes()) {
    std::cout << a.name << "  " << a.type << ", " << a.scope << ", from " << a.stage;
    if (!a.vocabulary.empty()) std::cout << ", values: " << a.vocabulary;
    std::cout << "\n    " << a.doc << "\n";
  }
  return 0;
}

}  // namespace exportscreen::cli
