// `screenctl batch` output: one record per shipment (JSONL or CSV) and the
// run's summary (counts by decision, list and rule, error samples), which
// the checkpoint carries across --resume.
#include "services/cli/batch.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "services/cli/batch_internal.h"
#include "services/cli/commands.h"

namespace exportscreen::cli {
namespace batch_internal {

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out->append("\\\"");
        continue;
      case '\\':
        out->append("\\\\");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      absl::StrAppendFormat(out, "\\u%04x", c);
      continue;
    }
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      continue;
    }
    // Copy valid UTF-8 sequences; replace stray bytes so the output stays
    // valid JSON whatever the input bytes were.
    int len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    }
    if (ok) {
      out->append(s.data() + i, len);
      i += len - 1;
    } else {
      out->append("\xEF\xBF\xBD");  // U+FFFD
    }
  }
  out->push_back('"');
}

}  // namespace batch_internal

namespace {

using batch_internal::AppendJsonString;

std::string CsvField(absl::string_view s) {
  if (s.find_first_of(",\"\n\r") == absl::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    if (c == '\n' || c == '\r') c = ' ';
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string ActionName(v1::MatchAction a) {
  return std::string(absl::StripPrefix(v1::MatchAction_Name(a), "MATCH_ACTION_"));
}

// The rule ids that decided the answer: non-informational findings, unique,
// in the server's order.
std::vector<std::string> DecidingRuleIds(const v1::ScreenResponse& r) {
  std::vector<std::string> ids;
  for (const auto& f : r.findings()) {
    if (f.informational()) continue;
    if (std::find(ids.begin(), ids.end(), f.rule_id()) == ids.end()) {
      ids.push_back(f.rule_id());
    }
  }
  return ids;
}

struct LineErrorView {
  std::string code;
  std::string message;
};

LineErrorView ErrorOf(const InputUnit& unit, const v1::ScreenStreamResponse* response) {
  if (!unit.error.ok()) {
    // absl and gRPC status codes have the same numbers.
    return {StatusCodeName(static_cast<grpc::StatusCode>(unit.error.code())),
            std::string(unit.error.message())};
  }
  if (response == nullptr) return {"INTERNAL", "no answer"};
  return {StatusCodeName(static_cast<grpc::StatusCode>(response->error().code())),
          response->error().message()};
}

bool IsAnswer(const InputUnit& unit, const v1::ScreenStreamResponse* response) {
  return unit.error.ok() && response != nullptr && response->has_response();
}

std::string FormatJsonl(const InputUnit& unit, const v1::ScreenStreamResponse* response) {
  std::string out;
  out.reserve(512);
  absl::StrAppend(&out, "{\"first_line\":", unit.first_line, ",\"last_line\":", unit.last_line,
                  ",\"shipment_id\":");
  AppendJsonString(&out, unit.shipment_id);
  if (!IsAnswer(unit, response)) {
    LineErrorView e = ErrorOf(unit, response);
    absl::StrAppend(&out, ",\"error\":{\"code\":\"", e.code, "\",\"message\":");
    AppendJsonString(&out, e.message);
    out.append("}}\n");
    return out;
  }
  const v1::ScreenResponse& r = response->response();
  out.append(",\"request_id\":");
  AppendJsonString(&out, r.request_id());
  absl::StrAppend(&out, ",\"decision\":\"", DecisionName(r.decision()), "\",\"rule_ids\":[");
  bool first = true;
  for (const auto& id : DecidingRuleIds(r)) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(&out, id);
  }
  out.append("],\"list_hits\":[");
  first = true;
  for (const auto& m : r.party_matches()) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"list\":");
    AppendJsonString(&out, m.list());
    out.append(",\"entity_id\":");
    AppendJsonString(&out, m.entity_id());
    out.append(",\"listed_name\":");
    AppendJsonString(&out, m.listed_name());
    absl::StrAppend(&out, ",\"party_index\":", m.party_index(), ",\"party_name\":");
    AppendJsonString(&out, m.party_name());
    absl::StrAppend(&out, ",\"score\":", absl::StrFormat("%.4f", m.score()), ",\"action\":\"",
                    ActionName(m.action()), "\"}");
  }
  out.append("],\"rule_set_version\":");
  AppendJsonString(&out, r.rule_set_version());
  out.append(",\"list_version\":");
  AppendJsonString(&out, r.list_version());
  out.append(",\"decision_id\":");
  AppendJsonString(&out, r.decision_id());
  out.append("}\n");
  return out;
}

std::string FormatCsv(const InputUnit& unit, const v1::ScreenStreamResponse* response) {
  std::vector<std::string> f(11);
  f[0] = absl::StrCat(unit.first_line);
  f[1] = absl::StrCat(unit.last_line);
  f[2] = CsvField(unit.shipment_id);
  if (!IsAnswer(unit, response)) {
    LineErrorView e = ErrorOf(unit, response);
    f[9] = e.code;
    f[10] = CsvField(e.message);
  } else {
    const v1::ScreenResponse& r = response->response();
    f[3] = DecisionName(r.decision());
    f[4] = CsvField(absl::StrJoin(DecidingRuleIds(r), ";"));
    std::vector<std::string> hits;
    for (const auto& m : r.party_matches()) {
      hits.push_back(absl::StrCat(m.list(), ":", m.entity_id(), "@",
                                  absl::StrFormat("%.4f", m.score()), ":", ActionName(m.action())));
    }
    f[5] = CsvField(absl::StrJoin(hits, ";"));
    f[6] = CsvField(r.rule_set_version());
    f[7] = CsvField(r.list_version());
    f[8] = CsvField(r.decision_id());
  }
  return absl::StrCat(absl::StrJoin(f, ","), "\n");
}

}  // namespace

std::string DecisionName(v1::Decision decision) {
  return std::string(absl::StripPrefix(v1::Decision_Name(decision), "DECISION_"));
}

std::string CsvOutputHeader() {
  return "first_line,last_line,shipment_id,decision,rule_ids,list_hits,"
         "rule_set_version,list_version,decision_id,error_code,error_message\n";
}

std::string FormatRecord(OutputFormat format, const InputUnit& unit,
                         const v1::ScreenStreamResponse* response) {
  return format == OutputFormat::kJsonl ? FormatJsonl(unit, response) : FormatCsv(unit, response);
}

// ---------------------------------------------------------------------------
// BatchSummary

void BatchSummary::Add(const InputUnit& unit, const v1::ScreenStreamResponse* response) {
  ++shipments_;
  lines_ += unit.last_line - unit.first_line + 1;
  if (!IsAnswer(unit, response)) {
    ++errors_;
    LineErrorView e = ErrorOf(unit, response);
    ++by_error_[e.code];
    if (static_cast<int>(error_samples_.size()) < kMaxErrorSamples) {
      error_samples_.emplace_back(unit.first_line, e.message.substr(0, 300));
    }
    return;
  }
  const v1::ScreenResponse& r = response->response();
  ++by_decision_[DecisionName(r.decision())];
  for (const auto& id : DecidingRuleIds(r)) ++by_rule_[id];
  absl::flat_hash_set<std::string> lists;
  for (const auto& m : r.party_matches()) {
    if (m.action() != v1::MATCH_ACTION_DISMISSED) lists.insert(m.list());
  }
  for (const auto& l : lists) ++by_list_[l];
}

int BatchSummary::ExitCode() const {
  if (errors_ > 0) return 1;
  for (const auto& [decision, count] : by_decision_) {
    if (decision != "CLEAR" && count > 0) return 2;
  }
  return 0;
}

namespace {
void AppendMap(std::string* out, const std::map<std::string, int64_t>& m) {
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, k);
    absl::StrAppend(out, ":", v);
  }
  out->push_back('}');
}
}  // namespace

std::string BatchSummary::ToJson() const {
  std::string out;
  absl::StrAppend(&out, "{\"shipments\":", shipments_, ",\"lines\":", lines_,
                  ",\"errors\":", errors_, ",\"by_decision\":");
  AppendMap(&out, by_decision_);
  out.append(",\"by_rule\":");
  AppendMap(&out, by_rule_);
  out.append(",\"by_list\":");
  AppendMap(&out, by_list_);
  out.append(",\"by_error\":");
  AppendMap(&out, by_error_);
  out.append(",\"error_samples\":[");
  for (size_t i = 0; i < error_samples_.size(); ++i) {
    if (i > 0) out.push_back(',');
    absl::StrAppend(&out, "{\"line\":", error_samples_[i].first, ",\"message\":");
    AppendJsonString(&out, error_samples_[i].second);
    out.push_back('}');
  }
  absl::StrAppend(&out, "],\"exit_code\":", ExitCode(), "}");
  return out;
}

absl::StatusOr<BatchSummary> BatchSummary::FromJson(const std::string& json) {
  google::protobuf::Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(json, &s);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("bad summary JSON: ", status.message().as_string()));
  }
  BatchSummary out;
  const auto& f = s.fields();
  auto num = [&](const char* key) -> int64_t {
    auto it = f.find(key);
    return it == f.end() ? 0 : static_cast<int64_t>(it->second.number_value());
  };
  auto map = [&](const char* key, std::map<std::string, int64_t>* m) {
    auto it = f.find(key);
    if (it == f.end()) return;
    for (const auto& [k, v] : it->second.struct_value().fields()) {
      (*m)[k] = static_cast<int64_t>(v.number_value());
    }
  };
  out.shipments_ = num("shipments");
  out.lines_ = num("lines");
  out.errors_ = num("errors");
  map("by_decision", &out.by_decision_);
  map("by_rule", &out.by_rule_);
  map("by_list", &out.by_list_);
  map("by_error", &out.by_error_);
  auto it = f.find("error_samples");
  if (it != f.end()) {
    for (const auto& v : it->second.list_value().values()) {
      const auto& e = v.struct_value().fields();
      auto line = e.find("line");
      auto msg = e.find("message");
      out.error_samples_.emplace_back(
          line == e.end() ? 0 : static_cast<int64_t>(line->second.number_value()),
          msg == e.end() ? "" : msg->second.string_value());
    }
  }
  return out;
}

std::string BatchSummary::ToText() const {
  std::string out = absl::StrCat("batch: ", shipments_, " shipments (", lines_, " input lines), ",
                                 errors_, " errors\n");
  auto section = [&](const char* title, const std::map<std::string, int64_t>& m) {
    if (m.empty()) return;
    absl::StrAppend(&out, "  ", title, ":\n");
    std::vector<std::pair<int64_t, std::string>> sorted;
    for (const auto& [k, v] : m) sorted.emplace_back(-v, k);
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [neg, k] : sorted) {
      absl::StrAppend(&out, absl::StrFormat("    %-40s %10d\n", k, -neg));
    }
  };
  section("decisions", by_decision_);
  section("rules (shipments)", by_rule_);
  section("list hits (shipments)", by_list_);
  section("errors", by_error_);
  if (!error_samples_.empty()) {
    absl::StrAppend(&out, "  first errors:\n");
    for (const auto& [line, msg] : error_samples_) {
      absl::StrAppend(&out, "    line ", line, ": ", msg, "\n");
    }
  }
  return out;
}

}  // namespace exportscreen::cli
