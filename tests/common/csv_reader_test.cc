#include "services/common/csv_reader.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exportscreen {
namespace {

using ::testing::ElementsAre;

std::vector<CsvRecord> ReadAll(const std::string& data, char sep = ',') {
  CsvReader reader(data, sep);
  std::vector<CsvRecord> out;
  CsvRecord rec;
  while (reader.Next(&rec)) out.push_back(rec);
  return out;
}

TEST(CsvReaderTest, SimpleAndQuoted) {
  auto recs = ReadAll("a,b,c\n\"x,1\",\"say \"\"hi\"\"\",\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_THAT(recs[0].fields, ElementsAre("a", "b", "c"));
  EXPECT_THAT(recs[1].fields, ElementsAre("x,1", "say \"hi\"", ""));
  EXPECT_EQ(recs[1].line, 2);
}

TEST(CsvReaderTest, MultiLineFieldReportsStartLine) {
  auto recs = ReadAll("h1,h2\r\n\"line1\r\nline2\",x\r\nlast,y\r\n");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_THAT(recs[1].fields, ElementsAre("line1\nline2", "x"));
  EXPECT_EQ(recs[1].line, 2);
  EXPECT_EQ(recs[1].line_count, 2);
  EXPECT_EQ(recs[2].line, 4);
  EXPECT_THAT(recs[2].fields, ElementsAre("last", "y"));
}

TEST(CsvReaderTest, TruncatedQuotedField) {
  auto recs = ReadAll("a,b\n\"open,never closed\nmore");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_FALSE(recs[0].truncated);
  EXPECT_TRUE(recs[1].truncated);
  EXPECT_EQ(recs[1].line, 2);
}

TEST(CsvReaderTest, TabSeparatorAndBlankLines) {
  auto recs = ReadAll("\"a\"\t\"b,c\"\n\nx\ty", '\t');
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_THAT(recs[0].fields, ElementsAre("a", "b,c"));
  EXPECT_TRUE(recs[1].blank);
  EXPECT_EQ(recs[2].line, 3);
  EXPECT_THAT(recs[2].fields, ElementsAre("x", "y"));
}

TEST(CsvReaderTest, OfacUnquotedNullAndStrayQuote) {
  auto recs = ReadAll("36,\"AERO\",-0- ,ab\"c\r\n\x1A");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_THAT(recs[0].fields, ElementsAre("36", "AERO", "-0- ", "ab\"c"));
  EXPECT_THAT(recs[1].fields, ElementsAre("\x1A"));
}

TEST(CsvReaderTest, EmptyInput) { EXPECT_TRUE(ReadAll("").empty()); }

// The strict one-line reading `screenctl batch` uses (moved from
// tests/cli/batch_input_test.cc, plus the error texts).
TEST(SplitCsvLineTest, QuotesAndEmptyFields) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvLine(R"(a,"b,c","say ""hi""",,)", &f).ok());
  EXPECT_THAT(f, ElementsAre("a", "b,c", "say \"hi\"", "", ""));
  ASSERT_TRUE(SplitCsvLine("", &f).ok());
  EXPECT_THAT(f, ElementsAre(""));
  EXPECT_FALSE(SplitCsvLine(R"(a,"unterminated)", &f).ok());
  EXPECT_FALSE(SplitCsvLine(R"(a,"x"y,b)", &f).ok());
}

TEST(SplitCsvLineTest, ErrorsNameTheField) {
  std::vector<std::string> f;
  EXPECT_EQ(SplitCsvLine(R"(a,"unterminated)", &f).message(), "unterminated quoted field 2");
  EXPECT_EQ(SplitCsvLine(R"(a,b,"x"y)", &f).message(), "text after the closing quote of field 3");
  EXPECT_EQ(SplitCsvLine("a,b\rc", &f).message(),
            "line break outside quotes after field 2 (quote the field)");
  EXPECT_EQ(SplitCsvLine("a,b\n", &f).message(),
            "line break outside quotes after field 2 (quote the field)");
  // A quote inside an unquoted field is literal; a line break inside quotes is kept.
  ASSERT_TRUE(SplitCsvLine("a\"b,\"x\ny\"", &f).ok());
  EXPECT_THAT(f, ElementsAre("a\"b", "x\ny"));
}

TEST(CsvReaderTest, StrayTextAfterQuoteIsKeptAndReported) {
  auto recs = ReadAll("\"a\"b,c,\"d\"\n\"e\",f\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_THAT(recs[0].fields, ElementsAre("ab", "c", "d"));
  EXPECT_EQ(recs[0].first_stray_field, 1);
  EXPECT_EQ(recs[1].first_stray_field, 0);
}

}  // namespace
}  // namespace exportscreen
