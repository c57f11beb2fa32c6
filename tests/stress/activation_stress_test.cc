// Activation under load: screening threads call Screen continuously while
// another thread activates and rolls back list versions. Every answer must
// succeed and must equal the oracle answer of the versions it names (no
// failed requests, no mixed answers).
#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/engine/screening_engine.h"
#include "services/server/server.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

std::vector<v1::ScreenRequest> Requests() {
  std::vector<v1::ScreenRequest> out;
  auto make = [&](const char* dest, const char* name) {
    v1::ScreenRequest r;
    r.set_request_id(absl::StrCat("stress-", out.size()));
    r.set_destination_country(dest);
    auto* p = r.add_parties();
    p->set_name(name);
    p->set_country(dest);
    r.set_as_of_date("2026-11-29");
    out.push_back(r);
  };
  make("CN", "Quantum Harbor Stress Trading Co., Ltd.");  // listed only in v2
  make("DE", "Rheinland Engineering Simulation GmbH");
  make("CN", "Huawei Technologies Co Ltd");
  make("SG", "Quantum Harbor Stress Trading");
  return out;
}

// What must stay identical between the oracle and a served answer.
std::string Fingerprint(const v1::ScreenResponse& r) {
  std::string fp = v1::Decision_Name(r.decision());
  for (const auto& f : r.findings()) absl::StrAppend(&fp, "|", f.rule_id());
  for (const auto& m : r.party_matches()) absl::StrAppend(&fp, "|", m.entity_id());
  return fp;
}

TEST(ActivationStressTest, NoFailedOrMixedAnswersAcrossActivations) {
  testing::TempDir db;
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = db.path();
  options.bootstrap.rules_dir = std::string(ES_SOURCE_DIR) + "/rules";
  options.bootstrap.seeds_dir = std::string(ES_SOURCE_DIR) + "/seeds";
  options.workers = 2;
  options.record_decisions = true;
  auto started = server::ScreeningServer::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& server = *started;
  ASSERT_TRUE(server->Load().ok());
  auto* manager = server->manager();
  const std::string rules_version = manager->Current()->rule_set_version;
  const std::string v1_lists = manager->Current()->list_version;

  // Version 2: one more Entity List entry.
  const std::string extra =
      R"({"entity_id":"EL:stress-quantum-harbor","list":"EL","source_id":"stress-quantum-harbor",)"
      R"("type":"ENTITY_TYPE_ORGANIZATION","primary_name":"Quantum Harbor Stress Trading Co., Ltd.",)"
      R"("countries":["CN"],"license_requirement":"For all items subject to the EAR.",)"
      R"("license_policy":"Presumption of denial","federal_register_citations":["99 FR 12345"]})";
  auto imported = server->importer()->Import("entities_jsonl", {{"extra.jsonl", extra}},
                                             /*replace_lists=*/false, /*activate=*/false,
                                             /*dry_run=*/false, "stress-test");
  ASSERT_TRUE(imported.ok()) << imported.status();
  const std::string v2_lists = imported->info.version();
  ASSERT_EQ(imported->added, 1);

  // Oracle: each request evaluated directly on each version's snapshot.
  const auto requests = Requests();
  std::map<std::string, std::vector<std::string>> oracle;
  for (const std::string& lists : {v1_lists, v2_lists}) {
    auto snap = manager->Build(rules_version, lists);
    ASSERT_TRUE(snap.ok()) << snap.status();
    for (const auto& req : requests) {
      auto resp = engine::ScreeningEngine::Screen(**snap, req, absl::CivilDay(2026, 11, 29));
      ASSERT_TRUE(resp.ok()) << resp.status();
      oracle[lists].push_back(Fingerprint(*resp));
    }
  }
  ASSERT_NE(oracle[v1_lists][0], oracle[v2_lists][0])
      << "the extra entity must change the first request's answer";

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                     grpc::InsecureChannelCredentials());
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok_count{0}, failed{0}, mixed{0};
  std::map<std::string, std::atomic<int64_t>> seen_versions;
  seen_versions[v1_lists] = 0;
  seen_versions[v2_lists] = 0;
  std::vector<std::thread> screeners;
  for (int t = 0; t < 3; ++t) {
    screeners.emplace_back([&, t] {
      auto stub = v1::ScreeningService::NewStub(channel);
      size_t i = t;
      while (!stop.load()) {
        const size_t k = i++ % requests.size();
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::ScreenResponse resp;
        grpc::Status s = stub->Screen(&ctx, requests[k], &resp);
        if (!s.ok()) {
          ++failed;
          continue;
        }
        auto it = oracle.find(resp.list_version());
        if (resp.rule_set_version() != rules_version || it == oracle.end() ||
            it->second[k] != Fingerprint(resp)) {
          ++mixed;
          continue;
        }
        ++seen_versions.at(resp.list_version());
        ++ok_count;
      }
    });
  }

  const int kActivations = 30;
  absl::Duration max_activation;
  for (int a = 0; a < kActivations; ++a) {
    const absl::Time start = absl::Now();
    if (a % 2 == 0) {
      ASSERT_TRUE(manager->Activate(rules_version, v2_lists, "stress").ok());
    } else {
      auto rolled = manager->Rollback("stress");
      ASSERT_TRUE(rolled.ok()) << rolled.status();
      ASSERT_EQ(rolled->list_version(), v1_lists);
    }
    max_activation = std::max(max_activation, absl::Now() - start);
    // Let some requests through on this version before the next swap.
    const int64_t before = ok_count.load();
    while (ok_count.load() < before + 20) absl::SleepFor(absl::Milliseconds(1));
  }
  stop = true;
  for (auto& t : screeners) t.join();

  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(seen_versions[v1_lists].load(), 0);
  EXPECT_GT(seen_versions[v2_lists].load(), 0);
  std::printf(
      "activation stress: %d activations/rollbacks, %lld answers "
      "(v1 %lld, v2 %lld), 0 failed, 0 mixed, max activation %s\n",
      kActivations, static_cast<long long>(ok_count.load()),
      static_cast<long long>(seen_versions[v1_lists].load()),
      static_cast<long long>(seen_versions[v2_lists].load()),
      absl::FormatDuration(max_activation).c_str());
}

}  // namespace
}  // namespace exportscreen
