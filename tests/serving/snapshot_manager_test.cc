// SnapshotManager (services/serving/snapshot_manager.h) over a temporary
// store with a fake clock: the rollback stack, a failed activation that
// changes nothing, the memory budget, and retirement of old snapshots on
// the manager's own thread.
#include "services/serving/snapshot_manager.h"

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/rules/rule_set.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::serving {
namespace {

class SnapshotManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::EntityStore::Open(dir_.path() + "/db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    manager_ = std::make_unique<SnapshotManager>(store_.get(), &clock_, /*retained=*/1);
    BootstrapOptions bootstrap;
    bootstrap.rules_dir = std::string(ES_SOURCE_DIR) + "/rules";
    bootstrap.seeds_dir = std::string(ES_SOURCE_DIR) + "/seeds";
    ASSERT_TRUE(manager_->Bootstrap(bootstrap).ok()) << manager_->NotServingReason();
    ASSERT_NE(manager_->Current(), nullptr);
  }

  // A new rule-set version: the repository's rules with one comment added
  // (content-addressed, so a different version of the same rules).
  std::string PublishVariant(int n) {
    auto files = rules::ReadRuleFiles(std::string(ES_SOURCE_DIR) + "/rules");
    EXPECT_TRUE(files.ok());
    std::map<std::string, std::string> m = *files;
    for (auto& [name, content] : m) {
      if (absl::EndsWith(name, ".textproto")) {
        content += absl::StrCat("\n# variant ", n, "\n");
        break;
      }
    }
    auto info = RulePublisher(store_.get(), &clock_).Publish(m, "test", "tester");
    EXPECT_TRUE(info.ok()) << info.status();
    return info->version();
  }

  std::string list() const { return manager_->Current()->list_version; }

  FakeClock clock_{absl::FromUnixSeconds(1790000000)};
  testing::TempDir dir_;
  std::unique_ptr<store::EntityStore> store_;
  std::unique_ptr<SnapshotManager> manager_;
};

TEST_F(SnapshotManagerTest, SnapshotsCarryTheFakeClockAndTheirSize) {
  auto current = manager_->Current();
  EXPECT_EQ(current->loaded_at, absl::FromUnixSeconds(1790000000));
  EXPECT_GT(current->memory_bytes, 0u);
  EXPECT_GE(manager_->HeldBytes(), current->memory_bytes);
  auto estimate = manager_->EstimateBytes(current->list_version);
  ASSERT_TRUE(estimate.ok());
  EXPECT_GE(*estimate, current->memory_bytes);  // measured ratio x 1.1 + 1 MiB
}

TEST_F(SnapshotManagerTest, RollbackWalksTheActivationStack) {
  const std::string v0 = manager_->Current()->rule_set_version;
  const std::string v1 = PublishVariant(1), v2 = PublishVariant(2);
  ASSERT_TRUE(manager_->Activate(v1, list(), "op").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(manager_->Activate(v2, list(), "op").ok());
  auto back = manager_->Rollback("op");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->rule_set_version(), v1);
  EXPECT_EQ(manager_->Current()->rule_set_version, v1);
  back = manager_->Rollback("op");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->rule_set_version(), v0);
  EXPECT_EQ(manager_->Rollback("op").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(manager_->Current()->rule_set_version, v0);
}

TEST_F(SnapshotManagerTest, FailedActivationChangesNothing) {
  const auto before = manager_->Current();
  auto active_before = store_->activation().GetActive();
  ASSERT_TRUE(active_before.ok() && active_before->has_value());
  auto history_before = store_->activation().ActivationHistory();
  for (const auto& [rules, lists] : std::vector<std::pair<std::string, std::string>>{
           {"R-unknown", list()}, {before->rule_set_version, "L-unknown"}}) {
    absl::Status s = manager_->Activate(rules, lists, "op");
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_EQ(manager_->Current(), before);
    auto active = store_->activation().GetActive();
    ASSERT_TRUE(active.ok() && active->has_value());
    EXPECT_EQ((*active)->ShortDebugString(), (*active_before)->ShortDebugString());
    EXPECT_EQ(store_->activation().ActivationHistory()->size(), history_before->size());
  }
}

TEST_F(SnapshotManagerTest, ActivationThatDoesNotFitTheBudgetIsRefused) {
  const auto before = manager_->Current();
  const std::string v1 = PublishVariant(1);
  // Room for the active snapshot and half another: refused, nothing changed.
  manager_->set_memory_budget(before->memory_bytes + before->memory_bytes / 2);
  absl::Status s = manager_->Activate(v1, list(), "op");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("budget"), std::string::npos) << s;
  EXPECT_EQ(manager_->Current(), before);
  EXPECT_EQ((*store_->activation().GetActive())->rule_set_version(), before->rule_set_version);
  // Room for two: the activation goes through, and what is held stays
  // within the budget once the old snapshot is let go.
  const size_t budget = 3 * before->memory_bytes + (4u << 20);
  manager_->set_memory_budget(budget);
  ASSERT_TRUE(manager_->Activate(v1, list(), "op").ok());
  EXPECT_EQ(manager_->Current()->rule_set_version, v1);
  EXPECT_LE(manager_->HeldBytes(), budget);
}

TEST_F(SnapshotManagerTest, OldSnapshotsDieOnTheRetirerOnceNoRequestHoldsThem) {
  std::shared_ptr<const engine::ScreeningSnapshot> request = manager_->Current();
  std::weak_ptr<const engine::ScreeningSnapshot> watch = request;
  // Two activations with one kept: the first snapshot is let go.
  ASSERT_TRUE(manager_->Activate(PublishVariant(1), list(), "op").ok());
  ASSERT_TRUE(manager_->Activate(PublishVariant(2), list(), "op").ok());
  // A request still holds it: it stays alive (and counted).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(watch.expired());
  EXPECT_GE(manager_->HeldBytes(), request->memory_bytes);
  // The request ends: the retirer frees it (not this thread: after the
  // reset the retirer still holds one reference).
  request.reset();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!watch.expired() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace exportscreen::serving
