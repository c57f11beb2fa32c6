// Continuous screening: activating a list version that lists a party of a
// past CLEAR decision raises one RESCREEN_CHANGE alert with the old and new
// answer and the entity that caused it; re-activating does not repeat it.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/server/server.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

std::vector<v1::Alert> WaitForAlerts(store::EntityStore* store, size_t n) {
  // Observable state, bounded wait (the re-screen runs on the admin pool).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    auto alerts = store->ListAlerts(100, false);
    if (alerts.ok() && alerts->size() >= n) return *alerts;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return {};
}

TEST(ContinuousScreeningTest, NewListingOfAPastClearPartyRaisesOneAlert) {
  testing::TempDir db;
  server::ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.db_path = db.path();
  o.bootstrap.rules_dir = std::string(ES_SOURCE_DIR) + "/rules";
  o.bootstrap.seeds_dir = std::string(ES_SOURCE_DIR) + "/seeds";
  auto s = server::ScreeningServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status();
  auto& server = *s;
  ASSERT_TRUE(server->Load().ok());
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                     grpc::InsecureChannelCredentials());
  auto screening = v1::ScreeningService::NewStub(channel);
  auto admin = v1::AdminService::NewStub(channel);

  v1::ScreenRequest req;
  req.set_destination_country("CN");
  auto* p = req.add_parties();
  p->set_name("Quantum Harbor Trading Co., Ltd.");
  p->set_country("CN");
  v1::ScreenResponse clear;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(screening->Screen(&ctx, req, &clear).ok());
  }
  ASSERT_EQ(clear.decision(), v1::DECISION_CLEAR);
  const std::string seed_lists = clear.list_version();

  v1::ImportListRequest import;
  import.set_format("entities_jsonl");
  import.set_activate(true);
  auto* f = import.add_files();
  f->set_name("new.jsonl");
  f->set_content(
      R"({"entity_id":"EL:quantum-harbor","list":"EL","source_id":"quantum-harbor",)"
      R"("primary_name":"Quantum Harbor Trading Co., Ltd.","countries":["CN"],)"
      R"("license_requirement":"For all items subject to the EAR.","license_policy":"Presumption of denial"})");
  v1::ImportListResponse imported;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin->ImportList(&ctx, import, &imported).ok());
  }
  ASSERT_TRUE(imported.activated());

  auto alerts = WaitForAlerts(server->manager()->store(), 1);
  ASSERT_EQ(alerts.size(), 1u);
  const v1::Alert& a = alerts[0];
  EXPECT_EQ(a.kind(), v1::ALERT_KIND_RESCREEN_CHANGE);
  EXPECT_EQ(a.decision_id(), clear.decision_id());
  EXPECT_EQ(a.old_decision(), v1::DECISION_CLEAR);
  EXPECT_EQ(a.new_decision(), v1::DECISION_LICENSE_REQUIRED);
  EXPECT_EQ(a.list_version(), imported.list_version());
  ASSERT_EQ(a.entity_ids_size(), 1);
  EXPECT_EQ(a.entity_ids(0), "EL:quantum-harbor");

  // Roll back and activate the same version again: no second alert for the
  // same decision and versions.
  {
    grpc::ClientContext ctx;
    v1::ActiveVersions out;
    ASSERT_TRUE(admin->Rollback(&ctx, v1::RollbackRequest(), &out).ok());
    EXPECT_EQ(out.list_version(), seed_lists);
  }
  {
    grpc::ClientContext ctx;
    v1::ActivateRequest act;
    act.set_list_version(imported.list_version());
    v1::ActiveVersions out;
    ASSERT_TRUE(admin->Activate(&ctx, act, &out).ok());
  }
  // Wait until the admin pool has run the second re-screen (a later admin
  // call queues behind it), then count.
  {
    grpc::ClientContext ctx;
    v1::ListVersionsResponse out;
    ASSERT_TRUE(admin->ListVersions(&ctx, v1::ListVersionsRequest(), &out).ok());
  }
  auto again = server->manager()->store()->ListAlerts(100, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 1u);
}

}  // namespace
}  // namespace exportscreen
