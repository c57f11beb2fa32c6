// Exhaustive Commerce Country Chart test (issue 13): for every ECCN of the
// CCL that names chart columns, against every destination of the Country
// Chart, an oracle that reads the eCFR JSON directly (rules/ear/, not the
// converter's output) says which columns require a licence (738.4(a)(2));
// the engine, through the compiled rule set, must agree on every pair, and
// no pair with a marked column may answer CLEAR.
//
// The only thing taken from rules/ccl.textproto is the row name -> ISO code
// spelling (a fact about names, not the logic under test); the test checks
// that it covers every chart row.
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "exportscreen/v1/rules.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/engine/screening_engine.h"
#include "tests/testing/fake_name_index.h"
#include "tests/testing/worked_case_checks.h"

namespace exportscreen::engine {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Struct ReadJson(const std::string& path) {
  Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(ReadFile(path), &s);
  EXPECT_TRUE(status.ok()) << path << ": " << status.ToString();
  return s;
}

TEST(CclChartOracleTest, EveryEccnTimesEveryDestinationAgrees) {
  const std::string ear = ES_SOURCE_DIR "/rules/ear/";
  Struct ccl = ReadJson(ear + "ccl_full.json");
  Struct chart = ReadJson(ear + "country_chart.json");

  // Row names -> codes (see the file comment).
  v1::RuleFile generated;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      ReadFile(ES_SOURCE_DIR "/rules/ccl.textproto"), &generated));
  ASSERT_EQ(generated.ccl_size(), 1);
  std::map<std::string, std::string> code_of;
  for (const auto& row : generated.ccl(0).row()) code_of[row.name()] = row.country();

  struct Dest {
    std::string code;
    std::set<std::string> marks;
    bool embargoed = false;
  };
  std::vector<Dest> dests;
  for (const auto& [name, row] : chart.fields().at("countries").struct_value().fields()) {
    ASSERT_TRUE(code_of.count(name)) << "chart row without a code: " << name;
    Dest d{code_of[name], {}, false};
    for (const Value& m : row.struct_value().fields().at("marks").list_value().values()) {
      d.marks.insert(m.string_value());
    }
    dests.push_back(d);
  }
  for (const auto& [name, row] : chart.fields().at("embargoed").struct_value().fields()) {
    ASSERT_TRUE(code_of.count(name)) << "embargoed row without a code: " << name;
    dests.push_back({code_of[name], {}, true});
  }
  ASSERT_GE(dests.size(), 196u);

  // The engine over the real rules, no listed parties.
  auto files = rules::ReadRuleFiles(ES_SOURCE_DIR "/rules");
  ASSERT_TRUE(files.ok()) << files.status();
  auto rs = rules::RuleSet::Compile(*files);
  ASSERT_TRUE(rs.ok()) << rs.status();
  ScreeningSnapshot snap;
  snap.rules = *rs;
  auto data = std::make_shared<ReferenceData>();
  snap.index = std::make_shared<exportscreen::testing::FakeNameIndex>(data->entities);
  snap.data = data;
  snap.rule_set_version = "r";
  snap.list_version = "l";

  const std::regex column_re("\\b(CB|NP|NS|MT|RS|FC|CC|AT) Column (\\d)");
  int64_t pairs = 0, marked_pairs = 0, eccns = 0;
  v1::ScreenRequest req;
  req.add_parties()->set_name("Oracle Test Trading");
  req.add_items()->set_kind(v1::ITEM_KIND_OTHER);
  const absl::CivilDay day(2026, 7, 23);
  for (const Value& e : ccl.fields().at("entries").list_value().values()) {
    const auto& f = e.struct_value().fields();
    const std::string eccn = f.at("eccn").string_value();
    std::set<std::string> columns;
    for (const Value& c : f.at("countryChart").list_value().values()) {
      const auto& cf = c.struct_value().fields();
      auto it = cf.find("countryChart");
      if (it == cf.end() || it->second.kind_case() != Value::kStringValue) continue;
      const std::string& text = it->second.string_value();
      for (std::sregex_iterator m(text.begin(), text.end(), column_re), end; m != end; ++m) {
        columns.insert(absl::StrCat((*m)[1].str(), " ", (*m)[2].str()));
      }
    }
    if (columns.empty()) continue;
    ++eccns;
    req.mutable_items(0)->set_declared_eccn(eccn);
    for (const Dest& d : dests) {
      ++pairs;
      req.set_destination_country(d.code);
      req.mutable_parties(0)->set_country(d.code);
      auto r = ScreeningEngine::Screen(snap, req, day);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->item_determinations_size(), 1);
      const auto& det = r->item_determinations(0);
      std::set<std::string> checked(det.chart_columns_checked().begin(),
                                    det.chart_columns_checked().end());
      if (d.embargoed) {
        EXPECT_NE(r->decision(), v1::DECISION_CLEAR) << eccn << " to embargoed " << d.code;
        continue;
      }
      bool any = false;
      for (const std::string& col : columns) {
        const bool x = d.marks.count(col) > 0;
        any |= x;
        EXPECT_TRUE(checked.count(absl::StrCat(col, x ? ": X" : ": no X")))
            << eccn << " to " << d.code << " column " << col << " expected " << (x ? "X" : "no X")
            << "\n"
            << exportscreen::testing::DumpAnswer(*r);
      }
      if (any) {
        ++marked_pairs;
        EXPECT_TRUE(det.license_required()) << eccn << " to " << d.code;
        EXPECT_NE(r->decision(), v1::DECISION_CLEAR) << eccn << " to " << d.code;
      }
      if (::testing::Test::HasFailure()) return;  // one clear report
    }
  }
  std::printf(
      "chart oracle: %lld ECCNs with chart columns x %zu destinations = "
      "%lld pairs (%lld with a marked column), all agree\n",
      static_cast<long long>(eccns), dests.size(), static_cast<long long>(pairs),
      static_cast<long long>(marked_pairs));
  EXPECT_GT(eccns, 400);
}

}  // namespace
}  // namespace exportscreen::engine
