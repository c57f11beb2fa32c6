// Rule compiler and validator: text-format RuleFiles -> CompiledRules.
// Every problem is collected (not just the first) as
// "FILE:LINE: RULE_ID: reason"; any error means no RuleSet is returned.
#include "services/rules/rule_set.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "services/rules/compiled_rules.h"

namespace exportscreen::rules {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;
using ParseInfoTree = google::protobuf::TextFormat::ParseInfoTree;

// Built-in attributes: name, type, vocabulary, slot, item scope, first stage.
struct AttrDef {
  const char* name;
  ValueType type;
  Vocab vocab;
  int slot;
  bool item;
  Stage stage;
  const char* doc;  // what it means (screenctl rules attributes, README)
};
constexpr AttrDef kBuiltins[] = {
    {"item.kind", ValueType::kSymbol, Vocab::kItemKind, slot::kKind, true,
     Stage::kClassification,
     "What the item is: IC, COMPUTER, HBM, SME_TOOL, SME_SUBSYSTEM, SME_UPGRADE_KIT, SOFTWARE, TECHNOLOGY, MATERIAL, OTHER."},
    {"item.tpp", ValueType::kNumber, Vocab::kNone, slot::kTpp, true,
     Stage::kClassification,
     "Total processing performance (request or catalogue)."},
    {"item.performance_density", ValueType::kNumber, Vocab::kNone,
     slot::kPerformanceDensity, true, Stage::kClassification,
     "TPP / applicable die area (given, or computed from item.tpp and item.die_area_mm2)."},
    {"item.die_area_mm2", ValueType::kNumber, Vocab::kNone, slot::kDieArea,
     true, Stage::kClassification, "Applicable die area in mm2."},
    {"item.memory_bandwidth_gbps", ValueType::kNumber, Vocab::kNone,
     slot::kMemoryBandwidth, true, Stage::kClassification,
     "DRAM/HBM bandwidth in GB/s."},
    {"item.quantity", ValueType::kNumber, Vocab::kNone, slot::kQuantity, true,
     Stage::kClassification,
     "Units of this line (unknown if 0)."},
    {"item.unit_value_usd", ValueType::kNumber, Vocab::kNone,
     slot::kUnitValue, true, Stage::kClassification,
     "Value of one unit in USD (unknown if 0)."},
    {"item.datacenter_marketed", ValueType::kBool, Vocab::kNone,
     slot::kDatacenter, true, Stage::kClassification,
     "Designed or marketed for data centres."},
    {"item.features", ValueType::kSet, Vocab::kFeature, slot::kFeatures, true,
     Stage::kClassification,
     "Declared item features (vocabulary of the rule files)."},
    {"item.declared_eccn", ValueType::kSymbol, Vocab::kEccn,
     slot::kDeclaredEccn, true, Stage::kClassification,
     "ECCN the exporter declared (ECCNs of the rule files)."},
    {"item.location_mismatch", ValueType::kBool, Vocab::kNone,
     slot::kLocationMismatch, true, Stage::kClassification,
     "Some serial was last reported outside the declared destination (unknown if none was reported)."},
    {"item.location_countries", ValueType::kSet, Vocab::kCountry,
     slot::kLocationCountries, true, Stage::kClassification,
     "Countries where the item's serials were last reported (Hong Kong as CN via the rule set's aliases); empty without serials; unknown if the evidence is incomplete."},
    {"item.location_groups", ValueType::kSet, Vocab::kGroup,
     slot::kLocationGroups, true, Stage::kClassification,
     "Country groups of item.location_countries."},
    {"item.serials_unseen", ValueType::kBool, Vocab::kNone,
     slot::kSerialsUnseen, true, Stage::kClassification,
     "Some serial was never reported by a trusted verifier (false without serials; unknown without a location feed)."},
    {"item.eccn", ValueType::kSymbol, Vocab::kEccn, slot::kEccn, true,
     Stage::kLicensing,
     "ECCN given by the classification rules (or the declared ECCN if none applies)."},
    {"item.eccn_tags", ValueType::kSet, Vocab::kEccnTag, slot::kEccnTags,
     true, Stage::kLicensing,
     "Tags of the item's ECCN (declared with the ECCNs in the rule files)."},
    {"item.license_required", ValueType::kBool, Vocab::kNone,
     slot::kLicenseRequired, true, Stage::kAfterLicensing,
     "Some licence rule or all-items party consequence requires a licence for this item."},
    {"destination.country", ValueType::kSymbol, Vocab::kCountry,
     slot::kDestCountry, false, Stage::kClassification,
     "Declared destination country (aliases applied)."},
    {"destination.groups", ValueType::kSet, Vocab::kGroup, slot::kDestGroups,
     false, Stage::kClassification,
     "Country groups of the destination."},
    {"export.country", ValueType::kSymbol, Vocab::kCountry,
     slot::kExportCountry, false, Stage::kClassification,
     "Country the shipment leaves from (US if not given)."},
    {"end_use.codes", ValueType::kSet, Vocab::kEndUse, slot::kEndUses, false,
     Stage::kClassification,
     "Declared end-use codes (vocabulary of the rule files)."},
    {"attestation.location_provided", ValueType::kBool, Vocab::kNone,
     slot::kLocationAttested, false, Stage::kClassification,
     "The request carries a location-verification attestation."},
    {"parties.hq_countries", ValueType::kSet, Vocab::kCountry,
     slot::kHqCountries, false, Stage::kClassification,
     "Headquarters and ultimate-parent countries of the parties."},
    {"parties.hq_groups", ValueType::kSet, Vocab::kGroup, slot::kHqGroups,
     false, Stage::kClassification,
     "Country groups of parties.hq_countries."},
    {"parties.countries", ValueType::kSet, Vocab::kCountry,
     slot::kPartyCountries, false, Stage::kClassification,
     "Countries of the parties (party or address country)."},
    {"parties.address_kinds", ValueType::kSet, Vocab::kAddressKind,
     slot::kAddressKinds, false, Stage::kClassification,
     "Address kinds of the parties (RESIDENTIAL, PO_BOX, FREIGHT_FORWARDER ...)."},
    {"parties.min_company_age_years", ValueType::kNumber, Vocab::kNone,
     slot::kMinCompanyAgeYears, false, Stage::kClassification,
     "Age in years of the youngest party company (from incorporated_year)."},
    {"parties.max_listed_owner_percent", ValueType::kNumber, Vocab::kNone,
     slot::kMaxListedOwnerPercent, false, Stage::kAfterLicensing,
     "Highest aggregate share listed owners hold in a party (ownership links)."},
    {"parties.any_list_hit", ValueType::kBool, Vocab::kNone,
     slot::kAnyListHit, false, Stage::kAfterLicensing,
     "Some party matched a listed entity."},
};
constexpr const char* kParamPrefix = "item.param.";

const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kNumber: return "NUMBER";
    case ValueType::kBool: return "BOOL";
    case ValueType::kSymbol: return "SYMBOL";
    case ValueType::kSet: return "SET";
  }
  return "?";
}

const char* StageName(Stage s) {
  switch (s) {
    case Stage::kClassification: return "classification";
    case Stage::kLicensing: return "licensing";
    case Stage::kAfterLicensing: return "exceptions/red flags/fast path";
  }
  return "?";
}

bool ParseDay(const std::string& s, absl::CivilDay* d) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int y, m, day;
  if (!absl::SimpleAtoi(s.substr(0, 4), &y) ||
      !absl::SimpleAtoi(s.substr(5, 2), &m) ||
      !absl::SimpleAtoi(s.substr(8, 2), &day)) {
    return false;
  }
  absl::CivilDay c(y, m, day);
  if (c.year() != y || c.month() != m || c.day() != day) return false;
  *d = c;
  return true;
}

bool IsCountryCode(const std::string& s) {
  return s.size() == 2 && absl::ascii_isupper(s[0]) &&
         absl::ascii_isupper(s[1]);
}

// Canonical text of a condition: children sorted, so reordering all/any
// children does not hide an exact duplicate.
std::string Canonical(const v1::Condition& c) {
  auto list = [](const char* op,
                 const google::protobuf::RepeatedPtrField<v1::Condition>& l) {
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

// Collects "FILE:LINE: RULE_ID: reason" lines.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit ErrorCollector(std::vector<std::string>* errors) : errors_(errors) {}
  void set_file(const std::string& f) { file_ = f; }
  void AddError(int line, int column, const std::string& message) override {
    errors_->push_back(absl::StrCat(file_, ":", line + 1, ": -: parse error: ",
                                    message, " (column ", column + 1, ")"));
  }
  void AddWarning(int, int, const std::string&) override {}

 private:
  std::vector<std::string>* errors_;
  std::string file_;
};

struct ParsedFile {
  std::string name;
  v1::RuleFile file;
  ParseInfoTree tree;
};

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

class Compiler {
 public:
  explicit Compiler(CompiledRules* out) : out_(out) {}

  std::vector<std::string>& errors() { return errors_; }

  void Run(std::vector<ParsedFile>& files);

 private:
  struct Where {
    const std::string* file;
    int line;
    std::string id;
  };
  void Error(const Where& w, absl::string_view reason) {
    errors_.push_back(absl::StrCat(*w.file, ":", w.line, ": ",
                                   w.id.empty() ? "-" : w.id, ": ", reason));
  }
  static int LineOf(const ParseInfoTree* tree, const FieldDescriptor* f,
                    int index, int fallback) {
    if (tree == nullptr) return fallback;
    auto loc = tree->GetLocation(f, index);
    return loc.line >= 0 ? loc.line + 1 : fallback;
  }

  bool CompileMeta(const v1::RuleMeta& m, const Where& w, CompiledMeta* out);
  void CompileCcl(const v1::CclData& data, const Where& w);
  int Intern(Vocab v, const std::string& name) {
    auto& ids = out_->vocab_ids[size_t(v)];
    auto it = ids.find(name);
    if (it != ids.end()) return it->second;
    int id = int(out_->vocab_names[size_t(v)].size());
    out_->vocab_names[size_t(v)].push_back(name);
    ids.emplace(name, id);
    return id;
  }
  // Resolves a value of vocabulary v (countries are open: any ISO code).
  int ResolveValue(Vocab v, const std::string& value, const Where& w);

  struct CondInfo {
    bool item_scope = false;
  };
  // Compiles a condition; returns node index or -1 on error.
  int64_t CompileCond(const v1::Condition& c, const ParseInfoTree* tree,
                      const Where& w, Stage stage, CondInfo* info, int depth);
  Cond CompileTop(const v1::Condition& c, const ParseInfoTree* tree,
                  const Where& w, Stage stage, bool allow_item = true) {
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
  // See LocationUse.
  LocationUse LocationUseOf(uint32_t root) const {
    LocationUse use;
    std::vector<uint32_t> stack = {root};
    while (!stack.empty()) {
      const Node& n = out_->nodes[stack.back()];
      stack.pop_back();
      for (uint32_t k = 0; k < n.child_count; ++k) {
        stack.push_back(out_->children[n.first_child + k]);
      }
      const bool bool_test =
          n.op == Node::Op::kBoolIs || n.op == Node::Op::kKnownBool;
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
  // See Cond::first_gate.
  void CollectGates(uint32_t i) {
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
  int AttrIndex(const std::string& name) {
    auto it = attr_index_.find(name);
    if (it != attr_index_.end()) return it->second;
    int i = int(out_->attr_names.size());
    out_->attr_names.push_back(name);
    attr_index_.emplace(name, i);
    return i;
  }
  struct ResolvedAttr {
    ValueType type;
    Vocab vocab;
    int slot;
    bool item;
    Stage stage;
  };
  bool ResolveAttr(const std::string& name, ResolvedAttr* r);
  std::vector<Recorded> CompileRecord(
      const google::protobuf::RepeatedPtrField<std::string>& names,
      const Where& w) {
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
  void CheckOverlaps(const std::vector<const v1::ClassificationRule*>& src,
                     const std::vector<Where>& where);

  CompiledRules* out_;
  std::vector<std::string> errors_;
  absl::flat_hash_map<std::string, int> attr_index_;
  absl::flat_hash_map<std::string, Where> ids_;
  std::map<std::string, std::pair<const v1::PredicateDef*, Where>> predicates_;
  std::set<std::string> expanding_;
  bool seen_thresholds_ = false;
};

bool Compiler::ResolveAttr(const std::string& name, ResolvedAttr* r) {
  for (const auto& b : kBuiltins) {
    if (name == b.name) {
      *r = {b.type, b.vocab, b.slot, b.item, b.stage};
      return true;
    }
  }
  if (absl::StartsWith(name, kParamPrefix)) {
    auto it = out_->param_slots.find(name.substr(strlen(kParamPrefix)));
    if (it == out_->param_slots.end()) return false;
    *r = {ValueType::kNumber, Vocab::kNone, it->second, true,
          Stage::kClassification};
    return true;
  }
  return false;
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
      Error(w, absl::StrCat("chart row \"", row.name(),
                            "\": country must be an alpha-2 code"));
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
      x.except_destinations.assign(k.except_destinations().begin(),
                                   k.except_destinations().end());
      x.paragraphs.assign(k.paragraphs().begin(), k.paragraphs().end());
      x.except_paragraphs.assign(k.except_paragraphs().begin(),
                                 k.except_paragraphs().end());
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
            Error(w, absl::StrCat("ccl ", e.eccn(), ": destinations control "
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

bool Compiler::CompileMeta(const v1::RuleMeta& m, const Where& w,
                           CompiledMeta* out) {
  bool ok = true;
  if (m.id().empty()) {
    Error(w, "missing id");
    ok = false;
  } else if (auto it = ids_.find(m.id()); it != ids_.end()) {
    Error(w, absl::StrCat("duplicate id (first defined at ", *it->second.file,
                          ":", it->second.line, ")"));
    ok = false;
  } else {
    ids_.emplace(m.id(), w);
  }
  if (m.title().empty()) Error(w, "missing title"), ok = false;
  if (m.citation().empty()) Error(w, "missing citation"), ok = false;
  if (m.jurisdiction().empty()) Error(w, "missing jurisdiction"), ok = false;
  if (!ParseDay(m.effective_from(), &out->from)) {
    Error(w, absl::StrCat("bad or missing effective_from \"",
                          m.effective_from(), "\" (want YYYY-MM-DD)"));
    ok = false;
  }
  if (!m.effective_until().empty()) {
    if (!ParseDay(m.effective_until(), &out->until)) {
      Error(w, absl::StrCat("bad effective_until \"", m.effective_until(),
                            "\" (want YYYY-MM-DD)"));
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
    if (!ParseDay(s.from(), &a) ||
        (!s.until().empty() && !ParseDay(s.until(), &b))) {
      Error(w, absl::StrCat("bad suspension dates \"", s.from(), "\"..\"",
                            s.until(), "\""));
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

int Compiler::ResolveValue(Vocab v, const std::string& value, const Where& w) {
  if (v == Vocab::kCountry) {
    if (!IsCountryCode(value)) {
      Error(w, absl::StrCat("bad country code \"", value,
                            "\" (want ISO 3166-1 alpha-2, upper case)"));
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

int64_t Compiler::CompileCond(const v1::Condition& c,
                              const ParseInfoTree* tree, const Where& outer,
                              Stage stage, CondInfo* info, int depth) {
  const auto* d = v1::Condition::descriptor();
  Where w = outer;
  if (depth > 64) {
    Error(w, "condition nested too deeply");
    return -1;
  }
  int kinds = (c.all_size() > 0) + (c.any_size() > 0) + c.has_not_() +
              !c.ref().empty() + !c.attr().empty();
  if (kinds != 1) {
    Error(w, kinds == 0 ? "empty condition (need all, any, not, ref or attr)"
                        : "condition mixes all/any/not/ref/attr; use one");
    return -1;
  }
  auto emit = [&](Node n) {
    out_->nodes.push_back(n);
    return int64_t(out_->nodes.size() - 1);
  };
  auto compile_list =
      [&](Node::Op op, const FieldDescriptor* f,
          const google::protobuf::RepeatedPtrField<v1::Condition>& l)
      -> int64_t {
    std::vector<uint32_t> kids;
    bool ok = true;
    for (int i = 0; i < l.size(); ++i) {
      Where cw = w;
      cw.line = LineOf(tree, f, i, w.line);
      const ParseInfoTree* sub =
          tree ? tree->GetTreeForNested(f, i) : nullptr;
      int64_t k = CompileCond(l.Get(i), sub, cw, stage, info, depth + 1);
      if (k < 0) {
        ok = false;
      } else {
        kids.push_back(uint32_t(k));
      }
    }
    if (!ok) return -1;
    Node n;
    n.op = op;
    n.first_child = uint32_t(out_->children.size());
    n.child_count = uint32_t(kids.size());
    out_->children.insert(out_->children.end(), kids.begin(), kids.end());
    return emit(n);
  };
  if (c.all_size() > 0) {
    return compile_list(Node::Op::kAll, d->FindFieldByName("all"), c.all());
  }
  if (c.any_size() > 0) {
    return compile_list(Node::Op::kAny, d->FindFieldByName("any"), c.any());
  }
  if (c.has_not_()) {
    const FieldDescriptor* f = d->FindFieldByName("not");
    Where cw = w;
    cw.line = LineOf(tree, f, -1, w.line);
    int64_t k = CompileCond(c.not_(), tree ? tree->GetTreeForNested(f, -1)
                                           : nullptr,
                            cw, stage, info, depth + 1);
    if (k < 0) return -1;
    Node n;
    n.op = Node::Op::kNot;
    n.first_child = uint32_t(out_->children.size());
    n.child_count = 1;
    out_->children.push_back(uint32_t(k));
    return emit(n);
  }
  if (!c.ref().empty()) {
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

  // Leaf.
  w.line = LineOf(tree, d->FindFieldByName("attr"), -1, w.line);
  ResolvedAttr a;
  if (!ResolveAttr(c.attr(), &a)) {
    Error(w, absl::StrCat("unknown attribute \"", c.attr(), "\""));
    return -1;
  }
  if (a.stage > stage) {
    Error(w, absl::StrCat("attribute \"", c.attr(), "\" is not available at ",
                          StageName(stage), " (first available at ",
                          StageName(a.stage), ")"));
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
    Error(w, tests == 0 ? absl::StrCat("attribute \"", c.attr(),
                                       "\" has no test")
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
    Error(w, absl::StrCat("type mismatch: \"", c.attr(), "\" is ",
                          TypeName(a.type), ", test '", test, "' needs ",
                          TypeName(want)));
    return int64_t{-1};
  };
  if (known) {
    Node n = base;
    n.op = a.type == ValueType::kNumber   ? Node::Op::kKnownNumber
           : a.type == ValueType::kBool   ? Node::Op::kKnownBool
           : a.type == ValueType::kSymbol ? Node::Op::kKnownSymbol
                                          : Node::Op::kKnownSet;
    n.want = c.known();
    return emit(n);
  }
  if (numeric) {
    if (a.type != ValueType::kNumber) {
      return mismatch(c.has_ge() ? "ge" : c.has_gt() ? "gt"
                                  : c.has_le() ? "le" : "lt",
                      ValueType::kNumber);
    }
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
    if (bounds.size() == 1) return emit(bounds[0]);
    std::vector<uint32_t> kids;
    for (const Node& b : bounds) kids.push_back(uint32_t(emit(b)));
    Node n;
    n.op = Node::Op::kAll;
    n.first_child = uint32_t(out_->children.size());
    n.child_count = uint32_t(kids.size());
    out_->children.insert(out_->children.end(), kids.begin(), kids.end());
    return emit(n);
  }
  if (boolean) {
    if (a.type != ValueType::kBool) return mismatch("is", ValueType::kBool);
    Node n = base;
    n.op = Node::Op::kBoolIs;
    n.want = c.is();
    return emit(n);
  }
  std::vector<std::string> values;
  if (symbol) {
    if (a.type != ValueType::kSymbol) {
      return mismatch(c.has_eq() ? "eq" : "in", ValueType::kSymbol);
    }
    if (c.has_eq()) values.push_back(c.eq());
    values.insert(values.end(), c.in().begin(), c.in().end());
  } else {
    if (a.type != ValueType::kSet) {
      return mismatch(c.has_has() ? "has" : "has_any", ValueType::kSet);
    }
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
  return emit(n);
}

// See CompiledRules::KindBuckets.
template <typename Rule>
void FillKindBuckets(const std::vector<Rule>& rules,
                     CompiledRules::KindBuckets* buckets) {
  for (uint32_t i = 0; i < rules.size(); ++i) {
    const uint64_t mask = rules[i].cond.kind_mask;
    for (int k = 0; k < CompiledRules::kKindBuckets; ++k) {
      if ((mask >> k) & 1) buckets->by_kind[size_t(k)].push_back(i);
    }
    buckets->by_kind[CompiledRules::kKindBuckets].push_back(i);
  }
}

void Compiler::Run(std::vector<ParsedFile>& files) {
  const auto* fd = v1::RuleFile::descriptor();
  auto where = [&](const ParsedFile& f, const char* field, int i,
                   const std::string& id) {
    return Where{&f.name, LineOf(&f.tree, fd->FindFieldByName(field), i, 1),
                 id};
  };
  auto subtree = [&](const ParsedFile& f, const char* field, int i,
                     const char* inner) -> const ParseInfoTree* {
    const ParseInfoTree* t =
        f.tree.GetTreeForNested(fd->FindFieldByName(field), i);
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
  };

  // Enum vocabularies.
  for (int i = 0; i < v1::ItemKind_descriptor()->value_count(); ++i) {
    const auto* v = v1::ItemKind_descriptor()->value(i);
    std::string n = v->name().substr(strlen("ITEM_KIND_"));
    while (out_->vocab_names[size_t(Vocab::kItemKind)].size() <=
           size_t(v->number())) {
      out_->vocab_names[size_t(Vocab::kItemKind)].push_back("");
    }
    out_->vocab_names[size_t(Vocab::kItemKind)][v->number()] = n;
    out_->vocab_ids[size_t(Vocab::kItemKind)][n] = v->number();
  }
  for (int i = 0; i < v1::AddressKind_descriptor()->value_count(); ++i) {
    const auto* v = v1::AddressKind_descriptor()->value(i);
    std::string n = v->name().substr(strlen("ADDRESS_KIND_"));
    while (out_->vocab_names[size_t(Vocab::kAddressKind)].size() <=
           size_t(v->number())) {
      out_->vocab_names[size_t(Vocab::kAddressKind)].push_back("");
    }
    out_->vocab_names[size_t(Vocab::kAddressKind)][v->number()] = n;
    out_->vocab_ids[size_t(Vocab::kAddressKind)][n] = v->number();
  }

  // Computed parameters resolve their operands after all declarations.
  std::vector<std::pair<const v1::ParameterDecl*, Where>> computed;
  // Pass 1: declarations.
  std::vector<std::pair<int, std::vector<std::string>>> group_members;
  for (auto& f : files) {
    for (int i = 0; i < f.file.parameter_size(); ++i) {
      const auto& p = f.file.parameter(i);
      Where w = where(f, "parameter", i, "parameter " + p.name());
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
        if (p.has_computed()) computed.emplace_back(&p, w);
      }
    }
    for (int i = 0; i < f.file.vocabulary_size(); ++i) {
      const auto& v = f.file.vocabulary(i);
      Vocab target = v.kind() == v1::VocabularyDecl::KIND_FEATURE
                         ? Vocab::kFeature
                     : v.kind() == v1::VocabularyDecl::KIND_END_USE
                         ? Vocab::kEndUse
                     : v.kind() == v1::VocabularyDecl::KIND_ECCN_TAG
                         ? Vocab::kEccnTag
                         : Vocab::kNone;
      Where w = where(f, "vocabulary", i, "vocabulary");
      if (target == Vocab::kNone) {
        Error(w, "vocabulary without kind");
        continue;
      }
      for (const auto& code : v.codes()) {
        if (code.code().empty() || out_->Id(target, code.code()) >= 0) {
          Error(w, absl::StrCat("empty or duplicate code \"", code.code(),
                                "\""));
          continue;
        }
        if (Intern(target, code.code()) >= kMaxVocab) {
          Error(w, "vocabulary too large");
        }
      }
    }
    for (int i = 0; i < f.file.country_group_size(); ++i) {
      const auto& g = f.file.country_group(i);
      Where w = where(f, "country_group", i, g.meta().id());
      CompiledMeta m;
      CompileMeta(g.meta(), w, &m);
      ++out_->rule_count;
      if (g.code().empty() || out_->Id(Vocab::kGroup, g.code()) >= 0) {
        Error(w, absl::StrCat("empty or duplicate group code \"", g.code(),
                              "\""));
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
      group_members.emplace_back(gid, std::move(members));
    }
    for (int i = 0; i < f.file.country_alias_size(); ++i) {
      const auto& a = f.file.country_alias(i);
      Where w = where(f, "country_alias", i, a.meta().id());
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
    for (int i = 0; i < f.file.eccn_size(); ++i) {
      const auto& e = f.file.eccn(i);
      Where w = where(f, "eccn", i, "eccn " + e.eccn());
      if (e.eccn().empty() || out_->Id(Vocab::kEccn, e.eccn()) >= 0) {
        Error(w, "empty or duplicate ECCN declaration");
        continue;
      }
      Intern(Vocab::kEccn, e.eccn());
    }
    for (int i = 0; i < f.file.predicate_size(); ++i) {
      const auto& p = f.file.predicate(i);
      Where w = where(f, "predicate", i, "predicate " + p.name());
      if (p.name().empty() || predicates_.count(p.name())) {
        Error(w, "empty or duplicate predicate name");
        continue;
      }
      predicates_[p.name()] = {&p, w};
    }
  }
  if (out_->vocab_names[size_t(Vocab::kCountry)].size() > kMaxVocab ||
      out_->vocab_names[size_t(Vocab::kGroup)].size() > kMaxVocab ||
      out_->vocab_names[size_t(Vocab::kEccn)].size() >= kMaxVocab - 1) {
    errors_.push_back("-:0: -: too many countries, groups or ECCNs (max 256)");
    return;
  }
  // ECCN tags (need the tag vocabulary, so after pass 1).
  out_->tags_of_eccn.resize(out_->vocab_names[size_t(Vocab::kEccn)].size());
  for (auto& f : files) {
    for (int i = 0; i < f.file.eccn_size(); ++i) {
      const auto& e = f.file.eccn(i);
      int id = out_->Id(Vocab::kEccn, e.eccn());
      Where w = where(f, "eccn", i, "eccn " + e.eccn());
      for (const auto& t : e.tags()) {
        int tid = ResolveValue(Vocab::kEccnTag, t, w);
        if (tid >= 0 && id >= 0) out_->tags_of_eccn[id].Set(tid);
      }
    }
  }

  // Pass 2: rules. Countries may still be interned by conditions, so group
  // membership and aliases are finalised at the end.
  std::vector<const v1::ClassificationRule*> cls_src;
  std::vector<Where> cls_where;
  std::vector<std::pair<std::vector<std::string>, Where>> policy_replaces;
  std::vector<std::pair<std::vector<std::string>, Where>> exception_for;
  for (auto& f : files) {
    for (int i = 0; i < f.file.classification_size(); ++i) {
      const auto& r = f.file.classification(i);
      Where w = where(f, "classification", i, r.meta().id());
      CClassification c;
      CompileMeta(r.meta(), w, &c.meta);
      ++out_->rule_count;
      if (!r.has_condition()) {
        Error(w, "classification rule without condition");
      } else {
        c.cond = CompileTop(r.condition(),
                            subtree(f, "classification", i, "condition"), w,
                            Stage::kClassification);
      }
      c.eccn = int16_t(ResolveValue(Vocab::kEccn, r.eccn(), w));
      c.eccn_name = r.eccn();
      c.paragraph = r.paragraph();
      c.precedence = r.precedence();
      c.record = CompileRecord(r.record(), w);
      out_->classifications.push_back(std::move(c));
      cls_src.push_back(&r);
      cls_where.push_back(w);
    }
    for (int i = 0; i < f.file.license_size(); ++i) {
      const auto& r = f.file.license(i);
      Where w = where(f, "license", i, r.meta().id());
      CLicense c;
      CompileMeta(r.meta(), w, &c.meta);
      ++out_->rule_count;
      if (!r.has_condition()) {
        Error(w, "licence rule without condition");
      } else {
        c.cond = CompileTop(r.condition(),
                            subtree(f, "license", i, "condition"), w,
                            Stage::kLicensing);
      }
      if (r.outcome() == v1::DECISION_UNSPECIFIED ||
          r.outcome() == v1::DECISION_CLEAR) {
        Error(w, "licence rule needs outcome LICENSE_REQUIRED, PROHIBITED or "
                 "REVIEW");
      }
      c.outcome = r.outcome();
      c.review_policy = r.review_policy();
      c.meta.action = r.action();
      c.record = CompileRecord(r.record(), w);
      out_->licenses.push_back(std::move(c));
    }
    for (int i = 0; i < f.file.review_policy_size(); ++i) {
      const auto& r = f.file.review_policy(i);
      Where w = where(f, "review_policy", i, r.meta().id());
      CReviewPolicy c;
      CompileMeta(r.meta(), w, &c.meta);
      ++out_->rule_count;
      if (!r.has_condition()) {
        Error(w, "review-policy rule without condition");
      } else {
        c.cond = CompileTop(r.condition(),
                            subtree(f, "review_policy", i, "condition"), w,
                            Stage::kLicensing);
      }
      if (r.review_policy().empty()) Error(w, "missing review_policy");
      if (r.replaces().empty()) Error(w, "review-policy rule replaces nothing");
      c.review_policy = r.review_policy();
      c.record = CompileRecord(r.record(), w);
      policy_replaces.push_back(
          {{r.replaces().begin(), r.replaces().end()}, w});
      out_->review_policies.push_back(std::move(c));
    }
    for (int i = 0; i < f.file.license_exception_size(); ++i) {
      const auto& r = f.file.license_exception(i);
      Where w = where(f, "license_exception", i, r.meta().id());
      CException c;
      CompileMeta(r.meta(), w, &c.meta);
      ++out_->rule_count;
      if (r.code().empty()) Error(w, "licence exception without code");
      if (r.has_condition()) {
        c.cond = CompileTop(r.condition(),
                            subtree(f, "license_exception", i, "condition"), w,
                            Stage::kAfterLicensing);
      }
      c.code = r.code();
      c.notice_required = r.notice_required();
      c.conditions.assign(r.conditions().begin(), r.conditions().end());
      exception_for.push_back(
          {{r.for_license_rules().begin(), r.for_license_rules().end()}, w});
      out_->exceptions.push_back(std::move(c));
    }
    for (int i = 0; i < f.file.party_list_size(); ++i) {
      const auto& r = f.file.party_list(i);
      Where w = where(f, "party_list", i, r.meta().id());
      CPartyList c;
      CompileMeta(r.meta(), w, &c.meta);
      ++out_->rule_count;
      if (r.lists().empty()) Error(w, "party-list rule names no list");
      for (int fn : r.footnotes_any()) {
        if (fn < 1 || fn > 9) Error(w, absl::StrCat("bad footnote ", fn));
      }
      if (r.has_condition()) {
        c.cond = CompileTop(r.condition(),
                            subtree(f, "party_list", i, "condition"), w,
                            Stage::kLicensing, /*allow_item=*/false);
      }
      if (r.outcome() == v1::DECISION_UNSPECIFIED ||
          r.outcome() == v1::DECISION_CLEAR) {
        Error(w, "party-list rule needs a non-CLEAR outcome");
      }
      c.lists.assign(r.lists().begin(), r.lists().end());
      c.footnotes_any.assign(r.footnotes_any().begin(),
                             r.footnotes_any().end());
      c.match_action = r.match_action() == v1::MATCH_ACTION_UNSPECIFIED
                           ? v1::MATCH_ACTION_BLOCK
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
    for (int i = 0; i < f.file.ownership_size(); ++i) {
      const auto& r = f.file.ownership(i);
      Where w = where(f, "ownership", i, r.meta().id());
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
    for (int i = 0; i < f.file.red_flag_size(); ++i) {
      const auto& r = f.file.red_flag(i);
      Where w = where(f, "red_flag", i, r.meta().id());
      CRedFlag c;
      CompileMeta(r.meta(), w, &c.meta);
      ++out_->rule_count;
      if (!r.has_condition()) {
        Error(w, "red-flag rule without condition");
      } else {
        c.cond = CompileTop(r.condition(),
                            subtree(f, "red_flag", i, "condition"), w,
                            Stage::kAfterLicensing);
        if (c.cond.present()) c.location = LocationUseOf(c.cond.root);
      }
      c.outcome = r.outcome() == v1::DECISION_UNSPECIFIED ? v1::DECISION_REVIEW
                                                          : r.outcome();
      if (c.outcome == v1::DECISION_CLEAR) {
        Error(w, "red-flag outcome cannot be CLEAR");
      }
      c.meta.action = r.action();
      c.record = CompileRecord(r.record(), w);
      out_->red_flags.push_back(std::move(c));
    }
    for (int i = 0; i < f.file.fast_path_size(); ++i) {
      const auto& r = f.file.fast_path(i);
      Where w = where(f, "fast_path", i, r.meta().id());
      CFastPath c;
      CompileMeta(r.meta(), w, &c.meta);
      ++out_->rule_count;
      if (!r.has_condition()) {
        Error(w, "fast-path rule without condition");
      } else {
        c.cond = CompileTop(r.condition(),
                            subtree(f, "fast_path", i, "condition"), w,
                            Stage::kAfterLicensing, /*allow_item=*/false);
      }
      c.meta.action = r.action();
      out_->fast_paths.push_back(std::move(c));
    }
    for (int i = 0; i < f.file.match_thresholds_size(); ++i) {
      const auto& r = f.file.match_thresholds(i);
      Where w = where(f, "match_thresholds", i, r.meta().id());
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
  if (!seen_thresholds_) {
    errors_.push_back("-:0: -: no match_thresholds in the rule set");
  }
  for (auto& f : files) {
    for (int i = 0; i < f.file.coverage_size(); ++i) {
      const auto& r = f.file.coverage(i);
      Where w = where(f, "coverage", i, r.meta().id());
      ++out_->rule_count;
      if (out_->has_modelled_from) {
        Error(w, "coverage defined more than once");
        continue;
      }
      CompileMeta(r.meta(), w, &out_->coverage_meta);
      if (!ParseDay(r.modelled_from(), &out_->modelled_from)) {
        Error(w, absl::StrCat("bad modelled_from \"", r.modelled_from(),
                              "\" (want YYYY-MM-DD)"));
        continue;
      }
      out_->has_modelled_from = true;
    }
    for (int i = 0; i < f.file.ccl_size(); ++i) {
      const auto& r = f.file.ccl(i);
      Where w = where(f, "ccl", i, r.meta().id());
      CompileCcl(r, w);
    }
  }
  if (!out_->has_modelled_from) {
    errors_.push_back(
        "-:0: -: no coverage { modelled_from } in the rule set (the first day "
        "it models; earlier dates answer REVIEW)");
  }
  // Predicates never used are still checked (compiled once, discarded).
  for (const auto& [name, pw] : predicates_) {
    if (!pw.first->has_condition()) continue;
    size_t nodes = out_->nodes.size(), kids = out_->children.size();
    CondInfo info;
    CompileCond(pw.first->condition(), nullptr, pw.second,
                Stage::kAfterLicensing, &info, 0);
    out_->nodes.resize(nodes);
    out_->children.resize(kids);
  }

  // Cross references.
  absl::flat_hash_map<std::string, uint32_t> license_index;
  for (uint32_t i = 0; i < out_->licenses.size(); ++i) {
    license_index[out_->licenses[i].meta.id] = i;
  }
  auto resolve_ids = [&](const std::vector<std::string>& ids, const Where& w,
                         std::vector<uint32_t>* out) {
    for (const auto& id : ids) {
      auto it = license_index.find(id);
      if (it == license_index.end()) {
        Error(w, absl::StrCat("unknown licence rule id \"", id, "\""));
      } else {
        out->push_back(it->second);
      }
    }
  };
  for (size_t i = 0; i < policy_replaces.size(); ++i) {
    resolve_ids(policy_replaces[i].first, policy_replaces[i].second,
                &out_->review_policies[i].replaces);
  }
  for (size_t i = 0; i < exception_for.size(); ++i) {
    resolve_ids(exception_for[i].first, exception_for[i].second,
                &out_->exceptions[i].for_licenses);
  }

  for (const auto& [p, w] : computed) {
    ResolvedAttr num, den;
    const bool ok_num = ResolveAttr(p->computed().numerator(), &num) &&
                        num.type == ValueType::kNumber;
    const bool ok_den = ResolveAttr(p->computed().denominator(), &den) &&
                        den.type == ValueType::kNumber;
    if (!ok_num || !ok_den) {
      Error(w, absl::StrCat("computed: operands must be number attributes (\"",
                            p->computed().numerator(), "\" / \"",
                            p->computed().denominator(), "\")"));
      continue;
    }
    out_->computed_params.push_back(
        {out_->param_slots[p->name()], num.slot, den.slot, p->name()});
  }

  // CCL controls replaced by hand-written rules.
  for (auto& f : files) {
    for (int i = 0; i < f.file.ccl_superseded_size(); ++i) {
      const auto& r = f.file.ccl_superseded(i);
      Where w = where(f, "ccl_superseded", i, r.meta().id());
      ++out_->rule_count;
      auto meta = std::make_unique<CompiledMeta>();
      CompileMeta(r.meta(), w, meta.get());
      std::vector<uint32_t> handled;
      resolve_ids({r.handled_by().begin(), r.handled_by().end()}, w, &handled);
      if (r.handled_by().empty() && r.destinations().empty()) {
        Error(w, "names neither handled_by licence rules nor replacement destinations");
      }
      if (r.chart_text_contains().empty()) {
        Error(w, "chart_text_contains is empty");
        continue;
      }
      const std::string note =
          absl::StrCat("superseded by ", r.meta().id(), " (decided by ",
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
              k.destinations.assign(r.destinations().begin(),
                                    r.destinations().end());
              k.except_destinations.assign(r.except_destinations().begin(),
                                           r.except_destinations().end());
              k.replaced_by = meta.get();
            }
          }
        }
      }
      if (matched == 0) {
        Error(w, absl::StrCat("matches no CCL control (\"",
                              r.chart_text_contains(), "\")"));
      }
      out_->ccl.supersessions.push_back(std::move(meta));
    }
  }

  // Destination scopes: group codes to ids, once (after supersessions).
  for (auto& entry_by_eccn : out_->ccl.entries) {
    CCclEntry& entry = entry_by_eccn.second;
    for (auto& k : entry.controls) {
      const auto resolve = [&](const std::vector<std::string>& codes,
                               std::vector<int>* ids) {
        ids->clear();
        for (const std::string& d : codes) {
          if (d.size() <= 2) continue;  // a country code
          const int g = out_->Id(Vocab::kGroup, d);
          if (g < 0) {
            errors_.push_back(absl::StrCat("-:0: ccl.", entry.eccn,
                                           ": unknown country group \"", d, "\""));
          } else {
            ids->push_back(g);
          }
        }
      };
      resolve(k.destinations, &k.group_ids);
      resolve(k.except_destinations, &k.except_group_ids);
    }
  }

  CheckOverlaps(cls_src, cls_where);

  // Finalise country tables.
  size_t nc = out_->vocab_names[size_t(Vocab::kCountry)].size();
  // Id 255 is reserved by the engine for "a country no rule names".
  if (nc >= kMaxVocab - 1) {
    errors_.push_back("-:0: -: too many countries (max 254)");
    return;
  }
  out_->groups_of_country.assign(nc, Bits256{});
  for (const auto& [gid, members] : group_members) {
    for (const auto& c : members) {
      out_->groups_of_country[out_->Id(Vocab::kCountry, c)].Set(gid);
    }
  }
  out_->country_alias.assign(nc, -1);
  for (auto& f : files) {
    for (const auto& a : f.file.country_alias()) {
      int from = out_->Id(Vocab::kCountry, a.from());
      int to = out_->Id(Vocab::kCountry, a.to());
      if (from >= 0 && to >= 0) out_->country_alias[from] = int16_t(to);
    }
  }
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

// Kinds required by a classification condition's top level, and the
// constraints its top-level "all" pins down.
bool TopLevel(const v1::Condition& c, std::set<std::string>* kinds,
              Constraints* k) {
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

void Compiler::CheckOverlaps(
    const std::vector<const v1::ClassificationRule*>& src,
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
        Error(where[j], absl::StrCat("overlapping classification: same "
                                     "condition as ",
                                     src[i]->meta().id(), " (", *where[i].file,
                                     ":", where[i].line, ")"));
        continue;
      }
      if (src[i]->precedence() == src[j]->precedence() &&
          !ProvablyDisjoint(cons[i], cons[j])) {
        Error(where[j],
              absl::StrCat("overlapping classification: may hold together "
                           "with ",
                           src[i]->meta().id(), " (", *where[i].file, ":",
                           where[i].line, ", ECCN ", src[i]->eccn(),
                           " vs ", src[j]->eccn(),
                           ") at the same precedence ", src[j]->precedence(),
                           "; give them distinct precedences"));
      }
    }
  }
}

class RuleSetImpl : public RuleSet {
 public:
  explicit RuleSetImpl(CompiledRules rules) : rules_(std::move(rules)) {}
  size_t rule_count() const override { return rules_.rule_count; }
  double match_review_threshold() const override {
    return rules_.review_threshold;
  }
  double match_block_threshold() const override {
    return rules_.block_threshold;
  }
  const CompiledRules& compiled() const override { return rules_; }

 private:
  CompiledRules rules_;
};

const char* VocabName(Vocab v) {
  switch (v) {
    case Vocab::kNone: return "";
    case Vocab::kItemKind: return "item kinds";
    case Vocab::kCountry: return "ISO 3166-1 alpha-2 countries";
    case Vocab::kGroup: return "country groups (country_group rules)";
    case Vocab::kEccn: return "ECCNs (eccn declarations)";
    case Vocab::kEccnTag: return "ECCN tags (vocabulary)";
    case Vocab::kFeature: return "item features (vocabulary)";
    case Vocab::kEndUse: return "end-use codes (vocabulary)";
    case Vocab::kAddressKind: return "address kinds";
    case Vocab::kCount: break;
  }
  return "";
}

}  // namespace

std::vector<AttributeInfo> BuiltinAttributes() {
  std::vector<AttributeInfo> out;
  for (const auto& b : kBuiltins) {
    out.push_back({b.name, TypeName(b.type), VocabName(b.vocab),
                   b.item ? "item" : "transaction", StageName(b.stage), b.doc});
  }
  out.push_back({absl::StrCat(kParamPrefix, "<name>"), TypeName(ValueType::kNumber),
                 "", "item", StageName(Stage::kClassification),
                 "An item parameter declared in the rule files (parameter "
                 "declarations), e.g. item.param.interconnect_gbps."});
  return out;
}

void CompiledRules::Explain(const Cond& cond, const EvalContext& c,
                            std::vector<std::string>* missing) const {
  if (!cond.present()) return;
  std::vector<uint32_t> stack = {cond.root};
  while (!stack.empty()) {
    uint32_t i = stack.back();
    stack.pop_back();
    const Node& n = nodes[i];
    if (n.op == Node::Op::kAll || n.op == Node::Op::kAny ||
        n.op == Node::Op::kNot) {
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
  const int id = upper ? Id(Vocab::kCountry, code)
                       : Id(Vocab::kCountry, absl::AsciiStrToUpper(code));
  if (id < 0) return -1;
  const int16_t alias =
      size_t(id) < country_alias.size() ? country_alias[id] : int16_t{-1};
  return alias >= 0 ? alias : id;
}

std::string CompiledRules::Format(const Recorded& r, const EvalContext& c,
                                  Vocab vocab) const {
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
  return std::shared_ptr<const RuleSet>(
      std::make_shared<RuleSetImpl>(std::move(rules)));
}

absl::StatusOr<std::map<std::string, std::string>> ReadRuleFiles(
    absl::string_view dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path path{std::string(dir)};
  if (!fs::is_directory(path, ec)) {
    return absl::NotFoundError(absl::StrCat("rule directory not found: ", dir));
  }
  std::map<std::string, std::string> out;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".textproto") {
      continue;
    }
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot read ", it->path().string()));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    out[it->path().filename().string()] = ss.str();
  }
  if (ec) {
    return absl::InternalError(absl::StrCat("listing ", dir, ": ",
                                            ec.message()));
  }
  if (out.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no *.textproto rule files in ", dir));
  }
  return out;
}

}  // namespace exportscreen::rules
