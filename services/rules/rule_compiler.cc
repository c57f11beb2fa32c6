// Rule compiler: Run and its stages in order (enum vocabularies, pass 1
// declarations, pass 2 rules in rule_compiler_rules.cc, cross references,
// supersessions, overlaps, country tables), and the rule metadata.
#include "services/rules/rule_compiler.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace exportscreen::rules::compiler_internal {

using google::protobuf::FieldDescriptor;

bool ParseDay(const std::string& s, absl::CivilDay* d) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int y, m, day;
  if (!absl::SimpleAtoi(s.substr(0, 4), &y) || !absl::SimpleAtoi(s.substr(5, 2), &m) ||
      !absl::SimpleAtoi(s.substr(8, 2), &day)) {
    return false;
  }
  absl::CivilDay c(y, m, day);
  if (c.year() != y || c.month() != m || c.day() != day) return false;
  *d = c;
  return true;
}

bool IsCountryCode(const std::string& s) {
  return s.size() == 2 && absl::ascii_isupper(s[0]) && absl::ascii_isupper(s[1]);
}

namespace {

// See CompiledRules::KindBuckets.
template <typename Rule>
void FillKindBuckets(const std::vector<Rule>& rules, CompiledRules::KindBuckets* buckets) {
  for (uint32_t i = 0; i < rules.size(); ++i) {
    const uint64_t mask = rules[i].cond.kind_mask;
    for (int k = 0; k < CompiledRules::kKindBuckets; ++k) {
      if ((mask >> k) & 1) buckets->by_kind[size_t(k)].push_back(i);
    }
    buckets->by_kind[CompiledRules::kKindBuckets].push_back(i);
  }
}

}  // namespace

void Compiler::Error(const Where& w, absl::string_view reason) {
  errors_.push_back(
      absl::StrCat(*w.file, ":", w.line, ": ", w.id.empty() ? "-" : w.id, ": ", reason));
}

int Compiler::LineOf(const ParseInfoTree* tree, const FieldDescriptor* f, int index, int fallback) {
  if (tree == nullptr) return fallback;
  auto loc = tree->GetLocation(f, index);
  return loc.line >= 0 ? loc.line + 1 : fallback;
}

Compiler::Where Compiler::WhereOf(const ParsedFile& f, const char* field, int i,
                                  const std::string& id) {
  const auto* fd = v1::RuleFile::descriptor();
  return Where{&f.name, LineOf(&f.tree, fd->FindFieldByName(field), i, 1), id};
}

const ParseInfoTree* Compiler::Subtree(const ParsedFile& f, const char* field, int i,
                                       const char* inner) {
  const auto* fd = v1::RuleFile::descriptor();
  const ParseInfoTree* t = f.tree.GetTreeForNested(fd->FindFieldByName(field), i);
  if (t == nullptr || inner == nullptr) return t;
  const FieldDescriptor* in = nullptr;
  // The inner field name is the same on every rule message.
  if (std::string(field) == "classification") {
    in = v1::ClassificationRule::descriptor()->FindFieldByName(inner);
  } else if (std::string(field) == "license") {
    in = v1::LicenseRule::descriptor()->FindFieldByName(inner);
  } else if (std::string(field) == "review_policy") {
    in = v1::ReviewPolicyRule::descriptor()->FindFieldByName(inner);
  } else if (std::string(field) == "license_exception") {
    in = v1::LicenseExceptionRule::descriptor()->FindFieldByName(inner);
  } else if (std::string(field) == "party_list") {
    in = v1::PartyListRule::descriptor()->FindFieldByName(inner);
  } else if (std::string(field) == "red_flag") {
    in = v1::RedFlagRule::descriptor()->FindFieldByName(inner);
  } else if (std::string(field) == "fast_path") {
    in = v1::FastPathRule::descriptor()->FindFieldByName(inner);
  } else if (std::string(field) == "predicate") {
    in = v1::PredicateDef::descriptor()->FindFieldByName(inner);
  }
  return in ? t->GetTreeForNested(in, -1) : nullptr;
}

void Compiler::Run(std::vector<ParsedFile>& files) {
  InternEnumVocabularies();
  // Pass 1: declarations.
  for (auto& f : files) {
    DeclareParameters(f);
    DeclareVocabularies(f);
    DeclareCountryGroups(f);
    DeclareCountryAliases(f);
    DeclareEccns(f);
    DeclarePredicates(f);
  }
  if (!CheckVocabularySizes()) return;
  TagEccns(files);

  // Pass 2: rules.
  for (auto& f : files) {
    CompileClassifications(f);
    CompileLicenses(f);
    CompileReviewPolicies(f);
    CompileExceptions(f);
    CompilePartyLists(f);
    CompileOwnerships(f);
    CompileRedFlags(f);
    CompileFastPaths(f);
    CompileMatchThresholds(f);
  }
  if (!seen_thresholds_) {
    errors_.push_back("-:0: -: no match_thresholds in the rule set");
  }
  for (auto& f : files) {
    CompileCoverage(f);
    CompileCclBlocks(f);
  }
  if (!out_->has_modelled_from) {
    errors_.push_back(
        "-:0: -: no coverage { modelled_from } in the rule set (the first day "
        "it models; earlier dates answer REVIEW)");
  }
  CheckAllPredicates();

  // Cross references.
  ResolveLicenseReferences();
  ResolveComputedParams();
  for (auto& f : files) ApplySupersessions(f);
  ResolveDestinationGroups();

  CheckOverlaps(cls_src_, cls_where_);
  if (!FinaliseCountries(files)) return;
  SortAndBucket();
}

void Compiler::InternEnumVocabularies() {
  for (int i = 0; i < v1::ItemKind_descriptor()->value_count(); ++i) {
    const auto* v = v1::ItemKind_descriptor()->value(i);
    std::string n = v->name().substr(strlen("ITEM_KIND_"));
    while (out_->vocab_names[size_t(Vocab::kItemKind)].size() <= size_t(v->number())) {
      out_->vocab_names[size_t(Vocab::kItemKind)].push_back("");
    }
    out_->vocab_names[size_t(Vocab::kItemKind)][v->number()] = n;
    out_->vocab_ids[size_t(Vocab::kItemKind)][n] = v->number();
  }
  for (int i = 0; i < v1::AddressKind_descriptor()->value_count(); ++i) {
    const auto* v = v1::AddressKind_descriptor()->value(i);
    std::string n = v->name().substr(strlen("ADDRESS_KIND_"));
    while (out_->vocab_names[size_t(Vocab::kAddressKind)].size() <= size_t(v->number())) {
      out_->vocab_names[size_t(Vocab::kAddressKind)].push_back("");
    }
    out_->vocab_names[size_t(Vocab::kAddressKind)][v->number()] = n;
    out_->vocab_ids[size_t(Vocab::kAddressKind)][n] = v->number();
  }
}

void Compiler::DeclareParameters(const ParsedFile& f) {
  for (int i = 0; i < f.file.parameter_size(); ++i) {
    const auto& p = f.file.parameter(i);
    Where w = WhereOf(f, "parameter", i, "parameter " + p.name());
    if (p.name().empty()) {
      Error(w, "parameter without name");
    } else if (out_->param_slots.count(p.name())) {
      Error(w, "duplicate parameter");
    } else {
      int s = slot::kFirstParam + int(out_->params.size());
      if (s >= slot::kMaxNumbers) {
        Error(w, "too many parameters");
        continue;
      }
      out_->param_slots[p.name()] = s;
      out_->params.emplace_back(p.name(), s);
      if (p.has_computed()) computed_.emplace_back(&p, w);
    }
  }
}

void Compiler::DeclareVocabularies(const ParsedFile& f) {
  for (int i = 0; i < f.file.vocabulary_size(); ++i) {
    const auto& v = f.file.vocabulary(i);
    Vocab target = v.kind() == v1::VocabularyDecl::KIND_FEATURE    ? Vocab::kFeature
                   : v.kind() == v1::VocabularyDecl::KIND_END_USE  ? Vocab::kEndUse
                   : v.kind() == v1::VocabularyDecl::KIND_ECCN_TAG ? Vocab::kEccnTag
                                                                   : Vocab::kNone;
    Where w = WhereOf(f, "vocabulary", i, "vocabulary");
    if (target == Vocab::kNone) {
      Error(w, "vocabulary without kind");
      continue;
    }
    for (const auto& code : v.codes()) {
      if (code.code().empty() || out_->Id(target, code.code()) >= 0) {
        Error(w, absl::StrCat("empty or duplicate code \"", code.code(), "\""));
        continue;
      }
      if (Intern(target, code.code()) >= kMaxVocab) {
        Error(w, "vocabulary too large");
      }
    }
  }
}

void Compiler::DeclareCountryGroups(const ParsedFile& f) {
  for (int i = 0; i < f.file.country_group_size(); ++i) {
    const auto& g = f.file.country_group(i);
    Where w = WhereOf(f, "country_group", i, g.meta().id());
    CompiledMeta m;
    CompileMeta(g.meta(), w, &m);
    ++out_->rule_count;
    if (g.code().empty() || out_->Id(Vocab::kGroup, g.code()) >= 0) {
      Error(w, absl::StrCat("empty or duplicate group code \"", g.code(), "\""));
      continue;
    }
    int gid = Intern(Vocab::kGroup, g.code());
    std::vector<std::string> members;
    for (const auto& c : g.countries()) {
      if (!IsCountryCode(c)) {
        Error(w, absl::StrCat("bad country code \"", c, "\""));
        continue;
      }
      members.push_back(c);
      Intern(Vocab::kCountry, c);
    }
    group_members_.emplace_back(gid, std::move(members));
  }
}

void Compiler::DeclareCountryAliases(const ParsedFile& f) {
  for (int i = 0; i < f.file.country_alias_size(); ++i) {
    const auto& a = f.file.country_alias(i);
    Where w = WhereOf(f, "country_alias", i, a.meta().id());
    CompiledMeta m;
    CompileMeta(a.meta(), w, &m);
    ++out_->rule_count;
    if (!IsCountryCode(a.from()) || !IsCountryCode(a.to())) {
      Error(w, "country alias needs ISO alpha-2 from and to");
      continue;
    }
    Intern(Vocab::kCountry, a.from());
    Intern(Vocab::kCountry, a.to());
    out_->alias_meta.push_back(m);
  }
}

void Compiler::DeclareEccns(const ParsedFile& f) {
  for (int i = 0; i < f.file.eccn_size(); ++i) {
    const auto& e = f.file.eccn(i);
    Where w = WhereOf(f, "eccn", i, "eccn " + e.eccn());
    if (e.eccn().empty() || out_->Id(Vocab::kEccn, e.eccn()) >= 0) {
      Error(w, "empty or duplicate ECCN declaration");
      continue;
    }
    Intern(Vocab::kEccn, e.eccn());
  }
}

void Compiler::DeclarePredicates(const ParsedFile& f) {
  for (int i = 0; i < f.file.predicate_size(); ++i) {
    const auto& p = f.file.predicate(i);
    Where w = WhereOf(f, "predicate", i, "predicate " + p.name());
    if (p.name().empty() || predicates_.count(p.name())) {
      Error(w, "empty or duplicate predicate name");
      continue;
    }
    predicates_[p.name()] = {&p, w};
  }
}

bool Compiler::CheckVocabularySizes() {
  if (out_->vocab_names[size_t(Vocab::kCountry)].size() > kMaxVocab ||
      out_->vocab_names[size_t(Vocab::kGroup)].size() > kMaxVocab ||
      out_->vocab_names[size_t(Vocab::kEccn)].size() >= kMaxVocab - 1) {
    errors_.push_back("-:0: -: too many countries, groups or ECCNs (max 256)");
    return false;
  }
  return true;
}

void Compiler::TagEccns(const std::vector<ParsedFile>& files) {
  out_->tags_of_eccn.resize(out_->vocab_names[size_t(Vocab::kEccn)].size());
  for (const auto& f : files) {
    for (int i = 0; i < f.file.eccn_size(); ++i) {
      const auto& e = f.file.eccn(i);
      int id = out_->Id(Vocab::kEccn, e.eccn());
      Where w = WhereOf(f, "eccn", i, "eccn " + e.eccn());
      for (const auto& t : e.tags()) {
        int tid = ResolveValue(Vocab::kEccnTag, t, w);
        if (tid >= 0 && id >= 0) out_->tags_of_eccn[id].Set(tid);
      }
    }
  }
}

void Compiler::CheckAllPredicates() {
  for (const auto& [name, pw] : predicates_) {
    if (!pw.first->has_condition()) continue;
    size_t nodes = out_->nodes.size(), kids = out_->children.size();
    CondInfo info;
    CompileCond(pw.first->condition(), nullptr, pw.second, Stage::kAfterLicensing, &info, 0);
    out_->nodes.resize(nodes);
    out_->children.resize(kids);
  }
}

void Compiler::ResolveLicenseReferences() {
  for (uint32_t i = 0; i < out_->licenses.size(); ++i) {
    license_index_[out_->licenses[i].meta.id] = i;
  }
  for (size_t i = 0; i < policy_replaces_.size(); ++i) {
    ResolveLicenseIds(policy_replaces_[i].first, policy_replaces_[i].second,
                      &out_->review_policies[i].replaces);
  }
  for (size_t i = 0; i < exception_for_.size(); ++i) {
    ResolveLicenseIds(exception_for_[i].first, exception_for_[i].second,
                      &out_->exceptions[i].for_licenses);
  }
}

void Compiler::ResolveLicenseIds(const std::vector<std::string>& ids, const Where& w,
                                 std::vector<uint32_t>* out) {
  for (const auto& id : ids) {
    auto it = license_index_.find(id);
    if (it == license_index_.end()) {
      Error(w, absl::StrCat("unknown licence rule id \"", id, "\""));
    } else {
      out->push_back(it->second);
    }
  }
}

void Compiler::ResolveComputedParams() {
  for (const auto& [p, w] : computed_) {
    ResolvedAttr num, den;
    const bool ok_num =
        ResolveAttr(p->computed().numerator(), &num) && num.type == ValueType::kNumber;
    const bool ok_den =
        ResolveAttr(p->computed().denominator(), &den) && den.type == ValueType::kNumber;
    if (!ok_num || !ok_den) {
      Error(w,
            absl::StrCat("computed: operands must be number attributes (\"",
                         p->computed().numerator(), "\" / \"", p->computed().denominator(), "\")"));
      continue;
    }
    out_->computed_params.push_back({out_->param_slots[p->name()], num.slot, den.slot, p->name()});
  }
}

void Compiler::ResolveDestinationGroups() {
  for (auto& entry_by_eccn : out_->ccl.entries) {
    CCclEntry& entry = entry_by_eccn.second;
    for (auto& k : entry.controls) {
      const auto resolve = [&](const std::vector<std::string>& codes, std::vector<int>* ids) {
        ids->clear();
        for (const std::string& d : codes) {
          if (d.size() <= 2) continue;  // a country code
          const int g = out_->Id(Vocab::kGroup, d);
          if (g < 0) {
            errors_.push_back(
                absl::StrCat("-:0: ccl.", entry.eccn, ": unknown country group \"", d, "\""));
          } else {
            ids->push_back(g);
          }
        }
      };
      resolve(k.destinations, &k.group_ids);
      resolve(k.except_destinations, &k.except_group_ids);
    }
  }
}

bool Compiler::FinaliseCountries(const std::vector<ParsedFile>& files) {
  size_t nc = out_->vocab_names[size_t(Vocab::kCountry)].size();
  // Id 255 is reserved by the engine for "a country no rule names".
  if (nc >= kMaxVocab - 1) {
    errors_.push_back("-:0: -: too many countries (max 254)");
    return false;
  }
  out_->groups_of_country.assign(nc, Bits256{});
  for (const auto& [gid, members] : group_members_) {
    for (const auto& c : members) {
      out_->groups_of_country[out_->Id(Vocab::kCountry, c)].Set(gid);
    }
  }
  out_->country_alias.assign(nc, -1);
  for (const auto& f : files) {
    for (const auto& a : f.file.country_alias()) {
      int from = out_->Id(Vocab::kCountry, a.from());
      int to = out_->Id(Vocab::kCountry, a.to());
      if (from >= 0 && to >= 0) out_->country_alias[from] = int16_t(to);
    }
  }
  return true;
}

void Compiler::SortAndBucket() {
  // Stable order: highest precedence first, then file order.
  std::stable_sort(out_->classifications.begin(), out_->classifications.end(),
                   [](const CClassification& a, const CClassification& b) {
                     return a.precedence > b.precedence;
                   });
  FillKindBuckets(out_->classifications, &out_->classification_buckets);
  FillKindBuckets(out_->licenses, &out_->license_buckets);
  FillKindBuckets(out_->exceptions, &out_->exception_buckets);
  FillKindBuckets(out_->red_flags, &out_->red_flag_buckets);
}

bool Compiler::CompileMeta(const v1::RuleMeta& m, const Where& w, CompiledMeta* out) {
  bool ok = true;
  if (m.id().empty()) {
    Error(w, "missing id");
    ok = false;
  } else if (auto it = ids_.find(m.id()); it != ids_.end()) {
    Error(w, absl::StrCat("duplicate id (first defined at ", *it->second.file, ":", it->second.line,
                          ")"));
    ok = false;
  } else {
    ids_.emplace(m.id(), w);
  }
  if (m.title().empty()) Error(w, "missing title"), ok = false;
  if (m.citation().empty()) Error(w, "missing citation"), ok = false;
  if (m.jurisdiction().empty()) Error(w, "missing jurisdiction"), ok = false;
  if (!ParseDay(m.effective_from(), &out->from)) {
    Error(w, absl::StrCat("bad or missing effective_from \"", m.effective_from(),
                          "\" (want YYYY-MM-DD)"));
    ok = false;
  }
  if (!m.effective_until().empty()) {
    if (!ParseDay(m.effective_until(), &out->until)) {
      Error(w, absl::StrCat("bad effective_until \"", m.effective_until(), "\" (want YYYY-MM-DD)"));
      ok = false;
    } else {
      out->has_until = true;
      if (out->until <= out->from) {
        Error(w, "effective_until must be after effective_from");
        ok = false;
      }
    }
  }
  for (const auto& s : m.suspended()) {
    absl::CivilDay a, b(9999, 12, 31);
    if (!ParseDay(s.from(), &a) || (!s.until().empty() && !ParseDay(s.until(), &b))) {
      Error(w, absl::StrCat("bad suspension dates \"", s.from(), "\"..\"", s.until(), "\""));
      ok = false;
      continue;
    }
    if (b <= a) {
      Error(w, "suspension ends before it starts");
      ok = false;
    }
    out->suspended.emplace_back(a, b);
    out->suspension_reasons.push_back(s.reason());
  }
  out->from_text = m.effective_from();
  out->until_text = m.effective_until();
  out->id = m.id();
  out->title = m.title();
  out->citation = m.citation();
  out->jurisdiction = m.jurisdiction();
  out->notes = m.notes();
  out->uncertain = m.uncertain();
  out->file = *w.file;
  out->line = w.line;
  return ok;
}

}  // namespace exportscreen::rules::compiler_internal
