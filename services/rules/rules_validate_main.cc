// rules_validate DIR: compiles every *.textproto rule file of DIR and prints
// the errors ("FILE:LINE: RULE_ID: reason", one per line). Exit status 0 if
// the rule set is valid, 1 if not, 2 on usage or I/O errors. For CI; the
// same check runs as `screenctl rules validate DIR`.
#include <iostream>

#include "services/rules/rule_set.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: rules_validate DIR\n";
    return 2;
  }
  auto files = exportscreen::rules::ReadRuleFiles(argv[1]);
  if (!files.ok()) {
    std::cerr << files.status().message() << "\n";
    return 2;
  }
  auto rules = exportscreen::rules::RuleSet::Compile(*files);
  if (!rules.ok()) {
    std::cerr << rules.status().message() << "\n";
    return 1;
  }
  std::cout << "ok: " << files->size() << " files, " << (*rules)->rule_count() << " rules\n";
  return 0;
}
