#include "services/api/auth.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/crypto/digest.h"

namespace exportscreen::api {
namespace {

using ::testing::HasSubstr;

std::string Config() {
  return absl::StrCat(R"(
principals { name: "erp" roles: ROLE_SCREENING_CLIENT token_sha256: ")",
                      Sha256Hex("erp-token"), R"(" }
principals { name: "alice" roles: ROLE_OPERATOR roles: ROLE_ANALYST token_sha256: ")",
                      Sha256Hex("alice-token"), R"(" }
principals { name: "batch-host" roles: ROLE_SCREENING_CLIENT cert_common_name: "batch.internal" }
)");
}

TEST(AuthorizerTest, TokensMapToPrincipals) {
  auto a = Authorizer::FromText(Config());
  ASSERT_TRUE(a.ok()) << a.status();
  auto erp = (*a)->Authenticate("Bearer erp-token", "");
  ASSERT_TRUE(erp.ok());
  EXPECT_EQ(erp->name, "erp");
  EXPECT_TRUE(Authorizer::Require(*erp, "Screen", {v1::ROLE_SCREENING_CLIENT}).ok());
  absl::Status denied = Authorizer::Require(*erp, "Activate", {v1::ROLE_OPERATOR});
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(denied.message(), HasSubstr("erp may not call Activate"));
  auto alice = (*a)->Authenticate("bearer alice-token", "");
  ASSERT_TRUE(alice.ok());
  EXPECT_TRUE(Authorizer::Require(*alice, "Activate", {v1::ROLE_OPERATOR}).ok());
  auto cert = (*a)->Authenticate("", "batch.internal");
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(cert->name, "batch-host");
}

TEST(AuthorizerTest, BadCredentialsAreUnauthenticated) {
  auto a = Authorizer::FromText(Config());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->Authenticate("", "").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*a)->Authenticate("Bearer nope", "").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*a)->Authenticate("Basic abc", "").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*a)->Authenticate("", "someone.else").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AuthorizerTest, ConfigIsValidated) {
  EXPECT_THAT(Authorizer::FromText("principals { roles: ROLE_ANALYST token_sha256: \"ab\" }")
                  .status()
                  .message(),
              HasSubstr("name is empty"));
  EXPECT_THAT(
      Authorizer::FromText("principals { name: \"x\" token_sha256: \"ab\" }").status().message(),
      HasSubstr("no roles"));
  EXPECT_THAT(Authorizer::FromText(
                  "principals { name: \"x\" roles: ROLE_ANALYST token_sha256: \"plaintext\" }")
                  .status()
                  .message(),
              HasSubstr("64 hex digits"));
  EXPECT_THAT(
      Authorizer::FromText("principals { name: \"x\" roles: ROLE_ANALYST }").status().message(),
      HasSubstr("needs token_sha256 or cert_common_name"));
  EXPECT_FALSE(Authorizer::FromText("not a config {").ok());
}

TEST(AuthorizerTest, OpenModeAllowsEverything) {
  auto a = Authorizer::Open();
  auto c = a->Authenticate("", "");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(Authorizer::Require(*c, "Activate", {v1::ROLE_OPERATOR}).ok());
}

}  // namespace
}  // namespace exportscreen::api
