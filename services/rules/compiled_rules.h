// CompiledRules: the evaluation form of a rule set, produced by
// RuleSet::Compile and read by services/engine. Attribute names, country
// groups, ECCNs and vocabulary codes are resolved to slots and small integer
// ids at compile time, so evaluation does no string work: a condition is a
// flat node array; symbols and sets are 256-bit masks.
//
// Thread-safety: immutable after Compile; any number of threads may evaluate
// concurrently, each with its own EvalContext.
//
// Logic is three-valued (Kleene): a leaf on an attribute the request does not
// give is kUnknown; all/any/not propagate it. Callers turn kUnknown into a
// REVIEW finding (fail closed), naming the missing attributes (Explain).
#ifndef EXPORTSCREEN_SERVICES_RULES_COMPILED_RULES_H_
#define EXPORTSCREEN_SERVICES_RULES_COMPILED_RULES_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/civil_time.h"
#include "exportscreen/v1/rules.pb.h"
#include "exportscreen/v1/screening.pb.h"

namespace exportscreen::rules {

enum class Tri : uint8_t { kFalse = 0, kTrue = 1, kUnknown = 2 };

// A set of up to 256 small ids (countries, groups, tags ...).
struct Bits256 {
  std::array<uint64_t, 4> w{};
  // Out-of-range members (an enum number outside the proto, a sentinel
  // symbol) are not representable: Set ignores them, Test is false.
  static constexpr bool InRange(int i) { return unsigned(i) < 256u; }
  void Set(int i) {
    if (InRange(i)) w[size_t(i) >> 6] |= uint64_t{1} << (i & 63);
  }
  bool Test(int i) const { return InRange(i) && ((w[size_t(i) >> 6] >> (i & 63)) & 1); }
  bool Intersects(const Bits256& o) const {
    return ((w[0] & o.w[0]) | (w[1] & o.w[1]) | (w[2] & o.w[2]) | (w[3] & o.w[3])) != 0;
  }
  bool Empty() const { return (w[0] | w[1] | w[2] | w[3]) == 0; }
  void Or(const Bits256& o) {
    for (int i = 0; i < 4; ++i) w[i] |= o.w[i];
  }
  bool operator==(const Bits256& o) const { return w == o.w; }
};
inline constexpr int kMaxVocab = 256;

enum class ValueType : uint8_t { kNumber, kBool, kSymbol, kSet };

// Which vocabulary a symbol or set attribute draws its values from.
enum class Vocab : uint8_t {
  kNone,
  kItemKind,     // ItemKind enum names without prefix ("IC", "COMPUTER" ...)
  kCountry,      // ISO alpha-2 codes
  kGroup,        // country group codes ("D:5")
  kEccn,         // EccnDecl.eccn
  kEccnTag,      // VocabularyDecl KIND_ECCN_TAG
  kFeature,      // VocabularyDecl KIND_FEATURE
  kEndUse,       // VocabularyDecl KIND_END_USE
  kAddressKind,  // AddressKind enum names without prefix ("RESIDENTIAL" ...)
  kCount
};

// Evaluation stages: an attribute is usable by rules of its stage or later.
enum class Stage : uint8_t {
  kClassification = 0,  // item parameters, destination, parties
  kLicensing = 1,       // + item.eccn, item.eccn_tags
  kAfterLicensing = 2,  // + item.license_required (exceptions, red flags)
};

// Fixed slots of the built-in attributes (the engine fills them).
namespace slot {
// Numbers.
inline constexpr int kTpp = 0, kPerformanceDensity = 1, kDieArea = 2, kMemoryBandwidth = 3,
                     kQuantity = 4, kUnitValue = 5, kMinCompanyAgeYears = 6,
                     kMaxListedOwnerPercent = 7, kFirstParam = 8, kMaxNumbers = 64;
// Bools.
inline constexpr int kDatacenter = 0, kLicenseRequired = 1, kLocationMismatch = 2,
                     kLocationAttested = 3, kAnyListHit = 4, kSerialsUnseen = 5, kMaxBools = 8;
// Symbols.
inline constexpr int kKind = 0, kEccn = 1, kDeclaredEccn = 2, kDestCountry = 3, kExportCountry = 4,
                     kMaxSymbols = 8;
// Sets.
inline constexpr int kFeatures = 0, kEccnTags = 1, kDestGroups = 2, kEndUses = 3, kHqCountries = 4,
                     kHqGroups = 5, kPartyCountries = 6, kAddressKinds = 7, kLocationCountries = 8,
                     kLocationGroups = 9, kMaxSets = 16;
}  // namespace slot

// Values of one evaluation (one item within one request). Transaction slots
// are filled once per request, item slots per item.
struct EvalContext {
  std::array<double, slot::kMaxNumbers> num{};
  uint64_t num_known = 0;
  std::array<Tri, slot::kMaxBools> boolean{};    // kUnknown if not given
  std::array<int16_t, slot::kMaxSymbols> sym{};  // -1 if not given
  std::array<Bits256, slot::kMaxSets> set{};
  uint16_t set_known = 0;

  EvalContext() {
    boolean.fill(Tri::kUnknown);
    sym.fill(-1);
  }
  void SetNumber(int s, double v) {
    num[s] = v;
    num_known |= uint64_t{1} << s;
  }
  void ClearNumber(int s) { num_known &= ~(uint64_t{1} << s); }
  bool HasNumber(int s) const { return (num_known >> s) & 1; }
  void SetSet(int s, const Bits256& b) {
    set[s] = b;
    set_known |= uint16_t(1u << s);
  }
};

// One node of a compiled condition.
struct Node {
  enum class Op : uint8_t {
    kAll,
    kAny,
    kNot,
    kGe,
    kGt,
    kLe,
    kLt,             // number
    kBoolIs,         // bool == value != 0
    kSymIn,          // symbol in mask
    kSetIntersects,  // set & mask != 0
    kKnownNumber,
    kKnownBool,
    kKnownSymbol,
    kKnownSet,
  };
  Op op = Op::kAll;
  ValueType type = ValueType::kNumber;
  uint8_t slot = 0;
  bool want = true;          // for known / bool tests
  uint32_t first_child = 0;  // into CompiledRules::children
  uint32_t child_count = 0;
  double value = 0;
  Bits256 mask;
  uint16_t attr = 0;  // index into CompiledRules::attr_names (explanations)
};

// A compiled condition: root node index, or kNoCondition (always true).
struct Cond {
  static constexpr uint32_t kNoCondition = 0xffffffffu;
  uint32_t root = kNoCondition;
  bool item_scope = false;
  // Gates: the symbol, set and bool leaves reached from the root through
  // `all` nodes only (CompiledRules::gates[first_gate, +gate_count)). If one
  // of them is false the whole condition is false (Kleene `all`), so Eval
  // tests them first and skips the tree: most rules do not concern most
  // items (wrong kind, ECCN tags or destination group).
  uint32_t first_gate = 0;
  uint32_t gate_count = 0;  // tests item attributes
  // Item kinds (ItemKind values < 64) for which the gates on item.kind can
  // hold: for a known kind outside it the condition is false. All ones if
  // no gate tests item.kind.
  uint64_t kind_mask = ~uint64_t{0};
  bool present() const { return root != kNoCondition; }
};

struct CompiledMeta {
  std::string id, title, citation, jurisdiction, notes;
  std::string action;                 // what a human does when it fires ("" if none)
  std::string from_text, until_text;  // effective dates as written
  bool uncertain = false;
  absl::CivilDay from;
  bool has_until = false;
  absl::CivilDay until;
  std::vector<std::pair<absl::CivilDay, absl::CivilDay>> suspended;  // [a, b)
  std::vector<std::string> suspension_reasons;
  std::string file;
  int line = 0;
  // In force on `d`: within [from, until) and not suspended.
  bool ActiveOn(absl::CivilDay d) const {
    if (d < from || (has_until && d >= until)) return false;
    for (const auto& [a, b] : suspended) {
      if (d >= a && d < b) return false;
    }
    return true;
  }
  // True if the rule would be in force but a suspension covers `d`.
  bool SuspendedOn(absl::CivilDay d) const {
    if (d < from || (has_until && d >= until)) return false;
    return !ActiveOn(d);
  }
};

// The Commerce Control List x Country Chart baseline (15 CFR 738.4),
// compiled from CclData. Column names and destinations are data.
struct CCclControl {
  enum class Kind : uint8_t { kColumn, kWorldwide, kDestinations, kReference, kNone };
  Kind kind = Kind::kReference;
  std::string reason;
  std::string column;                     // kColumn
  int column_bit = -1;                    // index into CclTable::columns
  std::vector<std::string> destinations;  // kDestinations: countries, groups
  std::vector<std::string> paragraphs, except_paragraphs;
  std::vector<std::string> except_destinations;
  // The group codes of destinations / except_destinations as group ids
  // (resolved at compile time; an unknown code is a compile error).
  std::vector<int> group_ids, except_group_ids;
  std::string control_text, chart_text;
  bool prose = false;
  // Replaced by hand-written rules (CclSupersession): not applied; the
  // determination names the supersession.
  const CompiledMeta* superseded_by = nullptr;
  std::string superseded_note;
  // Scope replaced by a CclSupersession with destinations: findings cite it.
  const CompiledMeta* replaced_by = nullptr;
};
struct CCclEntry {
  std::string eccn, heading;
  std::vector<CCclControl> controls;
};
struct CChartRow {
  std::string country, name, pointer;
  uint32_t marks = 0;  // bit i: CclTable::columns[i] has an X
  bool embargoed = false;
};
struct CclTable {
  bool present = false;
  CompiledMeta meta;
  std::vector<std::unique_ptr<CompiledMeta>> supersessions;
  std::vector<std::string> columns;                     // column names, by bit
  absl::flat_hash_map<std::string, CCclEntry> entries;  // by base ECCN
  absl::flat_hash_map<std::string, CChartRow> rows;     // by country code
  absl::flat_hash_map<std::string, std::string> governed_by;
  // The row for `country` (following 738.3(b) governed_by), or null.
  const CChartRow* Row(const std::string& country) const {
    auto it = rows.find(country);
    if (it != rows.end()) return &it->second;
    auto g = governed_by.find(country);
    if (g == governed_by.end()) return nullptr;
    it = rows.find(g->second);
    return it == rows.end() ? nullptr : &it->second;
  }
};

// An attribute reference recorded as a fact.
struct Recorded {
  uint16_t attr = 0;
  ValueType type = ValueType::kNumber;
  uint8_t slot = 0;
};

struct CClassification {
  CompiledMeta meta;
  Cond cond;
  int16_t eccn = -1;
  std::string eccn_name, paragraph;
  int precedence = 0;
  std::vector<Recorded> record;
};
struct CLicense {
  CompiledMeta meta;
  Cond cond;
  v1::Decision outcome = v1::DECISION_LICENSE_REQUIRED;
  std::string review_policy;
  std::vector<Recorded> record;
};
struct CReviewPolicy {
  CompiledMeta meta;
  Cond cond;
  std::vector<uint32_t> replaces;  // indices into licenses
  std::string review_policy;
  std::vector<Recorded> record;
};
struct CException {
  CompiledMeta meta;
  std::string code;
  Cond cond;
  std::vector<uint32_t> for_licenses;  // empty: any
  bool notice_required = false;
  std::vector<std::string> conditions;
};
struct CPartyList {
  CompiledMeta meta;
  std::vector<std::string> lists;  // list codes (compared per match, once)
  std::vector<int> footnotes_any;
  v1::MatchAction match_action = v1::MATCH_ACTION_BLOCK;
  bool applies_to_affiliates = false;
  Cond cond;
  v1::Decision outcome = v1::DECISION_REVIEW;
  bool all_items_license_required = false;
  std::string review_policy;
};
struct COwnership {
  CompiledMeta meta;
  std::vector<std::string> owner_lists;
  double min_percent = 50;
  bool aggregate = true;
};
// Which location attributes a condition reads, and the countries / groups
// its set tests name: when the rule fires, the engine shows the reports (or
// unseen serials) these concern. Computed at compile time.
struct LocationUse {
  bool mismatch = false, unseen = false, countries = false, groups = false;
  Bits256 country_mask, group_mask;
  bool any() const { return mismatch || unseen || countries || groups; }
};

struct CRedFlag {
  CompiledMeta meta;
  Cond cond;
  LocationUse location;
  v1::Decision outcome = v1::DECISION_REVIEW;
  std::vector<Recorded> record;
};
struct CFastPath {
  CompiledMeta meta;
  Cond cond;
};

struct CompiledRules {
  std::vector<Node> nodes;
  std::vector<uint32_t> children;
  std::vector<uint32_t> gates;          // node indices, see Cond
  std::vector<std::string> attr_names;  // for explanations and facts

  // Vocabularies: names by id, ids by name.
  std::array<std::vector<std::string>, size_t(Vocab::kCount)> vocab_names;
  std::array<absl::flat_hash_map<std::string, int>, size_t(Vocab::kCount)> vocab_ids;
  // Numeric parameter name -> number slot (item.param.<name>).
  absl::flat_hash_map<std::string, int> param_slots;
  std::vector<std::pair<std::string, int>> params;  // in slot order
  // Parameters computed as numerator / denominator (number slots), in
  // declaration order: {param slot, numerator slot, denominator slot}.
  struct ComputedParam {
    int slot, numerator, denominator;
    std::string name;
  };
  std::vector<ComputedParam> computed_params;

  // Country id -> groups it belongs to; alias (e.g. HK -> CN), by id.
  std::vector<Bits256> groups_of_country;
  std::vector<int16_t> country_alias;  // -1: none
  // Id of an ISO country code (any case) with its alias applied (HK -> CN);
  // -1 if empty or not in the rule set's country vocabulary.
  int CountryId(const std::string& code) const;
  // Alias metadata for the explanation.
  std::vector<CompiledMeta> alias_meta;
  // ECCN id -> tags.
  std::vector<Bits256> tags_of_eccn;

  std::vector<CClassification> classifications;  // by precedence, desc
  std::vector<CLicense> licenses;
  std::vector<CReviewPolicy> review_policies;
  std::vector<CException> exceptions;
  std::vector<CPartyList> party_lists;
  std::vector<COwnership> ownerships;
  std::vector<CRedFlag> red_flags;
  // Per item kind (ItemKind value < kKindBuckets), the indices of the rules
  // of each item-level family whose condition is not false for that kind,
  // in rule order; index kKindBuckets: all of them (kind unknown). The
  // engine evaluates only these: the others are false by their kind gate.
  static constexpr int kKindBuckets = 32;
  struct KindBuckets {
    std::array<std::vector<uint32_t>, kKindBuckets + 1> by_kind;
    const std::vector<uint32_t>& For(int16_t kind) const {
      return kind >= 0 && kind < kKindBuckets ? by_kind[size_t(kind)] : by_kind[kKindBuckets];
    }
  };
  KindBuckets classification_buckets, license_buckets, exception_buckets, red_flag_buckets;
  std::vector<CFastPath> fast_paths;
  CompiledMeta thresholds_meta;
  CclTable ccl;
  // First day the rule set models (Coverage.modelled_from); before it an
  // answer is REVIEW, never CLEAR. Unset: the earliest effective_from.
  bool has_modelled_from = false;
  absl::CivilDay modelled_from;
  CompiledMeta coverage_meta;
  double review_threshold = 0.85;
  double block_threshold = 0.95;

  int Id(Vocab v, const std::string& name) const {
    const auto& m = vocab_ids[size_t(v)];
    auto it = m.find(name);
    return it == m.end() ? -1 : it->second;
  }
  // The name of symbol `id`; ids outside the vocabulary (sentinels such as
  // "a country the rules never name") give kOutOfVocabulary.
  const std::string& Name(Vocab v, int id) const {
    const auto& names = vocab_names[size_t(v)];
    return id >= 0 && size_t(id) < names.size() ? names[size_t(id)] : OutOfVocabulary();
  }
  static const std::string& OutOfVocabulary() {
    static const std::string* const kName = new std::string("(not in the rule vocabulary)");
    return *kName;
  }

  Tri Eval(uint32_t n, const EvalContext& c) const;
  Tri Eval(const Cond& cond, const EvalContext& c) const {
    if (!cond.present()) return Tri::kTrue;
    for (uint32_t k = 0; k < cond.gate_count; ++k) {
      if (Eval(gates[cond.first_gate + k], c) == Tri::kFalse) return Tri::kFalse;
    }
    return Eval(cond.root, c);
  }
  // Names of the attributes whose missing values made `cond` unknown.
  void Explain(const Cond& cond, const EvalContext& c, std::vector<std::string>* missing) const;
  // Textual value of a recorded attribute ("" if unknown).
  std::string Format(const Recorded& r, const EvalContext& c, Vocab vocab) const;
  // Vocabulary of a set/symbol attribute by name index.
  std::vector<Vocab> attr_vocab;
  size_t rule_count = 0;
};

inline Tri CompiledRules::Eval(uint32_t i, const EvalContext& c) const {
  const Node& n = nodes[i];
  switch (n.op) {
    case Node::Op::kAll: {
      Tri r = Tri::kTrue;
      for (uint32_t k = 0; k < n.child_count; ++k) {
        Tri t = Eval(children[n.first_child + k], c);
        if (t == Tri::kFalse) return Tri::kFalse;
        if (t == Tri::kUnknown) r = Tri::kUnknown;
      }
      return r;
    }
    case Node::Op::kAny: {
      Tri r = Tri::kFalse;
      for (uint32_t k = 0; k < n.child_count; ++k) {
        Tri t = Eval(children[n.first_child + k], c);
        if (t == Tri::kTrue) return Tri::kTrue;
        if (t == Tri::kUnknown) r = Tri::kUnknown;
      }
      return r;
    }
    case Node::Op::kNot: {
      Tri t = Eval(children[n.first_child], c);
      return t == Tri::kUnknown ? t : (t == Tri::kTrue ? Tri::kFalse : Tri::kTrue);
    }
    case Node::Op::kGe:
    case Node::Op::kGt:
    case Node::Op::kLe:
    case Node::Op::kLt: {
      if (!c.HasNumber(n.slot)) return Tri::kUnknown;
      double v = c.num[n.slot];
      bool b = n.op == Node::Op::kGe   ? v >= n.value
               : n.op == Node::Op::kGt ? v > n.value
               : n.op == Node::Op::kLe ? v <= n.value
                                       : v < n.value;
      return b ? Tri::kTrue : Tri::kFalse;
    }
    case Node::Op::kBoolIs: {
      Tri t = c.boolean[n.slot];
      if (t == Tri::kUnknown) return t;
      return (t == Tri::kTrue) == n.want ? Tri::kTrue : Tri::kFalse;
    }
    case Node::Op::kSymIn: {
      int16_t s = c.sym[n.slot];
      if (s < 0) return Tri::kUnknown;
      return n.mask.Test(s) ? Tri::kTrue : Tri::kFalse;
    }
    case Node::Op::kSetIntersects: {
      if (!((c.set_known >> n.slot) & 1)) return Tri::kUnknown;
      return c.set[n.slot].Intersects(n.mask) ? Tri::kTrue : Tri::kFalse;
    }
    case Node::Op::kKnownNumber:
      return c.HasNumber(n.slot) == n.want ? Tri::kTrue : Tri::kFalse;
    case Node::Op::kKnownBool:
      return (c.boolean[n.slot] != Tri::kUnknown) == n.want ? Tri::kTrue : Tri::kFalse;
    case Node::Op::kKnownSymbol:
      return (c.sym[n.slot] >= 0) == n.want ? Tri::kTrue : Tri::kFalse;
    case Node::Op::kKnownSet:
      return (((c.set_known >> n.slot) & 1) != 0) == n.want ? Tri::kTrue : Tri::kFalse;
  }
  return Tri::kUnknown;
}

}  // namespace exportscreen::rules

#endif  // EXPORTSCREEN_SERVICES_RULES_COMPILED_RULES_H_
