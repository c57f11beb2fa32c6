// The authorization table of the README, cell by cell: every RPC of every
// service x {no credentials, wrong credentials, each role}. A refused cell
// must be UNAUTHENTICATED (no or wrong credentials) or PERMISSION_DENIED
// (wrong role); an allowed cell must get past authorization (any other
// status: the empty request may well be INVALID_ARGUMENT or NOT_FOUND).
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "exportscreen/v1/location.grpc.pb.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/crypto/digest.h"
#include "services/server/server.h"
#include "tests/testing/server_options.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

enum Caller { kNone, kWrong, kClient, kAnalyst, kAuditor, kOperator };
const char* const kCallerNames[] = {"no credentials", "wrong credentials", "screening client",
                                    "analyst",        "auditor",           "operator"};
const char* const kTokens[] = {"",           "not-a-token",  "erp-token",
                               "anna-token", "audrey-token", "alice-token"};

struct Row {
  const char* method;  // full gRPC method name
  bool streaming;      // client or bidi stream (typed call below)
  std::set<Caller> allowed;
};

const std::set<Caller> kScreeners = {kClient, kAnalyst, kOperator};
const std::set<Caller> kReaders = {kAnalyst, kAuditor, kOperator};
const std::set<Caller> kAnyone = {kClient, kAnalyst, kAuditor, kOperator};
const std::set<Caller> kOperators = {kOperator};

// The README's table (section "Access control").
const std::vector<Row> kTable = {
    {"/exportscreen.v1.ScreeningService/Screen", false, kScreeners},
    {"/exportscreen.v1.ScreeningService/ScreenStream", true, kScreeners},
    {"/exportscreen.v1.ScreeningService/GetDecision", false, kReaders},
    {"/exportscreen.v1.AdminService/GetServingStatus", false, kAnyone},
    {"/exportscreen.v1.AdminService/ImportList", false, kOperators},
    {"/exportscreen.v1.AdminService/ListVersions", false, kAnyone},
    {"/exportscreen.v1.AdminService/GetClusterStatus", false, kAnyone},
    {"/exportscreen.v1.AdminService/PublishRuleSet", false, kOperators},
    {"/exportscreen.v1.AdminService/GetRuleSet", false, kAnyone},
    {"/exportscreen.v1.AdminService/DiffRuleSets", false, kAnyone},
    {"/exportscreen.v1.AdminService/DiffListVersions", false, kAnyone},
    {"/exportscreen.v1.AdminService/DryRun", false, kOperators},
    {"/exportscreen.v1.AdminService/ListDecisions", false, kReaders},
    {"/exportscreen.v1.AdminService/VerifyAuditChain", false, kReaders},
    {"/exportscreen.v1.AdminService/StreamVerifyAuditChain", true, kReaders},
    {"/exportscreen.v1.AdminService/ReplayDecision", false, kReaders},
    {"/exportscreen.v1.AdminService/ListAdminActions", false, kReaders},
    {"/exportscreen.v1.AdminService/RecordDisposition", false, {kAnalyst}},
    {"/exportscreen.v1.AdminService/RevokeDisposition", false, {kAnalyst}},
    {"/exportscreen.v1.AdminService/ListDispositions", false, kReaders},
    {"/exportscreen.v1.AdminService/Backup", false, kOperators},
    {"/exportscreen.v1.LocationService/IngestReports", true, kOperators},
    {"/exportscreen.v1.LocationService/IngestBundles", true, kOperators},
    {"/exportscreen.v1.LocationService/ListAlerts", false, kReaders},
    {"/exportscreen.v1.LocationService/AcknowledgeAlert", false, {kAnalyst, kOperator}},
    // Last: they change the active versions.
    {"/exportscreen.v1.AdminService/Rollback", false, kOperators},
    {"/exportscreen.v1.AdminService/Activate", false, kOperators},
};

class AuthMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config = dir_.path() + "/auth.textproto";
    std::ofstream(config) << absl::StrCat(
        "principals { name: \"erp\" roles: ROLE_SCREENING_CLIENT token_sha256: \"",
        Sha256Hex("erp-token"), "\" }\n",
        "principals { name: \"anna\" roles: ROLE_ANALYST token_sha256: \"", Sha256Hex("anna-token"),
        "\" }\n", "principals { name: \"audrey\" roles: ROLE_AUDITOR token_sha256: \"",
        Sha256Hex("audrey-token"), "\" }\n",
        "principals { name: \"alice\" roles: ROLE_OPERATOR token_sha256: \"",
        Sha256Hex("alice-token"), "\" }\n");
    server::ServerOptions o = testing::TestServerOptions(dir_.path() + "/db");
    o.auth_config = config;
    auto s = server::ScreeningServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_TRUE(server_->Load().ok());
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }

  void Auth(grpc::ClientContext* ctx, Caller c) {
    if (c != kNone) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", kTokens[c]));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }

  // An empty (all-default) request on a unary method.
  grpc::Status Unary(const std::string& method, Caller c) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext ctx;
    Auth(&ctx, c);
    grpc::CompletionQueue cq;
    grpc::ByteBuffer request, response;
    grpc::Slice empty;
    request = grpc::ByteBuffer(&empty, 1);
    auto call = stub.PrepareUnaryCall(&ctx, method, request, &cq);
    call->StartCall();
    grpc::Status status;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  grpc::Status Streaming(const std::string& method, Caller c) {
    grpc::ClientContext ctx;
    Auth(&ctx, c);
    if (method.find("ScreenStream") != std::string::npos) {
      auto stub = v1::ScreeningService::NewStub(channel_);
      auto stream = stub->ScreenStream(&ctx);
      stream->WritesDone();
      v1::ScreenStreamResponse r;
      while (stream->Read(&r)) {
      }
      return stream->Finish();
    }
    if (method.find("StreamVerifyAuditChain") != std::string::npos) {
      auto stub = v1::AdminService::NewStub(channel_);
      auto reader = stub->StreamVerifyAuditChain(&ctx, v1::VerifyAuditChainRequest());
      v1::VerifyAuditChainProgress p;
      while (reader->Read(&p)) {
      }
      return reader->Finish();
    }
    auto stub = v1::LocationService::NewStub(channel_);
    v1::IngestSummary summary;
    if (method.find("IngestReports") != std::string::npos) {
      auto w = stub->IngestReports(&ctx, &summary);
      w->WritesDone();
      return w->Finish();
    }
    auto w = stub->IngestBundles(&ctx, &summary);
    w->WritesDone();
    return w->Finish();
  }

  testing::TempDir dir_;
  std::unique_ptr<server::ScreeningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(AuthMatrixTest, EveryCellOfTheTable) {
  int cells = 0;
  for (const Row& row : kTable) {
    for (Caller c : {kNone, kWrong, kClient, kAnalyst, kAuditor, kOperator}) {
      ++cells;
      grpc::Status s = row.streaming ? Streaming(row.method, c) : Unary(row.method, c);
      const bool refused = s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                           s.error_code() == grpc::StatusCode::PERMISSION_DENIED;
      SCOPED_TRACE(absl::StrCat(row.method, " by ", kCallerNames[c], ": ", s.error_code(), " ",
                                s.error_message()));
      EXPECT_NE(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
      if (c == kNone || c == kWrong) {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      } else if (row.allowed.count(c)) {
        EXPECT_FALSE(refused);
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
      }
    }
  }
  std::printf("authorization matrix: %d cells (%zu RPCs x 6 callers)\n", cells, kTable.size());
  // Every RPC of every service is in the table.
  size_t rpcs = 0;
  for (const auto* d :
       {v1::ScreeningService::service_full_name(), v1::AdminService::service_full_name(),
        v1::LocationService::service_full_name()}) {
    rpcs +=
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(d)->method_count();
  }
  EXPECT_EQ(rpcs, kTable.size());

  // Location ingest changes answers: it is in the admin log, accepted and
  // refused calls alike, with the principal.
  grpc::ClientContext ctx;
  Auth(&ctx, kAuditor);
  v1::ListAdminActionsRequest req;
  req.set_limit(1000);
  v1::ListAdminActionsResponse log;
  auto admin = v1::AdminService::NewStub(channel_);
  ASSERT_TRUE(admin->ListAdminActions(&ctx, req, &log).ok());
  int ingest_ok = 0, ingest_refused = 0;
  for (const auto& a : log.actions()) {
    if (a.method() != "IngestReports" && a.method() != "IngestBundles") continue;
    if (a.status_code() == 0) {
      EXPECT_EQ(a.actor(), "alice");
      ++ingest_ok;
    } else {
      ++ingest_refused;
    }
  }
  EXPECT_EQ(ingest_ok, 2);        // the operator, both methods
  EXPECT_EQ(ingest_refused, 10);  // 5 other callers x 2 methods
}

}  // namespace
}  // namespace exportscreen

namespace exportscreen {
namespace {

// Issue 12: a body that does not parse (invalid UTF-8 in a string field,
// truncated, garbage) is an error the caller can act on, never OK.
TEST_F(AuthMatrixTest, MalformedBodiesAreRefusedNotAnswered) {
  const std::string bodies[] = {
      std::string("\x22\x03\x12\x01\xff", 5),  // parties[0].name = "\xff"
      std::string("\x22\x10\x12", 3),          // truncated
      std::string("\xff\xff\xff\xff", 4),      // garbage
  };
  for (const std::string& body : bodies) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext ctx;
    Auth(&ctx, kClient);
    grpc::CompletionQueue cq;
    grpc::Slice slice(body);
    grpc::ByteBuffer request(&slice, 1), response;
    auto call =
        stub.PrepareUnaryCall(&ctx, "/exportscreen.v1.ScreeningService/Screen", request, &cq);
    call->StartCall();
    grpc::Status status;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    std::printf("malformed body (%zu bytes): %d %s\n", body.size(), status.error_code(),
                status.error_message().c_str());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("request: is not an exportscreen.v1.ScreenRequest"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace exportscreen
