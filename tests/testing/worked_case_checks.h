// Checks shared by the engine test and the Screen RPC test of the worked
// cases (tests/testing/worked_cases.h): the same expectations on an answer,
// whichever path produced it. Header-only; include from a gtest target.
#ifndef EXPORTSCREEN_TESTS_TESTING_WORKED_CASE_CHECKS_H_
#define EXPORTSCREEN_TESTS_TESTING_WORKED_CASE_CHECKS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "exportscreen/v1/screening.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/worked_cases.h"

namespace exportscreen::testing {

// Rule ids that fired: findings and offered licence exceptions.
inline std::set<std::string> FiredRules(const v1::ScreenResponse& r) {
  std::set<std::string> ids;
  for (const auto& f : r.findings()) ids.insert(f.rule_id());
  for (const auto& d : r.item_determinations()) {
    for (const auto& e : d.exceptions()) ids.insert(e.rule_id());
  }
  return ids;
}

// A short text of an answer for failure messages.
inline std::string DumpAnswer(const v1::ScreenResponse& r) {
  std::string s = absl::StrCat("decision ", v1::Decision_Name(r.decision()), "\n");
  for (const auto& m : r.party_matches()) {
    absl::StrAppend(&s, "  match party ", m.party_index(), " ", m.entity_id(), " score ", m.score(),
                    "\n");
  }
  for (const auto& f : r.findings()) {
    absl::StrAppend(&s, "  ", f.rule_id(), " ", v1::Decision_Name(f.severity()),
                    f.informational() ? " (info)" : "", ": ", f.message(), "\n");
  }
  for (const auto& d : r.item_determinations()) {
    absl::StrAppend(&s, "  item ", d.item_index(), " eccn ", d.eccn(), " by ",
                    d.classification_rule_id(), "\n");
  }
  return s;
}

// The reference's answer for `c`: decision, ECCN per item, rules that must
// and must not fire; every finding's rule described once in the answer's
// rules with title and citation; a non-CLEAR answer has a cited finding.
inline void ExpectWorkedCaseAnswer(const WorkedCase& c, const v1::ScreenRequest& req,
                                   const v1::ScreenResponse& resp) {
  EXPECT_EQ(resp.decision(), c.decision) << DumpAnswer(resp);
  std::vector<std::string> eccns = absl::StrSplit(c.eccns, ',');
  ASSERT_EQ(resp.item_determinations_size(), req.items_size()) << DumpAnswer(resp);
  for (int i = 0; i < req.items_size(); ++i) {
    EXPECT_EQ(resp.item_determinations(i).eccn(), i < int(eccns.size()) ? eccns[i] : "")
        << "item " << i << "\n"
        << DumpAnswer(resp);
  }
  std::set<std::string> fired = FiredRules(resp);
  for (absl::string_view id : absl::StrSplit(c.must_fire, ',', absl::SkipEmpty())) {
    EXPECT_TRUE(fired.count(std::string(id))) << id << "\n" << DumpAnswer(resp);
  }
  for (absl::string_view id : absl::StrSplit(c.must_not_fire, ',', absl::SkipEmpty())) {
    EXPECT_FALSE(fired.count(std::string(id))) << id << "\n" << DumpAnswer(resp);
  }
  std::map<std::string, const v1::RuleRef*> described;
  for (const auto& r : resp.rules()) {
    EXPECT_TRUE(described.emplace(r.rule_id(), &r).second) << r.rule_id();
    EXPECT_FALSE(r.title().empty()) << r.rule_id();
    EXPECT_FALSE(r.citation().empty()) << r.rule_id();
  }
  for (const auto& f : resp.findings()) {
    EXPECT_TRUE(described.count(f.rule_id())) << f.rule_id();
  }
  EXPECT_EQ(described.size(), size_t(resp.rules_size()));
  if (resp.decision() != v1::DECISION_CLEAR) {
    bool cited = false;
    for (const auto& f : resp.findings()) {
      cited |= !f.informational() && described.count(f.rule_id()) > 0;
    }
    EXPECT_TRUE(cited) << DumpAnswer(resp);
  }
  EXPECT_EQ(resp.as_of_date(), c.as_of);
}

}  // namespace exportscreen::testing

#endif  // EXPORTSCREEN_TESTS_TESTING_WORKED_CASE_CHECKS_H_
