// HTTP helpers of the analyst console's JSON API (console_http.cc): JSON
// answers and errors in one shape ({"code", "error", "field"}), gRPC status
// to HTTP status, request bodies and parameters. Internal to
// services/server. Thread-safe (stateless).
#ifndef EXPORTSCREEN_SERVICES_SERVER_CONSOLE_UTIL_H_
#define EXPORTSCREEN_SERVICES_SERVER_CONSOLE_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace exportscreen::server::console {

inline constexpr char kJson[] = "application/json; charset=utf-8";

// `s` as a JSON string literal (quoted, escaped).
std::string JsonQuote(absl::string_view s);
// The field a message names: "reason: is required" -> "reason". Empty if
// the message does not start with a field path.
std::string FieldOf(absl::string_view message);
// Answers `http_status` with {"code", "error", "field"} (field: the given
// one, else the one the message names).
void SendError(httplib::Response& res, int http_status, absl::string_view code,
               absl::string_view message, absl::string_view field = "");
int HttpStatusOf(grpc::StatusCode code);
// An error status as SendError, with the HTTP status of its code.
void SendStatus(httplib::Response& res, const absl::Status& s, absl::string_view field = "");
// 200 with the message as protobuf JSON (proto field names).
void SendMessage(httplib::Response& res, const google::protobuf::Message& m);
// Parses a JSON body into `m`; on failure answers 400 (415 if it is not
// JSON) naming the field and returns false.
bool ParseBody(const httplib::Request& req, httplib::Response& res, google::protobuf::Message* m);
// The host of a Host header: "a.example:8443" -> "a.example",
// "[::1]:9464" -> "::1".
std::string HostName(absl::string_view host);
// The browser's address as gRPC names peers: "ipv4:127.0.0.1:5555",
// "ipv6:[::1]:5555".
std::string ClientAddress(const httplib::Request& req);
// True if the Host header names a loopback address (or is absent).
bool IsLoopbackHostHeader(absl::string_view host);
// The `limit` parameter of the log listings: 1 to 10000, absent = 0 (the
// service's default). Answers 400 and returns false if malformed.
bool ParseLimit(const httplib::Request& req, httplib::Response& res, int* limit);

}  // namespace exportscreen::server::console

#endif  // EXPORTSCREEN_SERVICES_SERVER_CONSOLE_UTIL_H_
