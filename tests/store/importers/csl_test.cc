#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/importers.h"
#include "tests/store/importers/test_util.h"

namespace exportscreen::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kHeader[] =
    "_id,source,entity_number,type,programs,name,title,addresses,"
    "federal_register_notice,start_date,end_date,standard_order,"
    "license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,"
    "gross_registered_tonnage,vessel_flag,vessel_owner,remarks,"
    "source_list_url,alt_names,citizenships,dates_of_birth,nationalities,"
    "places_of_birth,source_information_url,ids\n";

// A row with the given fields in the columns that matter here.
std::string Row(const std::string& id, const std::string& source, const std::string& type,
                const std::string& name,
                const std::string& extra_after_name = std::string(23, ',')) {
  return id + "," + source + ",," + type + ",," + name + extra_after_name + "\n";
}

TEST(CslTest, ParsesEntityListRow) {
  std::string csv = std::string(kHeader) +
                    "e1,Entity List (EL) - Bureau of Industry and Security,,,,"
                    "\"Acme Tech Co., Ltd. (ACME)\",,\"1 Road, Shenzhen, 518000, CN; "
                    "Hong Kong, HK\",\"84 FR 22963, 85 FR 29853\",2019-05-16,,,"
                    "\"For all items subject to the EAR, see §§ 734.9(e)1 and 744.11 of "
                    "the EAR2\",Presumption of denial,,,,,,,,,\"Acme; Acme Shenzhen\",,,,,,"
                    "\"Unified Social Credit Code (USCC), 91440300, CN; Gender, Male\"\n";
  auto r = testing::MustParse("csl", {{"csl.csv", csv}});
  ASSERT_EQ(r.entities.size(), 1u) << testing::Reasons(r);
  const auto& e = r.entities[0];
  EXPECT_EQ(e.entity_id(), "EL:e1");
  EXPECT_EQ(e.list(), "EL");
  EXPECT_THAT(e.countries(), ElementsAre("CN", "HK"));
  ASSERT_EQ(e.addresses_size(), 2);
  EXPECT_EQ(e.addresses(0).street(), "1 Road, Shenzhen, 518000");
  EXPECT_THAT(e.federal_register_citations(), ElementsAre("84 FR 22963", "85 FR 29853"));
  EXPECT_EQ(e.start_date(), "2019-05-16");
  EXPECT_THAT(std::vector<int>(e.el_footnotes().begin(), e.el_footnotes().end()),
              ElementsAre(1, 2));
  EXPECT_TRUE(testing::HasAlias(e, "Acme Tech Co., Ltd.", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_TRUE(testing::HasAlias(e, "Acme Shenzhen", v1::ALIAS_STRENGTH_STRONG));
  ASSERT_EQ(e.identifiers_size(), 1);
  EXPECT_EQ(e.identifiers(0).type(), "Unified Social Credit Code (USCC)");
  EXPECT_EQ(e.identifiers(0).value(), "91440300");
  EXPECT_EQ(e.identifiers(0).country(), "CN");
  EXPECT_EQ(e.source_file(), "csl.csv");
  EXPECT_EQ(e.source_line(), 2);
}

TEST(CslTest, SourceCodesAndTypes) {
  std::string csv =
      std::string(kHeader) +
      Row("1", "Specially Designated Nationals (SDN) - Treasury Department", "Individual", "A") +
      Row("2",
          "Sectoral Sanctions Identifications List (SSI) - Treasury "
          "Department",
          "Entity", "B") +
      Row("3", "ITAR Debarred (DTC) - State Department", "", "C") +
      Row("4", "Nonproliferation Sanctions (ISN) - State Department", "Vessel", "D") +
      Row("5",
          "Military End User (MEU) List - Bureau of Industry and "
          "Security",
          "", "E");
  auto r = testing::MustParse("csl", {{"csl.csv", csv}});
  ASSERT_EQ(r.entities.size(), 5u) << testing::Reasons(r);
  EXPECT_EQ(r.entities[0].entity_id(), "SDN:1");
  EXPECT_EQ(r.entities[0].type(), v1::ENTITY_TYPE_PERSON);
  EXPECT_EQ(r.entities[1].entity_id(), "NONSDN:2");
  EXPECT_THAT(r.entities[1].programs(), ElementsAre("SSI"));
  EXPECT_EQ(r.entities[2].list(), "DTC");
  EXPECT_EQ(r.entities[2].type(), v1::ENTITY_TYPE_UNSPECIFIED);
  EXPECT_EQ(r.entities[3].type(), v1::ENTITY_TYPE_VESSEL);
  EXPECT_EQ(r.entities[4].list(), "MEU");
}

TEST(CslTest, RejectionsWithLineNumbers) {
  std::string csv =
      std::string(kHeader) + kHeader +  // header twice
      Row("1", "Entity List (EL) - x", "", "Good") +
      Row("2", "Entity List (EL) - x", "", "") +       // empty name
      Row("3", "Mystery List (MYS) - x", "", "Who") +  // unknown source
      "4,Entity List (EL) - x,,,,short\n" +            // columns
      Row("1", "Entity List (EL) - x", "", "Again") +  // duplicate id
      Row("5", "Entity List (EL) - x", "", "Bad date", ",,,,not-a-date" + std::string(19, ',')) +
      "6,Entity List (EL) - x,,,,\"cut off\n";  // truncated
  auto r = testing::MustParse("csl", {{"csl.csv", csv}});
  EXPECT_EQ(r.skipped_lines, 2);
  ASSERT_EQ(r.entities.size(), 2u);
  EXPECT_EQ(r.entities[1].primary_name(), "Bad date");
  EXPECT_EQ(r.entities[1].start_date(), "");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].line, 8);
  ASSERT_EQ(r.rejected.size(), 5u) << testing::Reasons(r);
  EXPECT_EQ(r.rejected[0].line, 4);
  EXPECT_EQ(r.rejected[0].reason, "empty name");
  EXPECT_EQ(r.rejected[1].line, 5);
  EXPECT_THAT(r.rejected[1].reason, HasSubstr("unknown source"));
  EXPECT_EQ(r.rejected[2].line, 6);
  EXPECT_THAT(r.rejected[2].reason, HasSubstr("expected 29 columns, got 6"));
  EXPECT_EQ(r.rejected[3].line, 7);
  EXPECT_EQ(r.rejected[3].reason, "duplicate id EL:1, first at line 3");
  EXPECT_EQ(r.rejected[4].line, 9);
  EXPECT_THAT(r.rejected[4].reason, HasSubstr("truncated"));
}

TEST(CslTest, WrongHeaderIsInvalidArgument) {
  auto r = ParseListFiles("csl", {{"x.csv", "Name,Street\nA,B\n"}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("x.csv"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("expected header: _id,source"));
  EXPECT_FALSE(ParseListFiles("csl", {{"e.csv", ""}}).ok());
}

TEST(CslTest, UnknownFormatAndNoFiles) {
  EXPECT_EQ(ParseListFiles("xml", {{"a", "b"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseListFiles("csl", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CslTest, InvalidUtf8IsReplacedNotFatal) {
  std::string csv =
      std::string(kHeader) + Row("1", "Entity List (EL) - x", "", "Bad \xFF\xFE name");
  auto r = testing::MustParse("csl", {{"csl.csv", csv}});
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.entities[0].primary_name(), "Bad \xEF\xBF\xBD\xEF\xBF\xBD name");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0].reason, HasSubstr("invalid UTF-8"));
}

}  // namespace
}  // namespace exportscreen::store
