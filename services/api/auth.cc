#include "services/common/file_util.h"
#include "services/common/status_macros.h"
#include "services/api/auth.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "services/crypto/digest.h"

namespace exportscreen::api {

bool Caller::HasAnyRole(std::initializer_list<v1::Role> wanted) const {
  for (v1::Role r : wanted) {
    for (v1::Role have : roles) {
      if (r == have) return true;
    }
  }
  return false;
}

std::unique_ptr<Authorizer> Authorizer::Open() {
  std::unique_ptr<Authorizer> a(new Authorizer());
  a->open_ = true;
  return a;
}

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::FromText(absl::string_view text) {
  v1::AuthConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError("auth config: not a valid AuthConfig text proto");
  }
  std::unique_ptr<Authorizer> a(new Authorizer());
  for (int i = 0; i < config.principals_size(); ++i) {
    const v1::Principal& p = config.principals(i);
    const std::string where = absl::StrCat("auth config principals[", i, "] (", p.name(), ")");
    if (p.name().empty()) return absl::InvalidArgumentError(where + ": name is empty");
    if (p.roles().empty()) return absl::InvalidArgumentError(where + ": no roles");
    Caller caller{p.name(), {}};
    for (int r : p.roles()) caller.roles.push_back(static_cast<v1::Role>(r));
    if (p.token_sha256().empty() && p.cert_common_name().empty()) {
      return absl::InvalidArgumentError(where + ": needs token_sha256 or cert_common_name");
    }
    if (!p.token_sha256().empty()) {
      std::string hash = absl::AsciiStrToLower(p.token_sha256());
      bool hex = hash.size() == 64;
      for (char c : hash) hex &= absl::ascii_isxdigit(c);
      if (!hex) {
        return absl::InvalidArgumentError(
            where + ": token_sha256 must be 64 hex digits (the SHA-256 of the token)");
      }
      if (!a->by_token_hash_.emplace(hash, caller).second) {
        return absl::InvalidArgumentError(where + ": duplicate token");
      }
    }
    if (!p.cert_common_name().empty()) {
      a->by_cert_cn_.emplace(p.cert_common_name(), caller);
    }
  }
  return a;
}

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::FromFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, "auth config"));
  return FromText(text);
}

absl::StatusOr<Caller> Authorizer::Authenticate(absl::string_view authorization,
                                                absl::string_view cert_common_name) const {
  if (open_) {
    Caller anyone{
        "anonymous",
        {v1::ROLE_SCREENING_CLIENT, v1::ROLE_ANALYST, v1::ROLE_OPERATOR, v1::ROLE_AUDITOR}};
    return anyone;
  }
  if (!authorization.empty()) {
    if (!absl::StartsWithIgnoreCase(authorization, "bearer ")) {
      return absl::UnauthenticatedError("authorization: expected \"Bearer TOKEN\"");
    }
    absl::string_view token = absl::StripAsciiWhitespace(authorization.substr(7));
    auto it = by_token_hash_.find(Sha256Hex(token));
    if (it == by_token_hash_.end()) {
      return absl::UnauthenticatedError("authorization: unknown token");
    }
    return it->second;
  }
  if (!cert_common_name.empty()) {
    auto it = by_cert_cn_.find(cert_common_name);
    if (it != by_cert_cn_.end()) return it->second;
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate CN ", cert_common_name, " is not a principal"));
  }
  return absl::UnauthenticatedError(
      "no credentials: send \"authorization: Bearer TOKEN\" or a client certificate");
}

absl::Status Authorizer::Require(const Caller& caller, absl::string_view method,
                                 std::initializer_list<v1::Role> roles) {
  if (caller.HasAnyRole(roles)) return absl::OkStatus();
  std::string names;
  for (v1::Role r : roles) absl::StrAppend(&names, names.empty() ? "" : " or ", v1::Role_Name(r));
  return absl::PermissionDeniedError(
      absl::StrCat(caller.name, " may not call ", method, " (needs ", names, ")"));
}

}  // namespace exportscreen::api
