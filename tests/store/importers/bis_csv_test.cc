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
    "list,entity_number,name,type,alt_names,address_countries_iso2,"
    "license_requirement,license_policy,el_footnotes_parsed,programs,"
    "federal_register_notice\n";

TEST(BisCsvTest, ParsesRowsAndDigestIds) {
  std::string csv = std::string(kHeader) +
                    "EL,,\"Huawei Technologies Co., Ltd. (Huawei)\",,Shenzhen Huawei; "
                    "Huawei Technology,CN,\"see §§ 734.9(e)1 and 744.11 of the EAR2\","
                    "Presumption of denial,1;2,,\"84 FR 22963, 85 FR 29853\"\n"
                    "DPL,,KAL TEK LABS,,,US,,,,,65 FR 42664 7/11/00\n"
                    "DPL,,KAL TEK LABS,,,US,,,,,65 FR 42664 7/11/00\n"
                    "UVL,U-7,Some Org,Entity,,TURKIYE;RU,,,,,\n";
  auto r = testing::MustParse("bis_csv", {{"b.csv", csv}});
  ASSERT_EQ(r.entities.size(), 4u) << testing::Reasons(r);
  const auto& h = r.entities[0];
  EXPECT_EQ(h.list(), "EL");
  EXPECT_EQ(h.source_id().size(), 16u);
  EXPECT_EQ(h.entity_id(), "EL:" + h.source_id());
  EXPECT_THAT(std::vector<int>(h.el_footnotes().begin(), h.el_footnotes().end()),
              ElementsAre(1, 2));
  EXPECT_THAT(h.federal_register_citations(), ElementsAre("84 FR 22963", "85 FR 29853"));
  EXPECT_TRUE(testing::HasAlias(h, "Huawei", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_TRUE(testing::HasAlias(h, "Huawei Technologies Co., Ltd.", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_TRUE(testing::HasAlias(h, "Shenzhen Huawei", v1::ALIAS_STRENGTH_STRONG));
  // Same list+name+countries twice: ids made unique deterministically.
  EXPECT_EQ(r.entities[2].source_id(), r.entities[1].source_id() + "-2");
  EXPECT_EQ(r.entities[3].entity_id(), "UVL:U-7");
  EXPECT_EQ(r.entities[3].type(), v1::ENTITY_TYPE_ORGANIZATION);
  EXPECT_THAT(r.entities[3].countries(), ElementsAre("TR", "RU"));
  // Same input, same ids.
  auto again = testing::MustParse("bis_csv", {{"b.csv", csv}});
  EXPECT_EQ(again.entities[0].entity_id(), h.entity_id());
}

TEST(BisCsvTest, Rejections) {
  std::string csv = std::string(kHeader) +
                    "EL,,,,,CN,,,,,\n"        // empty name
                    "el list,,X,,,CN,,,,,\n"  // bad list code
                    "EL,,Y,,,CN\n"            // columns
                    "EL,,Z,,,XX1,,,bad,,\n";  // bad country and footnote: warnings
  auto r = testing::MustParse("bis_csv", {{"b.csv", csv}});
  ASSERT_EQ(r.rejected.size(), 3u);
  EXPECT_EQ(r.rejected[0].line, 2);
  EXPECT_EQ(r.rejected[0].reason, "empty name");
  EXPECT_THAT(r.rejected[1].reason, HasSubstr("invalid list code"));
  EXPECT_THAT(r.rejected[2].reason, HasSubstr("expected 11 columns, got 6"));
  ASSERT_EQ(r.entities.size(), 1u);
  EXPECT_EQ(r.warnings.size(), 2u);
}

TEST(BisCsvTest, WrongFileIsInvalidArgument) {
  auto r = ParseListFiles("bis_csv", {{"dpl.txt", "\"Name\"\t\"City\"\n"}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("dpl.txt"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("list,entity_number,name"));
}

}  // namespace
}  // namespace exportscreen::store
