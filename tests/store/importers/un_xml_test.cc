#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/importers.h"
#include "tests/store/importers/test_util.h"

namespace exportscreen::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kXml[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>100</DATAID>
      <FIRST_NAME>ERIC</FIRST_NAME>
      <SECOND_NAME>BADEGE</SECOND_NAME>
      <THIRD_NAME>X</THIRD_NAME>
      <UN_LIST_TYPE>DRC</UN_LIST_TYPE>
      <REFERENCE_NUMBER>CDi.001</REFERENCE_NUMBER>
      <LISTED_ON>2012-12-31</LISTED_ON>
      <COMMENTS1>Lives in Rwanda.</COMMENTS1>
      <TITLE><VALUE>General</VALUE></TITLE>
      <NATIONALITY><VALUE>Democratic Republic of the Congo</VALUE><VALUE>Rwanda</VALUE></NATIONALITY>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Eric B</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Rick</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ADDRESS><CITY>Goma</CITY><COUNTRY>Democratic Republic of the Congo</COUNTRY></INDIVIDUAL_ADDRESS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><YEAR>1971</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>OB012</NUMBER><ISSUING_COUNTRY>Rwanda</ISSUING_COUNTRY></INDIVIDUAL_DOCUMENT>
    </INDIVIDUAL>
    <INDIVIDUAL>
      <DATAID>101</DATAID>
      <FIRST_NAME/>
      <LISTED_ON>2015-04-07-04:00</LISTED_ON>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <DATAID>200</DATAID>
      <FIRST_NAME>ACME TRADING &amp; CO</FIRST_NAME>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE>
      <LISTED_ON>2016-03-02-05:00</LISTED_ON>
      <ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>Old Acme</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Acme</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ADDRESS><STREET>1 Rd</STREET><COUNTRY>Democratic People's Republic of Korea</COUNTRY></ENTITY_ADDRESS>
    </ENTITY>
    <ENTITY>
      <DATAID>200</DATAID>
      <FIRST_NAME>DUPLICATE</FIRST_NAME>
    </ENTITY>
    <ENTITY>
      <FIRST_NAME>NO ID</FIRST_NAME>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
)";

TEST(UnXmlTest, ParsesIndividualsAndEntities) {
  auto r = testing::MustParse("un_xml", {{"UN.xml", kXml}});
  ASSERT_EQ(r.entities.size(), 2u) << testing::Reasons(r);
  const auto& p = r.entities[0];
  EXPECT_EQ(p.entity_id(), "UN:100");
  EXPECT_EQ(p.type(), v1::ENTITY_TYPE_PERSON);
  EXPECT_EQ(p.primary_name(), "ERIC BADEGE X");
  EXPECT_THAT(p.programs(), ElementsAre("DRC"));
  EXPECT_EQ(p.start_date(), "2012-12-31");
  EXPECT_EQ(p.title(), "General");
  EXPECT_THAT(p.countries(), ElementsAre("CD", "RW"));
  EXPECT_TRUE(testing::HasAlias(p, "Eric B", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_TRUE(testing::HasAlias(p, "Rick", v1::ALIAS_STRENGTH_WEAK));
  EXPECT_EQ(p.aliases_size(), 2);
  EXPECT_EQ(p.addresses(0).city(), "Goma");
  EXPECT_THAT(p.dates_of_birth(), ElementsAre("1971"));
  ASSERT_EQ(p.identifiers_size(), 2);
  EXPECT_EQ(p.identifiers(0).value(), "CDi.001");
  EXPECT_EQ(p.identifiers(1).type(), "Passport");
  EXPECT_EQ(p.identifiers(1).country(), "RW");
  EXPECT_EQ(p.remarks(), "Lives in Rwanda.");
  EXPECT_EQ(p.source_line(), 4);
  const auto& o = r.entities[1];
  EXPECT_EQ(o.type(), v1::ENTITY_TYPE_ORGANIZATION);
  EXPECT_EQ(o.primary_name(), "ACME TRADING & CO");
  EXPECT_EQ(o.start_date(), "2016-03-02");
  EXPECT_THAT(o.countries(), ElementsAre("KP"));
  ASSERT_EQ(o.aliases_size(), 2);
  EXPECT_EQ(o.aliases(0).kind(), "fka");
  EXPECT_EQ(o.aliases(1).kind(), "aka");
  ASSERT_EQ(r.rejected.size(), 3u);
  EXPECT_THAT(r.rejected[0].reason, HasSubstr("DATAID 101 has no name"));
  EXPECT_THAT(r.rejected[1].reason, HasSubstr("duplicate id UN:200"));
  EXPECT_THAT(r.rejected[2].reason, HasSubstr("without DATAID"));
}

TEST(UnXmlTest, Errors) {
  auto bad = ParseListFiles("un_xml", {{"UN.xml", "<CONSOLIDATED_LIST><INDIV"}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("UN.xml"));
  auto other = ParseListFiles("un_xml", {{"x.xml", "<sdnList></sdnList>"}});
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(other.status().message()), HasSubstr("CONSOLIDATED_LIST"));
  EXPECT_FALSE(ParseListFiles("un_xml", {{"e.xml", ""}}).ok());
  // Invalid UTF-8 inside a name: replaced, not an XML error.
  auto utf = ParseListFiles("un_xml", {{"u.xml",
                                        "<CONSOLIDATED_LIST><ENTITIES><ENTITY><DATAID>1</DATAID>"
                                        "<FIRST_NAME>A\xFF</FIRST_NAME></ENTITY></ENTITIES>"
                                        "</CONSOLIDATED_LIST>"}});
  ASSERT_TRUE(utf.ok()) << utf.status();
  ASSERT_EQ(utf->entities.size(), 1u);
}

}  // namespace
}  // namespace exportscreen::store
