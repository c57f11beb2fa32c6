// Chip location verification (issue 8): verification and rejection reasons,
// replay and idempotency, diversion alerts on a generated stream, and the
// location-mismatch finding in screening.
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/engine/screening_engine.h"
#include "services/serving/location_ingest.h"
#include "services/serving/location_signing.h"
#include "services/serving/operations.h"
#include "services/serving/snapshot_manager.h"
#include "services/store/entity_store.h"
#include "tests/testing/temp_dir.h"
#include "tools/locgen/location_stream.h"

namespace exportscreen {
namespace {

using serving::Ed25519PrivateKey;
using serving::LocationIngestor;
using serving::LocationTrust;

const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2026, 8, 1, 0, 0, 0), absl::UTCTimeZone());
constexpr char kVerifier[] = "test-fleet-attest";

void SetTs(absl::Time t, google::protobuf::Timestamp* ts) {
  ts->set_seconds(absl::ToUnixSeconds(t));
}

class LocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::EntityStore::Open(dir_.path() + "/db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    manager_ = std::make_unique<serving::SnapshotManager>(store_.get(), &clock_);
    serving::BootstrapOptions boot;
    boot.rules_dir = std::string(ES_SOURCE_DIR) + "/rules";
    boot.seeds_dir = std::string(ES_SOURCE_DIR) + "/seeds";
    ASSERT_TRUE(manager_->Bootstrap(boot).ok());
    auto key = Ed25519PrivateKey::FromSeed(locgen::TestKeySeed());
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<Ed25519PrivateKey>(*key);
    auto trust = LocationTrust::FromText(locgen::TrustConfigText(kVerifier, key_->PublicKeyHex()));
    ASSERT_TRUE(trust.ok()) << trust.status();
    auto ingestor =
        LocationIngestor::Create(store_.get(), manager_.get(), *std::move(trust), &clock_);
    ASSERT_TRUE(ingestor.ok()) << ingestor.status();
    ingestor_ = *std::move(ingestor);
  }

  v1::LocationReport Report(const std::string& id, const std::string& serial,
                            const std::string& country, absl::Time observed) {
    v1::LocationReport r;
    r.set_report_id(id);
    r.set_chip_vendor("NVIDIA");
    r.set_chip_model("H100-SXM5-80GB");
    r.set_serial_number(serial);
    r.set_country(country);
    SetTs(observed, r.mutable_observed_at());
    r.set_verifier_id(kVerifier);
    serving::SignLocationReport(*key_, &r);
    return r;
  }

  v1::ScreenRequest SampleShipment(const std::string& name) {
    std::ifstream in(std::string(ES_SOURCE_DIR) + "/seeds/shipments/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    v1::ScreenRequest req;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(ss.str(), &req).ok()) << name;
    return req;
  }

  // Stores a real answer to `request` as a decision; returns its id.
  std::string RecordAnswer(const v1::ScreenRequest& request, const v1::ScreenResponse& response) {
    v1::DecisionRecord record;
    SetTs(clock_.Now(), record.mutable_recorded_at());
    *record.mutable_request() = request;
    *record.mutable_response() = response;
    auto id = store_->decisions().AppendDecision(&record);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  // Records an answered shipment as the screening path does.
  std::string RecordShipment(const v1::ScreenRequest& request, v1::Decision d) {
    v1::DecisionRecord record;
    SetTs(clock_.Now(), record.mutable_recorded_at());
    *record.mutable_request() = request;
    record.mutable_response()->set_request_id(request.request_id());
    record.mutable_response()->set_decision(d);
    auto id = store_->decisions().AppendDecision(&record);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  testing::TempDir dir_;
  FakeClock clock_{kStart};
  std::unique_ptr<store::EntityStore> store_;
  std::unique_ptr<serving::SnapshotManager> manager_;
  std::unique_ptr<Ed25519PrivateKey> key_;
  std::unique_ptr<LocationIngestor> ingestor_;
};

std::map<std::string, std::string> Reasons(const v1::IngestSummary& s) {
  std::map<std::string, std::string> out;
  for (const auto& r : s.rejected()) out[r.report_id()] = r.reason();
  return out;
}

TEST(LocationSigningTest, CanonicalEncodingCoversEverySignedField) {
  auto key = Ed25519PrivateKey::FromSeed(locgen::TestKeySeed());
  ASSERT_TRUE(key.ok());
  auto pub = serving::Ed25519PublicKey::FromHex(key->PublicKeyHex());
  ASSERT_TRUE(pub.ok());
  v1::LocationReport r;
  r.set_report_id("r1");
  r.set_serial_number("SN");
  r.set_country("DE");
  r.set_region("Hessen");
  r.mutable_position()->set_lat_deg(50.1);
  SetTs(kStart, r.mutable_observed_at());
  r.set_verifier_id(kVerifier);
  serving::SignLocationReport(*key, &r);
  EXPECT_TRUE(pub->Verify(serving::CanonicalReportBytes(r), r.signature()));
  for (int field = 0; field < 5; ++field) {
    v1::LocationReport t = r;
    if (field == 0) t.set_region("Bayern");
    if (field == 1) t.mutable_position()->set_lat_deg(50.2);
    if (field == 2) t.mutable_observed_at()->set_nanos(1);
    if (field == 3) t.set_chip_model("x");
    if (field == 4) t.clear_position();
    EXPECT_FALSE(pub->Verify(serving::CanonicalReportBytes(t), t.signature())) << field;
  }
  // received_at is not signed.
  v1::LocationReport t = r;
  SetTs(kStart + absl::Hours(1), t.mutable_received_at());
  EXPECT_TRUE(pub->Verify(serving::CanonicalReportBytes(t), t.signature()));
}

TEST_F(LocationTest, RejectsUnsignedBadSignatureUnknownVerifierFutureAndOld) {
  const absl::Time now = clock_.Now();
  std::vector<v1::LocationReport> batch;
  batch.push_back(Report("ok", "SN-1", "DE", now - absl::Hours(1)));
  auto tampered = Report("tampered", "SN-2", "DE", now - absl::Hours(1));
  tampered.set_country("CN");  // changed after signing
  batch.push_back(tampered);
  auto unsigned_report = Report("unsigned", "SN-3", "DE", now - absl::Hours(1));
  unsigned_report.clear_signature();
  batch.push_back(unsigned_report);
  auto other_key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(other_key.ok());
  auto unknown = Report("unknown", "SN-4", "DE", now - absl::Hours(1));
  unknown.set_verifier_id("rogue-verifier");
  serving::SignLocationReport(*other_key, &unknown);
  batch.push_back(unknown);
  auto forged = Report("forged", "SN-5", "DE", now - absl::Hours(1));
  serving::SignLocationReport(*other_key, &forged);  // right id, wrong key
  batch.push_back(forged);
  batch.push_back(Report("future", "SN-6", "DE", now + absl::Hours(2)));
  batch.push_back(Report("skewed-ok", "SN-7", "DE", now + absl::Minutes(2)));
  batch.push_back(Report("old", "SN-8", "DE", now - absl::Hours(24 * 100)));
  auto malformed = Report("malformed", "SN-9", "Germany", now);
  batch.push_back(malformed);

  auto summary = ingestor_->Ingest(batch);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->received(), 9);
  EXPECT_EQ(summary->accepted(), 2);
  auto reasons = Reasons(*summary);
  EXPECT_EQ(reasons["tampered"], "bad signature");
  EXPECT_EQ(reasons["forged"], "bad signature");
  EXPECT_EQ(reasons["unsigned"], "unsigned");
  EXPECT_EQ(reasons["unknown"], "unknown verifier");
  EXPECT_EQ(reasons["future"], "future-dated");
  EXPECT_EQ(reasons["old"], "too old");
  EXPECT_THAT(reasons["malformed"], ::testing::StartsWith("malformed: country"));
  EXPECT_EQ(reasons.size(), 7u);
  // Never stored as evidence, never visible to screening.
  for (const auto& [id, reason] : reasons) {
    auto stored = store_->locations().GetLocationReport(id);
    ASSERT_TRUE(stored.ok());
    EXPECT_FALSE(stored->has_value()) << id;
  }
  auto latest = store_->locations().LatestLocation("SN-2");
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(latest->has_value());
  auto index = manager_->location_feed()->Load();
  EXPECT_EQ(index->Find("SN-2"), nullptr);
  ASSERT_NE(index->Find("SN-1"), nullptr);
  EXPECT_EQ(index->Find("SN-1")->country, "DE");
}

TEST_F(LocationTest, ReplayIsRejectedAndReingestIsIdempotent) {
  const absl::Time t = clock_.Now() - absl::Hours(3);
  auto first = Report("r-1", "SN-1", "DE", t);
  auto s1 = ingestor_->Ingest({first});
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1->accepted(), 1);

  // Same report again (e.g. a client retry): idempotent.
  clock_.Advance(absl::Minutes(1));
  auto s2 = ingestor_->Ingest({first});
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s2->accepted(), 0);
  EXPECT_EQ(s2->duplicates(), 1);
  EXPECT_EQ(s2->rejected_size(), 0);

  // Same report_id, other (validly signed) content.
  auto reused = Report("r-1", "SN-1", "CN", t);
  // Another report_id for the same (verifier, serial, observed_at).
  auto replayed = Report("r-2", "SN-1", "CN", t);
  // In-batch replay: two new ids for one observation; the first wins.
  auto a = Report("r-3", "SN-2", "DE", t);
  auto b = Report("r-4", "SN-2", "DE", t);
  auto s3 = ingestor_->Ingest({reused, replayed, a, b});
  ASSERT_TRUE(s3.ok());
  auto reasons = Reasons(*s3);
  EXPECT_THAT(reasons["r-1"], ::testing::StartsWith("replay: report_id"));
  EXPECT_THAT(reasons["r-2"], ::testing::StartsWith("replay: (verifier"));
  EXPECT_THAT(reasons["r-4"], ::testing::StartsWith("replay: (verifier"));
  EXPECT_EQ(s3->accepted(), 1);
  auto stored = store_->locations().GetLocationReport("r-1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->country(), "DE");
  EXPECT_EQ(manager_->location_feed()->Load()->Find("SN-1")->country, "DE");
}

TEST_F(LocationTest, LatestLocationSurvivesRestartAndOlderReportsDoNotWin) {
  const absl::Time t = clock_.Now() - absl::Hours(10);
  ASSERT_TRUE(ingestor_->Ingest({Report("a", "SN-1", "SG", t + absl::Hours(5))}).ok());
  ASSERT_TRUE(ingestor_->Ingest({Report("b", "SN-1", "MY", t)}).ok());  // older
  EXPECT_EQ(manager_->location_feed()->Load()->Find("SN-1")->country, "SG");
  // A new manager (restart) loads the latest locations from the store.
  serving::SnapshotManager fresh(store_.get(), &clock_);
  auto again = LocationIngestor::Create(store_.get(), &fresh, nullptr, &clock_);
  ASSERT_TRUE(again.ok());
  const auto* loc = fresh.location_feed()->Load()->Find("SN-1");
  ASSERT_NE(loc, nullptr);
  EXPECT_EQ(loc->country, "SG");
  EXPECT_EQ(loc->report_id, "a");
  // Unconfigured trust: every report is from an unknown verifier.
  auto s = (*again)->Ingest({Report("c", "SN-9", "DE", t)});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Reasons(*s)["c"], "unknown verifier");
}

TEST_F(LocationTest, GeneratedStreamDivertedChipsRaiseExactlyOneAlertEach) {
  locgen::StreamOptions o;
  o.chips = 2000;
  o.diverted = 12;
  o.start = kStart;
  o.days = 20;
  locgen::Stream stream = locgen::Generate(o, *key_);
  ASSERT_GT(stream.reports.size(), 8000u);

  // Screened and answered shipments (CLEAR / LICENSE_REQUIRED), recorded
  // before any report.
  std::map<std::string, std::string> decision_of_serial, destination_of_serial;
  std::set<std::string> diverted;
  for (size_t i = 0; i < stream.shipments.size(); ++i) {
    const auto& s = stream.shipments[i];
    std::string id = RecordShipment(locgen::ShipmentRequest(s),
                                    i % 2 ? v1::DECISION_CLEAR : v1::DECISION_LICENSE_REQUIRED);
    for (const auto& sn : s.serials) {
      decision_of_serial[sn] = id;
      destination_of_serial[sn] = s.destination;
    }
    diverted.insert(s.diverted.begin(), s.diverted.end());
  }
  ASSERT_EQ(diverted.size(), 12u);

  // Reports arrive as time passes (ingest in daily slices).
  std::vector<v1::LocationReport> pending = stream.reports;
  size_t next = 0;
  int64_t accepted = 0, alerts = 0;
  for (int day = 1; day <= o.days + 1; ++day) {
    clock_.Set(kStart + absl::Hours(24 * day));
    std::vector<v1::LocationReport> slice;
    while (next < pending.size() &&
           pending[next].observed_at().seconds() <= absl::ToUnixSeconds(clock_.Now())) {
      slice.push_back(pending[next++]);
    }
    auto s = ingestor_->Ingest(std::move(slice));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->rejected_size(), 0) << s->rejected(0).reason();
    accepted += s->accepted();
    alerts += s->alerts_raised();
  }
  EXPECT_EQ(next, pending.size());
  EXPECT_EQ(accepted, static_cast<int64_t>(pending.size()));
  EXPECT_EQ(alerts, 12);

  auto listed = store_->alerts().ListAlerts(1000, false);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 12u);
  std::set<std::string> alerted;
  for (const auto& a : *listed) {
    EXPECT_EQ(a.kind(), v1::ALERT_KIND_DIVERSION);
    EXPECT_TRUE(diverted.contains(a.serial_number())) << a.serial_number();
    EXPECT_TRUE(alerted.insert(a.serial_number()).second) << "two alerts";
    EXPECT_EQ(a.decision_id(), decision_of_serial[a.serial_number()]);
    EXPECT_EQ(a.declared_destination(), destination_of_serial[a.serial_number()]);
    EXPECT_NE(a.country(), a.declared_destination());
    ASSERT_EQ(a.report_ids_size(), 1);
    auto r = store_->locations().GetLocationReport(a.report_ids(0));
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->country(), a.country());
  }
  EXPECT_EQ(alerted, diverted);  // and no chip that stayed put

  // Idempotent re-ingest of the whole stream: nothing new, no new alert.
  auto again = ingestor_->Ingest(stream.reports);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->accepted(), 0);
  EXPECT_EQ(again->duplicates(), static_cast<int64_t>(stream.reports.size()));
  EXPECT_EQ(again->alerts_raised(), 0);
  EXPECT_EQ(store_->alerts().ListAlerts(1000, false)->size(), 12u);

  // Every diverted chip ended in CN (a D:5 country): the last alert-worthy
  // place. The alert is raised at the first place outside the destination.
  for (const auto& sn : diverted) {
    EXPECT_EQ(manager_->location_feed()->Load()->Find(sn)->country, "CN");
  }
}

TEST_F(LocationTest, RefusedOrReviewShipmentsAndEarlierReportsRaiseNoAlert) {
  v1::ScreenRequest req;
  req.set_request_id("x");
  req.set_destination_country("DE");
  req.add_items()->add_serial_numbers("SN-R");
  RecordShipment(req, v1::DECISION_PROHIBITED);
  req.mutable_items(0)->set_serial_numbers(0, "SN-V");
  RecordShipment(req, v1::DECISION_REVIEW);
  req.mutable_items(0)->set_serial_numbers(0, "SN-E");
  RecordShipment(req, v1::DECISION_CLEAR);
  const absl::Time now = clock_.Now();
  auto s = ingestor_->Ingest({Report("1", "SN-R", "CN", now), Report("2", "SN-V", "CN", now),
                              // observed before the shipment was screened
                              Report("3", "SN-E", "US", now - absl::Hours(5))});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->accepted(), 3);
  EXPECT_EQ(s->alerts_raised(), 0);
}

TEST_F(LocationTest, ScreeningShowsTheReportThatFiredLocationMismatch) {
  v1::ScreenRequest req = SampleShipment("01-clear-workstation-gpu-de.json");
  req.mutable_items(0)->add_serial_numbers("GPU-STAYS");
  req.mutable_items(0)->add_serial_numbers("GPU-MOVED");
  req.mutable_items(0)->add_serial_numbers("GPU-NEVER-SEEN");
  const absl::Time observed = clock_.Now() - absl::Hours(6);
  auto snap = manager_->Current();
  ASSERT_NE(snap, nullptr);

  auto has_mismatch = [&](const v1::ScreenResponse& r) -> const v1::Finding* {
    for (const auto& f : r.findings()) {
      if (f.rule_id() == "rf.location_mismatch") return &f;
    }
    return nullptr;
  };
  auto before = engine::ScreeningEngine::Screen(manager_->Pin(*snap), req, clock_.Today());
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(has_mismatch(*before), nullptr);

  ASSERT_TRUE(ingestor_
                  ->Ingest({Report("stay-1", "GPU-STAYS", "DE", observed),
                            Report("moved-1", "GPU-MOVED", "CN", observed)})
                  .ok());
  // The same snapshot (no rebuild), pinned anew, sees the new evidence.
  auto after = engine::ScreeningEngine::Screen(manager_->Pin(*snap), req, clock_.Today());
  ASSERT_TRUE(after.ok());
  const v1::Finding* f = has_mismatch(*after);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity(), v1::DECISION_REVIEW);
  EXPECT_NE(after->decision(), v1::DECISION_CLEAR);
  std::vector<std::string> facts;
  for (const auto& x : f->facts()) {
    if (x.name() == "location_report") facts.push_back(x.value());
  }
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_THAT(facts[0], ::testing::HasSubstr("GPU-MOVED in CN"));
  EXPECT_THAT(facts[0], ::testing::HasSubstr(kVerifier));
  EXPECT_THAT(facts[0], ::testing::HasSubstr("moved-1"));
  EXPECT_THAT(facts[0], ::testing::HasSubstr(
                            absl::FormatTime(absl::RFC3339_sec, observed, absl::UTCTimeZone())));

  // A chip that stays put (reported in the destination) does not fire.
  req.mutable_items(0)->clear_serial_numbers();
  req.mutable_items(0)->add_serial_numbers("GPU-STAYS");
  auto stays = engine::ScreeningEngine::Screen(manager_->Pin(*snap), req, clock_.Today());
  ASSERT_TRUE(stays.ok());
  EXPECT_EQ(has_mismatch(*stays), nullptr);
}

// --- Signed report bundles -------------------------------------------------

namespace bundles {

std::vector<v1::LocationReport> Unsigned(std::vector<v1::LocationReport> reports) {
  for (auto& r : reports) r.clear_signature();
  return reports;
}

}  // namespace bundles

// Replay of a decision with location evidence uses the locations that
// decision saw (its locations_sequence and the store's history), not
// today's: the chip has moved since, the replayed answer is identical.
TEST_F(LocationTest, ReplayUsesTheLocationsTheDecisionSaw) {
  v1::ScreenRequest req = SampleShipment("01-clear-workstation-gpu-de.json");
  req.mutable_items(0)->add_serial_numbers("GPU-MOVES");
  const absl::Time observed = clock_.Now() - absl::Hours(6);
  auto snap = manager_->Current();
  ASSERT_NE(snap, nullptr);
  // Screened before any report existed (sequence 0): nothing was seen.
  auto early = engine::ScreeningEngine::Screen(manager_->Pin(*snap), req, clock_.Today());
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->locations_sequence(), 0u);
  const std::string early_id = RecordAnswer(req, *early);
  ASSERT_TRUE(ingestor_->Ingest({Report("m-1", "GPU-MOVES", "FR", observed)}).ok());
  auto answered = engine::ScreeningEngine::Screen(manager_->Pin(*snap), req, clock_.Today());
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->locations_sequence(), 1u);
  EXPECT_EQ(answered->decision(), v1::DECISION_REVIEW);
  const std::string id = RecordAnswer(req, *answered);

  // The chip is reported back in Germany: today's answer is CLEAR.
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(
      ingestor_->Ingest({Report("m-2", "GPU-MOVES", "DE", observed + absl::Hours(3))}).ok());
  auto today = engine::ScreeningEngine::Screen(manager_->Pin(*snap), req, clock_.Today());
  ASSERT_TRUE(today.ok());
  EXPECT_EQ(today->locations_sequence(), 2u);
  EXPECT_EQ(today->decision(), v1::DECISION_CLEAR);

  // The store's history answers "where, as of sequence N".
  auto at1 = store_->locations().LocationAt("GPU-MOVES", 1);
  ASSERT_TRUE(at1.ok() && at1->has_value());
  EXPECT_EQ((*at1)->country(), "FR");
  auto at2 = store_->locations().LocationAt("GPU-MOVES", 2);
  ASSERT_TRUE(at2.ok() && at2->has_value());
  EXPECT_EQ((*at2)->country(), "DE");
  auto at0 = store_->locations().LocationAt("GPU-MOVES", 0);
  ASSERT_TRUE(at0.ok());
  EXPECT_FALSE(at0->has_value());
  auto other = store_->locations().LocationAt("GPU-MOVE", 2);  // a prefix, not the serial
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());

  auto early_replay = serving::ReplayDecision(*manager_, early_id);
  ASSERT_TRUE(early_replay.ok()) << early_replay.status();
  EXPECT_TRUE(early_replay->identical()) << absl::StrJoin(early_replay->differences(), "\n");
  auto replay = serving::ReplayDecision(*manager_, id);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->identical()) << absl::StrJoin(replay->differences(), "\n");
  EXPECT_EQ(replay->replayed().decision(), v1::DECISION_REVIEW);
  bool shows_fr = false;
  for (const auto& f : replay->replayed().findings()) {
    for (const auto& x : f.facts()) {
      shows_fr |= x.name() == "location_report" && absl::StrContains(x.value(), "GPU-MOVES in FR");
    }
  }
  EXPECT_TRUE(shows_fr) << replay->replayed().DebugString();

  // The sequence survives a restart of the store.
  ingestor_.reset();
  manager_.reset();
  store_.reset();
  auto reopened = store::EntityStore::Open(dir_.path() + "/db");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto seq = (*reopened)->locations().LocationSequence();
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 2u);
}

TEST(LocationSigningTest, BundleDigestCoversReportsOrderAndHeader) {
  auto key = *Ed25519PrivateKey::FromSeed(locgen::TestKeySeed());
  v1::ReportBundle b;
  b.set_bundle_id("B1");
  b.set_verifier_id(kVerifier);
  for (int i = 0; i < 3; ++i) {
    auto* r = b.add_reports();
    r->set_report_id("r" + std::to_string(i));
    r->set_serial_number("SN");
    r->set_country("DE");
    r->set_verifier_id(kVerifier);
    r->mutable_observed_at()->set_seconds(1000 + i);
  }
  const std::string d = serving::BundleDigest(b);
  EXPECT_EQ(d.size(), 32u);
  auto changed = [&](auto mutate) {
    v1::ReportBundle c = b;
    mutate(&c);
    return serving::BundleDigest(c) != d;
  };
  EXPECT_TRUE(changed([](v1::ReportBundle* c) { c->set_bundle_id("B2"); }));
  EXPECT_TRUE(changed([](v1::ReportBundle* c) { c->set_verifier_id("other"); }));
  EXPECT_TRUE(changed([](v1::ReportBundle* c) { c->mutable_reports(1)->set_country("CN"); }));
  EXPECT_TRUE(changed([](v1::ReportBundle* c) { c->mutable_reports()->SwapElements(0, 1); }));
  EXPECT_TRUE(changed([](v1::ReportBundle* c) { c->mutable_reports()->RemoveLast(); }));
  // Not covered: the service-set fields and the (empty) report signatures.
  EXPECT_FALSE(changed([](v1::ReportBundle* c) {
    c->mutable_reports(0)->set_bundle_id("x");
    c->mutable_reports(0)->mutable_received_at()->set_seconds(5);
  }));
  serving::SignReportBundle(key, &b);
  auto pub = *serving::Ed25519PublicKey::FromHex(key.PublicKeyHex());
  EXPECT_TRUE(pub.Verify(d, b.signature()));
}

TEST_F(LocationTest, BundleIngestsEveryReportWithOneSignature) {
  const absl::Time t = clock_.Now() - absl::Hours(2);
  std::vector<v1::LocationReport> reports;
  for (int i = 0; i < 10; ++i) {
    reports.push_back(Report("b-" + std::to_string(i), "SN-B" + std::to_string(i),
                             i % 2 ? "JP" : "DE", t + absl::Minutes(i)));
  }
  auto bundles = locgen::MakeBundles(reports, 4, kVerifier, *key_);
  ASSERT_EQ(bundles.size(), 3u);
  for (const auto& b : bundles) {
    EXPECT_EQ(b.signature().size(), 64u);
    for (const auto& r : b.reports()) EXPECT_TRUE(r.signature().empty());
  }
  auto s = ingestor_->IngestBundles(bundles);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->bundles_received(), 3);
  EXPECT_EQ(s->received(), 10);
  EXPECT_EQ(s->accepted(), 10);
  EXPECT_EQ(s->rejected_size(), 0);
  auto stored = store_->locations().GetLocationReport("b-5");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->country(), "JP");
  EXPECT_EQ((*stored)->bundle_id(), bundles[1].bundle_id());
  EXPECT_TRUE((*stored)->signature().empty());
  EXPECT_EQ(manager_->location_feed()->Load()->Find("SN-B5")->country, "JP");

  // Single-report ingest still works next to bundles, and a client cannot
  // claim a bundle for a single report.
  auto single = Report("single-1", "SN-S", "DE", t);
  single.set_bundle_id("forged");
  auto s2 = ingestor_->Ingest({single});
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s2->accepted(), 1);
  EXPECT_TRUE((*store_->locations().GetLocationReport("single-1"))->bundle_id().empty());
}

TEST_F(LocationTest, TamperedBundleIsRejectedWhole) {
  const absl::Time t = clock_.Now() - absl::Hours(2);
  std::vector<v1::LocationReport> reports;
  for (int i = 0; i < 5; ++i) {
    reports.push_back(Report("t-" + std::to_string(i), "SN-T" + std::to_string(i), "DE", t));
  }
  auto good = locgen::MakeBundles(reports, 5, kVerifier, *key_)[0];

  // One report changed after signing (diverted chip relabelled): the whole
  // bundle is rejected, nothing stored.
  auto tampered = good;
  tampered.mutable_reports(3)->set_country("NL");
  // A flipped bit in the bundle signature.
  auto bad_sig = good;
  bad_sig.set_bundle_id("other-bundle");
  bad_sig.mutable_signature()->at(10) ^= 1;
  // A report dropped from the bundle.
  auto dropped = good;
  dropped.set_bundle_id("dropped");
  dropped.mutable_reports()->RemoveLast();
  // Unknown verifier, and unsigned.
  auto unknown = good;
  unknown.set_bundle_id("unknown");
  unknown.set_verifier_id("nobody");
  auto unsigned_bundle = good;
  unsigned_bundle.set_bundle_id("unsigned");
  unsigned_bundle.clear_signature();

  auto s = ingestor_->IngestBundles({tampered, bad_sig, dropped, unknown, unsigned_bundle});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->received(), 24);
  EXPECT_EQ(s->accepted(), 0);
  ASSERT_EQ(s->rejected_size(), 24);
  std::map<std::string, int> by_reason;
  for (const auto& r : s->rejected()) ++by_reason[r.reason()];
  EXPECT_EQ(by_reason[absl::StrCat("bundle ", good.bundle_id(), ": bad signature")], 5);
  EXPECT_EQ(by_reason["bundle other-bundle: bad signature"], 5);
  EXPECT_EQ(by_reason["bundle dropped: bad signature"], 4);
  EXPECT_EQ(by_reason["bundle unknown: unknown verifier"], 5);
  EXPECT_EQ(by_reason["bundle unsigned: unsigned"], 5);
  EXPECT_EQ(s->rejected(7).index(), 7);
  EXPECT_EQ(s->rejected(7).bundle_id(), "other-bundle");
  for (int i = 0; i < 5; ++i) {
    auto stored = store_->locations().GetLocationReport("t-" + std::to_string(i));
    ASSERT_TRUE(stored.ok());
    EXPECT_FALSE(stored->has_value());
  }
  EXPECT_EQ(manager_->location_feed()->Load()->Find("SN-T3"), nullptr);

  // The untampered bundle still ingests.
  auto ok = ingestor_->IngestBundles({good});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->accepted(), 5);
}

TEST_F(LocationTest, BundlePerReportChecksStillApply) {
  const absl::Time t = clock_.Now() - absl::Hours(2);
  std::vector<v1::LocationReport> reports = {
      Report("p-ok", "SN-P1", "DE", t),
      Report("p-future", "SN-P2", "DE", clock_.Now() + absl::Hours(1)),
      Report("p-old", "SN-P3", "DE", clock_.Now() - absl::Hours(24 * 200)),
      Report("p-bad", "SN-P4", "Germany", t),
      Report("p-other", "SN-P5", "DE", t),
      Report("p-replay", "SN-P1", "DE", t),  // same observation as p-ok
  };
  reports[4].set_verifier_id("another-verifier");
  auto bundle = locgen::MakeBundles(reports, 10, kVerifier, *key_)[0];
  auto s = ingestor_->IngestBundles({bundle});
  ASSERT_TRUE(s.ok());
  auto reasons = Reasons(*s);
  EXPECT_EQ(s->accepted(), 1);
  EXPECT_EQ(reasons.count("p-ok"), 0u);
  EXPECT_EQ(reasons["p-future"], "future-dated");
  EXPECT_EQ(reasons["p-old"], "too old");
  EXPECT_THAT(reasons["p-bad"], ::testing::StartsWith("malformed: country"));
  EXPECT_THAT(reasons["p-other"], ::testing::HasSubstr("differs from the bundle"));
  EXPECT_THAT(reasons["p-replay"], ::testing::StartsWith("replay: (verifier"));

  // A report carrying its own signature inside a bundle is malformed (that
  // signature would be stored unverified).
  auto with_sig = locgen::MakeBundles({Report("p-sig", "SN-P9", "DE", t)}, 1, kVerifier, *key_)[0];
  with_sig.mutable_reports(0)->set_signature(std::string(64, 'x'));
  auto s2 = ingestor_->IngestBundles({with_sig});
  ASSERT_TRUE(s2.ok());
  EXPECT_THAT(Reasons(*s2)["p-sig"], ::testing::HasSubstr("own signature"));
}

TEST_F(LocationTest, BundleReplayIsIdempotent) {
  const absl::Time t = clock_.Now() - absl::Hours(2);
  std::vector<v1::LocationReport> reports;
  for (int i = 0; i < 6; ++i) {
    reports.push_back(Report("i-" + std::to_string(i), "SN-I" + std::to_string(i), "DE", t));
  }
  auto bundles = locgen::MakeBundles(reports, 3, kVerifier, *key_);
  auto s1 = ingestor_->IngestBundles(bundles);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1->accepted(), 6);

  // The same bundles again (a client retry): all duplicates, nothing new.
  clock_.Advance(absl::Minutes(5));
  auto s2 = ingestor_->IngestBundles(bundles);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s2->accepted(), 0);
  EXPECT_EQ(s2->duplicates(), 6);
  EXPECT_EQ(s2->rejected_size(), 0);

  // A new, validly signed bundle re-using a stored report_id with other
  // content, and another report for an already reported observation.
  auto conflict = Report("i-0", "SN-I0", "CN", t);
  auto replay = Report("i-new", "SN-I1", "DE", t);
  auto b3 = locgen::MakeBundles({conflict, replay}, 2, "test-fleet-attest", *key_)[0];
  b3.set_bundle_id("second");
  serving::SignReportBundle(*key_, &b3);
  auto s3 = ingestor_->IngestBundles({b3});
  ASSERT_TRUE(s3.ok());
  auto reasons = Reasons(*s3);
  EXPECT_THAT(reasons["i-0"], ::testing::StartsWith("replay: report_id"));
  EXPECT_THAT(reasons["i-new"], ::testing::StartsWith("replay: (verifier"));
  EXPECT_EQ((*store_->locations().GetLocationReport("i-0"))->country(), "DE");
}

TEST_F(LocationTest, GeneratedBundlesMatchPerReportIngest) {
  locgen::StreamOptions o;
  o.chips = 300;
  o.diverted = 5;
  o.start = clock_.Now();
  clock_.Advance(absl::Hours(24 * 21));
  auto stream = locgen::Generate(o, *key_);
  auto bundles = locgen::MakeBundles(bundles::Unsigned(stream.reports), 1000, o.verifier_id, *key_);
  auto s = ingestor_->IngestBundles(std::move(bundles));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->accepted(), int64_t(stream.reports.size()));
  EXPECT_EQ(s->rejected_size(), 0);
}

}  // namespace
}  // namespace exportscreen
