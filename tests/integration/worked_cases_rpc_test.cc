// Issue 4 bar: every worked case of reference section 6 (tests/testing/
// worked_cases.h) gets the reference's answer through the public Screen RPC,
// not only through the engine. A real ScreeningServer on a free loopback
// port (temp store, rules/ and seeds/ of this repo), the worked-case listed
// entities imported as a new active list version, then every case sent
// through the generated ScreeningService stub and checked exactly as
// tests/engine checks it: decision, ECCN per item, must / must-not rule ids.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/server/server.h"
#include "tests/testing/server_options.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/worked_case_checks.h"
#include "tests/testing/worked_cases.h"

namespace exportscreen {
namespace {

using exportscreen::testing::ExpectWorkedCaseAnswer;
using exportscreen::testing::kWorkedCaseEntities;
using exportscreen::testing::kWorkedCaseOwnership;
using exportscreen::testing::kWorkedCases;

class WorkedCasesRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions o = testing::TestServerOptions(db_.path());
    o.workers = 2;
    auto s = server::ScreeningServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_TRUE(server_->Load().ok());

    // The listed parties the worked cases assume, as a new active list
    // version (entities with the same id replace the seeds' ones).
    std::string jsonl;
    google::protobuf::util::JsonPrintOptions json;
    json.preserve_proto_field_names = true;
    for (const char* text : kWorkedCaseEntities) {
      v1::ListedEntity e;
      ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &e)) << text;
      // The importer derives entity_id from list and source_id.
      const std::string prefix = absl::StrCat(e.list(), ":");
      ASSERT_EQ(e.entity_id().rfind(prefix, 0), 0u) << e.entity_id();
      if (e.source_id().empty()) e.set_source_id(e.entity_id().substr(prefix.size()));
      std::string line;
      ASSERT_TRUE(google::protobuf::util::MessageToJsonString(e, &line, json).ok());
      absl::StrAppend(&jsonl, line, "\n");
    }
    auto imported = server_->importer()->Import("entities_jsonl", {{"worked_cases.jsonl", jsonl}},
                                                /*replace_lists=*/false, /*activate=*/true,
                                                /*dry_run=*/false, "worked-cases-rpc-test");
    ASSERT_TRUE(imported.ok()) << imported.status();
    for (const auto& r : imported->parsed.rejected) {
      ADD_FAILURE() << "rejected " << r.file << ":" << r.line << ": " << r.reason;
    }
    ASSERT_TRUE(imported->parsed.rejected.empty());
    ASSERT_EQ(imported->parsed.entities.size(), std::size(kWorkedCaseEntities));
    ASSERT_TRUE(imported->activated);

    // The ownership links the affiliate cases assume come from
    // seeds/ownership.jsonl; check the active snapshot carries each of them.
    auto snapshot = server_->manager()->Current();
    ASSERT_NE(snapshot, nullptr);
    ASSERT_NE(snapshot->data, nullptr);
    for (const char* text : kWorkedCaseOwnership) {
      v1::OwnershipLink want;
      ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &want));
      bool found = false;
      for (const auto& l : snapshot->data->ownership) {
        found |= l.owner_entity_id() == want.owner_entity_id() &&
                 l.owned_name() == want.owned_name() && l.owned_country() == want.owned_country() &&
                 l.percent() == want.percent();
      }
      EXPECT_TRUE(found) << "ownership link missing from the served list "
                            "version: "
                         << text;
    }

    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::ScreeningService::NewStub(channel_);
  }

  grpc::Status Screen(const v1::ScreenRequest& req, v1::ScreenResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->Screen(&ctx, req, resp);
  }

  testing::TempDir db_;
  std::unique_ptr<server::ScreeningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScreeningService::Stub> stub_;
};

TEST_F(WorkedCasesRpcTest, EveryWorkedCaseGetsTheReferenceAnswerThroughScreen) {
  int cases = 0;
  for (const auto& c : kWorkedCases) {
    SCOPED_TRACE(absl::StrCat(c.name, " [", c.reference, "]"));
    v1::ScreenRequest req;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(c.request, &req));
    req.set_as_of_date(c.as_of);
    req.set_request_id(absl::StrCat("worked-case-", cases));
    v1::ScreenResponse resp;
    grpc::Status s = Screen(req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
    ++cases;

    ExpectWorkedCaseAnswer(c, req, resp);
    // The public answer: stored, versioned, evaluated as of the case's date
    // (checked above).
    EXPECT_EQ(resp.request_id(), req.request_id());
    EXPECT_FALSE(resp.decision_id().empty());
    EXPECT_FALSE(resp.rule_set_version().empty());
    EXPECT_FALSE(resp.list_version().empty());
  }
  EXPECT_EQ(cases, int(std::size(kWorkedCases)));
  std::cout << "worked cases screened through the Screen RPC: " << cases << "\n";
}

}  // namespace
}  // namespace exportscreen
