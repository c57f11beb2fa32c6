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

  static v1::ScreenResponse Screen(const std::string& text, const std::string& day = "2026-07-01") {
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
    v1::ScreenResponse r = Screen(absl::StrCat("destination_country: \"", dest,
                                               "\" parties { name: \"Acme Trading\" "
                                               "country: \"SG\" role: PARTY_ROLE_END_USER } ",
                                               kH100));
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
           items { tpp: 15800 die_area_mm2: 814 })",
        &req));
    req.mutable_items(0)->set_kind(static_cast<v1::ItemKind>(kind));
    req.mutable_parties(0)->mutable_address()->set_kind(static_cast<v1::AddressKind>(kind));
    req.mutable_parties(0)->set_role(static_cast<v1::PartyRole>(kind));
    absl::CivilDay d(2026, 7, 1);
    auto r = ScreeningEngine::Screen(*snapshot_, req, d);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NE(r->decision(), v1::DECISION_CLEAR) << kind << DumpAnswer(*r);
  }
}

bool HasFinding(const v1::ScreenResponse& r, const std::string& rule_id, v1::Decision severity) {
  for (const auto& f : r.findings()) {
    if (f.rule_id() == rule_id && f.severity() == severity) return true;
  }
  return false;
}

TEST_F(EdgesTest, EccnNotOnTheCclIsReview) {
  // Well formed, not among the 633 ECCNs of the CCL copy in rules/ear/.
  for (const char* eccn : {"3A789", "9E999", "3A789.a.1"}) {
    v1::ScreenResponse r = Screen(
        absl::StrCat("destination_country: \"CN\" parties { name: \"Fab Co\" country: \"CN\" } "
                     "items { kind: ITEM_KIND_SME_TOOL declared_eccn: \"",
                     eccn, "\" }"));
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
  EXPECT_TRUE(HasFinding(r, "system.ccl_entry_without_controls", v1::DECISION_REVIEW))
      << DumpAnswer(r);
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
        "destination_country: \"", dest, "\" parties { name: \"Fab Co\" country: \"", dest,
        "\" } "
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
  EXPECT_TRUE(HasFinding(r, "system.not_modelled_before", v1::DECISION_REVIEW)) << DumpAnswer(r);
  EXPECT_NE(r.decision(), v1::DECISION_CLEAR);
  // The same request inside the span: EAR99 to Germany is CLEAR.
  v1::ScreenResponse in_span = Screen(
      R"(destination_country: "DE" parties { name: "Acme GmbH" country: "DE" }
         items { kind: ITEM_KIND_OTHER declared_eccn: "EAR99" })");
  EXPECT_FALSE(HasFinding(in_span, "system.not_modelled_before", v1::DECISION_REVIEW));
}

// 3A090.c: memory bandwidth density is computed from bandwidth and package
// area where the EAR defines it (the request need not compute it).
TEST_F(EdgesTest, MemoryBandwidthDensityIsComputed) {
  v1::ScreenResponse r = Screen(
      R"(destination_country: "CN" parties { name: "Memory Co" country: "CN" }
         items { kind: ITEM_KIND_HBM memory_bandwidth_gbps: 1600
                 parameters { key: "hbm_package_mm2" value: 110 } })");
  ASSERT_EQ(r.item_determinations_size(), 1);
  EXPECT_EQ(r.item_determinations(0).eccn(), "3A090.c") << DumpAnswer(r);
  bool computed = false;
  for (const auto& f : r.item_determinations(0).computed()) {
    computed |= f.name() == "item.param.memory_bandwidth_density";
  }
  EXPECT_TRUE(computed) << DumpAnswer(r);
  EXPECT_NE(r.decision(), v1::DECISION_CLEAR);
}

// Issue 13, item 3: every paragraph of the semiconductor entries, with a
// destination where a licence is required and one where the CCL baseline
// requires none. Expectations from the regulation as the reference states
// it (export-controls.md 2.2, 6.3: Macau/D:5 scopes, worldwide IEC
// paragraphs, 742.6(a)(11); Country Chart: NS 1 marked everywhere but
// Canada, NS 2 not marked for A:1 members such as Germany), not from the
// converter. Items are declared as SME subsystems where the entry controls
// "specially designed components" too: a subsystem is controlled as its
// paragraph.
struct ParagraphCase {
  const char* eccn;
  const char* kind;
  const char* licence_to;     // a destination that requires a licence ("" = none
                              // but the embargoed rows, never CLEAR there)
  const char* no_licence_to;  // one where the baseline requires none ("" = none)
};
const ParagraphCase kParagraphs[] = {
    {"3A001.z.1.a", "ITEM_KIND_IC", "CN", "DE"},
    {"3A001.z.1.b", "ITEM_KIND_IC", "CN", "DE"},
    {"3A090.a", "ITEM_KIND_IC", "CN", "DE"},
    {"3A090.b", "ITEM_KIND_IC", "MO", "DE"},
    {"3A090.c", "ITEM_KIND_HBM", "CN", "DE"},
    {"3A991.p", "ITEM_KIND_IC", "", "DE"},  // AT 1 only: no row is marked
    {"3B001.a.4", "ITEM_KIND_SME_SUBSYSTEM", "CN", "DE"},
    {"3B001.b", "ITEM_KIND_SME_TOOL", "CN", "DE"},
    {"3B001.c.1.a", "ITEM_KIND_SME_TOOL", "JP", ""},
    {"3B001.c.1.c", "ITEM_KIND_SME_SUBSYSTEM", "NL", ""},
    {"3B001.d", "ITEM_KIND_SME_TOOL", "CN", "DE"},
    {"3B001.f.1.a", "ITEM_KIND_SME_SUBSYSTEM", "CN", "DE"},
    {"3B001.f.1.b", "ITEM_KIND_SME_TOOL", "MO", "JP"},
    {"3B001.f.6", "ITEM_KIND_SME_UPGRADE_KIT", "CN", "DE"},
    {"3B001.j", "ITEM_KIND_MATERIAL", "CN", "DE"},
    {"3B001.l", "ITEM_KIND_SME_SUBSYSTEM", "CN", "DE"},
    {"3B001.n", "ITEM_KIND_SME_TOOL", "CN", "DE"},
    {"3B001.q", "ITEM_KIND_SME_SUBSYSTEM", "DE", ""},
    {"3B001.r", "ITEM_KIND_SME_TOOL", "CN", "DE"},
    {"3B002.a", "ITEM_KIND_SME_TOOL", "CN", "DE"},
    {"3B002.c", "ITEM_KIND_SME_TOOL", "CN", "DE"},
    {"3B993.f.1", "ITEM_KIND_SME_TOOL", "CN", "DE"},
    {"3B993.f.3", "ITEM_KIND_SME_UPGRADE_KIT", "CN", "DE"},
    {"3B993.q.1", "ITEM_KIND_SME_SUBSYSTEM", "CN", "DE"},
    {"3B994", "ITEM_KIND_SME_TOOL", "CN", "DE"},
    {"3C001", "ITEM_KIND_MATERIAL", "CN", "DE"},
    // Software declared without a paragraph may be software for 3B001.q
    // (worldwide): no destination is free of a licence requirement.
    {"3D001", "ITEM_KIND_SOFTWARE", "CA", ""},
    {"3D992", "ITEM_KIND_SOFTWARE", "CN", ""},
    {"3D993.b", "ITEM_KIND_SOFTWARE", "CN", "DE"},
    {"3D994", "ITEM_KIND_SOFTWARE", "CN", "DE"},
    {"3E001", "ITEM_KIND_TECHNOLOGY", "DE", "CA"},
    {"3E993", "ITEM_KIND_TECHNOLOGY", "CN", "DE"},
    {"3E994", "ITEM_KIND_TECHNOLOGY", "CN", "DE"},
    {"4A090.a", "ITEM_KIND_COMPUTER", "CN", "DE"},
    {"4A090.b", "ITEM_KIND_COMPUTER", "CN", "DE"},
    {"4A994", "ITEM_KIND_COMPUTER", "", "DE"},
    {"5A992.z.1", "ITEM_KIND_COMPUTER", "CN", "DE"},
    {"5A992.z.2", "ITEM_KIND_COMPUTER", "CN", "DE"},
};

TEST_F(EdgesTest, EverySemiconductorParagraphFiresInScopeOnly) {
  for (const ParagraphCase& c : kParagraphs) {
    SCOPED_TRACE(c.eccn);
    auto request = [&](const char* dest) {
      return absl::StrCat("destination_country: \"", dest,
                          "\" parties { name: \"Acme Components\" country: \"", dest,
                          "\" } items { kind: ", c.kind, " declared_eccn: \"", c.eccn, "\" }");
    };
    if (*c.licence_to == '\0') {
      EXPECT_NE(Screen(request("KP")).decision(), v1::DECISION_CLEAR);
    } else {
      v1::ScreenResponse in = Screen(request(c.licence_to));
      ASSERT_EQ(in.item_determinations_size(), 1);
      EXPECT_TRUE(in.item_determinations(0).license_required()) << c.licence_to << DumpAnswer(in);
      EXPECT_GE(in.decision(), v1::DECISION_LICENSE_REQUIRED) << DumpAnswer(in);
    }
    if (*c.no_licence_to == '\0') continue;
    v1::ScreenResponse out = Screen(request(c.no_licence_to));
    ASSERT_EQ(out.item_determinations_size(), 1);
    EXPECT_FALSE(out.item_determinations(0).license_required())
        << c.no_licence_to << DumpAnswer(out);
    EXPECT_FALSE(out.item_determinations(0).ccl_entry().empty());
  }
}

// Issue 13, item 5: the October 2022 test for dates before 2023-11-17
// (reference 1.6): both prongs; the A800 (400 GB/s) escaped it; an unknown
// transfer rate is undecided, never CLEAR.
TEST_F(EdgesTest, October2022TestForHistoricalDates) {
  const std::string h100 =
      R"(destination_country: "CN" parties { name: "Acme Computing" country: "CN" }
         items { kind: ITEM_KIND_IC tpp: 15800 die_area_mm2: 814
                 datacenter_marketed: true parameters { key: "interconnect_gbps" value: 900 } })";
  v1::ScreenResponse h = Screen(h100, "2023-06-01");
  EXPECT_EQ(h.decision(), v1::DECISION_LICENSE_REQUIRED) << DumpAnswer(h);
  EXPECT_EQ(h.item_determinations(0).eccn(), "3A090") << DumpAnswer(h);
  EXPECT_TRUE(FiredRules(h).count("lic.ac.2022.china")) << DumpAnswer(h);

  v1::ScreenResponse a800 = Screen(
      R"(destination_country: "CN" parties { name: "Acme Computing" country: "CN" }
         items { kind: ITEM_KIND_IC tpp: 9700 die_area_mm2: 826
                 datacenter_marketed: true parameters { key: "interconnect_gbps" value: 400 } })",
      "2023-06-01");
  EXPECT_EQ(a800.item_determinations(0).eccn(), "") << DumpAnswer(a800);
  EXPECT_FALSE(FiredRules(a800).count("lic.ac.2022.china"));

  v1::ScreenResponse unknown = Screen(
      R"(destination_country: "CN" parties { name: "Acme Computing" country: "CN" }
         items { kind: ITEM_KIND_IC tpp: 15800 })",
      "2023-06-01");
  EXPECT_NE(unknown.decision(), v1::DECISION_CLEAR) << DumpAnswer(unknown);

  // The same H100 after 2023-11-17 is 3A090.a under the 2023 test.
  v1::ScreenResponse later = Screen(h100, "2024-06-01");
  EXPECT_EQ(later.item_determinations(0).eccn(), "3A090.a") << DumpAnswer(later);
}

}  // namespace
}  // namespace exportscreen::engine
