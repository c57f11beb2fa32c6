#include "services/store/importers/import_util.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/importers/country_names.h"
#include "services/store/importers/name_parts.h"

namespace exportscreen::store::importers {
namespace {

using ::testing::ElementsAre;

TEST(ImportUtilTest, ParseDate) {
  std::string d;
  EXPECT_TRUE(ParseDate("06/19/2003", &d));
  EXPECT_EQ(d, "2003-06-19");
  EXPECT_TRUE(ParseDate("2/3/2016", &d));
  EXPECT_EQ(d, "2016-02-03");
  EXPECT_TRUE(ParseDate("2015-04-07-04:00", &d));
  EXPECT_EQ(d, "2015-04-07");
  EXPECT_FALSE(ParseDate("02/30/2020", &d));
  EXPECT_FALSE(ParseDate("2020-13-01", &d));
  EXPECT_FALSE(ParseDate("yesterday", &d));
  EXPECT_FALSE(ParseDate("", &d));
}

TEST(ImportUtilTest, FrCitations) {
  EXPECT_THAT(ParseFrCitations("84 FR 22963, 85 FR 29853,  85 FR 51603"),
              ElementsAre("84 FR 22963", "85 FR 29853", "85 FR 51603"));
  EXPECT_THAT(ParseFrCitations("68 F.R. 38290 6/27/03 71 F.R. 38843 7/10/06"),
              ElementsAre("68 FR 38290", "71 FR 38843"));
  EXPECT_THAT(ParseFrCitations("87 FR 20299; 87 FR 34136"),
              ElementsAre("87 FR 20299", "87 FR 34136"));
  EXPECT_THAT(ParseFrCitations("77 FR 61249 No. 195"), ElementsAre("77 FR 61249"));
  EXPECT_THAT(ParseFrCitations("Vol. 88, No. 151"), ElementsAre("Vol. 88", "No. 151"));
  EXPECT_TRUE(ParseFrCitations("").empty());
}

TEST(ImportUtilTest, ElFootnotes) {
  EXPECT_THAT(ParseElFootnotes("see §§ 734.9(e)1 and 744.11 of the EAR2"), ElementsAre(1, 2));
  EXPECT_THAT(ParseElFootnotes("(See §734.9(g), 3 §746.8(a)(3))"), ElementsAre(3));
  EXPECT_THAT(ParseElFootnotes("(See §§ 734.9(e)(2) and 744.11 of the EAR) 4"), ElementsAre(4));
  EXPECT_TRUE(ParseElFootnotes("(See §744.11 of the EAR).").empty());
  EXPECT_TRUE(ParseElFootnotes("part 744 (b)(3) and (c)(12)").empty());
}

TEST(ImportUtilTest, Utf8Sanitising) {
  EXPECT_TRUE(IsCleanUtf8("plain ascii, Türkiye, 华为"));
  EXPECT_FALSE(IsCleanUtf8("bad \xFF byte"));
  EXPECT_FALSE(IsCleanUtf8("\xEF\xBB\xBFwith BOM"));
  EXPECT_FALSE(IsCleanUtf8("overlong \xC0\xAF"));
  EXPECT_FALSE(IsCleanUtf8("surrogate \xED\xA0\x80"));
  EXPECT_FALSE(IsCleanUtf8("cut \xE5\x8D"));
  int64_t n = 0;
  EXPECT_EQ(SanitizeUtf8("a\xFF"
                         "b\xE5\x8D",
                         &n),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(SanitizeUtf8("\xEF\xBB\xBFok", &n), "ok");
  EXPECT_EQ(n, 0);
}

TEST(ImportUtilTest, StableDigestIsStable) {
  EXPECT_EQ(StableDigest({"EL", "Huawei", "CN;"}), StableDigest({"EL", "Huawei", "CN;"}));
  EXPECT_NE(StableDigest({"EL", "ab", "c"}), StableDigest({"EL", "a", "bc"}));
  EXPECT_EQ(StableDigest({""}).size(), 16u);
  EXPECT_EQ(StableDigest({""}), "cbf29ce484222325");  // FNV-1a offset basis
}

TEST(ImportUtilTest, SinkDeduplicatesIdsAndDigests) {
  ImportResult result;
  ImportSink sink(&result);
  v1::ListedEntity e;
  e.set_list("EL");
  e.set_source_id("x");
  e.set_primary_name(" A  B ");
  e.add_countries("cn");
  e.add_countries("CN");
  e.add_countries("China");                               // not a code: dropped
  AddAlias(&e, "a b", v1::ALIAS_STRENGTH_STRONG, "aka");  // == primary
  AddAlias(&e, "C", v1::ALIAS_STRENGTH_WEAK, "aka");
  AddAlias(&e, "c", v1::ALIAS_STRENGTH_STRONG, "aka");
  e.set_source_file("f");
  e.set_source_line(3);
  EXPECT_EQ(sink.AddEntity(e), 0);
  EXPECT_EQ(sink.AddEntity(e), -1);
  ASSERT_EQ(result.entities.size(), 1u);
  const auto& got = result.entities[0];
  EXPECT_EQ(got.entity_id(), "EL:x");
  EXPECT_EQ(got.primary_name(), "A B");
  EXPECT_THAT(got.countries(), ElementsAre("CN"));
  ASSERT_EQ(got.aliases_size(), 1);
  EXPECT_EQ(got.aliases(0).strength(), v1::ALIAS_STRENGTH_STRONG);
  ASSERT_EQ(result.rejected.size(), 1u);
  EXPECT_EQ(result.rejected[0].reason, "duplicate id EL:x, first at line 3");
  EXPECT_EQ(sink.UniqueDigestId("EL", "d"), "d");
  EXPECT_EQ(sink.UniqueDigestId("EL", "d"), "d-2");
  EXPECT_EQ(sink.UniqueDigestId("EL", "d"), "d-3");
  EXPECT_EQ(sink.UniqueDigestId("DPL", "d"), "d");
  EXPECT_EQ(result.records_read, 2);
}

TEST(CountryNamesTest, Lookup) {
  std::string code;
  EXPECT_TRUE(LookupCountryName("Korea, North", &code));
  EXPECT_EQ(code, "KP");
  EXPECT_TRUE(LookupCountryName("Iran (Islamic Republic of)", &code));
  EXPECT_EQ(code, "IR");
  EXPECT_TRUE(LookupCountryName("Türkiye", &code));
  EXPECT_EQ(code, "TR");
  EXPECT_TRUE(LookupCountryName("Congo, Democratic Republic of the", &code));
  EXPECT_EQ(code, "CD");
  EXPECT_TRUE(LookupCountryName("UNITED KINGDOM", &code));
  EXPECT_EQ(code, "GB");
  EXPECT_TRUE(LookupCountryName("Region: Jammu and Kashmir", &code));
  EXPECT_EQ(code, "");
  EXPECT_FALSE(LookupCountryName("Atlantis", &code));
  EXPECT_FALSE(LookupCountryName("", &code));
  EXPECT_TRUE(IsKnownCountryCode("CN"));
  EXPECT_FALSE(IsKnownCountryCode("NM"));
  EXPECT_TRUE(IsUsStateCode("NM"));
}

TEST(NamePartsTest, AcronymAffiliateAndAka) {
  auto aliases = [](const std::string& name) {
    v1::ListedEntity e;
    e.set_primary_name(name);
    AddDerivedAliases(&e);
    std::vector<std::string> out;
    for (const auto& a : e.aliases()) out.push_back(a.name() + "/" + a.kind());
    return out;
  };
  EXPECT_THAT(aliases("Huawei Technologies Co., Ltd. (Huawei)"),
              ElementsAre("Huawei/aka", "Huawei Technologies Co., Ltd./aka"));
  EXPECT_THAT(aliases("Huawei Technologies Co., Ltd. (Huawei). Affiliated Entity: "
                      "Beijing Huawei Longshine Co., Ltd."),
              ElementsAre("Beijing Huawei Longshine Co., Ltd./aka"));
  EXPECT_THAT(aliases("KOLOKOL (AKA: ALDRICH AMES)"),
              ElementsAre("ALDRICH AMES/aka", "KOLOKOL/aka"));
  EXPECT_THAT(aliases("X (f.k.a. Old Name LLC)"), ElementsAre("Old Name LLC/fka", "X/aka"));
  EXPECT_THAT(aliases("JIE LUO -AKA- IVY LUO"), ElementsAre("JIE LUO/aka", "IVY LUO/aka"));
  EXPECT_THAT(aliases("A -AKAS- B, C"), ElementsAre("A/aka", "B/aka", "C/aka"));
  EXPECT_TRUE(aliases("A. ROSENTHAL (PTY) LTD.").empty());
  EXPECT_TRUE(aliases("Some Company (Pakistan)").empty());
  EXPECT_TRUE(aliases("Some Co (a subsidiary of Other)").empty());
}

}  // namespace
}  // namespace exportscreen::store::importers
