#include "services/cli/batch_input.h"

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string WriteFile(const testing::TempDir& dir, const std::string& name,
                      const std::string& content) {
  std::string path = dir.path() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<InputUnit> ReadAll(InputFormat format, const std::string& path,
                               int64_t resume_offset = -1, int64_t resume_line = 0) {
  auto lines = LineReader::Open(path);
  EXPECT_TRUE(lines.ok()) << lines.status();
  auto reader = NewUnitReader(format, std::move(*lines));
  if (resume_offset >= 0) {
    EXPECT_TRUE(reader->Resume(resume_offset, resume_line).ok());
  }
  std::vector<InputUnit> units;
  while (true) {
    InputUnit unit;
    auto more = reader->Next(&unit);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    units.push_back(std::move(unit));
  }
  return units;
}

TEST(LineReaderTest, NumbersOffsetsCrlfAndLastLine) {
  testing::TempDir dir;
  std::string path = WriteFile(dir, "a.txt", "one\r\ntwo\n\nlast");
  auto reader = LineReader::Open(path);
  ASSERT_TRUE(reader.ok());
  LineReader::Line line;
  std::vector<std::string> texts;
  std::vector<int64_t> ends;
  while (*(*reader)->Next(&line)) {
    texts.emplace_back(line.text);
    ends.push_back(line.end_offset);
  }
  EXPECT_THAT(texts, ElementsAre("one", "two", "", "last"));
  EXPECT_THAT(ends, ElementsAre(5, 9, 10, 14));
  ASSERT_TRUE((*reader)->Seek(5, 2).ok());
  ASSERT_TRUE(*(*reader)->Next(&line));
  EXPECT_EQ(line.text, "two");
  EXPECT_EQ(line.number, 2);
}

TEST(LineReaderTest, OversizedLineIsSkippedAndFlagged) {
  testing::TempDir dir;
  std::string big(5000, 'x');
  std::string path = WriteFile(dir, "b.txt", "a\n" + big + "\nb\n" + big);
  auto reader = LineReader::Open(path, /*max_line_bytes=*/1000);
  ASSERT_TRUE(reader.ok());
  LineReader::Line line;
  std::vector<std::string> seen;
  while (*(*reader)->Next(&line)) {
    seen.push_back(line.oversized ? "<big>" : std::string(line.text));
  }
  EXPECT_THAT(seen, ElementsAre("a", "<big>", "b", "<big>"));
}

constexpr char kHeader[] =
    "shipment_id,destination_country,party_role,party_name,party_country,"
    "item_description,item_kind,item_tpp,item_quantity\n";

TEST(CsvUnitReaderTest, RowsOfAShipmentAreMergedAndPartiesDeduplicated) {
  testing::TempDir dir;
  std::string path = WriteFile(dir, "s.csv",
                               std::string(kHeader) +
                                   "S1,CN,ULTIMATE_CONSIGNEE,Acme Ltd,CN,GPU,IC,15831,8\n"
                                   "S1,CN,ULTIMATE_CONSIGNEE,Acme Ltd,CN,Cable,OTHER,,100\n"
                                   "S1,,END_USER,Huawei Technologies Co Ltd,CN,,,,\n"
                                   "\n"
                                   "S2,DE,,Rheinland GmbH,DE,Laptop,computer,,2\n");
  auto units = ReadAll(InputFormat::kCsv, path);
  ASSERT_EQ(units.size(), 2u);
  const InputUnit& s1 = units[0];
  EXPECT_TRUE(s1.error.ok()) << s1.error;
  EXPECT_EQ(s1.first_line, 2);
  EXPECT_EQ(s1.last_line, 4);
  EXPECT_EQ(s1.request.request_id(), "S1");
  EXPECT_EQ(s1.request.destination_country(), "CN");
  ASSERT_EQ(s1.request.parties_size(), 2);
  EXPECT_EQ(s1.request.parties(0).role(), v1::PARTY_ROLE_ULTIMATE_CONSIGNEE);
  EXPECT_EQ(s1.request.parties(1).name(), "Huawei Technologies Co Ltd");
  ASSERT_EQ(s1.request.items_size(), 2);
  EXPECT_DOUBLE_EQ(s1.request.items(0).tpp(), 15831);
  EXPECT_FALSE(s1.request.items(1).has_tpp());
  EXPECT_EQ(s1.request.items(1).quantity(), 100);
  EXPECT_EQ(units[1].first_line, 6);
  EXPECT_EQ(units[1].request.items(0).kind(), v1::ITEM_KIND_COMPUTER);
}

TEST(CsvUnitReaderTest, UnknownColumnIsReportedAsLineOneAndIgnored) {
  testing::TempDir dir;
  std::string path = WriteFile(dir, "u.csv",
                               "shipment_id,party_name,colour,destination_country\n"
                               "S1,Acme,red,DE\n");
  auto units = ReadAll(InputFormat::kCsv, path);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0].first_line, 1);
  EXPECT_THAT(std::string(units[0].error.message()), HasSubstr("colour"));
  EXPECT_TRUE(units[1].error.ok());
  EXPECT_EQ(units[1].request.parties(0).name(), "Acme");
}

TEST(CsvUnitReaderTest, BadValueFailsTheWholeShipment) {
  testing::TempDir dir;
  std::string path = WriteFile(dir, "v.csv",
                               std::string(kHeader) +
                                   "S1,CN,,Acme,CN,GPU,IC,15831,8\n"
                                   "S1,CN,,Acme,CN,GPU,IC,lots,8\n"
                                   "S2,JP,,Kansai KK,JP,GPU,IC,100,1\n");
  auto units = ReadAll(InputFormat::kCsv, path);
  ASSERT_EQ(units.size(), 2u);
  EXPECT_FALSE(units[0].error.ok());
  EXPECT_THAT(std::string(units[0].error.message()), HasSubstr("line 3"));
  EXPECT_THAT(std::string(units[0].error.message()), HasSubstr("item_tpp"));
  EXPECT_EQ(units[0].first_line, 2);
  EXPECT_EQ(units[0].last_line, 3);
  EXPECT_TRUE(units[1].error.ok());
}

TEST(CsvUnitReaderTest, ConflictingShipmentFieldIsAnError) {
  testing::TempDir dir;
  std::string path = WriteFile(dir, "c.csv",
                               std::string(kHeader) +
                                   "S1,CN,,Acme,CN,,,,\n"
                                   "S1,DE,,Acme,CN,,,,\n");
  auto units = ReadAll(InputFormat::kCsv, path);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_THAT(std::string(units[0].error.message()), HasSubstr("destination_country"));
}

TEST(CsvUnitReaderTest, MalformedRowsBetweenAndInsideShipments) {
  testing::TempDir dir;
  std::string path = WriteFile(dir, "m.csv",
                               std::string(kHeader) +
                                   "S1,CN,,Acme,CN,GPU,IC,1,1\n"      // 2
                                   "only,three,fields\n"              // 3: between S1 and S2
                                   "S2,DE,,Beta,DE,GPU,IC,1,1\n"      // 4
                                   "\"broken,DE,,Beta,DE,,,,\n"       // 5: inside S2 (S2 goes on)
                                   "S2,DE,,Beta,DE,Cable,OTHER,,1\n"  // 6
                                   "S3,FR,,Gamma,FR,GPU,IC,1,1\n");   // 7
  auto units = ReadAll(InputFormat::kCsv, path);
  ASSERT_EQ(units.size(), 4u);
  EXPECT_TRUE(units[0].error.ok());
  EXPECT_EQ(units[1].first_line, 3);
  EXPECT_THAT(std::string(units[1].error.message()), HasSubstr("3 fields"));
  EXPECT_EQ(units[2].first_line, 4);
  EXPECT_EQ(units[2].last_line, 6);
  EXPECT_THAT(std::string(units[2].error.message()), HasSubstr("line 5"));
  EXPECT_TRUE(units[3].error.ok());
  // Every non-blank line is in exactly one unit, in order.
  int64_t next = 2;
  for (const auto& u : units) {
    EXPECT_EQ(u.first_line, next);
    next = u.last_line + 1;
  }
  EXPECT_EQ(next, 8);
}

TEST(CsvUnitReaderTest, ResumeAtAUnitBoundaryYieldsTheRemainingUnits) {
  testing::TempDir dir;
  std::string path = WriteFile(dir, "r.csv",
                               "shipment_id,party_name,colour,destination_country\n"
                               "S1,Acme,x,DE\nS1,Acme2,x,DE\nS2,Beta,x,DE\nS3,Gamma,x,DE\n");
  auto all = ReadAll(InputFormat::kCsv, path);
  ASSERT_EQ(all.size(), 4u);  // header error + 3 shipments
  for (size_t k = 0; k < all.size(); ++k) {
    auto rest = ReadAll(InputFormat::kCsv, path, all[k].end_offset, all[k].last_line + 1);
    ASSERT_EQ(rest.size(), all.size() - k - 1) << k;
    for (size_t i = 0; i < rest.size(); ++i) {
      EXPECT_EQ(rest[i].first_line, all[k + 1 + i].first_line);
      EXPECT_EQ(rest[i].request.SerializeAsString(), all[k + 1 + i].request.SerializeAsString());
      EXPECT_TRUE(rest[i].error.ok());  // header error not repeated
    }
  }
}

TEST(JsonlUnitReaderTest, GoodBadBlankAndOversizedLines) {
  testing::TempDir dir;
  std::string path = WriteFile(dir, "j.jsonl",
                               "{\"request_id\":\"r1\",\"destination_country\":\"DE\","
                               "\"parties\":[{\"name\":\"Acme\"}]}\n"
                               "\n"
                               "{not json\n"
                               "{\"request_id\":\"r4\",\"no_such_field\":1}\n" +
                                   std::string(kMaxLineBytes + 10, ' ') +
                                   "x\n"
                                   "{\"request_id\":\"r6\",\"destination_country\":\"JP\"}");
  auto units = ReadAll(InputFormat::kJsonl, path);
  ASSERT_EQ(units.size(), 5u);
  EXPECT_TRUE(units[0].error.ok());
  EXPECT_EQ(units[0].shipment_id, "r1");
  EXPECT_EQ(units[1].first_line, 3);
  EXPECT_FALSE(units[1].error.ok());
  EXPECT_EQ(units[2].first_line, 4);
  EXPECT_FALSE(units[2].error.ok());
  EXPECT_EQ(units[3].first_line, 5);
  EXPECT_THAT(std::string(units[3].error.message()), HasSubstr("1 MiB"));
  EXPECT_EQ(units[4].first_line, 6);
  EXPECT_EQ(units[4].request.destination_country(), "JP");
}

TEST(InputFormatTest, FromName) {
  EXPECT_EQ(*InputFormatFromName("a/b.CSV"), InputFormat::kCsv);
  EXPECT_EQ(*InputFormatFromName("x.jsonl"), InputFormat::kJsonl);
  EXPECT_FALSE(InputFormatFromName("-").ok());
}

}  // namespace
}  // namespace exportscreen::cli
