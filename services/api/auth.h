// Authorizer: who is calling and may they. Bearer tokens (stored only as
// SHA-256 hashes in the --auth_config file) or mTLS client-certificate
// common names map to principals with roles. Transport-free: the gRPC
// handlers pass the `authorization` header and the certificate CN.
//
// Open mode (no config): every caller is "anonymous" with every role. The
// server allows it only on plaintext loopback listeners (local development
// and the demo).
//
// Thread-safety: immutable after creation; all methods are thread-safe.
#ifndef EXPORTSCREEN_SERVICES_API_AUTH_H_
#define EXPORTSCREEN_SERVICES_API_AUTH_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/auth.pb.h"

namespace exportscreen::api {

struct Caller {
  std::string name;
  std::vector<v1::Role> roles;
  bool HasAnyRole(std::initializer_list<v1::Role> roles) const;
};

class Authorizer {
 public:
  static std::unique_ptr<Authorizer> Open();
  // Parses an AuthConfig (protobuf text format). INVALID_ARGUMENT naming the
  // principal on a bad entry (no name, no role, token hash not 64 hex
  // digits, neither token nor certificate, duplicate token).
  static absl::StatusOr<std::unique_ptr<Authorizer>> FromText(absl::string_view text);
  static absl::StatusOr<std::unique_ptr<Authorizer>> FromFile(const std::string& path);

  bool open() const { return open_; }

  // `authorization` is the header value ("Bearer TOKEN", may be empty);
  // `cert_common_name` the verified client certificate CN (may be empty).
  // UNAUTHENTICATED if neither identifies a principal.
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization,
                                      absl::string_view cert_common_name) const;

  // PERMISSION_DENIED unless the caller has one of `roles`.
  static absl::Status Require(const Caller& caller, absl::string_view method,
                              std::initializer_list<v1::Role> roles);

 private:
  Authorizer() = default;
  bool open_ = false;
  absl::flat_hash_map<std::string, Caller> by_token_hash_;
  absl::flat_hash_map<std::string, Caller> by_cert_cn_;
};

}  // namespace exportscreen::api

#endif  // EXPORTSCREEN_SERVICES_API_AUTH_H_
