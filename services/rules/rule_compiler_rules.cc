// Rule compiler, pass 2: each rule family of a file (classification,
// licence, review policy, licence exception, party list, ownership, red flag,
// fast path, match thresholds), then coverage, the CCL and its supersessions.
// Countries may still be interned by conditions here, so group membership and
// aliases are finalised afterwards (rule_compiler.cc).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/rules/rule_compiler.h"

namespace exportscreen::rules::compiler_internal {

void Compiler::CompileClassifications(const ParsedFile& f) {
  for (int i = 0; i < f.file.classification_size(); ++i) {
    const auto& r = f.file.classification(i);
    Where w = WhereOf(f, "classification", i, r.meta().id());
    CClassification c;
    CompileMeta(r.meta(), w, &c.meta);
    ++out_->rule_count;
    if (!r.has_condition()) {
      Error(w, "classification rule without condition");
    } else {
      c.cond = CompileTop(r.condition(), Subtree(f, "classification", i, "condition"), w,
                          Stage::kClassification);
    }
    c.eccn = int16_t(ResolveValue(Vocab::kEccn, r.eccn(), w));
    c.eccn_name = r.eccn();
    c.paragraph = r.paragraph();
    c.precedence = r.precedence();
    c.record = CompileRecord(r.record(), w);
    out_->classifications.push_back(std::move(c));
    cls_src_.push_back(&r);
    cls_where_.push_back(w);
  }
}

void Compiler::CompileLicenses(const ParsedFile& f) {
  for (int i = 0; i < f.file.license_size(); ++i) {
    const auto& r = f.file.license(i);
    Where w = WhereOf(f, "license", i, r.meta().id());
    CLicense c;
    CompileMeta(r.meta(), w, &c.meta);
    ++out_->rule_count;
    if (!r.has_condition()) {
      Error(w, "licence rule without condition");
    } else {
      c.cond =
          CompileTop(r.condition(), Subtree(f, "license", i, "condition"), w, Stage::kLicensing);
    }
    if (r.outcome() == v1::DECISION_UNSPECIFIED || r.outcome() == v1::DECISION_CLEAR) {
      Error(w,
            "licence rule needs outcome LICENSE_REQUIRED, PROHIBITED or "
            "REVIEW");
    }
    c.outcome = r.outcome();
    c.review_policy = r.review_policy();
    c.meta.action = r.action();
    c.record = CompileRecord(r.record(), w);
    out_->licenses.push_back(std::move(c));
  }
}

void Compiler::CompileReviewPolicies(const ParsedFile& f) {
  for (int i = 0; i < f.file.review_policy_size(); ++i) {
    const auto& r = f.file.review_policy(i);
    Where w = WhereOf(f, "review_policy", i, r.meta().id());
    CReviewPolicy c;
    CompileMeta(r.meta(), w, &c.meta);
    ++out_->rule_count;
    if (!r.has_condition()) {
      Error(w, "review-policy rule without condition");
    } else {
      c.cond = CompileTop(r.condition(), Subtree(f, "review_policy", i, "condition"), w,
                          Stage::kLicensing);
    }
    if (r.review_policy().empty()) Error(w, "missing review_policy");
    if (r.replaces().empty()) Error(w, "review-policy rule replaces nothing");
    c.review_policy = r.review_policy();
    c.record = CompileRecord(r.record(), w);
    policy_replaces_.push_back({{r.replaces().begin(), r.replaces().end()}, w});
    out_->review_policies.push_back(std::move(c));
  }
}

void Compiler::CompileExceptions(const ParsedFile& f) {
  for (int i = 0; i < f.file.license_exception_size(); ++i) {
    const auto& r = f.file.license_exception(i);
    Where w = WhereOf(f, "license_exception", i, r.meta().id());
    CException c;
    CompileMeta(r.meta(), w, &c.meta);
    ++out_->rule_count;
    if (r.code().empty()) Error(w, "licence exception without code");
    if (r.has_condition()) {
      c.cond = CompileTop(r.condition(), Subtree(f, "license_exception", i, "condition"), w,
                          Stage::kAfterLicensing);
    }
    c.code = r.code();
    c.notice_required = r.notice_required();
    c.conditions.assign(r.conditions().begin(), r.conditions().end());
    exception_for_.push_back({{r.for_license_rules().begin(), r.for_license_rules().end()}, w});
    out_->exceptions.push_back(std::move(c));
  }
}

void Compiler::CompilePartyLists(const ParsedFile& f) {
  for (int i = 0; i < f.file.party_list_size(); ++i) {
    const auto& r = f.file.party_list(i);
    Where w = WhereOf(f, "party_list", i, r.meta().id());
    CPartyList c;
    CompileMeta(r.meta(), w, &c.meta);
    ++out_->rule_count;
    if (r.lists().empty()) Error(w, "party-list rule names no list");
    for (int fn : r.footnotes_any()) {
      if (fn < 1 || fn > 9) Error(w, absl::StrCat("bad footnote ", fn));
    }
    if (r.has_condition()) {
      c.cond = CompileTop(r.condition(), Subtree(f, "party_list", i, "condition"), w,
                          Stage::kLicensing, /*allow_item=*/false);
    }
    if (r.outcome() == v1::DECISION_UNSPECIFIED || r.outcome() == v1::DECISION_CLEAR) {
      Error(w, "party-list rule needs a non-CLEAR outcome");
    }
    c.lists.assign(r.lists().begin(), r.lists().end());
    c.footnotes_any.assign(r.footnotes_any().begin(), r.footnotes_any().end());
    c.match_action = r.match_action() == v1::MATCH_ACTION_UNSPECIFIED ? v1::MATCH_ACTION_BLOCK
                                                                      : r.match_action();
    if (c.match_action == v1::MATCH_ACTION_DISMISSED) {
      Error(w, "party-list rule cannot apply to dismissed hits");
    }
    c.applies_to_affiliates = r.applies_to_affiliates();
    c.outcome = r.outcome();
    c.all_items_license_required = r.all_items_license_required();
    c.review_policy = r.review_policy();
    c.meta.action = r.action();
    out_->party_lists.push_back(std::move(c));
  }
}

void Compiler::CompileOwnerships(const ParsedFile& f) {
  for (int i = 0; i < f.file.ownership_size(); ++i) {
    const auto& r = f.file.ownership(i);
    Where w = WhereOf(f, "ownership", i, r.meta().id());
    COwnership c;
    CompileMeta(r.meta(), w, &c.meta);
    ++out_->rule_count;
    if (r.owner_lists().empty()) Error(w, "ownership rule names no list");
    if (r.min_percent() <= 0 || r.min_percent() > 100) {
      Error(w, "min_percent must be in (0, 100]");
    }
    c.owner_lists.assign(r.owner_lists().begin(), r.owner_lists().end());
    c.min_percent = r.min_percent();
    c.aggregate = r.aggregate();
    c.meta.action = r.action();
    out_->ownerships.push_back(std::move(c));
  }
}

void Compiler::CompileRedFlags(const ParsedFile& f) {
  for (int i = 0; i < f.file.red_flag_size(); ++i) {
    const auto& r = f.file.red_flag(i);
    Where w = WhereOf(f, "red_flag", i, r.meta().id());
    CRedFlag c;
    CompileMeta(r.meta(), w, &c.meta);
    ++out_->rule_count;
    if (!r.has_condition()) {
      Error(w, "red-flag rule without condition");
    } else {
      c.cond = CompileTop(r.condition(), Subtree(f, "red_flag", i, "condition"), w,
                          Stage::kAfterLicensing);
      if (c.cond.present()) c.location = LocationUseOf(c.cond.root);
    }
    c.outcome = r.outcome() == v1::DECISION_UNSPECIFIED ? v1::DECISION_REVIEW : r.outcome();
    if (c.outcome == v1::DECISION_CLEAR) {
      Error(w, "red-flag outcome cannot be CLEAR");
    }
    c.meta.action = r.action();
    c.record = CompileRecord(r.record(), w);
    out_->red_flags.push_back(std::move(c));
  }
}

void Compiler::CompileFastPaths(const ParsedFile& f) {
  for (int i = 0; i < f.file.fast_path_size(); ++i) {
    const auto& r = f.file.fast_path(i);
    Where w = WhereOf(f, "fast_path", i, r.meta().id());
    CFastPath c;
    CompileMeta(r.meta(), w, &c.meta);
    ++out_->rule_count;
    if (!r.has_condition()) {
      Error(w, "fast-path rule without condition");
    } else {
      c.cond = CompileTop(r.condition(), Subtree(f, "fast_path", i, "condition"), w,
                          Stage::kAfterLicensing, /*allow_item=*/false);
    }
    c.meta.action = r.action();
    out_->fast_paths.push_back(std::move(c));
  }
}

void Compiler::CompileMatchThresholds(const ParsedFile& f) {
  for (int i = 0; i < f.file.match_thresholds_size(); ++i) {
    const auto& r = f.file.match_thresholds(i);
    Where w = WhereOf(f, "match_thresholds", i, r.meta().id());
    ++out_->rule_count;
    if (seen_thresholds_) {
      Error(w, "match_thresholds defined more than once");
      continue;
    }
    seen_thresholds_ = true;
    CompileMeta(r.meta(), w, &out_->thresholds_meta);
    if (!(r.review() > 0 && r.review() <= r.block() && r.block() <= 1)) {
      Error(w, "thresholds need 0 < review <= block <= 1");
    }
    out_->review_threshold = r.review();
    out_->block_threshold = r.block();
  }
}

void Compiler::CompileCoverage(const ParsedFile& f) {
  for (int i = 0; i < f.file.coverage_size(); ++i) {
    const auto& r = f.file.coverage(i);
    Where w = WhereOf(f, "coverage", i, r.meta().id());
    ++out_->rule_count;
    if (out_->has_modelled_from) {
      Error(w, "coverage defined more than once");
      continue;
    }
    CompileMeta(r.meta(), w, &out_->coverage_meta);
    if (!ParseDay(r.modelled_from(), &out_->modelled_from)) {
      Error(w, absl::StrCat("bad modelled_from \"", r.modelled_from(), "\" (want YYYY-MM-DD)"));
      continue;
    }
    out_->has_modelled_from = true;
  }
}

void Compiler::CompileCclBlocks(const ParsedFile& f) {
  for (int i = 0; i < f.file.ccl_size(); ++i) {
    const auto& r = f.file.ccl(i);
    Where w = WhereOf(f, "ccl", i, r.meta().id());
    CompileCcl(r, w);
  }
}

void Compiler::CompileCcl(const v1::CclData& data, const Where& w) {
  CclTable& t = out_->ccl;
  if (t.present) {
    Error(w, "ccl defined more than once");
    return;
  }
  t.present = true;
  CompileMeta(data.meta(), w, &t.meta);
  auto column_bit = [&](const std::string& column) {
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (t.columns[i] == column) return int(i);
    }
    t.columns.push_back(column);
    return int(t.columns.size() - 1);
  };
  for (const auto& row : data.row()) {
    if (row.country().size() != 2) {
      Error(w, absl::StrCat("chart row \"", row.name(), "\": country must be an alpha-2 code"));
      continue;
    }
    CChartRow& r = t.rows[row.country()];
    r.country = row.country();
    r.name = row.name();
    r.pointer = row.pointer();
    r.embargoed = row.embargoed();
    for (const auto& m : row.marks()) {
      int bit = column_bit(m);
      if (bit >= 32) {
        Error(w, "more than 32 Country Chart columns");
        return;
      }
      r.marks |= uint32_t{1} << bit;
    }
  }
  for (const auto& [from, to] : data.governed_by()) t.governed_by[from] = to;
  for (const auto& e : data.entry()) {
    if (e.eccn().size() != 5) {
      Error(w, absl::StrCat("ccl entry \"", e.eccn(), "\": not a base ECCN"));
      continue;
    }
    CCclEntry& c = t.entries[e.eccn()];
    c.eccn = e.eccn();
    c.heading = e.heading();
    for (const auto& k : e.control()) {
      CCclControl x;
      x.reason = k.reason();
      x.column = k.column();
      x.destinations.assign(k.destinations().begin(), k.destinations().end());
      x.except_destinations.assign(k.except_destinations().begin(), k.except_destinations().end());
      x.paragraphs.assign(k.paragraphs().begin(), k.paragraphs().end());
      x.except_paragraphs.assign(k.except_paragraphs().begin(), k.except_paragraphs().end());
      x.control_text = k.control_text();
      x.chart_text = k.chart_text();
      x.prose = k.prose();
      switch (k.kind()) {
        case v1::CclControl::KIND_COLUMN:
          x.kind = CCclControl::Kind::kColumn;
          x.column_bit = column_bit(k.column());
          if (x.column_bit >= 32) {
            Error(w, "more than 32 Country Chart columns");
            return;
          }
          break;
        case v1::CclControl::KIND_WORLDWIDE:
          x.kind = CCclControl::Kind::kWorldwide;
          break;
        case v1::CclControl::KIND_DESTINATIONS:
          x.kind = CCclControl::Kind::kDestinations;
          if (x.destinations.empty()) {
            Error(w, absl::StrCat("ccl ", e.eccn(),
                                  ": destinations control "
                                  "names no destination"));
          }
          break;
        case v1::CclControl::KIND_NONE:
          x.kind = CCclControl::Kind::kNone;
          break;
        default:
          // Unspecified or a reference: REVIEW citing the text (fail closed).
          x.kind = CCclControl::Kind::kReference;
          break;
      }
      c.controls.push_back(std::move(x));
    }
  }
}

void Compiler::ApplySupersessions(const ParsedFile& f) {
  for (int i = 0; i < f.file.ccl_superseded_size(); ++i) {
    const auto& r = f.file.ccl_superseded(i);
    Where w = WhereOf(f, "ccl_superseded", i, r.meta().id());
    ++out_->rule_count;
    auto meta = std::make_unique<CompiledMeta>();
    CompileMeta(r.meta(), w, meta.get());
    std::vector<uint32_t> handled;
    ResolveLicenseIds({r.handled_by().begin(), r.handled_by().end()}, w, &handled);
    if (r.handled_by().empty() && r.destinations().empty()) {
      Error(w, "names neither handled_by licence rules nor replacement destinations");
    }
    if (r.chart_text_contains().empty()) {
      Error(w, "chart_text_contains is empty");
      continue;
    }
    const std::string note = absl::StrCat("superseded by ", r.meta().id(), " (decided by ",
                                          absl::StrJoin(r.handled_by(), ", "), ")");
    int matched = 0;
    for (auto& [eccn, entry] : out_->ccl.entries) {
      for (auto& k : entry.controls) {
        if (absl::StrContains(k.chart_text, r.chart_text_contains())) {
          ++matched;
          if (r.destinations().empty()) {
            k.superseded_by = meta.get();
            k.superseded_note = note;
          } else {
            // Replaced by the scope that is enforced.
            k.kind = CCclControl::Kind::kDestinations;
            k.destinations.assign(r.destinations().begin(), r.destinations().end());
            k.except_destinations.assign(r.except_destinations().begin(),
                                         r.except_destinations().end());
            k.replaced_by = meta.get();
          }
        }
      }
    }
    if (matched == 0) {
      Error(w, absl::StrCat("matches no CCL control (\"", r.chart_text_contains(), "\")"));
    }
    out_->ccl.supersessions.push_back(std::move(meta));
  }
}

}  // namespace exportscreen::rules::compiler_internal
