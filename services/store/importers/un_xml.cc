// "un_xml": the UN Security Council consolidated list XML
// (CONSOLIDATED_LIST > INDIVIDUALS/ENTITIES), parsed with expat (SAX).
// Alias quality: "Good", "a.k.a." -> strong aka; "f.k.a." -> strong fka;
// "Low" -> weak aka; empty quality with a name -> strong aka.
#include <expat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/store/importers/country_names.h"
#include "services/store/importers/formats.h"

namespace exportscreen::store::importers {
namespace {

// Collects one record's leaf values while expat walks it.
struct Record {
  bool individual = true;
  int64_t line = 0;
  std::string dataid, first, second, third, fourth, list_type, reference, listed_on, comments,
      original_script, gender;
  std::vector<std::string> titles, designations, nationalities;
  std::vector<v1::Alias> aliases;
  std::vector<v1::Address> addresses;
  std::vector<std::string> dates_of_birth;
  std::vector<v1::Identifier> documents;
  std::vector<std::string> unknown_countries;
};

// Current sub-element group (alias, address ...) and its fields.
struct Group {
  std::string quality, name, street, city, state, zip, country, note, date_type, date, year,
      from_year, to_year, doc_type, doc_type2, number, issuing_country, doc_country;
  std::vector<std::string> values;  // VALUE children (TITLE, NATIONALITY ...)
};

class UnParser {
 public:
  UnParser(const ImportInput& file, ImportSink* sink) : file_(file), sink_(sink) {}

  absl::Status Parse() {
    std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                        &XML_ParserFree);
    if (parser == nullptr) return absl::InternalError("XML_ParserCreate");
    parser_ = parser.get();
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &UnParser::OnStart, &UnParser::OnEnd);
    XML_SetCharacterDataHandler(parser_, &UnParser::OnText);
    const std::string& content = file_.content;
    // Feed in chunks so a 2 GB file cannot overflow expat's int length.
    constexpr size_t kChunk = 1 << 20;
    size_t pos = 0;
    do {
      const size_t len = std::min(kChunk, content.size() - pos);
      const bool last = pos + len >= content.size();
      if (XML_Parse(parser_, content.data() + pos, static_cast<int>(len), last) ==
          XML_STATUS_ERROR) {
        return absl::InvalidArgumentError(absl::StrCat(
            file_.name, " is not valid un_xml: ", XML_ErrorString(XML_GetErrorCode(parser_)),
            " at line ", XML_GetCurrentLineNumber(parser_)));
      }
      pos += len;
    } while (pos < content.size());
    if (!root_ok_) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_.name,
                       " is not a UN consolidated list: expected root element "
                       "CONSOLIDATED_LIST"));
    }
    return absl::OkStatus();
  }

 private:
  static void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** /*attrs*/) {
    static_cast<UnParser*>(data)->Start(name);
  }
  static void XMLCALL OnEnd(void* data, const XML_Char* name) {
    static_cast<UnParser*>(data)->End(name);
  }
  static void XMLCALL OnText(void* data, const XML_Char* s, int len) {
    auto* self = static_cast<UnParser*>(data);
    if (self->depth_in_record_ > 0) self->text_.append(s, len);
  }

  void Start(absl::string_view name) {
    if (!seen_root_) {
      seen_root_ = true;
      root_ok_ = name == "CONSOLIDATED_LIST";
      return;
    }
    if (!root_ok_) return;
    text_.clear();
    if (!in_record_ && (name == "INDIVIDUAL" || name == "ENTITY")) {
      in_record_ = true;
      depth_in_record_ = 1;
      record_ = Record();
      record_.individual = name == "INDIVIDUAL";
      record_.line = XML_GetCurrentLineNumber(parser_);
      return;
    }
    if (!in_record_) return;
    ++depth_in_record_;
    if (depth_in_record_ == 2) {
      group_ = Group();
      group_name_ = std::string(name);
    }
  }

  void End(absl::string_view name) {
    if (!in_record_) return;
    std::string value = CleanText(text_);
    text_.clear();
    --depth_in_record_;
    if (depth_in_record_ == 0) {
      in_record_ = false;
      Finish();
      return;
    }
    if (depth_in_record_ == 1) {
      // Closing a direct child of the record.
      EndTopLevel(name, std::move(value));
      return;
    }
    // A leaf inside a group.
    if (name == "QUALITY")
      group_.quality = value;
    else if (name == "ALIAS_NAME")
      group_.name = value;
    else if (name == "STREET")
      group_.street = value;
    else if (name == "CITY")
      group_.city = value;
    else if (name == "STATE_PROVINCE")
      group_.state = value;
    else if (name == "ZIP_CODE")
      group_.zip = value;
    else if (name == "COUNTRY")
      group_.country = value;
    else if (name == "NOTE")
      group_.note = value;
    else if (name == "TYPE_OF_DATE")
      group_.date_type = value;
    else if (name == "DATE")
      group_.date = value;
    else if (name == "YEAR")
      group_.year = value;
    else if (name == "FROM_YEAR")
      group_.from_year = value;
    else if (name == "TO_YEAR")
      group_.to_year = value;
    else if (name == "TYPE_OF_DOCUMENT")
      group_.doc_type = value;
    else if (name == "TYPE_OF_DOCUMENT2")
      group_.doc_type2 = value;
    else if (name == "NUMBER")
      group_.number = value;
    else if (name == "ISSUING_COUNTRY")
      group_.issuing_country = value;
    else if (name == "COUNTRY_OF_ISSUE")
      group_.doc_country = value;
    else if (name == "VALUE" && !value.empty())
      group_.values.push_back(value);
  }

  std::string CountryCode(const std::string& name) {
    if (name.empty()) return "";
    std::string code;
    if (LookupCountryName(name, &code)) return code;
    record_.unknown_countries.push_back(name);
    return "";
  }

  void EndTopLevel(absl::string_view name, std::string value) {
    Record& r = record_;
    if (name == "DATAID")
      r.dataid = value;
    else if (name == "FIRST_NAME")
      r.first = value;
    else if (name == "SECOND_NAME")
      r.second = value;
    else if (name == "THIRD_NAME")
      r.third = value;
    else if (name == "FOURTH_NAME")
      r.fourth = value;
    else if (name == "UN_LIST_TYPE")
      r.list_type = value;
    else if (name == "REFERENCE_NUMBER")
      r.reference = value;
    else if (name == "LISTED_ON")
      r.listed_on = value;
    else if (name == "COMMENTS1")
      r.comments = value;
    else if (name == "NAME_ORIGINAL_SCRIPT")
      r.original_script = value;
    else if (name == "GENDER")
      r.gender = value;
    else if (name == "TITLE") {
      for (std::string& v : group_.values) r.titles.push_back(std::move(v));
    } else if (name == "DESIGNATION") {
      for (std::string& v : group_.values) {
        r.designations.push_back(std::move(v));
      }
    } else if (name == "NATIONALITY") {
      for (std::string& v : group_.values) {
        r.nationalities.push_back(std::move(v));
      }
    } else if (name == "INDIVIDUAL_ALIAS" || name == "ENTITY_ALIAS") {
      if (group_.name.empty()) return;
      v1::Alias a;
      a.set_name(group_.name);
      a.set_kind("aka");
      a.set_strength(v1::ALIAS_STRENGTH_STRONG);
      if (absl::EqualsIgnoreCase(group_.quality, "Low")) {
        a.set_strength(v1::ALIAS_STRENGTH_WEAK);
      } else if (absl::EqualsIgnoreCase(group_.quality, "f.k.a.")) {
        a.set_kind("fka");
      }
      r.aliases.push_back(std::move(a));
    } else if (name == "INDIVIDUAL_ADDRESS" || name == "ENTITY_ADDRESS") {
      v1::Address a;
      a.set_street(group_.street);
      a.set_city(group_.city);
      a.set_region(group_.state);
      a.set_postal_code(group_.zip);
      a.set_country(CountryCode(group_.country));
      if (a.street().empty() && a.city().empty() && a.region().empty() && a.postal_code().empty() &&
          a.country().empty()) {
        return;
      }
      r.addresses.push_back(std::move(a));
    } else if (name == "INDIVIDUAL_DATE_OF_BIRTH") {
      std::string dob = group_.date;
      if (dob.empty()) dob = group_.year;
      if (dob.empty() && !group_.from_year.empty()) {
        dob = absl::StrCat(group_.from_year, "-", group_.to_year);
      }
      if (!dob.empty() && absl::EqualsIgnoreCase(group_.date_type, "APPROXIMATELY")) {
        dob = absl::StrCat("circa ", dob);
      }
      if (!dob.empty()) r.dates_of_birth.push_back(dob);
    } else if (name == "INDIVIDUAL_DOCUMENT") {
      if (group_.number.empty()) return;
      v1::Identifier id;
      id.set_type(group_.doc_type.empty() ? "Document" : group_.doc_type);
      id.set_value(group_.number);
      std::string country =
          group_.issuing_country.empty() ? group_.doc_country : group_.issuing_country;
      id.set_country(CountryCode(country));
      r.documents.push_back(std::move(id));
    }
  }

  void Finish() {
    const Record& r = record_;
    std::vector<absl::string_view> parts;
    for (const std::string* p : {&r.first, &r.second, &r.third, &r.fourth}) {
      if (!p->empty()) parts.push_back(*p);
    }
    const std::string name = absl::StrJoin(parts, " ");
    if (r.dataid.empty()) {
      sink_->Reject(file_.name, r.line, "record without DATAID");
      return;
    }
    if (name.empty()) {
      sink_->Reject(file_.name, r.line, absl::StrCat("record DATAID ", r.dataid, " has no name"));
      return;
    }
    v1::ListedEntity e;
    e.set_list("UN");
    e.set_source_id(r.dataid);
    e.set_type(r.individual ? v1::ENTITY_TYPE_PERSON : v1::ENTITY_TYPE_ORGANIZATION);
    e.set_primary_name(name);
    if (!r.original_script.empty()) {
      v1::Alias* a = e.add_aliases();
      a->set_name(r.original_script);
      a->set_strength(v1::ALIAS_STRENGTH_STRONG);
      a->set_kind("");
    }
    for (const v1::Alias& a : r.aliases) *e.add_aliases() = a;
    for (const v1::Address& a : r.addresses) {
      *e.add_addresses() = a;
      if (!a.country().empty()) e.add_countries(a.country());
    }
    for (const std::string& n : r.nationalities) {
      const std::string code = CountryCode(n);
      if (!code.empty()) e.add_countries(code);
    }
    if (!r.list_type.empty()) e.add_programs(r.list_type);
    if (!r.listed_on.empty() && !ParseDate(r.listed_on, e.mutable_start_date())) {
      sink_->Warn(file_.name, r.line, absl::StrCat("bad LISTED_ON \"", r.listed_on, "\" ignored"));
    }
    if (!r.reference.empty()) {
      v1::Identifier* id = e.add_identifiers();
      id->set_type("UN Reference Number");
      id->set_value(r.reference);
    }
    for (const v1::Identifier& id : r.documents) *e.add_identifiers() = id;
    for (const std::string& d : r.dates_of_birth) e.add_dates_of_birth(d);
    e.set_title(absl::StrJoin(r.titles, "; "));
    std::string remarks;
    if (!r.designations.empty()) {
      absl::StrAppend(&remarks, "Designation: ", absl::StrJoin(r.designations, "; "), ". ");
    }
    if (!r.gender.empty()) absl::StrAppend(&remarks, "Gender: ", r.gender, ". ");
    absl::StrAppend(&remarks, r.comments);
    e.set_remarks(CleanText(remarks));
    for (const std::string& c : r.unknown_countries) {
      sink_->Warn(file_.name, r.line, absl::StrCat("unknown country name \"", c, "\""));
    }
    e.set_source_file(file_.name);
    e.set_source_line(r.line);
    sink_->AddEntity(std::move(e));
  }

  const ImportInput& file_;
  ImportSink* sink_;
  XML_Parser parser_ = nullptr;
  bool seen_root_ = false;
  bool root_ok_ = false;
  bool in_record_ = false;
  int depth_in_record_ = 0;
  std::string text_;
  Record record_;
  Group group_;
  std::string group_name_;
};

}  // namespace

absl::Status ParseUnXmlFile(const ImportInput& file, ImportSink* sink) {
  UnParser parser(file, sink);
  return parser.Parse();
}

}  // namespace exportscreen::store::importers
