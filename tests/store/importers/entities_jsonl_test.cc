#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/importers.h"
#include "tests/store/importers/test_util.h"

namespace exportscreen::store {
namespace {

using ::testing::HasSubstr;

TEST(EntitiesJsonlTest, ParsesAndRejects) {
  const std::string jsonl =
      "# seed entities\n"
      "\n"
      R"({"list":"EL","sourceId":"s1","type":"ENTITY_TYPE_ORGANIZATION","primaryName":"Acme","aliases":[{"name":"ACME Co","strength":"ALIAS_STRENGTH_STRONG","kind":"aka"}],"countries":["cn"],"elFootnotes":[4]})"
      "\n"
      R"({"list":"EL","sourceId":"s1","primaryName":"Dup"})"
      "\n"
      R"({"list":"EL","primaryName":"No id"})"
      "\n"
      R"({"list":"EL","sourceId":"s2","primaryName":"   "})"
      "\n"
      R"({"list":"EL","sourceId":"s3","primaryName":"X","bogus":1})"
      "\n"
      R"({"list":"EL","sourceId":"s4","entityId":"EL:other","primaryName":"Y"})"
      "\n"
      "not json\n";
  auto r = testing::MustParse("entities_jsonl", {{"seeds/entities.jsonl", jsonl}});
  ASSERT_EQ(r.entities.size(), 1u);
  const auto& e = r.entities[0];
  EXPECT_EQ(e.entity_id(), "EL:s1");
  EXPECT_EQ(e.countries(0), "CN");
  EXPECT_EQ(e.el_footnotes(0), 4);
  EXPECT_EQ(e.source_file(), "entities.jsonl");
  EXPECT_EQ(e.source_line(), 3);
  EXPECT_EQ(r.skipped_lines, 2);
  ASSERT_EQ(r.rejected.size(), 6u);
  EXPECT_EQ(r.rejected[0].line, 4);
  EXPECT_THAT(r.rejected[0].reason, HasSubstr("duplicate id EL:s1"));
  EXPECT_THAT(r.rejected[1].reason, HasSubstr("source_id are required"));
  EXPECT_THAT(r.rejected[2].reason, HasSubstr("empty primary_name"));
  EXPECT_THAT(r.rejected[3].reason, HasSubstr("invalid ListedEntity JSON"));
  EXPECT_THAT(r.rejected[4].reason, HasSubstr("is not list:source_id"));
  EXPECT_EQ(r.rejected[5].line, 9);
}

}  // namespace
}  // namespace exportscreen::store
