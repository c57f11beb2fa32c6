#include "services/serving/rule_publisher.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"
#include "services/rules/rule_set.h"
#include "services/serving/manager_internal.h"
#include "services/store/version_ids.h"

namespace exportscreen::serving {

absl::Status CheckRuleSetSize(const std::map<std::string, std::string>& files) {
  size_t bytes = 0;
  for (const auto& [name, content] : files) bytes += name.size() + content.size();
  if (bytes > kMaxRuleSetBytes) {
    return absl::InvalidArgumentError(absl::StrCat("files: the rule set has ", bytes,
                                                   " bytes; the limit is ", kMaxRuleSetBytes,
                                                   " (it is read back whole by GetRuleSet)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::RuleSetInfo> RulePublisher::Publish(
    const std::map<std::string, std::string>& files, const std::string& source,
    const std::string& actor) const {
  RETURN_IF_ERROR(CheckRuleSetSize(files));
  ASSIGN_OR_RETURN(std::shared_ptr<const rules::RuleSet> compiled, rules::RuleSet::Compile(files));
  v1::StoredRuleSet stored;
  const std::string digest = store::RuleSetDigest(files);
  v1::RuleSetInfo* info = stored.mutable_info();
  info->set_version(store::RuleSetId(digest));
  SetTimestamp(clock_->Now(), info->mutable_created_at());
  info->set_content_digest(digest);
  info->set_rule_count(static_cast<int64_t>(compiled->rule_count()));
  info->set_created_by(actor);
  info->set_source(source);
  for (const auto& [name, content] : files) (*stored.mutable_files())[name] = content;
  RETURN_IF_ERROR(store_->rule_sets().PutRuleSet(stored));
  return *info;
}

}  // namespace exportscreen::serving
