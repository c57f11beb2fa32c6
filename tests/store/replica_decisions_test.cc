// Cluster mode (issue 17): replica decision ids, the store of other
// replicas' decisions (digest-checked on the way in) and the verification
// of each replica's chain.
#include "services/store/replica_decisions.h"

#include "gtest/gtest.h"
#include "services/store/chain_verifier.h"
#include "services/store/entity_store.h"
#include "services/store/key_codec.h"
#include "tests/testing/replica_records.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::store {
namespace {

TEST(ReplicaDecisionIdTest, CarriesTheReplicaAndParsesBack) {
  EXPECT_EQ(ReplicaDecisionId("r1", 3), "r1-D0000000000000003");
  std::string replica;
  uint64_t seq = 0;
  ASSERT_TRUE(ParseReplicaDecisionId("eu_west_2-D00000000000000ff", &replica, &seq));
  EXPECT_EQ(replica, "eu_west_2");
  EXPECT_EQ(seq, 255u);
  for (const char* bad :
       {"D0000000000000001", "-D0000000000000001", "R1-D0000000000000001", "r1-D000000000000001",
        "r1-X0000000000000001", "r1-D00000000000000zz", "r 1-D0000000000000001"}) {
    EXPECT_FALSE(ParseReplicaDecisionId(bad, &replica, &seq)) << bad;
  }
  EXPECT_FALSE(IsValidReplicaId(""));
  EXPECT_FALSE(IsValidReplicaId(std::string(33, 'a')));
  EXPECT_TRUE(IsValidReplicaId(std::string(32, 'a')));
}

TEST(ReplicaDecisionStoreTest, StoresOtherReplicasChainsAndVerifiesEach) {
  const auto r1 = testing::RecordOnReplica("r1", 5);
  const auto r2 = testing::RecordOnReplica("r2", 3);
  testing::TempDir dir;
  StoreOptions options;
  options.replica_id = "r3";
  auto store = EntityStore::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  ReplicaDecisionStore& replicas = (*store)->replica_decisions();
  EXPECT_EQ(*replicas.Position(), 0u);
  uint64_t position = 0;
  for (const auto* chain : {&r1, &r2}) {
    for (const auto& e : *chain) ASSERT_TRUE(replicas.Put({e}, ++position).ok());
  }
  EXPECT_EQ(*replicas.Position(), 8u);
  EXPECT_EQ(*replicas.Replicas(), (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(*replicas.LastSequence("r1"), 5u);
  auto got = replicas.Get("r2", 2);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->decision_id(), "r2-D0000000000000002");
  EXPECT_EQ(got->request().request_id(), "req-1");
  EXPECT_TRUE(absl::IsNotFound(replicas.Get("r2", 4).status()));
  // This replica's own log does not answer for another replica's id.
  EXPECT_TRUE(absl::IsNotFound((*store)->decisions().GetDecision("r1-D0000000000000001").status()));
  for (const char* r : {"r1", "r2"}) {
    auto chain = replicas.Chain(r);
    auto v = VerifyDecisionChain(*chain);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v->ok) << r << ": " << v->problem;
    EXPECT_EQ(v->records_checked, std::string(r) == "r1" ? 5u : 3u);
  }
  // A record missing from the middle of r1's chain is found.
  ASSERT_TRUE(replicas.Chain("r1")->RawDeleteDecisionForTest(3).ok());
  auto v = VerifyDecisionChain(*replicas.Chain("r1"));
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken_sequence, 4u) << v->problem;
}

TEST(ReplicaDecisionStoreTest, ChainsScanNewestFirst) {
  testing::TempDir dir;
  StoreOptions options;
  options.replica_id = "r3";
  auto store = EntityStore::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  ReplicaDecisionStore& replicas = (*store)->replica_decisions();
  uint64_t position = 0;
  for (const auto& chain : {testing::RecordOnReplica("r1", 4), testing::RecordOnReplica("r2", 2)}) {
    for (const auto& e : chain) ASSERT_TRUE(replicas.Put({e}, ++position).ok());
  }
  auto scan = [&](const std::string& replica, uint64_t from) {
    std::vector<std::string> ids;
    absl::Status s = replicas.Chain(replica)->ScanDecisions(from, /*reverse=*/true,
                                                            [&](const v1::DecisionRecord& r) {
                                                              ids.push_back(r.decision_id());
                                                              return true;
                                                            });
    EXPECT_TRUE(s.ok()) << s;
    return ids;
  };
  EXPECT_EQ(scan("r1", 0),
            (std::vector<std::string>{"r1-D0000000000000004", "r1-D0000000000000003",
                                      "r1-D0000000000000002", "r1-D0000000000000001"}));
  EXPECT_EQ(scan("r1", 2),
            (std::vector<std::string>{"r1-D0000000000000002", "r1-D0000000000000001"}));
  // Never into the next replica's keys, either way.
  EXPECT_EQ(scan("r2", 0),
            (std::vector<std::string>{"r2-D0000000000000002", "r2-D0000000000000001"}));
  EXPECT_TRUE(scan("r0", 0).empty());
  EXPECT_TRUE(scan("r9", 0).empty());
}

TEST(ReplicaDecisionStoreTest, RefusesRecordsThatFailTheDigestCheck) {
  auto entries = testing::RecordOnReplica("r1", 2);
  testing::TempDir dir;
  auto store = EntityStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ReplicaDecisionStore& replicas = (*store)->replica_decisions();
  auto tampered = entries[0];
  tampered.envelope.back() ^= 1;  // a record byte: the hash no longer matches
  EXPECT_EQ(replicas.Put({tampered}, 1).code(), absl::StatusCode::kDataLoss);
  auto wrong_seq = entries[1];
  wrong_seq.sequence = 7;  // the record names sequence 2
  EXPECT_EQ(replicas.Put({wrong_seq}, 1).code(), absl::StatusCode::kDataLoss);
  auto garbage = entries[0];
  garbage.envelope = "not an envelope";
  EXPECT_EQ(replicas.Put({garbage}, 1).code(), absl::StatusCode::kDataLoss);
  auto bad_replica = entries[0];
  bad_replica.replica = "R1";
  EXPECT_EQ(replicas.Put({bad_replica}, 1).code(), absl::StatusCode::kDataLoss);
  // Nothing of a refused batch is stored, not even the position.
  EXPECT_EQ(*replicas.Position(), 0u);
  EXPECT_TRUE(replicas.Replicas()->empty());
  EXPECT_TRUE(replicas.Put({entries[0], entries[1]}, 2).ok());
  EXPECT_EQ(*replicas.LastSequence("r1"), 2u);
}

}  // namespace
}  // namespace exportscreen::store
