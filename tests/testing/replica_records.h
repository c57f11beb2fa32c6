// Test helper (cluster mode): a replica's decisions as it would publish them.
#ifndef EXPORTSCREEN_TESTS_TESTING_REPLICA_RECORDS_H_
#define EXPORTSCREEN_TESTS_TESTING_REPLICA_RECORDS_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/store/decision_envelope.h"
#include "services/store/entity_store.h"
#include "services/store/key_codec.h"
#include "services/store/replica_decisions.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::testing {

// Records `n` decisions on a store opened as replica `replica` and returns
// their envelopes as that replica would publish them (the stored bytes).
inline std::vector<store::ReplicaDecisionStore::Entry> RecordOnReplica(const std::string& replica,
                                                                       int n) {
  TempDir dir;
  store::StoreOptions options;
  options.replica_id = replica;
  auto store = store::EntityStore::Open(dir.path(), options);
  EXPECT_TRUE(store.ok()) << store.status();
  for (int i = 0; i < n; ++i) {
    v1::DecisionRecord r;
    r.mutable_request()->set_request_id("req-" + std::to_string(i));
    r.mutable_response()->set_decision(v1::DECISION_CLEAR);
    auto id = (*store)->decisions().AppendDecision(&r);
    EXPECT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, store::ReplicaDecisionId(replica, i + 1));
  }
  std::vector<store::ReplicaDecisionStore::Entry> out;
  EXPECT_TRUE((*store)
                  ->decisions()
                  .ScanStored(1,
                              [&](uint64_t seq, const absl::StatusOr<store::StoredDecision>& d) {
                                EXPECT_TRUE(d.ok());
                                store::ReplicaDecisionStore::Entry e;
                                e.replica = replica;
                                e.sequence = seq;
                                e.envelope = store::EncodeDecisionEnvelope(d->record_bytes,
                                                                           d->prev_hash, d->hash);
                                out.push_back(std::move(e));
                                return true;
                              })
                  .ok());
  return out;
}

}  // namespace exportscreen::testing

#endif  // EXPORTSCREEN_TESTS_TESTING_REPLICA_RECORDS_H_
