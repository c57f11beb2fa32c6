// Backup and restore (issue 15): a backup taken through AdminService.Backup
// while the server screens, restored offline into a new store, opened by a
// new server: the audit chain verifies, every decision is there byte for
// byte and replays identically. Bad backup directories are refused naming
// the field; a restore never overwrites a store.
#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/server/server.h"
#include "services/store/entity_store.h"
#include "tests/testing/server_options.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

server::ServerOptions Options(const std::string& db, const std::string& backup_root) {
  server::ServerOptions o = testing::TestServerOptions(db);
  o.workers = 2;
  o.backup_root = backup_root;
  return o;
}

v1::ScreenRequest Request(int i) {
  static const char* kNames[] = {"Huawei Technologies Co Ltd", "Kal Tek Labs",
                                 "Rheinland Engineering Simulation GmbH", "SMIC",
                                 "Bright Star Global Trading"};
  static const char* kDest[] = {"CN", "DE", "JP", "AE", "MO"};
  v1::ScreenRequest r;
  r.set_request_id(absl::StrCat("backup-", i));
  r.set_destination_country(kDest[i % 5]);
  auto* p = r.add_parties();
  p->set_role(v1::PARTY_ROLE_END_USER);
  p->set_name(kNames[(i / 5) % 5]);
  p->set_country(kDest[(i / 3) % 5]);
  if (i % 2 == 0) {
    auto* item = r.add_items();
    item->set_kind(v1::ITEM_KIND_IC);
    item->set_tpp(static_cast<double>(1000 + 400 * (i % 20)));
    item->set_die_area_mm2(600);
    item->set_datacenter_marketed(true);
    item->set_quantity(8);
  }
  return r;
}

TEST(BackupTest, OnlineBackupRestoresIntoANewServerThatVerifiesAndReplays) {
  testing::TempDir dir;
  const std::string backup_root = dir.path() + "/backups";
  std::vector<std::string> ids;
  int64_t backed_up_decisions = 0;
  {
    auto started = server::ScreeningServer::Start(Options(dir.path() + "/db", backup_root));
    ASSERT_TRUE(started.ok()) << started.status();
    auto& server = *started;
    ASSERT_TRUE(server->Load().ok());
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                       grpc::InsecureChannelCredentials());
    auto screening = v1::ScreeningService::NewStub(channel);
    auto admin = v1::AdminService::NewStub(channel);
    for (int i = 0; i < 60; ++i) {
      grpc::ClientContext ctx;
      v1::ScreenResponse r;
      ASSERT_TRUE(screening->Screen(&ctx, Request(i), &r).ok()) << i;
      ids.push_back(r.decision_id());
    }
    // Bad directories: refused, naming the field.
    for (const std::string bad : {"", "../outside", "/etc/exportscreen-backup"}) {
      grpc::ClientContext ctx;
      v1::BackupRequest req;
      req.set_dir(bad);
      v1::BackupResponse resp;
      grpc::Status s = admin->Backup(&ctx, req, &resp);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
      EXPECT_TRUE(absl::StartsWith(s.error_message(), "dir: ")) << s.error_message();
    }
    // Screening goes on while the backup runs.
    std::atomic<bool> stop{false};
    std::atomic<int> during{0}, failed{0};
    std::thread load([&] {
      auto stub = v1::ScreeningService::NewStub(channel);
      for (int i = 1000; !stop.load(); ++i) {
        grpc::ClientContext ctx;
        v1::ScreenResponse r;
        (stub->Screen(&ctx, Request(i), &r).ok() ? during : failed)++;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    v1::BackupResponse first, second;
    {
      grpc::ClientContext ctx;
      v1::BackupRequest req;
      req.set_dir("nightly");
      grpc::Status s = admin->Backup(&ctx, req, &first);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    stop = true;
    load.join();
    EXPECT_GT(during.load(), 0);
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(first.dir(),
              std::filesystem::path(backup_root + "/nightly").lexically_normal().string());
    EXPECT_GE(first.decision_count(), 60u);
    EXPECT_GT(first.file_count(), 0u);
    EXPECT_GT(first.size_bytes(), 0u);
    EXPECT_EQ(first.backups_kept(), 1);
    // Incremental: a second backup into the same directory.
    for (int i = 60; i < 70; ++i) {
      grpc::ClientContext ctx;
      v1::ScreenResponse r;
      ASSERT_TRUE(screening->Screen(&ctx, Request(i), &r).ok()) << i;
      ids.push_back(r.decision_id());
    }
    {
      grpc::ClientContext ctx;
      v1::BackupRequest req;
      req.set_dir(backup_root + "/nightly");  // absolute, inside the root
      ASSERT_TRUE(admin->Backup(&ctx, req, &second).ok());
    }
    EXPECT_EQ(second.backup_id(), first.backup_id() + 1);
    EXPECT_EQ(second.backups_kept(), 2);
    backed_up_decisions = server->manager()->store()->decisions().decision_count();
    // The backup is in the admin log.
    grpc::ClientContext ctx;
    v1::ListAdminActionsRequest lreq;
    v1::ListAdminActionsResponse log;
    ASSERT_TRUE(admin->ListAdminActions(&ctx, lreq, &log).ok());
    int backups = 0;
    for (const auto& a : log.actions()) backups += a.method() == "Backup" ? 1 : 0;
    EXPECT_EQ(backups, 5);  // 3 refused + 2 taken
  }

  // Offline restore into a new store; never over an existing one.
  const std::string restored = dir.path() + "/restored";
  auto info = store::EntityStore::RestoreBackup(backup_root + "/nightly", 0, restored);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->backup_id, 2u);
  auto again = store::EntityStore::RestoreBackup(backup_root + "/nightly", 0, restored);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);

  auto started = server::ScreeningServer::Start(Options(restored, ""));
  ASSERT_TRUE(started.ok()) << started.status();
  auto& server = *started;
  ASSERT_TRUE(server->Load().ok());
  EXPECT_EQ(server->manager()->store()->decisions().decision_count(), backed_up_decisions);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                     grpc::InsecureChannelCredentials());
  auto admin = v1::AdminService::NewStub(channel);
  {
    grpc::ClientContext ctx;
    v1::VerifyAuditChainResponse v;
    ASSERT_TRUE(admin->VerifyAuditChain(&ctx, v1::VerifyAuditChainRequest(), &v).ok());
    EXPECT_TRUE(v.ok()) << v.ShortDebugString();
    EXPECT_EQ(v.records_checked(), backed_up_decisions);
  }
  for (const std::string& id : ids) {
    grpc::ClientContext ctx;
    v1::ReplayDecisionRequest req;
    req.set_decision_id(id);
    v1::ReplayDecisionResponse replay;
    ASSERT_TRUE(admin->ReplayDecision(&ctx, req, &replay).ok()) << id;
    EXPECT_TRUE(replay.identical()) << id;
  }
  // The restored server goes on extending the same chain.
  auto screening = v1::ScreeningService::NewStub(channel);
  grpc::ClientContext ctx;
  v1::ScreenResponse r;
  ASSERT_TRUE(screening->Screen(&ctx, Request(99), &r).ok());
  grpc::ClientContext vctx;
  v1::VerifyAuditChainResponse v;
  ASSERT_TRUE(admin->VerifyAuditChain(&vctx, v1::VerifyAuditChainRequest(), &v).ok());
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.records_checked(), backed_up_decisions + 1);
}

}  // namespace
}  // namespace exportscreen
