#include "services/server/console_util.h"

#include <httplib.h>

#include "services/api/observability.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace exportscreen::server::console {

using google::protobuf::Message;

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

// The field a message names: "reason: is required" -> "reason". Empty if
// the message does not start with a field path.
std::string FieldOf(absl::string_view message) {
  const size_t colon = message.find(": ");
  if (colon == absl::string_view::npos || colon == 0 || colon > 64) return "";
  for (char c : message.substr(0, colon)) {
    if (!(absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '[' || c == ']')) {
      return "";
    }
  }
  return std::string(message.substr(0, colon));
}

void SendError(httplib::Response& res, int http_status, absl::string_view code,
               absl::string_view message, absl::string_view field) {
  res.status = http_status;
  std::string f(field.empty() ? FieldOf(message) : std::string(field));
  res.set_content(absl::StrCat("{\"code\":", JsonQuote(code), ",\"error\":", JsonQuote(message),
                               f.empty() ? "" : absl::StrCat(",\"field\":", JsonQuote(f)), "}\n"),
                  kJson);
}

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    default:
      return 500;
  }
}

void SendStatus(httplib::Response& res, const absl::Status& s, absl::string_view field) {
  const auto code = static_cast<grpc::StatusCode>(s.code());
  SendError(res, HttpStatusOf(code), api::GrpcCodeName(code), s.message(), field);
}

void SendMessage(httplib::Response& res, const Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  std::string out;
  auto s = google::protobuf::util::MessageToJsonString(m, &out, opts);
  if (!s.ok()) {
    SendError(res, 500, "INTERNAL", absl::StrCat("JSON: ", s.ToString()));
    return;
  }
  res.status = 200;
  out.push_back('\n');
  res.set_content(std::move(out), kJson);
}

// Parses a JSON body into `m`; on failure answers 400 (415 if it is not
// JSON) and returns false.
bool ParseBody(const httplib::Request& req, httplib::Response& res, Message* m) {
  if (!absl::StartsWith(absl::AsciiStrToLower(req.get_header_value("Content-Type")),
                        "application/json")) {
    SendError(res, 415, "INVALID_ARGUMENT", "body: send JSON with Content-Type: application/json",
              "body");
    return false;
  }
  if (req.body.empty()) return true;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto s = google::protobuf::util::JsonStringToMessage(req.body, m, opts);
  if (!s.ok()) {
    std::string msg(s.message());
    // The parser names the field it choked on ("... field 'x' ...").
    std::string field = FieldOf(msg);
    const size_t q = msg.find('\'');
    if (field.empty() && q != std::string::npos) {
      const size_t e = msg.find('\'', q + 1);
      if (e != std::string::npos && e > q + 1) field = msg.substr(q + 1, e - q - 1);
    }
    if (field.empty() && absl::StartsWith(msg, "(") && msg.find(')') != std::string::npos) {
      field = msg.substr(1, msg.find(')') - 1);  // "(parties): invalid value ..."
    }
    if (field.empty()) field = "body";
    SendError(res, 400, "INVALID_ARGUMENT",
              absl::StrCat(field, ": not valid JSON of ", m->GetTypeName(), ": ", msg), field);
    return false;
  }
  return true;
}

std::string ClientAddress(const httplib::Request& req) {
  if (req.remote_addr.find(':') != std::string::npos) {
    return absl::StrCat("ipv6:[", req.remote_addr, "]:", req.remote_port);
  }
  return absl::StrCat("ipv4:", req.remote_addr, ":", req.remote_port);
}

std::string HostName(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    const size_t end = host.find(']');
    return std::string(end == absl::string_view::npos ? host.substr(1) : host.substr(1, end - 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

bool IsLoopbackHostHeader(absl::string_view host) {
  if (host.empty()) return true;  // HTTP/1.0 clients
  if (absl::StartsWith(host, "[")) {
    return absl::StartsWith(host, "[::1]");
  }
  host = host.substr(0, host.find(':'));
  return host == "localhost" || absl::StartsWith(host, "127.");
}

// The `limit` parameter of the log listings: 1 to 10000, absent = 0 (the
// service's default). Answers 400 and returns false if malformed.
bool ParseLimit(const httplib::Request& req, httplib::Response& res, int* limit) {
  *limit = 0;
  if (!req.has_param("limit")) return true;
  if (!absl::SimpleAtoi(req.get_param_value("limit"), limit) || *limit < 1 || *limit > 10000) {
    SendError(res, 400, "INVALID_ARGUMENT", "limit: must be a number from 1 to 10000", "limit");
    return false;
  }
  return true;
}

}  // namespace exportscreen::server::console
