// ScreeningEngine against the real rules/ with a FakeNameIndex: the worked
// cases of the reference, rule coverage (every rule fires somewhere and is
// silent somewhere), fail-closed behaviour and determinism.
#include "services/engine/screening_engine.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/engine/index_entity.h"
#include "services/matching/name_index.h"
#include "services/engine/location_index.h"
#include "services/rules/compiled_rules.h"
#include "tests/testing/fake_name_index.h"
#include "tests/testing/worked_case_checks.h"
#include "tests/testing/worked_cases.h"

namespace exportscreen::engine {
namespace {

using exportscreen::testing::DumpAnswer;
using exportscreen::testing::ExpectWorkedCaseAnswer;
using exportscreen::testing::FakeNameIndex;
using exportscreen::testing::FiredRules;
using exportscreen::testing::kWorkedCaseEntities;
using exportscreen::testing::kWorkedCaseOwnership;
using exportscreen::testing::kWorkedCases;

absl::CivilDay Day(const std::string& s) {
  absl::CivilDay d;
  EXPECT_TRUE(absl::ParseCivilTime(s, &d)) << s;
  return d;
}

std::shared_ptr<const rules::RuleSet> LoadRules() {
  auto files = rules::ReadRuleFiles(ES_SOURCE_DIR "/rules");
  EXPECT_TRUE(files.ok()) << files.status();
  auto rs = rules::RuleSet::Compile(*files);
  EXPECT_TRUE(rs.ok()) << rs.status();
  return *rs;
}

ScreeningSnapshot MakeSnapshot(absl::Status index_status = absl::OkStatus()) {
  auto data = std::make_shared<ReferenceData>();
  for (const char* text : kWorkedCaseEntities) {
    v1::ListedEntity e;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &e));
    data->entity_by_id[e.entity_id()] = uint32_t(data->entities.size());
    data->entities.push_back(e);
  }
  for (const char* text : kWorkedCaseOwnership) {
    v1::OwnershipLink l;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &l));
    data->ownership.push_back(l);
  }
  IndexOwnership(data.get());
  ScreeningSnapshot s;
  s.rules = LoadRules();
  s.index = std::make_shared<FakeNameIndex>(data->entities, index_status);
  s.data = data;
  s.rule_set_version = "test-rules";
  s.list_version = "test-lists";
  return s;
}

std::set<std::string> Fired(const v1::ScreenResponse& r) { return FiredRules(r); }
std::string Dump(const v1::ScreenResponse& r) { return DumpAnswer(r); }

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { snapshot_ = new ScreeningSnapshot(MakeSnapshot()); }
  static void TearDownTestSuite() { delete snapshot_; }
  static ScreeningSnapshot* snapshot_;
};
ScreeningSnapshot* EngineTest::snapshot_ = nullptr;

TEST_F(EngineTest, WorkedCasesGetTheReferenceAnswer) {
  for (const auto& c : kWorkedCases) {
    SCOPED_TRACE(absl::StrCat(c.name, " [", c.reference, "]"));
    v1::ScreenRequest req;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(c.request, &req));
    auto resp = ScreeningEngine::Screen(*snapshot_, req, Day(c.as_of));
    ASSERT_TRUE(resp.ok()) << resp.status();
    ExpectWorkedCaseAnswer(c, req, *resp);
    EXPECT_EQ(resp->rule_set_version(), "test-rules");
  }
}

// Every rule of rules/ fires in some worked case and stays silent in some.
TEST_F(EngineTest, EveryRuleFiresAndDoesNotFireSomewhere) {
  std::map<std::string, int> fired_in;
  int cases = 0;
  for (const auto& c : kWorkedCases) {
    v1::ScreenRequest req;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(c.request, &req));
    auto resp = ScreeningEngine::Screen(*snapshot_, req, Day(c.as_of));
    ASSERT_TRUE(resp.ok());
    ++cases;
    for (const auto& id : Fired(*resp)) ++fired_in[id];
  }
  const rules::CompiledRules& r = snapshot_->rules->compiled();
  std::vector<std::string> ids;
  for (const auto& x : r.classifications) ids.push_back(x.meta.id);
  for (const auto& x : r.licenses) ids.push_back(x.meta.id);
  for (const auto& x : r.review_policies) ids.push_back(x.meta.id);
  for (const auto& x : r.exceptions) ids.push_back(x.meta.id);
  for (const auto& x : r.party_lists) ids.push_back(x.meta.id);
  for (const auto& x : r.ownerships) ids.push_back(x.meta.id);
  for (const auto& x : r.red_flags) ids.push_back(x.meta.id);
  for (const auto& x : r.fast_paths) ids.push_back(x.meta.id);
  // Classification rules are reported on the item, not as findings.
  for (const auto& c : kWorkedCases) {
    v1::ScreenRequest req;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(c.request, &req));
    auto resp = ScreeningEngine::Screen(*snapshot_, req, Day(c.as_of));
    for (const auto& d : resp->item_determinations()) {
      ++fired_in[d.classification_rule_id()];
    }
  }
  std::vector<std::string> never, always;
  for (const auto& id : ids) {
    if (fired_in[id] == 0) never.push_back(id);
    if (fired_in[id] >= cases) always.push_back(id);
  }
  // Location rules need location reports: covered by their own tests.
  // REVIEW-band hits need a fuzzy score: covered by ReviewBandHitIsReview.
  for (const char* own_test :
       {"rf.location_mismatch", "rf.location_d5_macau", "rf.location_unseen", "pl.possible_hit"}) {
    never.erase(std::remove(never.begin(), never.end(), own_test), never.end());
  }
  EXPECT_TRUE(never.empty()) << "never fired: " << absl::StrJoin(never, ", ");
  EXPECT_TRUE(always.empty()) << "always fired: " << absl::StrJoin(always, ", ");
}

v1::ScreenRequest Parse(const std::string& text) {
  v1::ScreenRequest r;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &r));
  return r;
}

constexpr char kH100ToDe[] = R"pb(
  destination_country: "DE"
  parties { role: PARTY_ROLE_END_USER name: "Example Cloud GmbH" country: "DE" }
  items { kind: ITEM_KIND_IC tpp: 15831 die_area_mm2: 814 datacenter_marketed: true
          memory_bandwidth_gbps: 3350 quantity: 8 serial_numbers: "SN-1" })pb";

TEST_F(EngineTest, FailedPartyScreeningIsNeverClear) {
  ScreeningSnapshot s = MakeSnapshot(absl::UnavailableError("index down"));
  auto resp = ScreeningEngine::Screen(s, Parse(kH100ToDe), Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->decision(), v1::DECISION_REVIEW) << Dump(*resp);
  EXPECT_TRUE(Fired(*resp).count("system.matching_failed"));
  // No index at all.
  s.index = nullptr;
  resp = ScreeningEngine::Screen(s, Parse(kH100ToDe), Day("2026-07-23"));
  EXPECT_EQ(resp->decision(), v1::DECISION_REVIEW);
}

TEST_F(EngineTest, UnknownDatacenterFlagIsReview) {
  // L4: a.2 only if designed or marketed for datacenters.
  auto resp = ScreeningEngine::Screen(*snapshot_, Parse(R"pb(
    destination_country: "DE"
    parties { role: PARTY_ROLE_END_USER name: "Example Cloud GmbH" country: "DE" }
    items { kind: ITEM_KIND_IC tpp: 1936 die_area_mm2: 294.5 quantity: 1 })pb"),
                                      Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->decision(), v1::DECISION_REVIEW) << Dump(*resp);
  EXPECT_TRUE(Fired(*resp).count("system.classification_undecided"));
}

TEST_F(EngineTest, MissingParametersAreReview) {
  auto resp = ScreeningEngine::Screen(*snapshot_, Parse(R"pb(
    destination_country: "CN"
    parties { role: PARTY_ROLE_END_USER name: "Example Computing Co" country: "CN" }
    items { kind: ITEM_KIND_IC datacenter_marketed: true quantity: 1 })pb"),
                                      Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_NE(resp->decision(), v1::DECISION_CLEAR) << Dump(*resp);
  EXPECT_TRUE(Fired(*resp).count("system.classification_undecided"));
}

TEST_F(EngineTest, UnknownEndUseCodeIsReview) {
  v1::ScreenRequest r = Parse(kH100ToDe);
  r.add_end_use_codes("no_such_code");
  auto resp = ScreeningEngine::Screen(*snapshot_, r, Day("2026-07-23"));
  EXPECT_EQ(resp->decision(), v1::DECISION_REVIEW);
}

TEST_F(EngineTest, CatalogueFillsMissingParameters) {
  ScreeningSnapshot s = *snapshot_;
  auto data = std::make_shared<ReferenceData>(*s.data);
  v1::CatalogItem cat;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    part_number: "900-21010-0000-000" vendor: "NVIDIA" model: "H100 SXM5"
    item { kind: ITEM_KIND_IC tpp: 15831 die_area_mm2: 814 datacenter_marketed: true
           memory_bandwidth_gbps: 3350 parameters { key: "interconnect_gbps" value: 900 } }
    spec_source: "test")pb",
                                                            &cat));
  data->items_by_part[cat.part_number()] = cat;
  s.data = data;
  auto resp = ScreeningEngine::Screen(s, Parse(R"pb(
    destination_country: "CN"
    parties { role: PARTY_ROLE_END_USER name: "Example Computing Co" country: "CN" }
    items { part_number: "900-21010-0000-000" quantity: 8 })pb"),
                                      Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->item_determinations(0).eccn(), "3A090.a") << Dump(*resp);
  EXPECT_EQ(resp->decision(), v1::DECISION_LICENSE_REQUIRED);
}

// A location index holding each `serial` last seen in its `country`.
std::shared_ptr<const LocationIndex> IndexWith(
    std::vector<std::pair<std::string, std::string>> serial_country) {
  std::vector<std::pair<std::string, ReportedLocation>> updates;
  for (auto& [serial, country] : serial_country) {
    ReportedLocation l;
    l.country = country;
    l.verifier_id = "vendor-attest";
    l.observed_at = absl::FromUnixSeconds(1784000000);
    l.report_id = "rep-" + serial;
    updates.emplace_back(serial, l);
  }
  return LocationIndex().With(std::move(updates));
}

TEST_F(EngineTest, LocationReportMismatchIsReview) {
  const ScreeningSnapshot& s = *snapshot_;
  auto resp = ScreeningEngine::Screen(ScreeningView{s, IndexWith({{"SN-1", "FR"}})},
                                      Parse(kH100ToDe), Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->decision(), v1::DECISION_REVIEW) << Dump(*resp);
  EXPECT_TRUE(Fired(*resp).count("rf.location_mismatch"));
  resp = ScreeningEngine::Screen(ScreeningView{s, IndexWith({{"SN-1", "DE"}})}, Parse(kH100ToDe),
                                 Day("2026-07-23"));
  EXPECT_EQ(resp->decision(), v1::DECISION_CLEAR) << Dump(*resp);
}

const v1::Finding* FindingOf(const v1::ScreenResponse& r, absl::string_view id) {
  for (const auto& f : r.findings()) {
    if (f.rule_id() == id) return &f;
  }
  return nullptr;
}

TEST_F(EngineTest, ChipLastSeenInD5OrMacauIsProhibitedWithTheReport) {
  const ScreeningSnapshot& s = *snapshot_;
  for (const char* country : {"CN", "MO", "HK"}) {
    auto resp = ScreeningEngine::Screen(ScreeningView{s, IndexWith({{"SN-1", country}})},
                                        Parse(kH100ToDe), Day("2026-07-23"));
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->decision(), v1::DECISION_PROHIBITED) << country << Dump(*resp);
    const v1::Finding* f = FindingOf(*resp, "rf.location_d5_macau");
    ASSERT_NE(f, nullptr) << country << Dump(*resp);
    bool shows_report = false;
    for (const auto& fact : f->facts()) {
      shows_report |= fact.name() == "location_report" &&
                      absl::StrContains(fact.value(), "SN-1 in ") &&
                      absl::StrContains(fact.value(), "verifier vendor-attest") &&
                      absl::StrContains(fact.value(), "report rep-SN-1");
    }
    EXPECT_TRUE(shows_report) << Dump(*resp);
    // The mismatch with the declared destination fires as well.
    EXPECT_TRUE(Fired(*resp).count("rf.location_mismatch"));
  }
  // Seen in an allied country other than the destination: a mismatch
  // (REVIEW), not a D:5 report.
  auto resp = ScreeningEngine::Screen(ScreeningView{s, IndexWith({{"SN-1", "FR"}})},
                                      Parse(kH100ToDe), Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->decision(), v1::DECISION_REVIEW) << Dump(*resp);
  EXPECT_FALSE(Fired(*resp).count("rf.location_d5_macau"));
  // Seen where it is declared to go: nothing.
  resp = ScreeningEngine::Screen(ScreeningView{s, IndexWith({{"SN-1", "DE"}})}, Parse(kH100ToDe),
                                 Day("2026-07-23"));
  EXPECT_EQ(resp->decision(), v1::DECISION_CLEAR) << Dump(*resp);
}

// An H100 to CN needs a licence; a serial the feed never saw is named by
// rf.location_unseen (REVIEW, the outcome the rule file chose).
constexpr char kH100ToCnWithSerials[] = R"pb(
  destination_country: "CN"
  parties { role: PARTY_ROLE_END_USER name: "Example Computing Co" country: "CN" }
  location_attestation { provided: true verifier: "vendor-attest" }
  items { kind: ITEM_KIND_IC tpp: 15831 die_area_mm2: 814 datacenter_marketed: true
          memory_bandwidth_gbps: 3350 quantity: 2 serial_numbers: "SN-7"
          serial_numbers: "SN-8" })pb";

TEST_F(EngineTest, SerialsNeverSeenFireTheRulesChosenOutcome) {
  const ScreeningSnapshot& s = *snapshot_;
  auto resp = ScreeningEngine::Screen(ScreeningView{s, IndexWith({{"SN-7", "CN"}})},
                                      Parse(kH100ToCnWithSerials), Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  const v1::Finding* f = FindingOf(*resp, "rf.location_unseen");
  ASSERT_NE(f, nullptr) << Dump(*resp);
  EXPECT_EQ(f->severity(), v1::DECISION_REVIEW);
  ASSERT_EQ(f->facts_size(), 1) << Dump(*resp);
  EXPECT_EQ(f->facts(0).name(), "serial_unseen");
  EXPECT_EQ(f->facts(0).value(), "SN-8 (no location report)");
  // Every serial seen: silent.
  resp = ScreeningEngine::Screen(ScreeningView{s, IndexWith({{"SN-7", "CN"}, {"SN-8", "CN"}})},
                                 Parse(kH100ToCnWithSerials), Day("2026-07-23"));
  EXPECT_FALSE(Fired(*resp).count("rf.location_unseen")) << Dump(*resp);
  // No destination licence requirement: a new chip has no report yet.
  resp =
      ScreeningEngine::Screen(ScreeningView{s, IndexWith({})}, Parse(kH100ToDe), Day("2026-07-23"));
  EXPECT_FALSE(Fired(*resp).count("rf.location_unseen")) << Dump(*resp);
  EXPECT_EQ(resp->decision(), v1::DECISION_CLEAR) << Dump(*resp);
}

TEST_F(EngineTest, SerialsWithoutAnyLocationSourceAreNeverClear) {
  // No location source in the view: whether the chips were seen is
  // unknown, so a rule that needs it cannot decide: REVIEW, never a silent
  // pass.
  auto resp = ScreeningEngine::Screen(ScreeningView{*snapshot_}, Parse(kH100ToCnWithSerials),
                                      Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_TRUE(Fired(*resp).count("system.red_flag_undecided")) << Dump(*resp);
  EXPECT_FALSE(Fired(*resp).count("rf.location_d5_macau")) << Dump(*resp);
}

TEST_F(EngineTest, ReviewBandHitIsReview) {
  ScreeningSnapshot s = *snapshot_;
  s.index = std::make_shared<FakeNameIndex>(s.data->entities, absl::OkStatus(), 0.9);
  auto resp = ScreeningEngine::Screen(s, Parse(R"pb(
    destination_country: "DE"
    parties { role: PARTY_ROLE_END_USER name: "Huawei Technologies Co Ltd" country: "CN" }
    items { kind: ITEM_KIND_OTHER quantity: 1 })pb"),
                                      Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->decision(), v1::DECISION_REVIEW) << Dump(*resp);
  EXPECT_TRUE(Fired(*resp).count("pl.possible_hit"));
  ASSERT_GT(resp->party_matches_size(), 0);
  EXPECT_EQ(resp->party_matches(0).action(), v1::MATCH_ACTION_REVIEW);
}

// Issue 14 with the real matcher: extra words never make a listed name
// CLEAR; a party type that conflicts with the listed record's is REVIEW,
// never the listed consequence; max_hits_per_party bounds the hits.
ScreeningSnapshot RealIndexSnapshot(const ScreeningSnapshot& base) {
  ScreeningSnapshot s = base;
  std::vector<matching::IndexEntity> es;
  for (uint32_t i = 0; i < s.data->entities.size(); ++i) {
    es.push_back(ToIndexEntity(s.data->entities[i], i));
    // The worked-case records carry no type; Huawei is an organisation.
    if (s.data->entities[i].entity_id() == "EL:huawei-technologies") {
      es.back().type = matching::PartyType::kOrganization;
    }
  }
  auto built = matching::NameIndex::Build(std::move(es));
  EXPECT_TRUE(built.ok());
  s.index = std::shared_ptr<const matching::NameIndex>(std::move(*built));
  return s;
}

TEST_F(EngineTest, Issue14ExtraWordsTypesAndHitLimit) {
  ScreeningSnapshot s = RealIndexSnapshot(*snapshot_);
  auto resp = ScreeningEngine::Screen(s, Parse(R"pb(
    destination_country: "DE"
    parties { role: PARTY_ROLE_END_USER name: "Huawei Technologies Co Ltd Shenzhen Research Branch" }
    items { kind: ITEM_KIND_OTHER quantity: 1 })pb"),
                                      Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_NE(resp->decision(), v1::DECISION_CLEAR) << Dump(*resp);
  ASSERT_GT(resp->party_matches_size(), 0);
  EXPECT_EQ(resp->party_matches(0).entity_id(), "EL:huawei-technologies");

  // The exact name, but the party is a vessel: REVIEW, not the EL rules.
  resp = ScreeningEngine::Screen(s, Parse(R"pb(
    destination_country: "DE"
    parties { role: PARTY_ROLE_END_USER name: "Huawei Technologies Co Ltd" type: PARTY_TYPE_VESSEL }
    items { kind: ITEM_KIND_OTHER quantity: 1 })pb"),
                                 Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  ASSERT_GT(resp->party_matches_size(), 0);
  EXPECT_EQ(resp->party_matches(0).entity_id(), "EL:huawei-technologies");
  EXPECT_TRUE(resp->party_matches(0).review_only());
  EXPECT_EQ(resp->party_matches(0).action(), v1::MATCH_ACTION_REVIEW);
  EXPECT_EQ(resp->decision(), v1::DECISION_REVIEW) << Dump(*resp);

  // Hit limit: a name close to two listed Huawei entities, limit 1.
  v1::ScreenRequest two = Parse(R"pb(
    destination_country: "DE"
    parties { role: PARTY_ROLE_END_USER name: "Huawei Technologies Cooperatief U.A. Co Ltd" }
    items { kind: ITEM_KIND_OTHER quantity: 1 })pb");
  resp = ScreeningEngine::Screen(s, two, Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  ASSERT_GE(resp->party_matches_size(), 2) << Dump(*resp);
  two.set_max_hits_per_party(1);
  resp = ScreeningEngine::Screen(s, two, Day("2026-07-23"));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->party_matches_size(), 1) << Dump(*resp);
}

TEST_F(EngineTest, Deterministic) {
  for (const auto& c : kWorkedCases) {
    v1::ScreenRequest req = Parse(c.request);
    auto a = ScreeningEngine::Screen(*snapshot_, req, Day(c.as_of));
    auto b = ScreeningEngine::Screen(*snapshot_, req, Day(c.as_of));
    EXPECT_EQ(a->SerializeAsString(), b->SerializeAsString()) << c.name;
  }
}

}  // namespace
}  // namespace exportscreen::engine

namespace exportscreen::engine {
namespace {

// Rows of one listed entity merge into one hit (the BIS CSV repeats an entity
// per address), but only rows the rules treat alike: a row with another
// licence requirement, policy, footnote, program, date or date of birth is a
// separate hit, so a merge can never hide a stricter row or another person.
TEST(IndexEntityTest, MergeKeyJoinsAddressRowsButNotDifferentTreatment) {
  v1::ListedEntity a;
  a.set_list("EL");
  a.set_type(v1::ENTITY_TYPE_ORGANIZATION);
  a.set_primary_name("Hong Kong  Electronics Co., Ltd.");
  a.set_license_requirement("For all items subject to the EAR.");
  a.set_license_policy("Presumption of denial.");
  a.add_addresses()->set_city("Hong Kong");
  v1::ListedEntity b = a;
  b.set_entity_id("EL:2");
  b.set_primary_name("HONG KONG ELECTRONICS CO., LTD.");
  b.mutable_addresses(0)->set_city("Shenzhen");
  EXPECT_FALSE(ToIndexEntity(a, 0).merge_key.empty());
  EXPECT_EQ(ToIndexEntity(a, 0).merge_key, ToIndexEntity(b, 1).merge_key);

  auto differs = [&a](auto change) {
    v1::ListedEntity c = a;
    change(&c);
    return ToIndexEntity(a, 0).merge_key != ToIndexEntity(c, 2).merge_key;
  };
  EXPECT_TRUE(differs([](v1::ListedEntity* c) { c->set_license_requirement("For 3A090 items."); }));
  EXPECT_TRUE(differs([](v1::ListedEntity* c) { c->set_license_policy("Case-by-case."); }));
  EXPECT_TRUE(differs([](v1::ListedEntity* c) { c->add_el_footnotes(4); }));
  EXPECT_TRUE(differs([](v1::ListedEntity* c) { c->add_programs("IRAN"); }));
  EXPECT_TRUE(differs([](v1::ListedEntity* c) { c->set_start_date("2024-01-01"); }));
  EXPECT_TRUE(differs([](v1::ListedEntity* c) { c->add_dates_of_birth("1970-01-01"); }));
  EXPECT_TRUE(differs([](v1::ListedEntity* c) { c->set_list("MEU"); }));
  EXPECT_TRUE(differs([](v1::ListedEntity* c) { c->set_type(v1::ENTITY_TYPE_PERSON); }));
}

}  // namespace
}  // namespace exportscreen::engine
