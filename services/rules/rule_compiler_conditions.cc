// Rule compiler, conditions: a text-format Condition -> nodes of the flat
// array CompiledRules evaluates (see compiled_rules.h), with attributes
// resolved to slots and values to vocabulary ids.
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/rules/rule_compiler.h"

namespace exportscreen::rules::compiler_internal {

using google::protobuf::FieldDescriptor;

int Compiler::Intern(Vocab v, const std::string& name) {
  auto& ids = out_->vocab_ids[size_t(v)];
  auto it = ids.find(name);
  if (it != ids.end()) return it->second;
  int id = int(out_->vocab_names[size_t(v)].size());
  out_->vocab_names[size_t(v)].push_back(name);
  ids.emplace(name, id);
  return id;
}

int Compiler::ResolveValue(Vocab v, const std::string& value, const Where& w) {
  if (v == Vocab::kCountry) {
    if (!IsCountryCode(value)) {
      Error(w,
            absl::StrCat("bad country code \"", value, "\" (want ISO 3166-1 alpha-2, upper case)"));
      return -1;
    }
    int id = Intern(Vocab::kCountry, value);
    if (id >= kMaxVocab) {
      Error(w, "too many countries");
      return -1;
    }
    return id;
  }
  int id = out_->Id(v, value);
  if (id < 0) {
    const char* what = v == Vocab::kGroup         ? "unknown country group"
                       : v == Vocab::kEccn        ? "unknown ECCN (declare it in an eccn block)"
                       : v == Vocab::kEccnTag     ? "unknown ECCN tag"
                       : v == Vocab::kFeature     ? "unknown item feature"
                       : v == Vocab::kEndUse      ? "unknown end-use code"
                       : v == Vocab::kItemKind    ? "unknown item kind"
                       : v == Vocab::kAddressKind ? "unknown address kind"
                                                  : "unknown value";
    Error(w, absl::StrCat(what, " \"", value, "\""));
  }
  return id;
}

int Compiler::AttrIndex(const std::string& name) {
  auto it = attr_index_.find(name);
  if (it != attr_index_.end()) return it->second;
  int i = int(out_->attr_names.size());
  out_->attr_names.push_back(name);
  attr_index_.emplace(name, i);
  return i;
}

bool Compiler::ResolveAttr(const std::string& name, ResolvedAttr* r) {
  if (ResolveBuiltinAttr(name, r)) return true;
  if (absl::StartsWith(name, kParamPrefix)) {
    auto it = out_->param_slots.find(name.substr(strlen(kParamPrefix)));
    if (it == out_->param_slots.end()) return false;
    *r = {ValueType::kNumber, Vocab::kNone, it->second, true, Stage::kClassification};
    return true;
  }
  return false;
}

std::vector<Recorded> Compiler::CompileRecord(
    const google::protobuf::RepeatedPtrField<std::string>& names, const Where& w) {
  std::vector<Recorded> out;
  for (const auto& n : names) {
    ResolvedAttr a;
    if (!ResolveAttr(n, &a)) {
      Error(w, absl::StrCat("unknown attribute in record: \"", n, "\""));
      continue;
    }
    out.push_back({uint16_t(AttrIndex(n)), a.type, uint8_t(a.slot)});
  }
  return out;
}

int64_t Compiler::Emit(const Node& n) {
  out_->nodes.push_back(n);
  return int64_t(out_->nodes.size() - 1);
}

int64_t Compiler::EmitParent(Node::Op op, const std::vector<uint32_t>& kids) {
  Node n;
  n.op = op;
  n.first_child = uint32_t(out_->children.size());
  n.child_count = uint32_t(kids.size());
  out_->children.insert(out_->children.end(), kids.begin(), kids.end());
  return Emit(n);
}

int64_t Compiler::CompileCond(const v1::Condition& c, const ParseInfoTree* tree, const Where& w,
                              Stage stage, CondInfo* info, int depth) {
  const auto* d = v1::Condition::descriptor();
  if (depth > 64) {
    Error(w, "condition nested too deeply");
    return -1;
  }
  int kinds =
      (c.all_size() > 0) + (c.any_size() > 0) + c.has_not_() + !c.ref().empty() + !c.attr().empty();
  if (kinds != 1) {
    Error(w, kinds == 0 ? "empty condition (need all, any, not, ref or attr)"
                        : "condition mixes all/any/not/ref/attr; use one");
    return -1;
  }
  if (c.all_size() > 0) {
    return CompileList(Node::Op::kAll, d->FindFieldByName("all"), c.all(), tree, w, stage, info,
                       depth);
  }
  if (c.any_size() > 0) {
    return CompileList(Node::Op::kAny, d->FindFieldByName("any"), c.any(), tree, w, stage, info,
                       depth);
  }
  if (c.has_not_()) return CompileNot(c, tree, w, stage, info, depth);
  if (!c.ref().empty()) return CompileRef(c, w, stage, info, depth);
  return CompileLeaf(c, tree, w, stage, info);
}

int64_t Compiler::CompileList(Node::Op op, const FieldDescriptor* f, const Conditions& l,
                              const ParseInfoTree* tree, const Where& w, Stage stage,
                              CondInfo* info, int depth) {
  std::vector<uint32_t> kids;
  bool ok = true;
  for (int i = 0; i < l.size(); ++i) {
    Where cw = w;
    cw.line = LineOf(tree, f, i, w.line);
    const ParseInfoTree* sub = tree ? tree->GetTreeForNested(f, i) : nullptr;
    int64_t k = CompileCond(l.Get(i), sub, cw, stage, info, depth + 1);
    if (k < 0) {
      ok = false;
    } else {
      kids.push_back(uint32_t(k));
    }
  }
  if (!ok) return -1;
  return EmitParent(op, kids);
}

int64_t Compiler::CompileNot(const v1::Condition& c, const ParseInfoTree* tree, const Where& w,
                             Stage stage, CondInfo* info, int depth) {
  const FieldDescriptor* f = v1::Condition::descriptor()->FindFieldByName("not");
  Where cw = w;
  cw.line = LineOf(tree, f, -1, w.line);
  int64_t k = CompileCond(c.not_(), tree ? tree->GetTreeForNested(f, -1) : nullptr, cw, stage, info,
                          depth + 1);
  if (k < 0) return -1;
  return EmitParent(Node::Op::kNot, {uint32_t(k)});
}

int64_t Compiler::CompileRef(const v1::Condition& c, const Where& w, Stage stage, CondInfo* info,
                             int depth) {
  auto it = predicates_.find(c.ref());
  if (it == predicates_.end()) {
    Error(w, absl::StrCat("unknown predicate \"", c.ref(), "\""));
    return -1;
  }
  if (expanding_.count(c.ref())) {
    Error(w, absl::StrCat("predicate \"", c.ref(), "\" refers to itself"));
    return -1;
  }
  // Inlined: a predicate is compiled at each use, with errors reported at
  // the predicate's own line.
  expanding_.insert(c.ref());
  const v1::PredicateDef* p = it->second.first;
  Where pw = it->second.second;
  pw.id = absl::StrCat(w.id, " (via predicate ", c.ref(), ")");
  int64_t r;
  if (!p->has_condition()) {
    Error(pw, "predicate has no condition");
    r = -1;
  } else {
    r = CompileCond(p->condition(), nullptr, pw, stage, info, depth + 1);
  }
  expanding_.erase(c.ref());
  return r;
}

int64_t Compiler::CompileLeaf(const v1::Condition& c, const ParseInfoTree* tree, const Where& outer,
                              Stage stage, CondInfo* info) {
  Where w = outer;
  w.line = LineOf(tree, v1::Condition::descriptor()->FindFieldByName("attr"), -1, w.line);
  ResolvedAttr a;
  if (!ResolveAttr(c.attr(), &a)) {
    Error(w, absl::StrCat("unknown attribute \"", c.attr(), "\""));
    return -1;
  }
  if (a.stage > stage) {
    Error(w, absl::StrCat("attribute \"", c.attr(), "\" is not available at ", StageName(stage),
                          " (first available at ", StageName(a.stage), ")"));
    return -1;
  }
  if (a.item) info->item_scope = true;
  Node base;
  base.type = a.type;
  base.slot = uint8_t(a.slot);
  base.attr = uint16_t(AttrIndex(c.attr()));
  if (base.attr >= out_->attr_vocab.size()) {
    out_->attr_vocab.resize(base.attr + 1, Vocab::kNone);
  }
  out_->attr_vocab[base.attr] = a.vocab;

  bool numeric = c.has_ge() || c.has_gt() || c.has_le() || c.has_lt();
  bool symbol = c.has_eq() || c.in_size() > 0;
  bool boolean = c.has_is();
  bool set = c.has_has() || c.has_any_size() > 0;
  bool known = c.has_known();
  int tests = numeric + symbol + boolean + set + known;
  if (tests != 1) {
    Error(w, tests == 0 ? absl::StrCat("attribute \"", c.attr(), "\" has no test")
                        : "leaf mixes tests of different kinds");
    return -1;
  }
  if (c.has_eq() && c.in_size() > 0) {
    Error(w, "use eq or in, not both");
    return -1;
  }
  if (c.has_has() && c.has_any_size() > 0) {
    Error(w, "use has or has_any, not both");
    return -1;
  }
  auto mismatch = [&](const char* test, ValueType want) {
    Error(w, absl::StrCat("type mismatch: \"", c.attr(), "\" is ", TypeName(a.type), ", test '",
                          test, "' needs ", TypeName(want)));
    return int64_t{-1};
  };
  if (known) {
    Node n = base;
    n.op = a.type == ValueType::kNumber   ? Node::Op::kKnownNumber
           : a.type == ValueType::kBool   ? Node::Op::kKnownBool
           : a.type == ValueType::kSymbol ? Node::Op::kKnownSymbol
                                          : Node::Op::kKnownSet;
    n.want = c.known();
    return Emit(n);
  }
  if (numeric) {
    if (a.type != ValueType::kNumber) {
      return mismatch(c.has_ge()   ? "ge"
                      : c.has_gt() ? "gt"
                      : c.has_le() ? "le"
                                   : "lt",
                      ValueType::kNumber);
    }
    return CompileBounds(c, base);
  }
  if (boolean) {
    if (a.type != ValueType::kBool) return mismatch("is", ValueType::kBool);
    Node n = base;
    n.op = Node::Op::kBoolIs;
    n.want = c.is();
    return Emit(n);
  }
  if (symbol && a.type != ValueType::kSymbol) {
    return mismatch(c.has_eq() ? "eq" : "in", ValueType::kSymbol);
  }
  if (!symbol && a.type != ValueType::kSet) {
    return mismatch(c.has_has() ? "has" : "has_any", ValueType::kSet);
  }
  return CompileValueTest(c, a, base, w);
}

int64_t Compiler::CompileBounds(const v1::Condition& c, const Node& base) {
  std::vector<Node> bounds;
  auto add = [&](Node::Op op, double v) {
    Node n = base;
    n.op = op;
    n.value = v;
    bounds.push_back(n);
  };
  if (c.has_ge()) add(Node::Op::kGe, c.ge());
  if (c.has_gt()) add(Node::Op::kGt, c.gt());
  if (c.has_le()) add(Node::Op::kLe, c.le());
  if (c.has_lt()) add(Node::Op::kLt, c.lt());
  if (bounds.size() == 1) return Emit(bounds[0]);
  std::vector<uint32_t> kids;
  for (const Node& b : bounds) kids.push_back(uint32_t(Emit(b)));
  return EmitParent(Node::Op::kAll, kids);
}

int64_t Compiler::CompileValueTest(const v1::Condition& c, const ResolvedAttr& a, const Node& base,
                                   const Where& w) {
  const bool symbol = c.has_eq() || c.in_size() > 0;
  std::vector<std::string> values;
  if (symbol) {
    if (c.has_eq()) values.push_back(c.eq());
    values.insert(values.end(), c.in().begin(), c.in().end());
  } else {
    if (c.has_has()) values.push_back(c.has());
    values.insert(values.end(), c.has_any().begin(), c.has_any().end());
  }
  Node n = base;
  n.op = symbol ? Node::Op::kSymIn : Node::Op::kSetIntersects;
  bool ok = true;
  for (const auto& v : values) {
    int id = ResolveValue(a.vocab, v, w);
    if (id < 0) {
      ok = false;
    } else {
      n.mask.Set(id);
    }
  }
  if (!ok) return -1;
  return Emit(n);
}

Cond Compiler::CompileTop(const v1::Condition& c, const ParseInfoTree* tree, const Where& w,
                          Stage stage, bool allow_item) {
  CondInfo info;
  Cond out;
  int64_t r = CompileCond(c, tree, w, stage, &info, 0);
  if (r >= 0) {
    out.root = uint32_t(r);
    out.item_scope = info.item_scope;
    out.first_gate = uint32_t(out_->gates.size());
    CollectGates(out.root);
    out.gate_count = uint32_t(out_->gates.size()) - out.first_gate;
    for (uint32_t k = 0; k < out.gate_count; ++k) {
      const Node& g = out_->nodes[out_->gates[out.first_gate + k]];
      if (g.op == Node::Op::kSymIn && g.slot == slot::kKind) {
        out.kind_mask &= g.mask.w[0];
      }
    }
    if (!allow_item && info.item_scope) {
      Error(w, "condition may not test item attributes here");
    }
  }
  return out;
}

LocationUse Compiler::LocationUseOf(uint32_t root) const {
  LocationUse use;
  std::vector<uint32_t> stack = {root};
  while (!stack.empty()) {
    const Node& n = out_->nodes[stack.back()];
    stack.pop_back();
    for (uint32_t k = 0; k < n.child_count; ++k) {
      stack.push_back(out_->children[n.first_child + k]);
    }
    const bool bool_test = n.op == Node::Op::kBoolIs || n.op == Node::Op::kKnownBool;
    if (bool_test && n.slot == slot::kLocationMismatch) use.mismatch = true;
    if (bool_test && n.slot == slot::kSerialsUnseen) use.unseen = true;
    if (n.op != Node::Op::kSetIntersects) continue;
    if (n.slot == slot::kLocationCountries) {
      use.countries = true;
      use.country_mask.Or(n.mask);
    } else if (n.slot == slot::kLocationGroups) {
      use.groups = true;
      use.group_mask.Or(n.mask);
    }
  }
  return use;
}

void Compiler::CollectGates(uint32_t i) {
  const Node& n = out_->nodes[i];
  switch (n.op) {
    case Node::Op::kAll:
      for (uint32_t k = 0; k < n.child_count; ++k) {
        CollectGates(out_->children[n.first_child + k]);
      }
      break;
    case Node::Op::kSymIn:
    case Node::Op::kSetIntersects:
    case Node::Op::kBoolIs:
      out_->gates.push_back(i);
      break;
    default:
      break;
  }
}

}  // namespace exportscreen::rules::compiler_internal
