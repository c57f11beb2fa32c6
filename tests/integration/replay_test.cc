// Replay equality: 1,000 random decisions made across several rule-set and
// list version changes are re-evaluated under the versions that answered
// them, and every answer comes back identical. Also checks replay through
// the AdminService RPC and that a tampered stored answer is reported.
#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/api/screener.h"
#include "services/rules/rule_set.h"
#include "services/server/server.h"
#include "services/serving/operations.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

v1::ScreenRequest RandomRequest(std::mt19937& rng, int i) {
  static const char* kNames[] = {"Huawei Technologies Co Ltd",
                                 "Rheinland Engineering Simulation GmbH",
                                 "SMIC",
                                 "Kansai Research Computing Center K.K.",
                                 "Replay Delta Trading Ltd",
                                 "Replay Gamma Electronics Co",
                                 "Kal Tek Labs",
                                 "Bright Star Global Trading",
                                 "Replay Alpha Semiconductor",
                                 "Sophgo"};
  static const char* kDest[] = {"CN", "DE", "JP", "MY", "SG", "AE", "VN", "NL", "KP", "MO"};
  v1::ScreenRequest r;
  r.set_request_id(absl::StrCat("replay-", i));
  r.set_destination_country(kDest[rng() % 10]);
  const int parties = 1 + rng() % 3;
  for (int p = 0; p < parties; ++p) {
    auto* party = r.add_parties();
    party->set_role(static_cast<v1::PartyRole>(1 + rng() % 5));
    party->set_name(kNames[rng() % 10]);
    party->set_country(kDest[rng() % 10]);
  }
  const int items = rng() % 3;
  for (int k = 0; k < items; ++k) {
    auto* item = r.add_items();
    item->set_kind(rng() % 2 ? v1::ITEM_KIND_IC : v1::ITEM_KIND_COMPUTER);
    item->set_tpp(static_cast<double>(500 + rng() % 20000));
    item->set_die_area_mm2(static_cast<double>(200 + rng() % 700));
    item->set_datacenter_marketed(rng() % 2);
    item->set_quantity(1 + rng() % 200);
  }
  // Dates on both sides of the affiliates-rule suspension.
  static const char* kDates[] = {"2025-10-15", "2026-01-15", "2026-11-29", ""};
  r.set_as_of_date(kDates[rng() % 4]);
  return r;
}

std::string Entity(const std::string& id, const std::string& name) {
  return absl::StrCat(
      R"({"entity_id":"EL:)", id, R"(","list":"EL","source_id":")", id, R"(","primary_name":")",
      name,
      R"(","countries":["CN"],"license_requirement":"For all items subject to the EAR.",)"
      R"("license_policy":"Presumption of denial","federal_register_citations":["99 FR 1"]})");
}

TEST(ReplayTest, ThousandDecisionsAcrossVersionChangesReplayIdentically) {
  testing::TempDir db;
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = db.path();
  options.bootstrap.rules_dir = std::string(ES_SOURCE_DIR) + "/rules";
  options.bootstrap.seeds_dir = std::string(ES_SOURCE_DIR) + "/seeds";
  options.workers = 2;
  auto started = server::ScreeningServer::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& server = *started;
  ASSERT_TRUE(server->Load().ok());
  auto* manager = server->manager();
  api::Screener screener(manager->store(), Clock::Real());

  auto base_rules = rules::ReadRuleFiles(options.bootstrap.rules_dir);
  ASSERT_TRUE(base_rules.ok());
  // Version changes: list additions and rule-set variants (other
  // thresholds), alternating; 6 changes in all.
  std::vector<std::function<void()>> changes = {
      [&] {
        auto r = server->importer()->Import(
            "entities_jsonl",
            {{"a.jsonl", Entity("replay-alpha", "Replay Alpha Semiconductor Co., Ltd.")}}, false,
            true, false, "test");
        ASSERT_TRUE(r.ok()) << r.status();
      },
      [&] {
        auto files = *base_rules;
        files["thresholds.textproto"] =
            absl::StrReplaceAll(files["thresholds.textproto"], {{"review: 0.80", "review: 0.84"}});
        auto info = server->publisher()->Publish(files, "variant-1", "test");
        ASSERT_TRUE(info.ok()) << info.status();
        ASSERT_TRUE(
            manager->Activate(info->version(), manager->Current()->list_version, "test").ok());
      },
      [&] {
        auto r = server->importer()->Import(
            "entities_jsonl", {{"b.jsonl", Entity("replay-gamma", "Replay Gamma Electronics Co")}},
            false, true, false, "test");
        ASSERT_TRUE(r.ok()) << r.status();
      },
      [&] {
        auto files = *base_rules;
        files["thresholds.textproto"] =
            absl::StrReplaceAll(files["thresholds.textproto"], {{"block: 0.92", "block: 0.90"}});
        auto info = server->publisher()->Publish(files, "variant-2", "test");
        ASSERT_TRUE(info.ok()) << info.status();
        ASSERT_TRUE(
            manager->Activate(info->version(), manager->Current()->list_version, "test").ok());
      },
      [&] {
        auto r = server->importer()->Import(
            "entities_jsonl", {{"c.jsonl", Entity("replay-delta", "Replay Delta Trading Limited")}},
            false, true, false, "test");
        ASSERT_TRUE(r.ok()) << r.status();
      },
      [&] {
        auto rolled = manager->Rollback("test");
        ASSERT_TRUE(rolled.ok()) << rolled.status();
      },
  };

  constexpr unsigned kSeed = 20261129;  // fixed: every run checks the same cases
  std::printf("random seed %u\n", kSeed);
  std::mt19937 rng(kSeed);
  std::vector<std::string> ids;
  std::set<std::string> version_pairs;
  const int kDecisions = 1050;
  for (int i = 0; i < kDecisions; ++i) {
    if (i % 150 == 149) changes[(i / 150) % changes.size()]();
    auto snapshot = manager->Current();
    auto response = screener.Screen(manager->Pin(*snapshot), RandomRequest(rng, i), "replay-test");
    if (!response.ok()) {
      // INVALID_ARGUMENT can't happen with these requests; anything else is a bug.
      FAIL() << response.status();
    }
    ids.push_back(response->decision_id());
    version_pairs.insert(response->rule_set_version() + "/" + response->list_version());
  }
  EXPECT_GE(version_pairs.size(), 6u) << "decisions must span >= 5 version changes";

  std::shuffle(ids.begin(), ids.end(), rng);
  ids.resize(1000);
  int identical = 0;
  for (const std::string& id : ids) {
    auto replay = serving::ReplayDecision(*manager, id);
    ASSERT_TRUE(replay.ok()) << id << ": " << replay.status();
    EXPECT_TRUE(replay->identical())
        << id << ": " << (replay->differences().empty() ? "" : replay->differences(0));
    identical += replay->identical();
  }
  EXPECT_EQ(identical, 1000);

  // Through the RPC, and a tampered record is reported as different.
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                     grpc::InsecureChannelCredentials());
  auto admin = v1::AdminService::NewStub(channel);
  grpc::ClientContext ctx;
  v1::ReplayDecisionRequest req;
  req.set_decision_id(ids[0]);
  v1::ReplayDecisionResponse resp;
  ASSERT_TRUE(admin->ReplayDecision(&ctx, req, &resp).ok());
  EXPECT_TRUE(resp.identical());

  auto record = manager->store()->decisions().GetDecision(ids[1]);
  ASSERT_TRUE(record.ok());
  record->mutable_response()->set_decision(v1::DECISION_CLEAR == record->response().decision()
                                               ? v1::DECISION_REVIEW
                                               : v1::DECISION_CLEAR);
  ASSERT_TRUE(manager->store()
                  ->decisions()
                  .RawPutDecisionForTest(record->sequence(), record->SerializeAsString())
                  .ok());
  auto tampered = serving::ReplayDecision(*manager, ids[1]);
  ASSERT_TRUE(tampered.ok());
  EXPECT_FALSE(tampered->identical());
  EXPECT_FALSE(tampered->differences().empty());
  std::printf("replay: %d/1000 identical across %zu rule-set/list version pairs\n", identical,
              version_pairs.size());
}

}  // namespace
}  // namespace exportscreen
