// Rule compiler, overlap analysis: two classification rules of a kind must
// not both hold at the same precedence, and never with the same condition.
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/rules/rule_compiler.h"

namespace exportscreen::rules::compiler_internal {
namespace {

// Canonical text of a condition: children sorted, so reordering all/any
// children does not hide an exact duplicate.
std::string Canonical(const v1::Condition& c) {
  auto list = [](const char* op, const google::protobuf::RepeatedPtrField<v1::Condition>& l) {
    std::vector<std::string> parts;
    for (const auto& x : l) parts.push_back(Canonical(x));
    std::sort(parts.begin(), parts.end());
    return absl::StrCat(op, "(", absl::StrJoin(parts, ","), ")");
  };
  if (c.all_size() > 0) return list("all", c.all());
  if (c.any_size() > 0) return list("any", c.any());
  if (c.has_not_()) return absl::StrCat("not(", Canonical(c.not_()), ")");
  if (!c.ref().empty()) return absl::StrCat("ref(", c.ref(), ")");
  std::string s = c.attr();
  if (c.has_ge()) absl::StrAppend(&s, ">=", c.ge());
  if (c.has_gt()) absl::StrAppend(&s, ">", c.gt());
  if (c.has_le()) absl::StrAppend(&s, "<=", c.le());
  if (c.has_lt()) absl::StrAppend(&s, "<", c.lt());
  if (c.has_eq()) absl::StrAppend(&s, "==", c.eq());
  if (c.in_size() > 0) {
    std::vector<std::string> v(c.in().begin(), c.in().end());
    std::sort(v.begin(), v.end());
    absl::StrAppend(&s, " in[", absl::StrJoin(v, ","), "]");
  }
  if (c.has_is()) absl::StrAppend(&s, " is ", c.is());
  if (c.has_has()) absl::StrAppend(&s, " has ", c.has());
  if (c.has_any_size() > 0) {
    std::vector<std::string> v(c.has_any().begin(), c.has_any().end());
    std::sort(v.begin(), v.end());
    absl::StrAppend(&s, " has_any[", absl::StrJoin(v, ","), "]");
  }
  if (c.has_known()) absl::StrAppend(&s, " known ", c.known());
  return s;
}

// Numeric interval for the overlap analysis.
struct Interval {
  double lo = -std::numeric_limits<double>::infinity();
  bool lo_closed = false;
  double hi = std::numeric_limits<double>::infinity();
  bool hi_closed = false;
};
bool Disjoint(const Interval& a, const Interval& b) {
  // a entirely below b, or b entirely below a.
  auto below = [](const Interval& x, const Interval& y) {
    return x.hi < y.lo || (x.hi == y.lo && !(x.hi_closed && y.lo_closed));
  };
  return below(a, b) || below(b, a);
}

// Facts a classification rule's top-level "all" pins down.
struct Constraints {
  std::map<std::string, Interval> num;
  std::map<std::string, bool> boolean;
  std::map<std::string, std::set<std::string>> sym;
};

// Kinds required by a classification condition's top level, and the
// constraints its top-level "all" pins down.
bool TopLevel(const v1::Condition& c, std::set<std::string>* kinds, Constraints* k) {
  std::vector<const v1::Condition*> leaves;
  if (c.all_size() > 0) {
    for (const auto& x : c.all()) leaves.push_back(&x);
  } else {
    leaves.push_back(&c);
  }
  bool has_kind = false;
  for (const v1::Condition* l : leaves) {
    if (l->attr().empty()) continue;
    if (l->attr() == "item.kind" && (l->has_eq() || l->in_size() > 0)) {
      has_kind = true;
      if (l->has_eq()) kinds->insert(l->eq());
      kinds->insert(l->in().begin(), l->in().end());
    }
    if (l->has_ge() || l->has_gt() || l->has_le() || l->has_lt()) {
      Interval& iv = k->num[l->attr()];
      if (l->has_ge() && l->ge() >= iv.lo) iv.lo = l->ge(), iv.lo_closed = true;
      if (l->has_gt() && l->gt() >= iv.lo) iv.lo = l->gt(), iv.lo_closed = false;
      if (l->has_le() && l->le() <= iv.hi) iv.hi = l->le(), iv.hi_closed = true;
      if (l->has_lt() && l->lt() <= iv.hi) iv.hi = l->lt(), iv.hi_closed = false;
    }
    if (l->has_is()) k->boolean[l->attr()] = l->is();
    if (l->has_eq() || l->in_size() > 0) {
      auto& s = k->sym[l->attr()];
      if (l->has_eq()) s.insert(l->eq());
      s.insert(l->in().begin(), l->in().end());
    }
  }
  return has_kind;
}

bool ProvablyDisjoint(const Constraints& a, const Constraints& b) {
  for (const auto& [attr, iv] : a.num) {
    auto it = b.num.find(attr);
    if (it != b.num.end() && Disjoint(iv, it->second)) return true;
  }
  for (const auto& [attr, v] : a.boolean) {
    auto it = b.boolean.find(attr);
    if (it != b.boolean.end() && it->second != v) return true;
  }
  for (const auto& [attr, s] : a.sym) {
    auto it = b.sym.find(attr);
    if (it == b.sym.end()) continue;
    bool common = false;
    for (const auto& x : s) common |= it->second.count(x) > 0;
    if (!common) return true;
  }
  return false;
}

}  // namespace

void Compiler::CheckOverlaps(const std::vector<const v1::ClassificationRule*>& src,
                             const std::vector<Where>& where) {
  size_t n = src.size();
  std::vector<std::set<std::string>> kinds(n);
  std::vector<Constraints> cons(n);
  std::vector<std::string> canon(n);
  for (size_t i = 0; i < n; ++i) {
    if (!TopLevel(src[i]->condition(), &kinds[i], &cons[i])) {
      Error(where[i],
            "classification condition must test \"item.kind\" (eq or in) at "
            "its top level");
    }
    canon[i] = Canonical(src[i]->condition());
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      bool same_kind = false;
      for (const auto& k : kinds[i]) same_kind |= kinds[j].count(k) > 0;
      if (!same_kind) continue;
      if (canon[i] == canon[j]) {
        Error(where[j],
              absl::StrCat("overlapping classification: same "
                           "condition as ",
                           src[i]->meta().id(), " (", *where[i].file, ":", where[i].line, ")"));
        continue;
      }
      if (src[i]->precedence() == src[j]->precedence() && !ProvablyDisjoint(cons[i], cons[j])) {
        Error(where[j],
              absl::StrCat("overlapping classification: may hold together "
                           "with ",
                           src[i]->meta().id(), " (", *where[i].file, ":", where[i].line, ", ECCN ",
                           src[i]->eccn(), " vs ", src[j]->eccn(), ") at the same precedence ",
                           src[j]->precedence(), "; give them distinct precedences"));
      }
    }
  }
}

}  // namespace exportscreen::rules::compiler_internal
