// RuleSet: a compiled, immutable rule set (one version). Thread-safe
// (read-only after Compile). The rules themselves are data in rules/*.textproto
// (schema: proto/exportscreen/v1/rules.proto); nothing here names an ECCN,
// country or list.
//
// CONTRACT used by services/serving and services/engine (keep stable; the
// rules module may add to it):
#ifndef EXPORTSCREEN_SERVICES_RULES_RULE_SET_H_
#define EXPORTSCREEN_SERVICES_RULES_RULE_SET_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace exportscreen::rules {

struct CompiledRules;  // services/rules/compiled_rules.h

class RuleSet {
 public:
  // Compiles rule files (file name -> text-format content). On any problem
  // returns INVALID_ARGUMENT whose message lists every error as
  // "FILE:LINE: RULE_ID: reason", one per line. Never returns a partial set.
  static absl::StatusOr<std::shared_ptr<const RuleSet>> Compile(
      const std::map<std::string, std::string>& files);

  virtual ~RuleSet() = default;
  virtual size_t rule_count() const = 0;
  // Party-match thresholds from the rule files (not from code).
  virtual double match_review_threshold() const = 0;
  virtual double match_block_threshold() const = 0;
  // The evaluation form (services/rules/compiled_rules.h), for the engine.
  virtual const CompiledRules& compiled() const = 0;
};

// One attribute a condition may test, as the compiler knows it.
struct AttributeInfo {
  std::string name;        // "item.tpp", or "item.param.<name>"
  std::string type;        // NUMBER, BOOL, SYMBOL, SET
  std::string vocabulary;  // what SYMBOL/SET values are ("" for others)
  std::string scope;       // "item" or "transaction"
  std::string stage;       // first rule family that may read it
  std::string doc;
};
// The built-in attributes, then the pattern of declared item parameters.
std::vector<AttributeInfo> BuiltinAttributes();

// Reads every *.textproto file of `dir` (not recursive) into a map.
// Errors: NOT_FOUND if dir is missing, FAILED_PRECONDITION if it holds no
// rule files.
absl::StatusOr<std::map<std::string, std::string>> ReadRuleFiles(absl::string_view dir);

}  // namespace exportscreen::rules

#endif  // EXPORTSCREEN_SERVICES_RULES_RULE_SET_H_
