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
    "\"Name\"\t\"Street_Address\"\t\"City\"\t\"State\"\t\"Country\"\t"
    "\"Postal_Code\"\t\"Effective_Date\"\t\"Expiration_Date\"\t"
    "\"Standard_Order\"\t\"Last_Update\"\t\"Action\"\t\"FR_Citation\"\n";

std::string Row(const std::string& name, const std::string& street, const std::string& state,
                const std::string& country, const std::string& effective,
                const std::string& expires) {
  return "\"" + name + "\"\t\"" + street + "\"\t\"CITY\"\t\"" + state + "\"\t\"" + country +
         "\"\t\"123\"\t\"" + effective + "\"\t\"" + expires +
         "\"\t\"Y\"\t\"2020-03-20\"\t\"FR NOTICE ADDED\"\t\"85 F.R. 16054 "
         "3/20/2020\"\n";
}

TEST(DplTest, MergesAddressesOfOneOrder) {
  std::string tsv = std::string(kHeader) +
                    Row("ZIMO SHENG", "1 MAIN ST", "WI", "", "03/16/2020", "12/13/2028") +
                    Row("ZIMO SHENG", "JINXIUYUAN", "", "PRC", "03/16/2020", "12/13/2028") +
                    Row("STEPHEN SMITH", "BOX 3000", "", "NM", "04/06/2018", "") +
                    Row("ACME GMBH", "STRASSE 1", "", "DE", "1/2/2019", "never");
  auto r = testing::MustParse("dpl", {{"dpl.txt", tsv}});
  ASSERT_EQ(r.entities.size(), 3u) << testing::Reasons(r);
  EXPECT_EQ(r.merged_rows, 1);
  const auto& z = r.entities[0];
  EXPECT_EQ(z.list(), "DPL");
  EXPECT_EQ(z.addresses_size(), 2);
  EXPECT_THAT(z.countries(), ElementsAre("US", "CN"));
  EXPECT_EQ(z.start_date(), "2020-03-16");
  EXPECT_EQ(z.end_date(), "2028-12-13");
  EXPECT_THAT(z.federal_register_citations(), ElementsAre("85 FR 16054"));
  EXPECT_EQ(z.source_line(), 2);
  EXPECT_THAT(r.entities[1].countries(), ElementsAre("US"));  // "NM" state
  EXPECT_EQ(r.entities[1].addresses(0).region(), "NM");
  EXPECT_EQ(r.entities[2].start_date(), "2019-01-02");
  EXPECT_EQ(r.entities[2].end_date(), "");
  ASSERT_EQ(r.warnings.size(), 1u);  // "never"
  EXPECT_EQ(r.warnings[0].line, 5);
}

TEST(DplTest, Rejections) {
  std::string tsv = std::string(kHeader) + Row("", "X", "", "US", "01/01/2020", "") +
                    Row("BAD DATE", "X", "", "US", "13/45/2020", "") + "\"SHORT\"\t\"X\"\n";
  auto r = testing::MustParse("dpl", {{"dpl.txt", tsv}});
  EXPECT_TRUE(r.entities.empty());
  ASSERT_EQ(r.rejected.size(), 3u);
  EXPECT_EQ(r.rejected[0].reason, "empty name");
  EXPECT_EQ(r.rejected[1].line, 3);
  EXPECT_THAT(r.rejected[1].reason, HasSubstr("bad Effective_Date"));
  EXPECT_THAT(r.rejected[2].reason, HasSubstr("expected 12"));
}

TEST(DplTest, CommaFileIsInvalidArgument) {
  auto r = ParseListFiles("dpl", {{"csl.csv", "_id,source,name\n1,2,3\n"}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("Effective_Date"));
}

}  // namespace
}  // namespace exportscreen::store
