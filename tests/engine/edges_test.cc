// The engine at the edges of what it models (issues 12 and 13): values
// outside every vocabulary, enum numbers outside the proto, ECCNs the rules
// do not list or the CCL does not have, dates before the modelled span.
// None may crash, none may answer CLEAR.
#include <memory>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/engine/screening_engine.h"
#include "tests/testing/fake_name_index.h"
#include "tests/testing/worked_case_checks.h"

namespace exportscreen::engine {
namespace {

using exportscreen::testing::DumpAnswer;
using exportscreen::testing::FakeNameIndex;
using exportscreen::testing::FiredRules;

class EdgesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto files = rules::ReadRuleFiles(ES_SOURCE_DIR "/rules");
    ASSERT_TRUE(files.ok()) << files.status();
    auto rs = rules::RuleSet::Compile(*files);
    ASSERT_TRUE(rs.ok()) << rs.status();
    auto data = std::make_shared<ReferenceData>();
    snapshot_ = new ScreeningSnapshot();
    snapshot_->rules = *rs;
    snapshot_->index = std::make_shared<FakeNameIndex>(data->entities);
    snapshot_->data = data;
    snapshot_->rule_set_version = "test-rules";
    snapshot_->list_version = "test-lists";
  }
  static void TearDownTestSuite() { delete snapshot_; }

  static v1::ScreenResponse Screen(const std::string& text,
                                   const std::string& day = "2026-07-01") {
    v1::ScreenRequest req;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &req)) << text;
    absl::CivilDay d;
    EXPECT_TRUE(absl::ParseCivilTime(day, &d));
    auto r = ScreeningEngine::Screen(*snapshot_, req, d);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::ScreenResponse();
  }
  static ScreeningSnapshot* snapshot_;
};
ScreeningSnapshot* EdgesTest::snapshot_ = nullptr;

constexpr char kH100[] =
    R"(items { kind: ITEM_KIND_IC tpp: 15800 die_area_mm2: 814 datacenter_marketed: true })";

// The transshipment-hub red flag records destination.country; a
// destination no rule names holds the engine's "other country" sentinel,
// which must be shown as the code given, never used as a vocabulary index.
TEST_F(EdgesTest, UnnamedDestinationInRecordedFactIsTheGivenCode) {
  for (const char* dest : {"SN", "ML", "BO", "AQ"}) {
    v1::ScreenResponse r = Screen(absl::StrCat(
        "destination_country: \"", dest, "\" parties { name: \"Acme Trading\" "
        "country: \"SG\" role: PARTY_ROLE_END_USER } ", kH100));
    EXPECT_NE(r.decision(), v1::DECISION_CLEAR) << DumpAnswer(r);
    bool found = false;
    for (const auto& f : r.findings()) {
      if (f.rule_id() != "rf.transshipment_hub") continue;
      for (const auto& fact : f.facts()) {
        if (fact.name() == "destination.country") {
          EXPECT_EQ(fact.value(), dest);
          found = true;
        }
      }
    }
    EXPECT_TRUE(found) << dest << "\n" << DumpAnswer(r);
  }
}

// Proto3 enums are open: numbers outside ItemKind / AddressKind / PartyRole
// must neither crash the engine nor be taken for a known kind.
TEST_F(EdgesTest, EnumNumbersOutsideTheProtoNeverClear) {
  for (int kind : {999, 300, -1, 65537, 100000, 1 << 30}) {
    v1::ScreenRequest req;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"(destination_country: "CN" parties { name: "Acme" country: "CN" }
           items { tpp: 15800 die_area_mm2: 814 })", &req));
    req.mutable_items(0)->set_kind(static_cast<v1::ItemKind>(kind));
    req.mutable_parties(0)->mutable_address()->set_kind(
        static_cast<v1::AddressKind>(kind));
    req.mutable_parties(0)->set_role(static_cast<v1::PartyRole>(kind));
    absl::CivilDay d(2026, 7, 1);
    auto r = ScreeningEngine::Screen(*snapshot_, req, d);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NE(r->decision(), v1::DECISION_CLEAR) << kind << DumpAnswer(*r);
  }
}

bool HasFinding(const v1::ScreenResponse& r, const std::string& rule_id,
                v1::Decision severity) {
  for (const auto& f : r.findings()) {
    if (f.rule_id() == rule_id && f.severity() == severity) return true;
  }
  return false;
}

TEST_F(EdgesTest, EccnNotOnTheCclIsReview) {
  // Well formed, not among the 633 ECCNs of the CCL copy in rules/ear/.
  for (const char* eccn : {"3A789", "9E999", "3A789.a.1"}) {
    v1::ScreenResponse r = Screen(absl::StrCat(
        "destination_country: \"CN\" parties { name: \"Fab Co\" country: \"CN\" } "
        "items { kind: ITEM_KIND_SME_TOOL declared_eccn: \"", eccn, "\" }"));
    EXPECT_TRUE(HasFinding(r, "system.eccn_not_on_ccl", v1::DECISION_REVIEW))
        << eccn << DumpAnswer(r);
    EXPECT_NE(r.decision(), v1::DECISION_CLEAR) << eccn;
  }
}

// A listed ECCN whose only control (AT column 1) is not marked for the
// destination: no licence on the baseline, and the determination says
// which column was checked.
TEST_F(EdgesTest, AntiTerrorismOnlyEntryToAnUnmarkedDestination) {
  v1::ScreenResponse r = Screen(
      R"(destination_country: "DE" parties { name: "Acme GmbH" country: "DE" }
         items { kind: ITEM_KIND_OTHER declared_eccn: "3A991" })");
  ASSERT_EQ(r.item_determinations_size(), 1);
  EXPECT_EQ(r.item_determinations(0).ccl_entry(), "3A991");
  EXPECT_FALSE(r.item_determinations(0).license_required());
  bool at1 = false;
  for (const auto& c : r.item_determinations(0).chart_columns_checked()) {
    at1 |= c == "AT 1: no X";
  }
  EXPECT_TRUE(at1) << DumpAnswer(r);
}

// Controls whose scope the chart does not give ("A license is required ...
// to Iraq or Pakistan"): the destinations named, and only those.
TEST_F(EdgesTest, ProseDestinationScope) {
  v1::ScreenResponse pk = Screen(
      R"(destination_country: "PK" parties { name: "Acme Pvt" country: "PK" }
         items { kind: ITEM_KIND_OTHER declared_eccn: "3A999" })");
  EXPECT_EQ(pk.decision(), v1::DECISION_LICENSE_REQUIRED) << DumpAnswer(pk);
  v1::ScreenResponse de = Screen(
      R"(destination_country: "DE" parties { name: "Acme GmbH" country: "DE" }
         items { kind: ITEM_KIND_OTHER declared_eccn: "3A999" })");
  EXPECT_FALSE(de.item_determinations(0).license_required()) << DumpAnswer(de);
}

// An entry whose data states no control at all (e.g. "subject to the
// ITAR"): REVIEW, never a silent CLEAR.
TEST_F(EdgesTest, EntryWithoutControlsIsReview) {
  v1::ScreenResponse r = Screen(
      R"(destination_country: "DE" parties { name: "Acme GmbH" country: "DE" }
         items { kind: ITEM_KIND_OTHER declared_eccn: "0A002" })");
  EXPECT_TRUE(HasFinding(r, "system.ccl_entry_without_controls",
                         v1::DECISION_REVIEW)) << DumpAnswer(r);
}

// An SME tool declared under a paragraph the rules' vocabulary does not
// list, to a fab in China: the CCL baseline applies (it was CLEAR before).
TEST_F(EdgesTest, UnlistedParagraphOfAListedEntryIsControlled) {
  v1::ScreenResponse r = Screen(
      R"(destination_country: "CN" parties { name: "Fab Co" country: "CN" }
         items { kind: ITEM_KIND_SME_TOOL declared_eccn: "3B001.b" })");
  EXPECT_EQ(r.decision(), v1::DECISION_LICENSE_REQUIRED) << DumpAnswer(r);
  ASSERT_EQ(r.item_determinations_size(), 1);
  EXPECT_EQ(r.item_determinations(0).ccl_entry(), "3B001");
  EXPECT_TRUE(r.item_determinations(0).license_required());
  bool ns2 = false;
  for (const auto& c : r.item_determinations(0).chart_columns_checked()) {
    ns2 |= c == "NS 2: X";
  }
  EXPECT_TRUE(ns2) << DumpAnswer(r);
}

// Same paragraph to a destination whose row has no X in its columns and
// that no scope names: no licence on the CCL baseline.
TEST_F(EdgesTest, ColumnControlNotMarkedForDestination) {
  v1::ScreenResponse r = Screen(
      R"(destination_country: "CA" parties { name: "Fab Co" country: "CA" }
         items { kind: ITEM_KIND_SME_TOOL declared_eccn: "3B001.b" })");
  ASSERT_EQ(r.item_determinations_size(), 1);
  EXPECT_FALSE(r.item_determinations(0).license_required()) << DumpAnswer(r);
  bool checked = false;
  for (const auto& c : r.item_determinations(0).chart_columns_checked()) {
    checked |= c == "NS 2: no X";
  }
  EXPECT_TRUE(checked) << DumpAnswer(r);
}

TEST_F(EdgesTest, WorldwideControlAppliesEverywhere) {
  // 3B001.c.1.a: NS and RS worldwide (742.4(a)(5), 742.6(a)(10)).
  for (const char* dest : {"CA", "DE", "JP", "CN"}) {
    v1::ScreenResponse r = Screen(absl::StrCat(
        "destination_country: \"", dest,
        "\" parties { name: \"Fab Co\" country: \"", dest, "\" } "
        "items { kind: ITEM_KIND_SME_TOOL declared_eccn: \"3B001.c.1.a\" }"));
    EXPECT_EQ(r.decision(), v1::DECISION_LICENSE_REQUIRED) << dest << DumpAnswer(r);
  }
}

TEST_F(EdgesTest, EmbargoedRowIsNeverClear) {
  v1::ScreenResponse r = Screen(
      R"(destination_country: "CU" parties { name: "Importadora" country: "CU" }
         items { kind: ITEM_KIND_OTHER declared_eccn: "5A002" })");
  EXPECT_NE(r.decision(), v1::DECISION_CLEAR) << DumpAnswer(r);
}

TEST_F(EdgesTest, HongKongIsGovernedByTheChinaRow) {
  v1::ScreenResponse r = Screen(
      R"(destination_country: "HK" parties { name: "Trading Ltd" country: "HK" }
         items { kind: ITEM_KIND_SME_TOOL declared_eccn: "3B001.b" })");
  EXPECT_EQ(r.decision(), v1::DECISION_LICENSE_REQUIRED) << DumpAnswer(r);
}

TEST_F(EdgesTest, DateBeforeTheModelledSpanIsReview) {
  v1::ScreenResponse r = Screen(
      R"(destination_country: "DE" parties { name: "Acme GmbH" country: "DE" }
         items { kind: ITEM_KIND_OTHER declared_eccn: "EAR99" })",
      "2020-01-01");
  EXPECT_TRUE(HasFinding(r, "system.not_modelled_before", v1::DECISION_REVIEW))
      << DumpAnswer(r);
  EXPECT_NE(r.decision(), v1::DECISION_CLEAR);
  // The same request inside the span: EAR99 to Germany is CLEAR.
  v1::ScreenResponse in_span = Screen(
      R"(destination_country: "DE" parties { name: "Acme GmbH" country: "DE" }
         items { kind: ITEM_KIND_OTHER declared_eccn: "EAR99" })");
  EXPECT_FALSE(HasFinding(in_span, "system.not_modelled_before",
                          v1::DECISION_REVIEW));
}

}  // namespace
}  // namespace exportscreen::engine
