// RuleSet::Compile: the real rules/ compile; broken rule files are rejected
// with "FILE:LINE: RULE_ID: reason"; evaluation semantics (Kleene logic,
// effective dates, suspensions).
#include "services/rules/rule_set.h"

#include <algorithm>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "services/rules/compiled_rules.h"

namespace exportscreen::rules {
namespace {

constexpr char kBase[] = R"pb(
country_group {
  meta { id: "cg.d5" title: "D:5" citation: "15 CFR 740 Supp. 1" jurisdiction: "US-EAR" effective_from: "2024-05-30" }
  code: "D:5" countries: ["CN", "RU"]
}
match_thresholds {
  meta { id: "thresholds" title: "t" citation: "policy" jurisdiction: "INTERNAL" effective_from: "2024-01-01" }
  review: 0.85 block: 0.95
}
eccn { eccn: "3A090.a" tags: ["ac_a"] }
eccn { eccn: "3A090.b" tags: ["ac_a"] }
vocabulary { kind: KIND_ECCN_TAG codes { code: "ac_a" } } coverage { meta { id: "coverage" title: "c" citation: "policy" jurisdiction: "INTERNAL" effective_from: "1990-01-01" } modelled_from: "1990-01-01" }
)pb";

TEST(RuleSetTest, ARuleSetWithoutCoverageIsRejected) {
  std::string base = kBase;
  base = base.substr(0, base.find(" coverage {"));
  auto rs = RuleSet::Compile({{"base.textproto", base}});
  ASSERT_FALSE(rs.ok());
  EXPECT_NE(rs.status().message().find("no coverage"), std::string::npos) << rs.status();
}

TEST(RuleSetTest, ASupersessionThatMatchesNoCclControlIsRejected) {
  auto files = ReadRuleFiles(ES_SOURCE_DIR "/rules");
  ASSERT_TRUE(files.ok()) << files.status();
  (*files)["zz.textproto"] = R"pb(
ccl_superseded {
  meta { id: "ccl.bogus" title: "t" citation: "c" jurisdiction: "US-EAR" effective_from: "2025-01-01" }
  chart_text_contains: "no such text in any chart cell"
  handled_by: ["lic.ac.d1_d4"]
})pb";
  auto rs = RuleSet::Compile(*files);
  ASSERT_FALSE(rs.ok());
  EXPECT_NE(rs.status().message().find("matches no CCL control"), std::string::npos) << rs.status();
}

TEST(RuleSetTest, RealRulesCompile) {
  auto files = ReadRuleFiles(ES_SOURCE_DIR "/rules");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_GE(files->size(), 8u);
  auto rs = RuleSet::Compile(*files);
  ASSERT_TRUE(rs.ok()) << rs.status();
  EXPECT_GT((*rs)->rule_count(), 80u);
  EXPECT_DOUBLE_EQ((*rs)->match_review_threshold(), 0.80);
  EXPECT_DOUBLE_EQ((*rs)->match_block_threshold(), 0.92);
  const CompiledRules& c = (*rs)->compiled();
  // Hong Kong is China; Macau is not D:5.
  int hk = c.Id(Vocab::kCountry, "HK"), cn = c.Id(Vocab::kCountry, "CN");
  ASSERT_GE(hk, 0);
  EXPECT_EQ(c.country_alias[hk], cn);
  int d5 = c.Id(Vocab::kGroup, "D:5");
  EXPECT_TRUE(c.groups_of_country[cn].Test(d5));
  EXPECT_FALSE(c.groups_of_country[c.Id(Vocab::kCountry, "MO")].Test(d5));
}

TEST(RuleSetTest, ReadRuleFilesErrors) {
  EXPECT_EQ(ReadRuleFiles("/nonexistent/dir").status().code(), absl::StatusCode::kNotFound);
}

struct BadCase {
  const char* name;
  const char* text;      // appended to kBase in file "bad.textproto"
  const char* expected;  // substring of the error
};

// Line numbers count from the first line of kBase (which starts with "\n").
const BadCase kBadCases[] = {
    {"unknown attribute", R"pb(
license {
  meta { id: "lic.x" title: "x" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { attr: "item.no_such_thing" ge: 1 }
  outcome: DECISION_LICENSE_REQUIRED
})pb",
     "bad.textproto:16: lic.x: unknown attribute \"item.no_such_thing\""},
    {"type mismatch", R"pb(
license {
  meta { id: "lic.x" title: "x" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { attr: "destination.groups" ge: 1 }
  outcome: DECISION_LICENSE_REQUIRED
})pb",
     "bad.textproto:16: lic.x: type mismatch"},
    {"unknown country group", R"pb(
license {
  meta { id: "lic.x" title: "x" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition {
    all { attr: "item.eccn_tags" has: "ac_a" }
    all { attr: "destination.groups" has: "D:9" }
  }
  outcome: DECISION_LICENSE_REQUIRED
})pb",
     "bad.textproto:18: lic.x: unknown country group \"D:9\""},
    {"duplicate id", R"pb(
license {
  meta { id: "cg.d5" title: "x" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { attr: "item.eccn_tags" has: "ac_a" }
  outcome: DECISION_LICENSE_REQUIRED
})pb",
     "bad.textproto:14: cg.d5: duplicate id"},
    {"missing citation", R"pb(
license {
  meta { id: "lic.x" title: "x" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { attr: "item.eccn_tags" has: "ac_a" }
  outcome: DECISION_LICENSE_REQUIRED
})pb",
     "bad.textproto:14: lic.x: missing citation"},
    {"bad date", R"pb(
license {
  meta { id: "lic.x" title: "x" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-02-30" }
  condition { attr: "item.eccn_tags" has: "ac_a" }
  outcome: DECISION_LICENSE_REQUIRED
})pb",
     "bad.textproto:14: lic.x: bad or missing effective_from \"2024-02-30\""},
    {"exact duplicate classification", R"pb(
classification {
  meta { id: "cls.a" title: "a" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { all { attr: "item.kind" eq: "IC" } all { attr: "item.tpp" ge: 4800 } }
  eccn: "3A090.a" precedence: 10
}
classification {
  meta { id: "cls.b" title: "b" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { all { attr: "item.tpp" ge: 4800 } all { attr: "item.kind" eq: "IC" } }
  eccn: "3A090.a" precedence: 5
})pb",
     "bad.textproto:19: cls.b: overlapping classification: same condition as cls.a"},
    {"ambiguous classification", R"pb(
classification {
  meta { id: "cls.a" title: "a" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { all { attr: "item.kind" eq: "IC" } all { attr: "item.tpp" ge: 4800 } }
  eccn: "3A090.a" precedence: 10
}
classification {
  meta { id: "cls.b" title: "b" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { all { attr: "item.kind" eq: "IC" } all { attr: "item.performance_density" ge: 5.92 } }
  eccn: "3A090.b" precedence: 10
})pb",
     "bad.textproto:19: cls.b: overlapping classification: may hold together with cls.a"},
    {"classification without kind", R"pb(
classification {
  meta { id: "cls.a" title: "a" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { attr: "item.tpp" ge: 4800 }
  eccn: "3A090.a"
})pb",
     "bad.textproto:14: cls.a: classification condition must test \"item.kind\""},
    {"stage violation", R"pb(
classification {
  meta { id: "cls.a" title: "a" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { all { attr: "item.kind" eq: "IC" } all { attr: "item.eccn" eq: "3A090.a" } }
  eccn: "3A090.a"
})pb",
     "cls.a: attribute \"item.eccn\" is not available at classification"},
    {"unknown ECCN", R"pb(
classification {
  meta { id: "cls.a" title: "a" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { attr: "item.kind" eq: "IC" }
  eccn: "9Z999"
})pb",
     "bad.textproto:14: cls.a: unknown ECCN"},
    {"parse error", R"pb(
license { meta { id: "lic.x" } bogus_field: 1 })pb",
     "bad.textproto:14: -: parse error"},
};

TEST(RuleSetTest, BrokenRuleFilesAreRejectedWithFileLineAndRuleId) {
  for (const auto& c : kBadCases) {
    SCOPED_TRACE(c.name);
    std::map<std::string, std::string> files = {{"bad.textproto", std::string(kBase) + c.text}};
    auto rs = RuleSet::Compile(files);
    ASSERT_FALSE(rs.ok());
    EXPECT_EQ(rs.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(rs.status().message()).find(c.expected), std::string::npos)
        << rs.status().message();
  }
}

TEST(RuleSetTest, BaseIsValidAndDisjointRulesMayShareAPrecedence) {
  std::string text = std::string(kBase) + R"pb(
classification {
  meta { id: "cls.a" title: "a" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { all { attr: "item.kind" eq: "IC" } all { attr: "item.tpp" ge: 4800 } }
  eccn: "3A090.a" precedence: 10
}
classification {
  meta { id: "cls.b" title: "b" citation: "c" jurisdiction: "US-EAR" effective_from: "2024-01-01" }
  condition { all { attr: "item.kind" eq: "IC" } all { attr: "item.tpp" lt: 4800 } }
  eccn: "3A090.b" precedence: 10
})pb";
  auto rs = RuleSet::Compile({{"ok.textproto", text}});
  ASSERT_TRUE(rs.ok()) << rs.status();
}

TEST(RuleSetTest, KleeneLogicAndDates) {
  std::string text = std::string(kBase) + R"pb(
license {
  meta {
    id: "lic.x" title: "x" citation: "c" jurisdiction: "US-EAR"
    effective_from: "2025-09-29"
    suspended { from: "2025-11-10" until: "2026-11-10" }
  }
  condition {
    any { attr: "item.tpp" ge: 4800 }
    any { attr: "destination.groups" has: "D:5" }
  }
  outcome: DECISION_LICENSE_REQUIRED
})pb";
  auto rs = RuleSet::Compile({{"ok.textproto", text}});
  ASSERT_TRUE(rs.ok()) << rs.status();
  const CompiledRules& c = (*rs)->compiled();
  const CLicense& l = c.licenses[0];
  EvalContext ctx;
  EXPECT_EQ(c.Eval(l.cond, ctx), Tri::kUnknown);  // nothing known
  std::vector<std::string> missing;
  c.Explain(l.cond, ctx, &missing);
  EXPECT_EQ(missing, (std::vector<std::string>{"destination.groups", "item.tpp"}));
  ctx.SetNumber(slot::kTpp, 5000);
  EXPECT_EQ(c.Eval(l.cond, ctx), Tri::kTrue);  // any: one true suffices
  ctx.SetNumber(slot::kTpp, 100);
  ctx.SetSet(slot::kDestGroups, Bits256{});
  EXPECT_EQ(c.Eval(l.cond, ctx), Tri::kFalse);
  EXPECT_FALSE(l.meta.ActiveOn(absl::CivilDay(2025, 9, 28)));
  EXPECT_TRUE(l.meta.ActiveOn(absl::CivilDay(2025, 9, 29)));
  EXPECT_FALSE(l.meta.ActiveOn(absl::CivilDay(2025, 11, 10)));
  EXPECT_TRUE(l.meta.SuspendedOn(absl::CivilDay(2026, 11, 9)));
  EXPECT_TRUE(l.meta.ActiveOn(absl::CivilDay(2026, 11, 10)));
}

}  // namespace
}  // namespace exportscreen::rules

namespace exportscreen::rules {
namespace {

// The engine evaluates, per item kind, only the rules of its kind bucket:
// skipping is sound only if every rule left out is false for that kind
// whatever else is known or unknown. Checked for the real rules, every
// family and every kind; the unknown-kind bucket holds every rule.
TEST(RuleSetTest, KindBucketsLeaveOutOnlyRulesFalseForThatKind) {
  auto files = ReadRuleFiles(ES_SOURCE_DIR "/rules");
  ASSERT_TRUE(files.ok()) << files.status();
  auto rs = RuleSet::Compile(*files);
  ASSERT_TRUE(rs.ok()) << rs.status();
  const CompiledRules& R = (*rs)->compiled();
  auto check = [&](const auto& rules, const CompiledRules::KindBuckets& b, const char* family) {
    EXPECT_EQ(b.For(-1).size(), rules.size()) << family;
    size_t skipped = 0;
    for (int kind = 0; kind < 11; ++kind) {
      const auto& bucket = b.For(int16_t(kind));
      EvalContext c;  // everything unknown but the kind
      c.sym[slot::kKind] = int16_t(kind);
      for (uint32_t i = 0; i < rules.size(); ++i) {
        if (std::find(bucket.begin(), bucket.end(), i) != bucket.end()) continue;
        ++skipped;
        EXPECT_EQ(R.Eval(rules[i].cond, c), Tri::kFalse)
            << family << " " << rules[i].meta.id << " kind " << kind;
      }
    }
    return skipped;
  };
  size_t skipped = check(R.classifications, R.classification_buckets, "cls") +
                   check(R.licenses, R.license_buckets, "lic") +
                   check(R.exceptions, R.exception_buckets, "exc") +
                   check(R.red_flags, R.red_flag_buckets, "rf");
  EXPECT_GT(skipped, 100u);  // the buckets do leave work out
}

// The catalogue a rule author reads (`screenctl rules attributes`): every
// built-in documented, each one a condition can actually use, the location
// attributes of issue 8 among them.
TEST(RuleSetTest, EveryBuiltinAttributeIsDocumentedAndUsable) {
  std::map<std::string, AttributeInfo> by_name;
  for (const AttributeInfo& a : BuiltinAttributes()) {
    EXPECT_FALSE(a.doc.empty()) << a.name;
    EXPECT_FALSE(a.type.empty()) << a.name;
    EXPECT_TRUE(by_name.emplace(a.name, a).second) << "duplicate " << a.name;
  }
  for (const char* name : {"item.location_countries", "item.location_groups", "item.serials_unseen",
                           "item.location_mismatch"}) {
    ASSERT_TRUE(by_name.count(name)) << name;
    EXPECT_EQ(by_name[name].scope, "item");
  }
  EXPECT_EQ(by_name["item.location_groups"].type, "SET");
  EXPECT_EQ(by_name["item.serials_unseen"].type, "BOOL");
  // Each built-in compiles in a `known` test (name and type resolve).
  for (const auto& [name, info] : by_name) {
    if (name.find('<') != std::string::npos) continue;  // the param pattern
    const std::string file = std::string(kBase) + R"pb(
red_flag {
  meta { id: "rf.x" title: "x" citation: "c" jurisdiction: "INTERNAL" effective_from: "2024-01-01" }
  condition { attr: ")pb" + name +
                             R"pb(" known: true }
  outcome: DECISION_REVIEW
})pb";
    auto rs = RuleSet::Compile({{"a.textproto", file}});
    EXPECT_TRUE(rs.ok()) << name << ": " << rs.status();
  }
}

}  // namespace
}  // namespace exportscreen::rules
