// "ofac_sdn": OFAC's legacy CSV files, headerless, CRLF, "-0-" for null, a
// final 0x1A line (skipped). Roles come from base names:
//   sdn.csv / cons_prim.csv          primary records (list SDN / NONSDN)
//   alt.csv / cons_alt.csv           alternate names
//   add.csv / cons_add.csv           addresses
//   sdn_comments.csv / cons_comments.csv  remarks overflow (appended)
// Files of a set without its primary file are an INVALID_ARGUMENT ("no
// primary file"): importing alt.csv alone would reject every row anyway.
// Alt/add/comment rows whose ent_num has no primary record in the import
// are rejections with their line number.
//
// Alias strength. In the real files every alt_remarks is "-0-": alt.csv
// carries OFAC's (strong) a.k.a./f.k.a./n.k.a. names. OFAC's weak ("low
// quality") a.k.a.s are not in alt.csv but in the Remarks column, written
// "a.k.a. 'BNC'". So: alt.csv rows are strong, unless their alt_remarks say
// "weak" or "low quality"; quoted a.k.a.s found in the remarks are weak.
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/store/importers/country_names.h"
#include "services/common/csv_reader.h"
#include "services/store/importers/formats.h"

namespace exportscreen::store::importers {
namespace {

enum class Role { kPrimary, kAlt, kAdd, kComments };

struct RoleInfo {
  absl::string_view file_name;
  Role role;
  bool consolidated;  // cons_* (non-SDN) set
  size_t columns;
  absl::string_view column_names;
};

constexpr RoleInfo kRoles[] = {
    {"sdn.csv", Role::kPrimary, false, 12,
     "ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, "
     "Tonnage, GRT, Vess_flag, Vess_owner, Remarks"},
    {"cons_prim.csv", Role::kPrimary, true, 12,
     "ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, "
     "Tonnage, GRT, Vess_flag, Vess_owner, Remarks"},
    {"alt.csv", Role::kAlt, false, 5, "ent_num, alt_num, alt_type, alt_name, alt_remarks"},
    {"cons_alt.csv", Role::kAlt, true, 5, "ent_num, alt_num, alt_type, alt_name, alt_remarks"},
    {"add.csv", Role::kAdd, false, 6,
     "ent_num, add_num, address, city/state/postal, country, add_remarks"},
    {"cons_add.csv", Role::kAdd, true, 6,
     "ent_num, add_num, address, city/state/postal, country, add_remarks"},
    {"sdn_comments.csv", Role::kComments, false, 2, "ent_num, remarks_extended"},
    {"cons_comments.csv", Role::kComments, true, 2, "ent_num, remarks_extended"},
};

const RoleInfo* FindRole(absl::string_view base_name) {
  for (const RoleInfo& r : kRoles) {
    if (absl::EqualsIgnoreCase(base_name, r.file_name)) return &r;
  }
  return nullptr;
}

bool IsEntNum(absl::string_view s) {
  if (s.empty() || s.size() > 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// One set (SDN or NONSDN): ent_num -> index of the entity in the result.
struct OfacSet {
  absl::flat_hash_map<std::string, int64_t> by_ent_num;
  // Raw remarks per entity index, parsed once all files are read.
  absl::flat_hash_map<int64_t, std::string> remarks;
};

std::vector<std::string> ParsePrograms(absl::string_view text) {
  std::vector<std::string> out;
  for (const std::string& part : SplitList(text, ']')) {
    std::string p(absl::StripAsciiWhitespace(part));
    while (!p.empty() && p.front() == '[') p.erase(0, 1);
    p = CleanText(p);
    if (!p.empty()) out.push_back(std::move(p));
  }
  return out;
}

void AppendRemark(std::string* remarks, absl::string_view text) {
  if (text.empty()) return;
  absl::StrAppend(remarks, remarks->empty() ? "" : " ", text);
}

// Removes a trailing '.'.
absl::string_view StripDot(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return absl::StripAsciiWhitespace(s);
}

// Quoted a.k.a.s in the remarks: "a.k.a. 'BNC'" -> weak aliases.
void AddRemarkAliases(absl::string_view remarks, v1::ListedEntity* e) {
  struct Marker {
    absl::string_view text;
    absl::string_view kind;
  };
  static constexpr Marker kMarkers[] = {
      {"a.k.a. '", "aka"}, {"f.k.a. '", "fka"}, {"n.k.a. '", "nka"}};
  for (const Marker& m : kMarkers) {
    size_t pos = 0;
    while ((pos = remarks.find(m.text, pos)) != absl::string_view::npos) {
      const size_t start = pos + m.text.size();
      // The closing quote is one followed by the end, ';', ',', ')' or '.'
      // (a quote inside a name such as AL-QA'IDA is followed by a letter).
      size_t end = start;
      while (true) {
        end = remarks.find('\'', end);
        if (end == absl::string_view::npos) break;
        const char next = end + 1 < remarks.size() ? remarks[end + 1] : ';';
        if (next == ';' || next == ',' || next == ')' || next == '.' || next == ' ') {
          break;
        }
        ++end;
      }
      if (end == absl::string_view::npos) break;
      AddAlias(e, remarks.substr(start, end - start), v1::ALIAS_STRENGTH_WEAK, m.kind);
      pos = end + 1;
    }
  }
}

// "Passport A123 (Iran)" style segments of the remarks.
struct IdPrefix {
  absl::string_view prefix;
  absl::string_view type;
};
constexpr IdPrefix kIdPrefixes[] = {
    {"Passport ", "Passport"},
    {"National ID No. ", "National ID No."},
    {"Tax ID No. ", "Tax ID No."},
    {"Registration Number ", "Registration Number"},
    {"Registration ID ", "Registration ID"},
    {"Business Registration Number ", "Business Registration Number"},
    {"Company Number ", "Company Number"},
    {"Cedula No. ", "Cedula No."},
    {"C.U.R.P. ", "C.U.R.P."},
    {"R.F.C. ", "R.F.C."},
    {"NIT # ", "NIT #"},
    {"RUC # ", "RUC #"},
    {"Identification Number ", "Identification Number"},
    {"Legal Entity Number ", "Legal Entity Number"},
    {"Unified Social Credit Code (USCC) ", "USCC"},
    {"Government Gazette Number ", "Government Gazette Number"},
    {"D-U-N-S Number ", "DUNS"},
    {"SWIFT/BIC ", "SWIFT/BIC"},
    {"Website ", "Website"},
    {"Email Address ", "Email Address"},
    {"Vessel Registration Identification IMO ", "IMO"},
    {"IMO ", "IMO"},
    {"MMSI ", "MMSI"},
    {"Aircraft Manufacturer's Serial Number (MSN) ", "Aircraft MSN"},
    {"Aircraft Tail Number ", "Aircraft Tail Number"},
};

void ParseRemarkSegment(absl::string_view seg, v1::ListedEntity* e) {
  seg = absl::StripAsciiWhitespace(seg);
  if (absl::StartsWith(seg, "DOB ")) {
    e->add_dates_of_birth(std::string(StripDot(seg.substr(4))));
    return;
  }
  for (absl::string_view p : {"nationality ", "citizen "}) {
    if (absl::StartsWith(seg, p)) {
      std::string code;
      if (LookupCountryName(StripDot(seg.substr(p.size())), &code) && !code.empty()) {
        e->add_countries(code);
      }
      return;
    }
  }
  for (const IdPrefix& p : kIdPrefixes) {
    if (!absl::StartsWith(seg, p.prefix)) continue;
    absl::string_view value = StripDot(seg.substr(p.prefix.size()));
    v1::Identifier id;
    id.set_type(std::string(p.type));
    const size_t open = value.find(" (");
    if (open != absl::string_view::npos && value.back() == ')') {
      std::string code;
      if (LookupCountryName(value.substr(open + 2, value.size() - open - 3), &code)) {
        id.set_country(code);
      }
      value = value.substr(0, open);
    }
    id.set_value(CleanText(value));
    if (!id.value().empty()) *e->add_identifiers() = std::move(id);
    return;
  }
}

void ParseRemarks(absl::string_view remarks, v1::ListedEntity* e) {
  AddRemarkAliases(remarks, e);
  for (const std::string& seg : SplitList(remarks, ';')) {
    ParseRemarkSegment(seg, e);
  }
}

class OfacImport {
 public:
  explicit OfacImport(ImportSink* sink) : sink_(sink) {}

  // Reads the records of `file`; checks the first data row's shape.
  absl::Status ForEachRow(const ImportInput& file, const RoleInfo& role,
                          const std::function<void(const CsvRecord&)>& on_row) {
    CsvReader reader(file.content, ',');
    CsvRecord rec;
    bool first = true;
    while (reader.Next(&rec)) {
      if (rec.blank || (rec.fields.size() == 1 && CleanText(rec.fields[0]) == "\x1A")) {
        sink_->Skip();
        continue;
      }
      const bool ok_shape = rec.fields.size() == role.columns && IsEntNum(CleanText(rec.fields[0]));
      if (first && !ok_shape) {
        return absl::InvalidArgumentError(absl::StrCat(
            file.name, " is not an OFAC ", role.file_name, " file: line ", rec.line, " has ",
            rec.fields.size(), " column(s); expected ", role.columns, " headerless columns (",
            role.column_names, ") starting with a numeric ent_num"));
      }
      first = false;
      if (rec.truncated) {
        sink_->Reject(file.name, rec.line, "truncated record: file ends inside a quoted field");
        continue;
      }
      if (rec.fields.size() != role.columns) {
        sink_->Reject(file.name, rec.line,
                      absl::StrCat("expected ", role.columns, " columns, got ", rec.fields.size()));
        continue;
      }
      if (!IsEntNum(CleanText(rec.fields[0]))) {
        sink_->Reject(file.name, rec.line,
                      absl::StrCat("ent_num \"", CleanText(rec.fields[0]), "\" is not a number"));
        continue;
      }
      on_row(rec);
    }
    return absl::OkStatus();
  }

  absl::Status Primary(const ImportInput& file, const RoleInfo& role, OfacSet* set) {
    const std::string list = role.consolidated ? "NONSDN" : "SDN";
    return ForEachRow(file, role, [&](const CsvRecord& rec) {
      const auto& f = rec.fields;
      v1::ListedEntity e;
      e.set_list(list);
      e.set_source_id(CleanText(f[0]));
      e.set_primary_name(OfacField(f[1]));
      if (e.primary_name().empty()) {
        sink_->Reject(file.name, rec.line, "empty SDN_Name");
        return;
      }
      const std::string type = absl::AsciiStrToLower(OfacField(f[2]));
      if (type.empty()) {
        e.set_type(v1::ENTITY_TYPE_ORGANIZATION);
      } else if (type == "individual") {
        e.set_type(v1::ENTITY_TYPE_PERSON);
      } else if (type == "vessel") {
        e.set_type(v1::ENTITY_TYPE_VESSEL);
      } else if (type == "aircraft") {
        e.set_type(v1::ENTITY_TYPE_AIRCRAFT);
      } else {
        sink_->Warn(file.name, rec.line, absl::StrCat("unknown SDN_Type \"", type, "\""));
      }
      for (std::string& p : ParsePrograms(OfacField(f[3]))) {
        e.add_programs(std::move(p));
      }
      e.set_title(OfacField(f[4]));
      const std::string call_sign = OfacField(f[5]);
      if (!call_sign.empty()) {
        v1::Identifier* id = e.add_identifiers();
        id->set_type("Call Sign");
        id->set_value(call_sign);
      }
      const std::string flag = OfacField(f[9]);
      if (!flag.empty()) {
        std::string code;
        if (LookupCountryName(flag, &code)) {
          if (!code.empty()) e.add_countries(code);
        } else {
          sink_->Warn(file.name, rec.line,
                      absl::StrCat("unknown Vess_flag country \"", flag, "\""));
        }
      }
      std::vector<std::string> vessel;
      static constexpr absl::string_view kVesselCols[] = {"Vessel type", "Tonnage", "GRT",
                                                          "Vessel flag", "Vessel owner"};
      for (int col = 6; col <= 10; ++col) {
        std::string v = OfacField(f[static_cast<size_t>(col)]);
        if (!v.empty()) {
          vessel.push_back(absl::StrCat(kVesselCols[col - 6], " ", v));
        }
      }
      e.set_source_file(file.name);
      e.set_source_line(rec.line);
      std::string remarks = OfacField(f[11]);
      const int64_t index = sink_->AddEntity(std::move(e));
      if (index < 0) return;
      set->by_ent_num[sink_->entity(index)->source_id()] = index;
      if (!vessel.empty()) {
        // Kept apart from the OFAC remarks text, which is parsed later.
        vessel_notes_[index] = absl::StrJoin(vessel, "; ");
      }
      set->remarks[index] = std::move(remarks);
    });
  }

  // Finds the entity of an alt/add/comments row, or rejects the row.
  v1::ListedEntity* Owner(const ImportInput& file, const CsvRecord& rec, OfacSet* set) {
    const std::string ent_num = CleanText(rec.fields[0]);
    auto it = set->by_ent_num.find(ent_num);
    if (it == set->by_ent_num.end()) {
      sink_->Reject(file.name, rec.line,
                    absl::StrCat("no primary record ent_num ", ent_num, " in this import"));
      return nullptr;
    }
    return sink_->entity(it->second);
  }

  absl::Status Alt(const ImportInput& file, const RoleInfo& role, OfacSet* set) {
    return ForEachRow(file, role, [&](const CsvRecord& rec) {
      const auto& f = rec.fields;
      const std::string name = OfacField(f[3]);
      if (name.empty()) {
        sink_->Reject(file.name, rec.line, "empty alt_name");
        return;
      }
      v1::ListedEntity* e = Owner(file, rec, set);
      if (e == nullptr) return;
      std::string kind = absl::AsciiStrToLower(OfacField(f[2]));
      if (kind != "aka" && kind != "fka" && kind != "nka") {
        sink_->Warn(file.name, rec.line, absl::StrCat("unknown alt_type \"", kind, "\""));
        kind.clear();
      }
      const std::string remarks = absl::AsciiStrToLower(OfacField(f[4]));
      const bool weak =
          absl::StrContains(remarks, "weak") || absl::StrContains(remarks, "low quality");
      AddAlias(e, name, weak ? v1::ALIAS_STRENGTH_WEAK : v1::ALIAS_STRENGTH_STRONG, kind);
      sink_->Merge();
    });
  }

  absl::Status Add(const ImportInput& file, const RoleInfo& role, OfacSet* set) {
    return ForEachRow(file, role, [&](const CsvRecord& rec) {
      const auto& f = rec.fields;
      v1::ListedEntity* e = Owner(file, rec, set);
      if (e == nullptr) return;
      v1::Address a;
      a.set_street(OfacField(f[2]));
      a.set_city(OfacField(f[3]));
      const std::string country = OfacField(f[4]);
      if (!country.empty()) {
        std::string code;
        if (LookupCountryName(country, &code)) {
          a.set_country(code);
          if (!code.empty()) e->add_countries(code);
        } else {
          sink_->Warn(file.name, rec.line, absl::StrCat("unknown country name \"", country, "\""));
          // Keep the name visible rather than lose it.
          a.set_region(country);
        }
      }
      const std::string note = OfacField(f[5]);
      if (!note.empty()) {
        AppendRemark(e->mutable_remarks(), absl::StrCat("Address note: ", note, "."));
      }
      if (!a.street().empty() || !a.city().empty() || !a.country().empty() || !a.region().empty()) {
        *e->add_addresses() = std::move(a);
      }
      sink_->Merge();
    });
  }

  absl::Status Comments(const ImportInput& file, const RoleInfo& role, OfacSet* set) {
    return ForEachRow(file, role, [&](const CsvRecord& rec) {
      const std::string ent_num = CleanText(rec.fields[0]);
      auto it = set->by_ent_num.find(ent_num);
      if (it == set->by_ent_num.end()) {
        sink_->Reject(file.name, rec.line,
                      absl::StrCat("no primary record ent_num ", ent_num, " in this import"));
        return;
      }
      // remarks_extended continues the (length-limited) Remarks column.
      absl::StrAppend(&set->remarks[it->second], OfacField(rec.fields[1]));
      sink_->Merge();
    });
  }

  // Parses the complete remarks of every entity of `set`.
  void FinishSet(OfacSet* set) {
    for (auto& [index, remarks] : set->remarks) {
      v1::ListedEntity* e = sink_->entity(index);
      ParseRemarks(remarks, e);
      std::string text = CleanText(remarks);
      auto vessel = vessel_notes_.find(index);
      if (vessel != vessel_notes_.end()) {
        AppendRemark(&text, absl::StrCat(vessel->second, "."));
      }
      AppendRemark(&text, e->remarks());  // address notes
      e->set_remarks(std::move(text));
      NormalizeEntity(e);
    }
  }

 private:
  ImportSink* sink_;
  absl::flat_hash_map<int64_t, std::string> vessel_notes_;
};

}  // namespace

absl::Status ParseOfacSdnFiles(const std::vector<ImportInput>& files, ImportSink* sink) {
  struct Item {
    const ImportInput* file;
    const RoleInfo* role;
  };
  std::vector<Item> items;
  bool has_primary[2] = {false, false};
  bool has_other[2] = {false, false};
  for (const ImportInput& file : files) {
    const RoleInfo* role = FindRole(BaseName(file.name));
    if (role == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("ofac_sdn: cannot tell the role of file \"", file.name,
                       "\" from its name; expected sdn.csv, alt.csv, add.csv, "
                       "sdn_comments.csv or cons_prim.csv, cons_alt.csv, cons_add.csv, "
                       "cons_comments.csv"));
    }
    for (const Item& other : items) {
      if (other.role == role) {
        return absl::InvalidArgumentError(
            absl::StrCat("ofac_sdn: two files named ", role->file_name));
      }
    }
    const int set = role->consolidated ? 1 : 0;
    (role->role == Role::kPrimary ? has_primary : has_other)[set] = true;
    items.push_back(Item{&file, role});
  }
  for (int set = 0; set < 2; ++set) {
    if (has_other[set] && !has_primary[set]) {
      return absl::InvalidArgumentError(
          absl::StrCat("ofac_sdn: no primary file: ",
                       set == 0 ? "alt.csv/add.csv/sdn_comments.csv need sdn.csv"
                                : "cons_alt.csv/cons_add.csv/cons_comments.csv need "
                                  "cons_prim.csv",
                       " in the same import (ent_nums refer to it)"));
    }
  }
  OfacImport import(sink);
  OfacSet sets[2];
  // Primary files first, then the files that refer to them.
  for (Role role : {Role::kPrimary, Role::kComments, Role::kAlt, Role::kAdd}) {
    for (const Item& item : items) {
      if (item.role->role != role) continue;
      OfacSet* set = &sets[item.role->consolidated ? 1 : 0];
      absl::Status status;
      switch (role) {
        case Role::kPrimary:
          status = import.Primary(*item.file, *item.role, set);
          break;
        case Role::kAlt:
          status = import.Alt(*item.file, *item.role, set);
          break;
        case Role::kAdd:
          status = import.Add(*item.file, *item.role, set);
          break;
        case Role::kComments:
          status = import.Comments(*item.file, *item.role, set);
          break;
      }
      if (!status.ok()) return status;
    }
  }
  for (OfacSet& set : sets) import.FinishSet(&set);
  return absl::OkStatus();
}

}  // namespace exportscreen::store::importers
