// Internal to services/rules: the rule compiler behind RuleSet::Compile.
// Not part of the module's API; include only from services/rules/*.cc.
//
// The compiler runs in stages, one file each:
//   rule_compiler.cc             Run: declarations, cross references and the
//                                final country tables, in that order;
//   rule_compiler_rules.cc       one rule family at a time (pass 2), the CCL;
//   rule_compiler_conditions.cc  conditions -> flat node arrays;
//   rule_compiler_overlaps.cc    overlapping classification rules;
//   rule_attributes.cc           the built-in attributes and their names.
// Every problem is collected as "FILE:LINE: RULE_ID: reason", in the order the
// stages meet them (tests compare the text).
//
// Thread-compatible: one Compiler compiles one rule set on one thread.
#ifndef EXPORTSCREEN_SERVICES_RULES_RULE_COMPILER_H_
#define EXPORTSCREEN_SERVICES_RULES_RULE_COMPILER_H_

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/text_format.h"
#include "services/rules/compiled_rules.h"

namespace exportscreen::rules::compiler_internal {

using ParseInfoTree = google::protobuf::TextFormat::ParseInfoTree;

// One rule file as parsed, with the line of every field.
struct ParsedFile {
  std::string name;
  v1::RuleFile file;
  ParseInfoTree tree;
};

// An attribute as the compiler resolves it (built-in or item parameter).
struct ResolvedAttr {
  ValueType type;
  Vocab vocab;
  int slot;
  bool item;
  Stage stage;
};

// Names for error messages and `screenctl rules attributes`.
const char* TypeName(ValueType t);
const char* StageName(Stage s);
// Resolves a built-in attribute by name; false if there is none.
bool ResolveBuiltinAttr(const std::string& name, ResolvedAttr* r);
// "item.param.": declared item parameters are attributes under this prefix.
extern const char kParamPrefix[];

// Parses "YYYY-MM-DD" (a real calendar day) into *d.
bool ParseDay(const std::string& s, absl::CivilDay* d);
// Two upper-case ASCII letters.
bool IsCountryCode(const std::string& s);

// Compiles parsed rule files into *out; errors() lists every problem.
class Compiler {
 public:
  explicit Compiler(CompiledRules* out) : out_(out) {}

  std::vector<std::string>& errors() { return errors_; }

  void Run(std::vector<ParsedFile>& files);

 private:
  // Where a problem is reported: file, line and rule id.
  struct Where {
    const std::string* file;
    int line;
    std::string id;
  };
  struct CondInfo {
    bool item_scope = false;
  };
  using Conditions = google::protobuf::RepeatedPtrField<v1::Condition>;

  void Error(const Where& w, absl::string_view reason);
  static int LineOf(const ParseInfoTree* tree, const google::protobuf::FieldDescriptor* f,
                    int index, int fallback);
  // Where the i-th `field` of file f is, for errors about rule `id`.
  static Where WhereOf(const ParsedFile& f, const char* field, int i, const std::string& id);
  // The parse tree of the i-th `field`'s `inner` field (nullptr if unknown).
  static const ParseInfoTree* Subtree(const ParsedFile& f, const char* field, int i,
                                      const char* inner);

  // --- rule_compiler.cc: Run's stages ---
  // Item and address kinds from the proto enums.
  void InternEnumVocabularies();
  // Pass 1: parameters, vocabularies, groups, aliases, ECCNs, predicates.
  void DeclareParameters(const ParsedFile& f);
  void DeclareVocabularies(const ParsedFile& f);
  void DeclareCountryGroups(const ParsedFile& f);
  void DeclareCountryAliases(const ParsedFile& f);
  void DeclareEccns(const ParsedFile& f);
  void DeclarePredicates(const ParsedFile& f);
  // False (with an error) if a vocabulary outgrew its 256-bit masks.
  bool CheckVocabularySizes();
  // ECCN tags (need the tag vocabulary, so after pass 1).
  void TagEccns(const std::vector<ParsedFile>& files);
  // Predicates never used are still checked (compiled once, discarded).
  void CheckAllPredicates();
  // Licence rule ids named by review policies and exceptions -> indexes.
  void ResolveLicenseReferences();
  void ResolveLicenseIds(const std::vector<std::string>& ids, const Where& w,
                         std::vector<uint32_t>* out);
  // Operands of computed parameters (after all declarations).
  void ResolveComputedParams();
  // Destination scopes of CCL controls: group codes to ids.
  void ResolveDestinationGroups();
  // Country groups and aliases; false (with an error) on too many countries.
  bool FinaliseCountries(const std::vector<ParsedFile>& files);
  // Classification order and the per-kind buckets of every family.
  void SortAndBucket();
  bool CompileMeta(const v1::RuleMeta& m, const Where& w, CompiledMeta* out);

  // --- rule_compiler_rules.cc: pass 2, one rule family at a time ---
  void CompileClassifications(const ParsedFile& f);
  void CompileLicenses(const ParsedFile& f);
  void CompileReviewPolicies(const ParsedFile& f);
  void CompileExceptions(const ParsedFile& f);
  void CompilePartyLists(const ParsedFile& f);
  void CompileOwnerships(const ParsedFile& f);
  void CompileRedFlags(const ParsedFile& f);
  void CompileFastPaths(const ParsedFile& f);
  void CompileMatchThresholds(const ParsedFile& f);
  void CompileCoverage(const ParsedFile& f);
  void CompileCclBlocks(const ParsedFile& f);
  void CompileCcl(const v1::CclData& data, const Where& w);
  // CCL controls replaced by hand-written rules (ccl_superseded).
  void ApplySupersessions(const ParsedFile& f);

  // --- rule_compiler_conditions.cc ---
  int Intern(Vocab v, const std::string& name);
  // Resolves a value of vocabulary v (countries are open: any ISO code).
  int ResolveValue(Vocab v, const std::string& value, const Where& w);
  int AttrIndex(const std::string& name);
  bool ResolveAttr(const std::string& name, ResolvedAttr* r);
  std::vector<Recorded> CompileRecord(const google::protobuf::RepeatedPtrField<std::string>& names,
                                      const Where& w);
  // Compiles a condition; returns node index or -1 on error.
  int64_t CompileCond(const v1::Condition& c, const ParseInfoTree* tree, const Where& w,
                      Stage stage, CondInfo* info, int depth);
  // The stages of CompileCond: all/any, not, a predicate reference, a leaf.
  int64_t CompileList(Node::Op op, const google::protobuf::FieldDescriptor* f, const Conditions& l,
                      const ParseInfoTree* tree, const Where& w, Stage stage, CondInfo* info,
                      int depth);
  int64_t CompileNot(const v1::Condition& c, const ParseInfoTree* tree, const Where& w, Stage stage,
                     CondInfo* info, int depth);
  int64_t CompileRef(const v1::Condition& c, const Where& w, Stage stage, CondInfo* info,
                     int depth);
  int64_t CompileLeaf(const v1::Condition& c, const ParseInfoTree* tree, const Where& outer,
                      Stage stage, CondInfo* info);
  // Leaf tests on a resolved attribute: bounds, and eq/in/has/has_any.
  int64_t CompileBounds(const v1::Condition& c, const Node& base);
  int64_t CompileValueTest(const v1::Condition& c, const ResolvedAttr& a, const Node& base,
                           const Where& w);
  int64_t Emit(const Node& n);
  int64_t EmitParent(Node::Op op, const std::vector<uint32_t>& kids);
  Cond CompileTop(const v1::Condition& c, const ParseInfoTree* tree, const Where& w, Stage stage,
                  bool allow_item = true);
  // See LocationUse.
  LocationUse LocationUseOf(uint32_t root) const;
  // See Cond::first_gate.
  void CollectGates(uint32_t i);

  // --- rule_compiler_overlaps.cc ---
  void CheckOverlaps(const std::vector<const v1::ClassificationRule*>& src,
                     const std::vector<Where>& where);

  CompiledRules* out_;
  std::vector<std::string> errors_;
  absl::flat_hash_map<std::string, int> attr_index_;
  absl::flat_hash_map<std::string, Where> ids_;
  std::map<std::string, std::pair<const v1::PredicateDef*, Where>> predicates_;
  std::set<std::string> expanding_;
  bool seen_thresholds_ = false;

  // State carried between Run's stages.
  // Computed parameters resolve their operands after all declarations.
  std::vector<std::pair<const v1::ParameterDecl*, Where>> computed_;
  std::vector<std::pair<int, std::vector<std::string>>> group_members_;
  std::vector<const v1::ClassificationRule*> cls_src_;
  std::vector<Where> cls_where_;
  std::vector<std::pair<std::vector<std::string>, Where>> policy_replaces_;
  std::vector<std::pair<std::vector<std::string>, Where>> exception_for_;
  absl::flat_hash_map<std::string, uint32_t> license_index_;
};

}  // namespace exportscreen::rules::compiler_internal

#endif  // EXPORTSCREEN_SERVICES_RULES_RULE_COMPILER_H_
