// RuleSet: parses text-format RuleFiles and hands them to the compiler
// (rule_compiler.h); also the CompiledRules helpers the engine calls.
// Every problem is collected (not just the first) as
// "FILE:LINE: RULE_ID: reason"; any error means no RuleSet is returned.
#include "services/rules/rule_set.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "services/rules/compiled_rules.h"
#include "services/rules/rule_compiler.h"

namespace exportscreen::rules {
namespace {

using compiler_internal::Compiler;
using compiler_internal::ParsedFile;
using google::protobuf::TextFormat;

// Collects "FILE:LINE: RULE_ID: reason" lines.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit ErrorCollector(std::vector<std::string>* errors) : errors_(errors) {}
  void set_file(const std::string& f) { file_ = f; }
  void AddError(int line, int column, const std::string& message) override {
    errors_->push_back(absl::StrCat(file_, ":", line + 1, ": -: parse error: ", message,
                                    " (column ", column + 1, ")"));
  }
  void AddWarning(int, int, const std::string&) override {}

 private:
  std::vector<std::string>* errors_;
  std::string file_;
};

class RuleSetImpl : public RuleSet {
 public:
  explicit RuleSetImpl(CompiledRules rules) : rules_(std::move(rules)) {}
  size_t rule_count() const override { return rules_.rule_count; }
  double match_review_threshold() const override { return rules_.review_threshold; }
  double match_block_threshold() const override { return rules_.block_threshold; }
  const CompiledRules& compiled() const override { return rules_; }

 private:
  CompiledRules rules_;
};

}  // namespace

void CompiledRules::Explain(const Cond& cond, const EvalContext& c,
                            std::vector<std::string>* missing) const {
  if (!cond.present()) return;
  std::vector<uint32_t> stack = {cond.root};
  while (!stack.empty()) {
    uint32_t i = stack.back();
    stack.pop_back();
    const Node& n = nodes[i];
    if (n.op == Node::Op::kAll || n.op == Node::Op::kAny || n.op == Node::Op::kNot) {
      for (uint32_t k = 0; k < n.child_count; ++k) {
        stack.push_back(children[n.first_child + k]);
      }
      continue;
    }
    if (Eval(i, c) == Tri::kUnknown) {
      const std::string& name = attr_names[n.attr];
      if (std::find(missing->begin(), missing->end(), name) == missing->end()) {
        missing->push_back(name);
      }
    }
  }
  std::sort(missing->begin(), missing->end());
}

int CompiledRules::CountryId(const std::string& code) const {
  if (code.empty()) return -1;
  // Stored and validated codes are upper case already: no copy for them.
  const bool upper = std::none_of(code.begin(), code.end(), [](char ch) {
    return absl::ascii_islower(static_cast<unsigned char>(ch));
  });
  const int id =
      upper ? Id(Vocab::kCountry, code) : Id(Vocab::kCountry, absl::AsciiStrToUpper(code));
  if (id < 0) return -1;
  const int16_t alias = size_t(id) < country_alias.size() ? country_alias[id] : int16_t{-1};
  return alias >= 0 ? alias : id;
}

std::string CompiledRules::Format(const Recorded& r, const EvalContext& c, Vocab vocab) const {
  switch (r.type) {
    case ValueType::kNumber:
      return c.HasNumber(r.slot) ? absl::StrCat(c.num[r.slot]) : "";
    case ValueType::kBool:
      return c.boolean[r.slot] == Tri::kUnknown
                 ? ""
                 : (c.boolean[r.slot] == Tri::kTrue ? "true" : "false");
    case ValueType::kSymbol:
      return c.sym[r.slot] < 0 ? "" : Name(vocab, c.sym[r.slot]);
    case ValueType::kSet: {
      if (!((c.set_known >> r.slot) & 1)) return "";
      std::string s;
      const auto& names = vocab_names[size_t(vocab)];
      for (size_t i = 0; i < names.size(); ++i) {
        if (c.set[r.slot].Test(int(i))) {
          absl::StrAppend(&s, s.empty() ? "" : ",", names[i]);
        }
      }
      return s;
    }
  }
  return "";
}

absl::StatusOr<std::shared_ptr<const RuleSet>> RuleSet::Compile(
    const std::map<std::string, std::string>& files) {
  std::vector<std::string> errors;
  std::vector<ParsedFile> parsed(files.size());
  ErrorCollector collector(&errors);
  size_t i = 0;
  for (const auto& [name, text] : files) {
    ParsedFile& p = parsed[i++];
    p.name = name;
    TextFormat::Parser parser;
    collector.set_file(name);
    parser.RecordErrorsTo(&collector);
    parser.WriteLocationsTo(&p.tree);
    if (!parser.ParseFromString(text, &p.file) && errors.empty()) {
      errors.push_back(absl::StrCat(name, ":1: -: parse error"));
    }
  }
  if (files.empty()) {
    return absl::InvalidArgumentError("no rule files");
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  CompiledRules rules;
  Compiler compiler(&rules);
  compiler.Run(parsed);
  if (!compiler.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(compiler.errors(), "\n"));
  }
  return std::shared_ptr<const RuleSet>(std::make_shared<RuleSetImpl>(std::move(rules)));
}

absl::StatusOr<std::map<std::string, std::string>> ReadRuleFiles(absl::string_view dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path path{std::string(dir)};
  if (!fs::is_directory(path, ec)) {
    return absl::NotFoundError(absl::StrCat("rule directory not found: ", dir));
  }
  std::map<std::string, std::string> out;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".textproto") {
      continue;
    }
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) {
      return absl::PermissionDeniedError(absl::StrCat("cannot read ", it->path().string()));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    out[it->path().filename().string()] = ss.str();
  }
  if (ec) {
    return absl::InternalError(absl::StrCat("listing ", dir, ": ", ec.message()));
  }
  if (out.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no *.textproto rule files in ", dir));
  }
  return out;
}

}  // namespace exportscreen::rules
