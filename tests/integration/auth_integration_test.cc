// Access control end to end in process: tokens, roles, the admin log, and
// the refusal to serve plaintext beyond loopback.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/crypto/digest.h"
#include "services/server/server.h"
#include "tests/testing/server_options.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

using ::testing::HasSubstr;

class AuthIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = dir_.path() + "/auth.textproto";
    std::ofstream(config_path_) << absl::StrCat(
        "principals { name: \"erp\" roles: ROLE_SCREENING_CLIENT token_sha256: \"",
        Sha256Hex("erp-token"), "\" }\n",
        "principals { name: \"alice\" roles: ROLE_OPERATOR token_sha256: \"",
        Sha256Hex("alice-token"), "\" }\n",
        "principals { name: \"audrey\" roles: ROLE_AUDITOR token_sha256: \"",
        Sha256Hex("audrey-token"), "\" }\n",
        "principals { name: \"anna\" roles: ROLE_ANALYST token_sha256: \"", Sha256Hex("anna-token"),
        "\" }\n");
    server::ServerOptions o = testing::TestServerOptions(dir_.path() + "/db");
    o.auth_config = config_path_;
    auto s = server::ScreeningServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_TRUE(server_->Load().ok());
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                       grpc::InsecureChannelCredentials());
    screening_ = v1::ScreeningService::NewStub(channel);
    admin_ = v1::AdminService::NewStub(channel);
  }
  void Auth(grpc::ClientContext* ctx, const std::string& token) {
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  }
  grpc::Status Screen(const std::string& token, v1::ScreenResponse* resp) {
    grpc::ClientContext ctx;
    Auth(&ctx, token);
    v1::ScreenRequest req;
    req.set_destination_country("DE");
    req.add_parties()->set_name("Rheinland Engineering Simulation GmbH");
    return screening_->Screen(&ctx, req, resp);
  }
  grpc::Status Activate(const std::string& token) {
    grpc::ClientContext ctx;
    Auth(&ctx, token);
    v1::ActiveVersions out;
    return admin_->Activate(&ctx, v1::ActivateRequest(), &out);
  }

  testing::TempDir dir_;
  std::string config_path_;
  std::unique_ptr<server::ScreeningServer> server_;
  std::unique_ptr<v1::ScreeningService::Stub> screening_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

// Issue 14, class 7: near misses (explain) are for analysts; other roles
// are refused with PERMISSION_DENIED naming the field (not silently
// ignored, so a caller never believes it saw them).
TEST_F(AuthIntegrationTest, ExplainIsForAnalystsOnly) {
  auto screen = [&](const std::string& token, v1::ScreenResponse* out) {
    grpc::ClientContext ctx;
    Auth(&ctx, token);
    v1::ScreenRequest req;
    req.set_destination_country("DE");
    req.set_explain(true);
    req.add_parties()->set_name("Yangtze Memory Exploration");
    return screening_->Screen(&ctx, req, out);
  };
  v1::ScreenResponse out;
  for (const char* token : {"erp-token", "alice-token"}) {
    grpc::Status s = screen(token, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << token;
    EXPECT_THAT(s.error_message(), HasSubstr("explain")) << token;
  }
  grpc::Status s = screen("anna-token", &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_GE(out.near_misses_size(), 1);
  for (const auto& m : out.near_misses()) {
    EXPECT_LT(m.score(), 0.8);
    EXPECT_GE(m.score(), 0.5);
    EXPECT_EQ(m.action(), v1::MATCH_ACTION_UNSPECIFIED);
    EXPECT_GT(m.alignment_size(), 0);
    EXPECT_FALSE(m.entity_id().empty());
  }
  // Without explain: no near misses, for anyone.
  v1::ScreenResponse plain;
  ASSERT_TRUE(Screen("erp-token", &plain).ok());
  EXPECT_EQ(plain.near_misses_size(), 0);
}

TEST_F(AuthIntegrationTest, RolesAreEnforcedAndAdminActionsRecorded) {
  v1::ScreenResponse resp;
  EXPECT_EQ(Screen("", &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Screen("wrong", &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(Screen("erp-token", &resp).ok());
  EXPECT_EQ(Screen("audrey-token", &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A screening client cannot pick another evaluation date (e.g. one before
  // a rule took effect); an operator can.
  {
    grpc::ClientContext ctx;
    Auth(&ctx, "erp-token");
    v1::ScreenRequest req;
    req.set_destination_country("CN");
    req.set_as_of_date("2020-01-01");
    req.add_parties()->set_name("Rheinland Engineering Simulation GmbH");
    v1::ScreenResponse out;
    grpc::Status s = screening_->Screen(&ctx, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(s.error_message(), HasSubstr("as_of_date"));
  }
  grpc::Status denied = Activate("erp-token");
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("erp may not call Activate"));
  EXPECT_TRUE(Activate("alice-token").ok());

  // The decision names its caller.
  grpc::ClientContext ctx;
  Auth(&ctx, "audrey-token");
  v1::GetDecisionRequest get;
  get.set_decision_id(resp.decision_id());
  v1::DecisionRecord record;
  ASSERT_TRUE(screening_->GetDecision(&ctx, get, &record).ok());
  EXPECT_EQ(record.caller(), "erp");

  // The admin log has both attempts, newest first, with who and the result.
  grpc::ClientContext log_ctx;
  Auth(&log_ctx, "audrey-token");
  v1::ListAdminActionsResponse log;
  ASSERT_TRUE(admin_->ListAdminActions(&log_ctx, v1::ListAdminActionsRequest(), &log).ok());
  ASSERT_GE(log.actions_size(), 2);
  EXPECT_EQ(log.actions(0).method(), "Activate");
  EXPECT_EQ(log.actions(0).actor(), "alice");
  EXPECT_EQ(log.actions(0).status_code(), 0);
  EXPECT_FALSE(log.actions(0).rule_set_version().empty());
  EXPECT_EQ(log.actions(1).method(), "Activate");
  EXPECT_EQ(log.actions(1).status_code(), static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
}

TEST(ServerSecurityTest, PlaintextBeyondLoopbackIsRefused) {
  testing::TempDir dir;
  server::ServerOptions o;
  o.listen = "0.0.0.0:0";
  o.db_path = dir.path();
  auto s = server::ScreeningServer::Start(o);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("loopback only"));
  EXPECT_TRUE(server::IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(server::IsLoopbackAddress("[::1]:50051"));
  EXPECT_TRUE(server::IsLoopbackAddress("localhost:1"));
  EXPECT_FALSE(server::IsLoopbackAddress("10.0.0.1:50051"));
  EXPECT_FALSE(server::IsLoopbackAddress("[::]:50051"));
}

}  // namespace
}  // namespace exportscreen
