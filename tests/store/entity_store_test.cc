#include "services/store/entity_store.h"

#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::store {
namespace {

// The stored form of a record: its serialisation without `hash` in an
// envelope stating r.prev_hash() and r.hash().
std::string Envelope(const v1::DecisionRecord& r) {
  v1::DecisionRecord copy = r;
  copy.clear_hash();
  std::string bytes;
  EXPECT_TRUE(copy.SerializeToString(&bytes));
  return EncodeDecisionEnvelope(bytes, r.prev_hash(), r.hash());
}

ListVersionData SampleVersion(const std::string& version) {
  ListVersionData data;
  data.info.set_version(version);
  data.info.set_entity_count(2);
  data.info.mutable_created_at()->set_seconds(100);
  for (const char* name : {"Alpha Co", "Beta Ltd"}) {
    v1::ListedEntity e;
    e.set_list("EL");
    e.set_source_id(name);
    e.set_entity_id(std::string("EL:") + name);
    e.set_primary_name(name);
    e.add_countries("CN");
    data.entities.push_back(e);
  }
  v1::OwnershipLink link;
  link.set_owner_entity_id("EL:Alpha Co");
  link.set_owned_name("Alpha Sub");
  link.set_percent(60);
  data.ownership.push_back(link);
  v1::CatalogItem item;
  item.set_part_number("PN-1");
  item.mutable_item()->set_tpp(4992);
  data.items.push_back(item);
  return data;
}

TEST(EntityStoreTest, ListVersionRoundTripAndSurvivesReopen) {
  testing::TempDir dir;
  {
    auto store = EntityStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_TRUE(*(*store)->IsEmpty());
    ASSERT_TRUE((*store)->lists().PutListVersion(SampleVersion("v1")).ok());
    ASSERT_TRUE((*store)->lists().PutListVersion(SampleVersion("v10")).ok());
    EXPECT_EQ((*store)->lists().PutListVersion(SampleVersion("v1")).code(),
              absl::StatusCode::kAlreadyExists);
    v1::ActiveVersions active;
    active.set_list_version("v1");
    active.set_rule_set_version("r1");
    ASSERT_TRUE((*store)->activation().SetActive(active).ok());
  }
  auto store = EntityStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE(*(*store)->IsEmpty());
  auto data = (*store)->lists().ReadListVersion("v1");
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->entities.size(), 2u);  // v10 records not mixed in
  EXPECT_EQ(data->entities[0].primary_name(), "Alpha Co");
  ASSERT_EQ(data->ownership.size(), 1u);
  EXPECT_EQ(data->ownership[0].percent(), 60);
  ASSERT_EQ(data->items.size(), 1u);
  EXPECT_EQ(data->items[0].item().tpp(), 4992);
  auto versions = (*store)->lists().ListListVersions();
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->size(), 2u);
  auto active = (*store)->activation().GetActive();
  ASSERT_TRUE(active.ok());
  ASSERT_TRUE(active->has_value());
  EXPECT_EQ((*active)->list_version(), "v1");
  EXPECT_EQ((*store)->lists().ReadListVersion("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(EntityStoreTest, RuleSetsAreContentAddressed) {
  testing::TempDir dir;
  auto store = EntityStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  v1::StoredRuleSet rs;
  rs.mutable_info()->set_version("rules-abc");
  (*rs.mutable_files())["a.textproto"] = "x: 1";
  ASSERT_TRUE((*store)->rule_sets().PutRuleSet(rs).ok());
  ASSERT_TRUE((*store)->rule_sets().PutRuleSet(rs).ok());
  auto got = (*store)->rule_sets().GetRuleSet("rules-abc");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->files().at("a.textproto"), "x: 1");
  EXPECT_EQ((*store)->rule_sets().ListRuleSets()->size(), 1u);
  EXPECT_EQ((*store)->rule_sets().GetRuleSet("zzz").status().code(), absl::StatusCode::kNotFound);
}

TEST(EntityStoreTest, DecisionsAreChainedAndSurviveReopen) {
  testing::TempDir dir;
  std::string first_id, second_hash;
  {
    auto store = EntityStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    v1::DecisionRecord r1;
    r1.mutable_request()->set_request_id("a");
    auto id1 = (*store)->decisions().AppendDecision(&r1);
    ASSERT_TRUE(id1.ok());
    first_id = *id1;
    EXPECT_EQ(r1.prev_hash(), "");
    EXPECT_EQ(r1.response().decision_id(), first_id);
    v1::DecisionRecord r2;
    ASSERT_TRUE((*store)->decisions().AppendDecision(&r2).ok());
    EXPECT_EQ(r2.prev_hash(), r1.hash());
    second_hash = r2.hash();
  }
  auto store = EntityStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->decisions().decision_count(), 2);
  auto got = (*store)->decisions().GetDecision(first_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->request().request_id(), "a");
  EXPECT_EQ(DecisionRecordHash(*got), got->hash());
  v1::DecisionRecord r3;
  ASSERT_TRUE((*store)->decisions().AppendDecision(&r3).ok());
  EXPECT_EQ(r3.prev_hash(), second_hash);  // chain continues after restart
  EXPECT_EQ((*store)->decisions().GetDecision("bad").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->decisions().GetDecision("D00000000000000ff").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(EntityStoreTest, SecondOpenOfLockedDbFails) {
  testing::TempDir dir;
  auto a = EntityStore::Open(dir.path());
  ASSERT_TRUE(a.ok());
  auto b = EntityStore::Open(dir.path());
  EXPECT_FALSE(b.ok());
}

}  // namespace
}  // namespace exportscreen::store

namespace exportscreen::store {
namespace {

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = EntityStore::Open(dir_.path());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    for (int i = 0; i < 10; ++i) {
      v1::DecisionRecord r;
      r.mutable_request()->set_request_id("r" + std::to_string(i));
      r.mutable_response()->set_decision(v1::DECISION_CLEAR);
      ASSERT_TRUE(store_->decisions().AppendDecision(&r).ok());
      records_.push_back(r);
    }
  }
  // The stored form of `r` as a forger would write it: its bytes (without
  // `hash`) in an envelope that states r.hash().
  std::string Bytes(const v1::DecisionRecord& r) { return Envelope(r); }

  testing::TempDir dir_;
  std::unique_ptr<EntityStore> store_;
  std::vector<v1::DecisionRecord> records_;
};

TEST_F(ChainTest, IntactChainVerifies) {
  auto v = VerifyDecisionChain(store_->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->records_checked, 10u);
  EXPECT_EQ(v->head_hash, records_.back().hash());
}

TEST_F(ChainTest, DetectsModifiedRecord) {
  v1::DecisionRecord tampered = records_[4];
  tampered.mutable_response()->set_decision(v1::DECISION_PROHIBITED);
  ASSERT_TRUE(store_->decisions().RawPutDecisionForTest(5, Bytes(tampered)).ok());
  auto v = VerifyDecisionChain(store_->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 5u);
  EXPECT_NE(v->problem.find("modified"), std::string::npos) << v->problem;
}

TEST_F(ChainTest, DetectsModifiedRecordWithRecomputedHash) {
  // A forger who recomputes the record's own hash still breaks the link to
  // the next record.
  v1::DecisionRecord tampered = records_[4];
  tampered.mutable_response()->set_decision(v1::DECISION_PROHIBITED);
  tampered.set_hash(DecisionRecordHash(tampered));
  ASSERT_TRUE(store_->decisions().RawPutDecisionForTest(5, Bytes(tampered)).ok());
  auto v = VerifyDecisionChain(store_->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 6u);
}

TEST_F(ChainTest, DetectsDeletedRecord) {
  ASSERT_TRUE(store_->decisions().RawDeleteDecisionForTest(3).ok());
  auto v = VerifyDecisionChain(store_->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 4u);
  EXPECT_NE(v->problem.find("gap"), std::string::npos) << v->problem;
}

TEST_F(ChainTest, DetectsDeletedTail) {
  ASSERT_TRUE(store_->decisions().RawDeleteDecisionForTest(10).ok());
  auto v = VerifyDecisionChain(store_->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 10u);
}

TEST_F(ChainTest, DetectsReorderedRecords) {
  // Swap the contents of sequences 6 and 7, keeping each record's own
  // sequence field consistent with its new slot.
  v1::DecisionRecord a = records_[5], b = records_[6];
  a.set_sequence(7);
  b.set_sequence(6);
  ASSERT_TRUE(store_->decisions().RawPutDecisionForTest(6, Bytes(b)).ok());
  ASSERT_TRUE(store_->decisions().RawPutDecisionForTest(7, Bytes(a)).ok());
  auto v = VerifyDecisionChain(store_->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 6u);
}

TEST(ActivationHistoryTest, AppendsInOrder) {
  testing::TempDir dir;
  auto store = EntityStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  for (const char* v : {"a", "b", "c"}) {
    v1::ActiveVersions active;
    active.set_list_version(v);
    ASSERT_TRUE((*store)->activation().SetActive(active).ok());
  }
  auto history = (*store)->activation().ActivationHistory();
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].list_version(), "a");
  EXPECT_EQ((*history)[2].list_version(), "c");
  EXPECT_EQ((*(*store)->activation().GetActive())->list_version(), "c");
}

}  // namespace
}  // namespace exportscreen::store

namespace exportscreen::store {
namespace {

TEST(RetentionTest, ExpiryKeepsTheRestVerifiable) {
  testing::TempDir dir;
  auto opened = EntityStore::Open(dir.path());
  ASSERT_TRUE(opened.ok());
  auto& store = *opened;
  for (int i = 0; i < 10; ++i) {
    v1::DecisionRecord r;
    r.mutable_recorded_at()->set_seconds(1000 + i * 100);
    ASSERT_TRUE(store->decisions().AppendDecision(&r).ok());
  }
  auto deleted = store->decisions().ExpireDecisionsBefore(absl::FromUnixSeconds(1500));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 5);
  auto v = VerifyDecisionChain(store->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->records_checked, 5u);
  // Deleting one more record by hand (not through retention) is detected.
  ASSERT_TRUE(store->decisions().RawDeleteDecisionForTest(6).ok());
  v = VerifyDecisionChain(store->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 7u);
}

TEST(RetentionTest, NeverDeletesTheHead) {
  testing::TempDir dir;
  auto store = EntityStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  v1::DecisionRecord r;
  ASSERT_TRUE((*store)->decisions().AppendDecision(&r).ok());
  auto deleted = (*store)->decisions().ExpireDecisionsBefore(absl::FromUnixSeconds(1 << 30));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0);
}

TEST(CheckpointTest, RewrittenChainAfterCheckpointIsDetected) {
  testing::TempDir dir;
  auto opened = EntityStore::Open(dir.path());
  ASSERT_TRUE(opened.ok());
  auto& store = *opened;
  std::vector<v1::DecisionRecord> records;
  for (int i = 0; i < 3; ++i) {
    v1::DecisionRecord r;
    r.mutable_request()->set_request_id(std::to_string(i));
    ASSERT_TRUE(store->decisions().AppendDecision(&r).ok());
    records.push_back(r);
  }
  auto cp = store->decisions().Checkpoint(absl::Now());
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(cp->has_value());
  EXPECT_EQ((*cp)->sequence(), 3u);
  // A forger rewrites record 3 consistently (own hash recomputed; it is the
  // last record, so no successor link breaks): only the checkpoint catches it.
  v1::DecisionRecord forged = records[2];
  forged.mutable_request()->set_request_id("forged");
  forged.set_hash(DecisionRecordHash(forged));
  ASSERT_TRUE(store->decisions().RawPutDecisionForTest(3, Envelope(forged)).ok());
  auto v = VerifyDecisionChain(store->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 3u);
  EXPECT_NE(v->problem.find("checkpoint"), std::string::npos) << v->problem;
}

}  // namespace
}  // namespace exportscreen::store

namespace exportscreen::store {
namespace {

TEST(GroupCommitTest, ConcurrentAppendsFormOneValidChain) {
  testing::TempDir dir;
  auto opened = EntityStore::Open(dir.path());
  ASSERT_TRUE(opened.ok());
  auto& store = *opened;
  constexpr int kThreads = 8, kPerThread = 300;
  std::vector<std::thread> threads;
  std::mutex ids_mu;
  std::set<std::string> ids;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        v1::DecisionRecord r;
        r.mutable_request()->set_request_id(absl::StrCat(t, "-", i));
        auto id = store->decisions().AppendDecision(&r);
        ASSERT_TRUE(id.ok());
        EXPECT_EQ(r.response().decision_id(), *id);
        std::lock_guard<std::mutex> lock(ids_mu);
        EXPECT_TRUE(ids.insert(*id).second);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store->decisions().decision_count(), kThreads * kPerThread);
  auto v = VerifyDecisionChain(store->decisions());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
  EXPECT_EQ(v->records_checked, static_cast<uint64_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace exportscreen::store
