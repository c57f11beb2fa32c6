// Continuous screening: activating a list version that lists a party of a
// past CLEAR decision raises one RESCREEN_CHANGE alert with the old and new
// answer and the entity that caused it; re-activating does not repeat it.
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include <map>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/server/server.h"
#include "tests/testing/server_options.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

// A loaded server on the repository's rules and hand-written seeds, with
// its store in `db`.
std::unique_ptr<server::ScreeningServer> StartSeeded(const testing::TempDir& db) {
  server::ServerOptions o = testing::TestServerOptions(db.path());
  auto s = server::ScreeningServer::Start(o);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return nullptr;
  EXPECT_TRUE((*s)->Load().ok());
  return std::move(*s);
}

// An import that lists "Quantum Harbor Trading Co., Ltd." (CN) on the
// Entity List and activates the new list version.
v1::ImportListRequest ListQuantumHarbor() {
  v1::ImportListRequest import;
  import.set_format("entities_jsonl");
  import.set_activate(true);
  auto* f = import.add_files();
  f->set_name("new.jsonl");
  f->set_content(
      R"({"entity_id":"EL:quantum-harbor","list":"EL","source_id":"quantum-harbor",)"
      R"("primary_name":"Quantum Harbor Trading Co., Ltd.","countries":["CN"],)"
      R"("license_requirement":"For all items subject to the EAR.","license_policy":"Presumption of denial"})");
  return import;
}

std::vector<v1::Alert> WaitForAlerts(store::EntityStore* store, size_t n) {
  // Observable state, bounded wait (the re-screen runs on the admin pool).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    auto alerts = store->alerts().ListAlerts(100, false);
    if (alerts.ok() && alerts->size() >= n) return *alerts;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return {};
}

TEST(ContinuousScreeningTest, NewListingOfAPastClearPartyRaisesOneAlert) {
  testing::TempDir db;
  std::unique_ptr<server::ScreeningServer> server = StartSeeded(db);
  ASSERT_NE(server, nullptr);
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

  const v1::ImportListRequest import = ListQuantumHarbor();
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
  auto again = server->manager()->store()->alerts().ListAlerts(100, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 1u);
}

// Issue 12: a request pinned the old snapshot, the activation's re-screen
// scanned the store before its decision was recorded, and the decision is
// CLEAR under the superseded lists. It is re-screened on its own once
// recorded: one alert, without a second activation.
TEST(ContinuousScreeningTest, DecisionRecordedLateUnderSupersededVersionsIsAlerted) {
  testing::TempDir db;
  std::unique_ptr<server::ScreeningServer> server = StartSeeded(db);
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                     grpc::InsecureChannelCredentials());
  auto admin = v1::AdminService::NewStub(channel);
  // The in-flight request's pinned snapshot.
  std::shared_ptr<const engine::ScreeningSnapshot> old_snapshot = server->manager()->Current();
  ASSERT_NE(old_snapshot, nullptr);

  v1::ImportListResponse imported;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin->ImportList(&ctx, ListQuantumHarbor(), &imported).ok());
  }
  ASSERT_TRUE(imported.activated());
  {  // The activation's re-screen has run (a later admin call queues behind it).
    grpc::ClientContext ctx;
    v1::ListVersionsResponse out;
    ASSERT_TRUE(admin->ListVersions(&ctx, v1::ListVersionsRequest(), &out).ok());
  }
  auto none = server->manager()->store()->alerts().ListAlerts(100, false);
  ASSERT_TRUE(none.ok());
  ASSERT_TRUE(none->empty());

  // Now the in-flight request is evaluated on the old snapshot and recorded.
  auto record = std::make_unique<v1::DecisionRecord>();
  v1::ScreenRequest* req = record->mutable_request();
  req->set_request_id("late");
  req->set_destination_country("CN");
  v1::Party* p = req->add_parties();
  p->set_name("Quantum Harbor Trading Co., Ltd.");
  p->set_country("CN");
  absl::Notification recorded;
  std::string decision_id;
  server->screening()->screener().ScreenRecord(
      server->manager()->Pin(*old_snapshot), std::move(record), "test",
      [&](absl::Status s, std::unique_ptr<v1::DecisionRecord> r) {
        EXPECT_TRUE(s.ok()) << s;
        EXPECT_EQ(r->response().decision(), v1::DECISION_CLEAR);
        EXPECT_EQ(r->response().list_version(), old_snapshot->list_version);
        decision_id = r->decision_id();
        recorded.Notify();
      });
  recorded.WaitForNotification();
  auto alerts = WaitForAlerts(server->manager()->store(), 1);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].decision_id(), decision_id);
  EXPECT_EQ(alerts[0].old_decision(), v1::DECISION_CLEAR);
  EXPECT_EQ(alerts[0].new_decision(), v1::DECISION_LICENSE_REQUIRED);
  EXPECT_EQ(alerts[0].list_version(), imported.list_version());
}

}  // namespace
}  // namespace exportscreen

namespace exportscreen {
namespace {

// Issue 12: a ScreenStream open across an activation follows it. The
// newly listed party is answered under the new list version by the next
// line of the same stream (no CLEAR under the superseded lists), and every
// answer names the one version pair it was evaluated under.
TEST(ContinuousScreeningTest, OpenStreamFollowsAnActivation) {
  testing::TempDir db;
  std::unique_ptr<server::ScreeningServer> server = StartSeeded(db);
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                     grpc::InsecureChannelCredentials());
  auto screening = v1::ScreeningService::NewStub(channel);
  auto admin = v1::AdminService::NewStub(channel);

  grpc::ClientContext stream_ctx;
  auto stream = screening->ScreenStream(&stream_ctx);
  auto line = [&](const std::string& id) {
    v1::ScreenStreamRequest l;
    l.set_line_id(id);
    l.mutable_request()->set_destination_country("CN");
    auto* p = l.mutable_request()->add_parties();
    p->set_name("Quantum Harbor Trading Co., Ltd.");
    p->set_country("CN");
    EXPECT_TRUE(stream->Write(l));
    v1::ScreenStreamResponse out;
    EXPECT_TRUE(stream->Read(&out));
    EXPECT_EQ(out.line_id(), id);
    return out;
  };
  v1::ScreenStreamResponse before = line("1");
  ASSERT_EQ(before.response().decision(), v1::DECISION_CLEAR);

  const v1::ImportListRequest import = ListQuantumHarbor();
  v1::ImportListResponse imported;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin->ImportList(&ctx, import, &imported).ok());
  }
  ASSERT_TRUE(imported.activated());
  const absl::Time activated = absl::Now();

  v1::ScreenStreamResponse after = line("2");
  const absl::Duration lag = absl::Now() - activated;
  EXPECT_EQ(after.response().list_version(), imported.list_version());
  EXPECT_EQ(after.response().decision(), v1::DECISION_LICENSE_REQUIRED);
  EXPECT_LT(lag, absl::Seconds(1));
  std::printf("stream followed the activation in %s (next line)\n",
              absl::FormatDuration(lag).c_str());
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

// Issue 12: a frame that does not parse is answered in-band as
// INVALID_ARGUMENT and the stream goes on; the stream never ends OK having
// dropped lines silently.
TEST(ContinuousScreeningTest, UnparsableFrameIsAnsweredAndTheStreamGoesOn) {
  testing::TempDir db;
  std::unique_ptr<server::ScreeningServer> server = StartSeeded(db);
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                     grpc::InsecureChannelCredentials());
  // A raw bidi stream: frame 1 garbage, frame 2 a good line.
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&ctx, "/exportscreen.v1.ScreeningService/ScreenStream", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  auto send = [&](const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer b(&slice, 1);
    call->Write(b, reinterpret_cast<void*>(2));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  };
  send(std::string("\xff\xff\xff", 3));
  v1::ScreenStreamRequest good;
  good.set_line_id("good");
  good.mutable_request()->set_destination_country("DE");
  good.mutable_request()->add_parties()->set_name("Rheinland Engineering GmbH");
  send(good.SerializeAsString());
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  std::map<std::string, v1::ScreenStreamResponse> answers;
  for (int i = 0; i < 2; ++i) {
    grpc::ByteBuffer in;
    call->Read(&in, reinterpret_cast<void*>(4));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    std::vector<grpc::Slice> slices;
    ASSERT_TRUE(in.Dump(&slices).ok());
    std::string bytes;
    for (const auto& sl : slices)
      bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    v1::ScreenStreamResponse r;
    ASSERT_TRUE(r.ParseFromString(bytes));
    answers[r.line_id()] = r;
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.count("#frame-1"), 1u);
  EXPECT_EQ(answers["#frame-1"].error().code(), int(grpc::StatusCode::INVALID_ARGUMENT));
  ASSERT_EQ(answers.count("good"), 1u);
  EXPECT_NE(answers["good"].response().decision(), v1::DECISION_UNSPECIFIED);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace exportscreen
