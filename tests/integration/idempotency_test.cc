// Idempotent Screen (issue 17) in embedded mode: a repeated request_id of
// the same caller within --idempotency_window gets the recorded decision
// (same id, same answer) instead of a new one; another body under the same
// id is refused naming request_id; after the window a new decision is
// made; another caller's same id is independent; racing calls make one
// record.
#include <fstream>
#include <thread>
#include <vector>

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

class IdempotencyTest : public ::testing::Test {
 protected:
  void Start(bool with_auth, absl::Duration window = absl::Minutes(10)) {
    server::ServerOptions o = testing::TestServerOptions(dir_.path() + "/db");
    o.idempotency_window = window;
    o.clock = &clock_;
    if (with_auth) {
      const std::string config = dir_.path() + "/auth.textproto";
      std::ofstream(config) << absl::StrCat(
          "principals { name: \"erp\" roles: ROLE_SCREENING_CLIENT token_sha256: \"",
          Sha256Hex("erp-token"), "\" }\n",
          "principals { name: \"shop\" roles: ROLE_SCREENING_CLIENT token_sha256: \"",
          Sha256Hex("shop-token"), "\" }\n");
      o.auth_config = config;
    }
    auto s = server::ScreeningServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_TRUE(server_->Load().ok());
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                       grpc::InsecureChannelCredentials());
    stub_ = v1::ScreeningService::NewStub(channel);
  }
  static v1::ScreenRequest Request(const std::string& id, const std::string& party) {
    v1::ScreenRequest req;
    req.set_request_id(id);
    req.set_destination_country("DE");
    req.add_parties()->set_name(party);
    return req;
  }
  grpc::Status Screen(const v1::ScreenRequest& req, v1::ScreenResponse* resp,
                      const std::string& token = "") {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    return stub_->Screen(&ctx, req, resp);
  }
  int64_t Recorded() { return server_->manager()->store()->decisions().decision_count(); }

  testing::TempDir dir_;
  FakeClock clock_{absl::Now()};
  std::unique_ptr<server::ScreeningServer> server_;
  std::unique_ptr<v1::ScreeningService::Stub> stub_;
};

TEST_F(IdempotencyTest, SameIdTwiceIsTheSameDecision) {
  Start(false);
  const v1::ScreenRequest req = Request("idem-1", "Huawei Technologies Co Ltd");
  v1::ScreenResponse first, again;
  ASSERT_TRUE(Screen(req, &first).ok());
  const int64_t recorded = Recorded();
  clock_.Advance(absl::Minutes(2));
  ASSERT_TRUE(Screen(req, &again).ok());
  EXPECT_EQ(again.decision_id(), first.decision_id());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());  // not re-evaluated
  EXPECT_EQ(Recorded(), recorded) << "a repeated request id recorded a second decision";

  // The same request on ScreenStream: the same decision too.
  grpc::ClientContext ctx;
  auto stream = stub_->ScreenStream(&ctx);
  v1::ScreenStreamRequest line;
  line.set_line_id("l1");
  *line.mutable_request() = req;
  ASSERT_TRUE(stream->Write(line));
  stream->WritesDone();
  v1::ScreenStreamResponse out;
  ASSERT_TRUE(stream->Read(&out));
  ASSERT_TRUE(out.has_response()) << out.error().message();
  EXPECT_EQ(out.response().decision_id(), first.decision_id());
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(Recorded(), recorded);

  // No request id: no idempotency (two decisions).
  v1::ScreenResponse a, b;
  ASSERT_TRUE(Screen(Request("", "Huawei Technologies Co Ltd"), &a).ok());
  ASSERT_TRUE(Screen(Request("", "Huawei Technologies Co Ltd"), &b).ok());
  EXPECT_NE(a.decision_id(), b.decision_id());
  EXPECT_EQ(Recorded(), recorded + 2);
}

TEST_F(IdempotencyTest, AnotherBodyUnderTheSameIdIsRefused) {
  Start(false);
  v1::ScreenResponse first, other;
  ASSERT_TRUE(Screen(Request("idem-2", "Huawei Technologies Co Ltd"), &first).ok());
  const int64_t recorded = Recorded();
  grpc::Status s = Screen(Request("idem-2", "Rheinland Engineering Simulation GmbH"), &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));
  EXPECT_EQ(Recorded(), recorded);
  // An invalid request claims nothing: fixed, the same id goes through.
  v1::ScreenRequest bad = Request("idem-3", "Huawei Technologies Co Ltd");
  bad.set_destination_country("Germany");
  s = Screen(bad, &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Screen(Request("idem-3", "Huawei Technologies Co Ltd"), &other).ok());
  EXPECT_EQ(Recorded(), recorded + 1);
}

TEST_F(IdempotencyTest, AfterTheWindowANewDecision) {
  Start(false);
  const v1::ScreenRequest req = Request("idem-4", "SMIC");
  v1::ScreenResponse first, later, again;
  ASSERT_TRUE(Screen(req, &first).ok());
  clock_.Advance(absl::Minutes(11));
  ASSERT_TRUE(Screen(req, &later).ok());
  EXPECT_NE(later.decision_id(), first.decision_id());
  ASSERT_TRUE(Screen(req, &again).ok());  // the new claim holds
  EXPECT_EQ(again.decision_id(), later.decision_id());
}

TEST_F(IdempotencyTest, CallersAreIndependent) {
  Start(true);
  const v1::ScreenRequest req = Request("po-77", "Huawei Technologies Co Ltd");
  v1::ScreenResponse erp, shop, erp2, shop_other;
  ASSERT_TRUE(Screen(req, &erp, "erp-token").ok());
  ASSERT_TRUE(Screen(req, &shop, "shop-token").ok());
  EXPECT_NE(erp.decision_id(), shop.decision_id());
  ASSERT_TRUE(Screen(req, &erp2, "erp-token").ok());
  EXPECT_EQ(erp2.decision_id(), erp.decision_id());
  // Another body under shop's id is shop's conflict only.
  grpc::Status s = Screen(Request("po-77", "SMIC"), &shop_other, "shop-token");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(IdempotencyTest, RacingCallsMakeOneRecord) {
  Start(false);
  const int64_t before = Recorded();
  const v1::ScreenRequest req = Request("idem-race", "Kal Tek Labs");
  std::vector<std::string> ids(8);
  std::vector<grpc::Status> statuses(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      v1::ScreenResponse resp;
      // A call that finds the first still being recorded may be told to
      // retry (UNAVAILABLE): retry as a client would.
      for (int attempt = 0; attempt < 50; ++attempt) {
        statuses[t] = Screen(req, &resp);
        if (statuses[t].error_code() != grpc::StatusCode::UNAVAILABLE) break;
        absl::SleepFor(absl::Milliseconds(50));
      }
      ids[t] = resp.decision_id();
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) {
    ASSERT_TRUE(statuses[t].ok()) << statuses[t].error_message();
    EXPECT_EQ(ids[t], ids[0]);
  }
  EXPECT_EQ(Recorded(), before + 1);
}

TEST_F(IdempotencyTest, WindowZeroIsOff) {
  Start(false, absl::ZeroDuration());
  const v1::ScreenRequest req = Request("idem-off", "SMIC");
  v1::ScreenResponse a, b;
  ASSERT_TRUE(Screen(req, &a).ok());
  ASSERT_TRUE(Screen(req, &b).ok());
  EXPECT_NE(a.decision_id(), b.decision_id());
}

}  // namespace
}  // namespace exportscreen
