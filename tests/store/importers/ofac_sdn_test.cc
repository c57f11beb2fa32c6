#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/importers.h"
#include "tests/store/importers/test_util.h"

namespace exportscreen::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSdn[] =
    "306,\"BANCO NACIONAL DE CUBA\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,"
    "-0- ,-0- ,\"a.k.a. 'BNC'.\"\r\n"
    "7001,\"DOE, John\",\"individual\",\"SDGT] [IFSR\",\"Director\",-0- ,-0- ,"
    "-0- ,-0- ,-0- ,-0- ,\"DOB 01 Jan 1960; POB Tehran, Iran; nationality "
    "Iran; Passport A1234567 (Iran); a.k.a. 'JD'; f.k.a. 'J. DOE'.\"\r\n"
    "7002,\"SEA STAR\",\"vessel\",\"IRAN\",-0- ,\"9HA123\",\"Crude Oil "
    "Tanker\",-0- ,\"150,000\",\"Panama\",-0- ,\"Vessel Registration "
    "Identification IMO 9187629.\"\r\n"
    "7003,\"JET ONE\",\"aircraft\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"
    "-0- \r\n"
    "abc,\"BAD NUM\",-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
    "7004,-0- ,-0- ,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
    "7005,\"SHORT\",-0- \r\n"
    "306,\"DUPLICATE\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
    "\x1A";
constexpr char kAlt[] =
    "306,220,\"aka\",\"NATIONAL BANK OF CUBA\",-0- \r\n"
    "7001,1,\"fka\",\"OLD DOE\",-0- \r\n"
    "7001,2,\"aka\",\"WEAK DOE\",\"Low quality a.k.a.\"\r\n"
    "9999,3,\"aka\",\"ORPHAN\",-0- \r\n"
    "7001,4,\"aka\",-0- ,-0- \r\n"
    "\x1A";
constexpr char kAdd[] =
    "306,199,\"Zweierstrasse 35\",\"Zurich CH-8022\",\"Switzerland\",-0- \r\n"
    "306,200,-0- ,\"Havana\",\"Cuba\",-0- \r\n"
    "7001,201,-0- ,-0- ,\"Atlantis\",-0- \r\n"
    "9999,202,-0- ,\"Nowhere\",\"Iran\",-0- \r\n"
    "\x1A";
constexpr char kComments[] = "7003,\" Extended remark.\"\r\n\x1A";

TEST(OfacSdnTest, FullSet) {
  auto r = testing::MustParse("ofac_sdn", {{"dir/sdn.csv", kSdn},
                                           {"dir/alt.csv", kAlt},
                                           {"dir/add.csv", kAdd},
                                           {"dir/sdn_comments.csv", kComments}});
  ASSERT_EQ(r.entities.size(), 4u) << testing::Reasons(r);
  EXPECT_EQ(r.skipped_lines, 4);
  const auto* bnc = testing::FindById(r, "SDN:306");
  ASSERT_NE(bnc, nullptr);
  EXPECT_EQ(bnc->type(), v1::ENTITY_TYPE_ORGANIZATION);
  EXPECT_EQ(bnc->source_file(), "sdn.csv");
  EXPECT_TRUE(testing::HasAlias(*bnc, "BNC", v1::ALIAS_STRENGTH_WEAK));
  EXPECT_TRUE(testing::HasAlias(*bnc, "NATIONAL BANK OF CUBA", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_THAT(bnc->countries(), ElementsAre("CH", "CU"));
  ASSERT_EQ(bnc->addresses_size(), 2);
  EXPECT_EQ(bnc->addresses(0).street(), "Zweierstrasse 35");
  EXPECT_EQ(bnc->addresses(0).city(), "Zurich CH-8022");

  const auto* doe = testing::FindById(r, "SDN:7001");
  ASSERT_NE(doe, nullptr);
  EXPECT_EQ(doe->type(), v1::ENTITY_TYPE_PERSON);
  EXPECT_THAT(doe->programs(), ElementsAre("SDGT", "IFSR"));
  EXPECT_EQ(doe->title(), "Director");
  EXPECT_THAT(doe->dates_of_birth(), ElementsAre("01 Jan 1960"));
  EXPECT_THAT(doe->countries(), ElementsAre("IR"));
  ASSERT_EQ(doe->identifiers_size(), 1);
  EXPECT_EQ(doe->identifiers(0).type(), "Passport");
  EXPECT_EQ(doe->identifiers(0).value(), "A1234567");
  EXPECT_EQ(doe->identifiers(0).country(), "IR");
  EXPECT_TRUE(testing::HasAlias(*doe, "JD", v1::ALIAS_STRENGTH_WEAK));
  EXPECT_TRUE(testing::HasAlias(*doe, "J. DOE", v1::ALIAS_STRENGTH_WEAK));
  EXPECT_TRUE(testing::HasAlias(*doe, "OLD DOE", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_TRUE(testing::HasAlias(*doe, "WEAK DOE", v1::ALIAS_STRENGTH_WEAK));
  ASSERT_EQ(doe->addresses_size(), 1);  // unknown country kept as region
  EXPECT_EQ(doe->addresses(0).region(), "Atlantis");

  const auto* ship = testing::FindById(r, "SDN:7002");
  ASSERT_NE(ship, nullptr);
  EXPECT_EQ(ship->type(), v1::ENTITY_TYPE_VESSEL);
  EXPECT_THAT(ship->countries(), ElementsAre("PA"));
  EXPECT_THAT(ship->remarks(), HasSubstr("Vessel type Crude Oil Tanker"));
  bool imo = false;
  for (const auto& id : ship->identifiers()) {
    imo |= id.type() == "IMO" && id.value() == "9187629";
  }
  EXPECT_TRUE(imo);
  const auto* jet = testing::FindById(r, "SDN:7003");
  ASSERT_NE(jet, nullptr);
  EXPECT_EQ(jet->type(), v1::ENTITY_TYPE_AIRCRAFT);
  EXPECT_EQ(jet->remarks(), "Extended remark.");

  // sdn.csv: bad ent_num (5), empty name (6), short (7), duplicate (8);
  // alt.csv: orphan (4), empty alt_name (5); add.csv: orphan (4).
  std::vector<std::string> got;
  for (const auto& j : r.rejected) {
    got.push_back(j.file + ":" + std::to_string(j.line) + " " + j.reason);
  }
  EXPECT_THAT(got, ElementsAre("sdn.csv:5 ent_num \"abc\" is not a number",
                               "sdn.csv:6 empty SDN_Name", "sdn.csv:7 expected 12 columns, got 3",
                               "sdn.csv:8 duplicate id SDN:306, first at line 1",
                               "alt.csv:4 no primary record ent_num 9999 in this import",
                               "alt.csv:5 empty alt_name",
                               "add.csv:4 no primary record ent_num 9999 in this import"));
  EXPECT_EQ(r.merged_rows, 3 + 3 + 1);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0].reason, HasSubstr("Atlantis"));
}

TEST(OfacSdnTest, ConsolidatedSetIsNonSdn) {
  auto r = testing::MustParse(
      "ofac_sdn", {{"cons_prim.csv",
                    "9639,\"HANIYA, Ismail\",\"individual\",\"NS-PLC\",-0- ,-0- ,-0- ,-0- ,"
                    "-0- ,-0- ,-0- ,\"DOB 1962; POB Shati.\"\r\n\x1A"},
                   {"cons_alt.csv", "9639,1,\"aka\",\"HANIYEH, Ismail\",-0- \r\n"}});
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].entity_id(), "NONSDN:9639");
  EXPECT_THAT(r.entities[0].programs(), ElementsAre("NS-PLC"));
  EXPECT_THAT(r.entities[0].dates_of_birth(), ElementsAre("1962"));
}

TEST(OfacSdnTest, FileErrors) {
  auto no_primary = ParseListFiles("ofac_sdn", {{"alt.csv", kAlt}});
  EXPECT_EQ(no_primary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(no_primary.status().message()), HasSubstr("no primary file"));
  auto bad_name = ParseListFiles("ofac_sdn", {{"list.csv", kSdn}});
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_name.status().message()), HasSubstr("list.csv"));
  // A CSV with a header (or another file) under the sdn.csv name.
  auto wrong = ParseListFiles("ofac_sdn", {{"sdn.csv", "ent_num,name,type\r\n1,A,B\r\n"}});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("expected 12 headerless columns"));
  auto twice = ParseListFiles("ofac_sdn", {{"a/sdn.csv", kSdn}, {"b/sdn.csv", kSdn}});
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace exportscreen::store
