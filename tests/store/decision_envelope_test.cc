// The envelope written around a once-serialised answer (issue 19) is byte
// for byte the envelope of the whole record's serialisation, so the chain
// and its verification are unchanged and the bytes sent are the bytes
// recorded.
#include <string>

#include "gtest/gtest.h"
#include "services/store/decision_envelope.h"
#include "services/store/store_db.h"

namespace exportscreen::store {
namespace {

v1::DecisionRecord SampleRecord(int variant) {
  v1::DecisionRecord r;
  v1::ScreenRequest* req = r.mutable_request();
  req->set_request_id("req-" + std::to_string(variant));
  req->set_destination_country("CN");
  for (int i = 0; i < variant; ++i) {
    v1::Item* item = req->add_items();
    item->set_part_number("P" + std::to_string(i));
    item->set_description(std::string(static_cast<size_t>(40 * i), 'd'));
    // A map: deterministic order must be the same in both serialisations.
    (*item->mutable_parameters())["zeta"] = 1.5 * i;
    (*item->mutable_parameters())["alpha"] = 2;
    (*item->mutable_parameters())["mid"] = 3;
    v1::Party* p = req->add_parties();
    p->set_name("Party " + std::to_string(i));
    p->set_country("HK");
  }
  v1::ScreenResponse* resp = r.mutable_response();
  resp->set_request_id(req->request_id());
  resp->set_decision(variant % 2 ? v1::DECISION_CLEAR : v1::DECISION_REVIEW);
  resp->set_rule_set_version("R1");
  resp->set_list_version("L1");
  for (int i = 0; i < variant * 3; ++i) {
    v1::Finding* f = resp->add_findings();
    f->set_rule_id("rule." + std::to_string(i));
    f->set_severity(v1::DECISION_REVIEW);
  }
  resp->mutable_evaluated_at()->set_seconds(1796000000 + variant);
  if (variant != 2) resp->mutable_evaluated_at()->set_nanos(123);
  *r.mutable_recorded_at() = resp->evaluated_at();
  if (variant != 3) r.set_caller(variant == 0 ? "" : "client-" + std::to_string(variant));
  const uint64_t seq = 1 + static_cast<uint64_t>(variant) * 1000003;
  r.set_sequence(seq);
  r.set_decision_id("D" + std::string(16, '0'));
  resp->set_decision_id(r.decision_id());
  if (variant > 0) r.set_prev_hash(std::string(64, 'a' + static_cast<char>(variant)));
  if (variant == 4) r.set_trace_parent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  return r;
}

TEST(DecisionEnvelopeTest, AroundTheAnswerEqualsTheWholeRecord) {
  for (int variant = 0; variant < 6; ++variant) {
    SCOPED_TRACE(variant);
    const v1::DecisionRecord r = SampleRecord(variant);
    const std::string whole = Serialize(r);
    const std::string expected_hash = DecisionBytesHash(whole);
    const std::string expected = EncodeDecisionEnvelope(whole, r.prev_hash(), expected_hash);
    std::string hash;
    const std::string around = EncodeDecisionEnvelopeAround(r, Serialize(r.response()), &hash);
    EXPECT_EQ(hash, expected_hash);
    EXPECT_EQ(around, expected);
    absl::StatusOr<StoredDecision> decoded = DecodeStoredDecision(around);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->record_bytes, whole);
    EXPECT_EQ(decoded->record_sequence, r.sequence());
    absl::StatusOr<v1::DecisionRecord> parsed = ParseStoredDecision(around);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->response().SerializeAsString(), r.response().SerializeAsString());
  }
}

TEST(DecisionEnvelopeTest, RecordWithUnknownFieldsFallsBackToWholeSerialisation) {
  v1::DecisionRecord r = SampleRecord(2);
  r.GetReflection()->MutableUnknownFields(&r)->AddVarint(1000, 7);
  const std::string whole = Serialize(r);
  std::string hash;
  const std::string around = EncodeDecisionEnvelopeAround(r, Serialize(r.response()), &hash);
  EXPECT_EQ(hash, DecisionBytesHash(whole));
  EXPECT_EQ(around, EncodeDecisionEnvelope(whole, r.prev_hash(), hash));
}

}  // namespace
}  // namespace exportscreen::store
