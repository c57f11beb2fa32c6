// Cluster mode (issue 17): the shared activation stack (push, and rollback
// popping the top and every entry below it of the same pair).
#include "gtest/gtest.h"
#include "services/serving/snapshot_manager.h"

namespace exportscreen::serving {
namespace {

v1::ActiveVersions Pair(const std::string& rules, const std::string& lists) {
  v1::ActiveVersions a;
  a.set_rule_set_version(rules);
  a.set_list_version(lists);
  return a;
}

TEST(ActivationStack, PushAndPop) {
  v1::ClusterControl s;
  EXPECT_EQ(PopActivation(s).status().code(), absl::StatusCode::kFailedPrecondition);
  s = PushActivation(s, Pair("R-1", "L-1"));
  EXPECT_EQ(PopActivation(s).status().code(), absl::StatusCode::kFailedPrecondition);
  s = PushActivation(s, Pair("R-1", "L-2"));
  s = PushActivation(s, Pair("R-1", "L-3"));
  s = PushActivation(s, Pair("R-1", "L-3"));  // activated twice: one rollback undoes both
  auto popped = PopActivation(s);
  ASSERT_TRUE(popped.ok());
  EXPECT_EQ(popped->stack().rbegin()->list_version(), "L-2");
  popped = PopActivation(*popped);
  ASSERT_TRUE(popped.ok());
  EXPECT_EQ(popped->stack().rbegin()->list_version(), "L-1");
  EXPECT_FALSE(PopActivation(*popped).ok());
}

TEST(ActivationStack, Bounded) {
  v1::ClusterControl s;
  for (int i = 0; i < kMaxActivationStack + 10; ++i) {
    s = PushActivation(s, Pair("R-1", "L-" + std::to_string(i)));
  }
  EXPECT_EQ(s.stack_size(), kMaxActivationStack);
  EXPECT_EQ(s.stack().rbegin()->list_version(), "L-" + std::to_string(kMaxActivationStack + 9));
}

}  // namespace
}  // namespace exportscreen::serving
