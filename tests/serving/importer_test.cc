// ListImporter, DispositionRegistry and SnapshotManager::ActivateIf over a
// temp store and a fake clock (issue 16: imports, rule publication and
// dispositions as classes of their own).
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/rules/rule_set.h"
#include "services/serving/disposition_registry.h"
#include "services/serving/list_importer.h"
#include "services/serving/rule_publisher.h"
#include "services/serving/snapshot_manager.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::serving {
namespace {

// One hand-written Entity List party (not from the seeds), as JSON lines.
constexpr char kExtra[] =
    R"({"entity_id":"EL:test-aurora-vale","list":"EL","source_id":"test-aurora-vale",)"
    R"("type":"ENTITY_TYPE_ORGANIZATION","primary_name":"Aurora Vale Photonics Trading Ltd",)"
    R"("countries":["CN"],"license_requirement":"For all items subject to the EAR.",)"
    R"("license_policy":"Presumption of denial","federal_register_citations":["99 FR 1"]})";

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::EntityStore::Open(dir_.path() + "/db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    dispositions_ = std::make_unique<DispositionRegistry>(store_.get());
    manager_ = std::make_unique<SnapshotManager>(store_.get(), &clock_, 2, dispositions_.get());
    importer_ = std::make_unique<ListImporter>(manager_.get(), store_.get(), &clock_);
    BootstrapOptions bootstrap;
    bootstrap.rules_dir = std::string(ES_SOURCE_DIR) + "/rules";
    bootstrap.seeds_dir = std::string(ES_SOURCE_DIR) + "/seeds";
    ASSERT_TRUE(manager_->Bootstrap(bootstrap).ok()) << manager_->NotServingReason();
  }

  FakeClock clock_{absl::FromUnixSeconds(1790000000)};
  testing::TempDir dir_;
  std::unique_ptr<store::EntityStore> store_;
  std::unique_ptr<DispositionRegistry> dispositions_;
  std::unique_ptr<SnapshotManager> manager_;
  std::unique_ptr<ListImporter> importer_;
};

TEST_F(ImporterTest, ImportDerivesFromTheActiveVersionAndActivates) {
  const auto before = manager_->Current();
  auto outcome = importer_->Import("entities_jsonl", {{"extra.jsonl", kExtra}},
                                   /*replace_lists=*/false, /*activate=*/true,
                                   /*dry_run=*/false, "op");
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->added, 1);
  EXPECT_TRUE(outcome->activated);
  EXPECT_EQ(outcome->info.parent_version(), before->list_version);
  EXPECT_EQ(manager_->Current()->list_version, outcome->info.version());
  EXPECT_EQ(manager_->Current()->data->entities.size(), before->data->entities.size() + 1);
}

TEST_F(ImporterTest, DryRunStoresNothing) {
  auto versions_before = store_->lists().ListListVersions();
  ASSERT_TRUE(versions_before.ok());
  auto outcome = importer_->Import("entities_jsonl", {{"extra.jsonl", kExtra}}, false,
                                   /*activate=*/true, /*dry_run=*/true, "op");
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->info.version().empty());
  EXPECT_FALSE(outcome->activated);
  EXPECT_EQ(store_->lists().ListListVersions()->size(), versions_before->size());
}

TEST_F(ImporterTest, ActivateIfRefusesWhenTheActivePairChanged) {
  const auto base = manager_->Current();
  auto stored = importer_->Import("entities_jsonl", {{"extra.jsonl", kExtra}}, false,
                                  /*activate=*/false, false, "op");
  ASSERT_TRUE(stored.ok()) << stored.status();
  // Someone else activates a new rule set meanwhile.
  auto files = rules::ReadRuleFiles(std::string(ES_SOURCE_DIR) + "/rules");
  ASSERT_TRUE(files.ok());
  files->begin()->second += "\n# a variant\n";
  auto other = RulePublisher(store_.get(), &clock_).Publish(*files, "test", "other");
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(manager_->Activate(other->version(), base->list_version, "other").ok());
  // Activating the import against the pair it was derived from is refused;
  // nothing changes.
  absl::Status s = manager_->ActivateIf(base->rule_set_version, base->list_version,
                                        base->rule_set_version, stored->info.version(), "op");
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_NE(s.message().find(other->version()), std::string::npos) << s;
  EXPECT_EQ(manager_->Current()->rule_set_version, other->version());
  EXPECT_EQ(manager_->Current()->list_version, base->list_version);
  // Against the pair now active it goes through.
  EXPECT_TRUE(manager_
                  ->ActivateIf(other->version(), base->list_version, other->version(),
                               stored->info.version(), "op")
                  .ok());
  EXPECT_EQ(manager_->Current()->list_version, stored->info.version());
}

TEST_F(ImporterTest, RecordedDispositionIsInTheNextPinnedView) {
  auto snapshot = manager_->Current();
  const uint64_t before = manager_->Pin(*snapshot).dispositions->sequence();
  v1::Disposition d;
  d.set_entity_id(snapshot->data->entities.front().entity_id());
  d.set_party_key("acme trading");
  d.set_reason("different company, checked registry");
  d.set_analyst("analyst1");
  auto recorded = dispositions_->Record(d);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(recorded->sequence(), before + 1);
  const auto pinned = manager_->Pin(*snapshot);
  EXPECT_EQ(pinned.dispositions->sequence(), before + 1);
  EXPECT_EQ(pinned.dispositions->size(), 1u);
  // Replay's view of the past: before the recording, the set was empty.
  auto past = DispositionsAt(*store_, before);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ((*past)->size(), 0u);
}

}  // namespace
}  // namespace exportscreen::serving
