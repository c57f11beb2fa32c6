// Dispositions (good-guy list): a dismissed hit is still shown but no longer
// raises the decision; any change to the screened party (name, country,
// address) or to the listed record voids it; revocation restores the hit;
// replays use the dispositions in force when the answer was given.
#include "absl/strings/str_cat.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/server/server.h"
#include "services/serving/operations.h"
#include "tests/testing/server_options.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

class DispositionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions o = testing::TestServerOptions(db_.path());
    auto s = server::ScreeningServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_TRUE(server_->Load().ok());
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                       grpc::InsecureChannelCredentials());
    screening_ = v1::ScreeningService::NewStub(channel);
    admin_ = v1::AdminService::NewStub(channel);
  }
  v1::ScreenRequest Request(const std::string& city) {
    v1::ScreenRequest r;
    r.set_destination_country("SG");
    auto* p = r.add_parties();
    p->set_role(v1::PARTY_ROLE_ULTIMATE_CONSIGNEE);
    p->set_name("Skyverse Pte Ltd");
    p->set_country("SG");
    p->mutable_address()->set_city(city);
    p->mutable_address()->set_country("SG");
    return r;
  }
  v1::ScreenResponse Screen(const v1::ScreenRequest& r) {
    grpc::ClientContext ctx;
    v1::ScreenResponse resp;
    grpc::Status s = screening_->Screen(&ctx, r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  const v1::PartyMatch* Hit(const v1::ScreenResponse& r) {
    for (const auto& m : r.party_matches()) {
      if (m.entity_id() == "EL:skyverse-sg") return &m;
    }
    return nullptr;
  }

  testing::TempDir db_;
  std::unique_ptr<server::ScreeningServer> server_;
  std::unique_ptr<v1::ScreeningService::Stub> screening_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

TEST_F(DispositionTest, DismissedHitIsShownButDoesNotRaiseTheDecision) {
  v1::ScreenResponse before = Screen(Request("Singapore"));
  ASSERT_NE(Hit(before), nullptr);
  ASSERT_NE(Hit(before)->action(), v1::MATCH_ACTION_DISMISSED);
  ASSERT_NE(before.decision(), v1::DECISION_CLEAR);

  // Missing reason and a hit the decision does not have are refused.
  {
    grpc::ClientContext ctx;
    v1::RecordDispositionRequest req;
    req.set_decision_id(before.decision_id());
    req.set_entity_id("EL:skyverse-sg");
    v1::Disposition out;
    EXPECT_EQ(admin_->RecordDisposition(&ctx, req, &out).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    v1::RecordDispositionRequest req;
    req.set_decision_id(before.decision_id());
    req.set_entity_id("EL:huawei-technologies");
    req.set_reason("x");
    v1::Disposition out;
    EXPECT_EQ(admin_->RecordDisposition(&ctx, req, &out).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  v1::Disposition disposition;
  {
    grpc::ClientContext ctx;
    v1::RecordDispositionRequest req;
    req.set_decision_id(before.decision_id());
    req.set_party_index(0);
    req.set_entity_id("EL:skyverse-sg");
    req.set_reason("Customer is a Singapore coffee roaster, unrelated (UEN checked)");
    ASSERT_TRUE(admin_->RecordDisposition(&ctx, req, &disposition).ok());
  }

  v1::ScreenResponse after = Screen(Request("Singapore"));
  ASSERT_NE(Hit(after), nullptr);  // still shown
  EXPECT_EQ(Hit(after)->action(), v1::MATCH_ACTION_DISMISSED);
  EXPECT_EQ(Hit(after)->disposition_id(), disposition.id());
  EXPECT_EQ(after.decision(), v1::DECISION_CLEAR);
  EXPECT_GT(after.dispositions_sequence(), 0u);

  // Another address: the disposition does not apply.
  v1::ScreenResponse moved = Screen(Request("Johor Bahru"));
  ASSERT_NE(Hit(moved), nullptr);
  EXPECT_NE(Hit(moved)->action(), v1::MATCH_ACTION_DISMISSED);
  EXPECT_EQ(moved.decision(), before.decision());

  // Replays use the dispositions of their time.
  for (const std::string& id : {before.decision_id(), after.decision_id()}) {
    auto replay = serving::ReplayDecision(*server_->manager(), id);
    ASSERT_TRUE(replay.ok()) << replay.status();
    EXPECT_TRUE(replay->identical()) << id;
  }

  // The listed record changes (new Federal Register citation): void.
  {
    grpc::ClientContext ctx;
    v1::ImportListRequest import;
    import.set_format("entities_jsonl");
    import.set_activate(true);
    auto* f = import.add_files();
    f->set_name("skyverse.jsonl");
    f->set_content(
        R"({"entity_id":"EL:skyverse-sg","list":"EL","source_id":"skyverse-sg",)"
        R"("primary_name":"Skyverse Pte. Ltd.","aliases":[{"name":"Skyverse","strength":"ALIAS_STRENGTH_STRONG"}],)"
        R"("countries":["SG"],"license_requirement":"For all items subject to the EAR. (See §744.11 of the EAR).",)"
        R"("license_policy":"Presumption of denial","federal_register_citations":["89 FR 96837","91 FR 11111"]})");
    v1::ImportListResponse out;
    ASSERT_TRUE(admin_->ImportList(&ctx, import, &out).ok());
    ASSERT_EQ(out.changed(), 1);
  }
  v1::ScreenResponse relisted = Screen(Request("Singapore"));
  ASSERT_NE(Hit(relisted), nullptr);
  EXPECT_NE(Hit(relisted)->action(), v1::MATCH_ACTION_DISMISSED);
  {
    grpc::ClientContext ctx;
    v1::ActiveVersions out;
    ASSERT_TRUE(admin_->Rollback(&ctx, v1::RollbackRequest(), &out).ok());
  }
  EXPECT_EQ(Hit(Screen(Request("Singapore")))->action(), v1::MATCH_ACTION_DISMISSED);

  // Revocation restores the hit.
  {
    grpc::ClientContext ctx;
    v1::RevokeDispositionRequest req;
    req.set_disposition_id(disposition.id());
    req.set_reason("UEN mismatch found on second review");
    v1::Disposition out;
    ASSERT_TRUE(admin_->RevokeDisposition(&ctx, req, &out).ok());
  }
  v1::ScreenResponse revoked = Screen(Request("Singapore"));
  EXPECT_NE(Hit(revoked)->action(), v1::MATCH_ACTION_DISMISSED);
  EXPECT_EQ(revoked.decision(), before.decision());
}

}  // namespace
}  // namespace exportscreen
