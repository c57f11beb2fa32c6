// screenctl: command-line client of exportscreen. See --help.
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <optional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/strip.h"
#include "services/crypto/digest.h"
#include "services/rules/rule_set.h"
#include "absl/time/time.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "exportscreen/v1/status.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "services/cli/batch.h"
#include "services/cli/commands.h"
#include "services/cli/location_commands.h"
#include "services/cli/health_client.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "server host:port");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30), "deadline of each call");
ABSL_FLAG(std::string, token, "", "bearer token (default: $EXPORTSCREEN_TOKEN)");
ABSL_FLAG(std::string, tls_ca, "", "CA bundle (PEM) to verify the server; enables TLS");
ABSL_FLAG(std::string, tls_cert, "", "client certificate (PEM) for mTLS");
ABSL_FLAG(std::string, tls_key, "", "client key (PEM) for mTLS");
ABSL_FLAG(std::string, format, "", "lists import: file format");
ABSL_FLAG(bool, activate, false, "lists import: activate the new version");
ABSL_FLAG(bool, replace, true, "lists import: replace the entities of the imported lists");
ABSL_FLAG(bool, dry_run, false, "lists import: parse and report only");
ABSL_FLAG(std::string, rules, "", "dry-run: candidate rule-set version");
ABSL_FLAG(std::string, lists, "", "dry-run: candidate list version");
ABSL_FLAG(int, last, 1000, "dry-run: number of stored decisions to re-screen");
ABSL_FLAG(std::string, party, "", "audit list: party name substring");
ABSL_FLAG(std::string, rule, "", "audit list: rule id");
ABSL_FLAG(std::string, replica, "",
          "audit list (cluster mode): only this replica's chain (default: every replica's)");
ABSL_FLAG(std::string, page_token, "", "audit list: next_page_token of the previous page");
ABSL_FLAG(std::string, decision, "", "audit list: CLEAR|REVIEW|LICENSE_REQUIRED|PROHIBITED");
ABSL_FLAG(int, limit, 50, "audit list: page size");
ABSL_FLAG(std::string, from, "", "audit list: recorded at or after (RFC 3339)");
ABSL_FLAG(std::string, until, "", "audit list: recorded before (RFC 3339)");
ABSL_FLAG(std::string, reason, "", "dismiss / dispositions revoke: why");
// --resume (batch.cc): batch continues an interrupted run; audit verify
// continues from where the last verification found the chain intact.
ABSL_DECLARE_FLAG(bool, resume);
ABSL_FLAG(absl::Duration, verify_timeout, absl::Hours(24),
          "audit verify: deadline of the whole (streamed) verification");
ABSL_FLAG(bool, explain, false,
          "screen: also return near misses below the review threshold "
          "(analysts only; other roles get PERMISSION_DENIED)");
ABSL_FLAG(int, max_hits, 0, "screen: listed-party hits per party (0 = server default 10, max 100)");

namespace exportscreen::cli {
namespace {

constexpr char kUsage[] = R"(screenctl: client of the exportscreen screening service.

Usage: screenctl [--server=HOST:PORT] [--timeout=30s] COMMAND [ARGS]

Commands:
  screen [--explain] [--max_hits=N] [FILE|-]
                         Screen one request (v1.ScreenRequest in protobuf JSON,
                         from FILE or stdin); prints the v1.ScreenResponse JSON.
                         --explain (analysts) adds near_misses: the best listed
                         candidates below the review threshold, with scores
                         and alignments; --max_hits sets max_hits_per_party.
  status                 Active rule-set and list versions, counts, load time.
  health [SERVICE]       grpc.health.v1 status of the server: SERVICE ""
                         (default; readiness), exportscreen.readiness (serving
                         a current snapshot) or exportscreen.liveness.
  decision ID [ID...]    Print stored decision records (one JSON a line).
  lists import --format=FORMAT [--activate] [--replace=false] [--dry_run] FILE...
                         Import list files as a new list version. FORMAT is
                         csl | bis_csv | ofac_sdn | dpl | un_xml | entities_jsonl,
                         or ownership_jsonl | items_jsonl (ownership links, item
                         catalogue: same versioning, activation and rollback).
  lists versions         List the stored list and rule-set versions.
  lists diff [FROM] TO   Entity-level difference (FROM defaults to the active).
  lists activate VERSION Activate a list version (rules unchanged). In cluster
                         mode it returns once every live replica serves the
                         new versions, or fails naming those that do not.
  lists rollback         Same as rollback.
  cluster status         Cluster mode: the control key (active versions,
                         revision, stack depth) and every live replica: its
                         address, versions, health, log positions and lag.
  rules validate DIR     Compile and validate the rule files in DIR locally
                         (no server needed); errors as FILE:LINE: RULE_ID: reason.
  rules attributes       The attributes rule conditions can test: type, scope,
                         values and meaning (no server needed).
  batch INPUT [--out=OUTPUT] [--resume] [--out_format=jsonl|csv]
        [--in_format=csv|jsonl] [--summary=FILE] [--window=1024]
        [--progress=auto|always|never]
                         Screen a shipment file through ScreenStream; one
                         result per shipment, in input order (JSONL: first_line,
                         last_line, shipment_id, decision, rule_ids, list_hits,
                         rule_set_version, list_version, decision_id; or error
                         {code, message}). Summary (per decision, rule, list,
                         error) on stderr and in --summary. --resume continues
                         an interrupted run of the same INPUT and OUTPUT (state
                         in OUTPUT.checkpoint); no line is lost or repeated.
                         INPUT *.jsonl: one v1.ScreenRequest JSON per line.
                         INPUT *.csv: header line, then one row per shipment
                         line; contiguous rows with the same shipment_id form
                         one shipment; empty cell = unset; lists ';'-separated.
                         Columns (any order, all optional but party_name and
                         destination_country are needed to screen):
                           shipment_id exporter destination_country
                           export_country end_use_codes end_use_description
                           as_of_date location_attested location_verifier
                           party_role party_name party_aliases party_country
                           party_street party_city party_region
                           party_postal_code party_address_kind
                           party_identifiers(TYPE:VALUE;..) party_hq_country
                           party_parent_name party_parent_country
                           party_business_description party_incorporated_year
                           item_part_number item_description item_eccn
                           item_kind item_tpp item_performance_density
                           item_die_area_mm2 item_memory_bandwidth_gbps
                           item_datacenter_marketed item_quantity
                           item_serial_numbers item_parameters(name=value;..)
                           item_features item_vendor item_model
                           item_unit_value_usd
                         Bad rows (malformed CSV, bad JSON, unknown column,
                         line > 1 MiB) are reported with their line number in
                         the output and the summary; the run goes on.
  rules publish DIR      Validate on the server and store DIR as a new
                         (inactive) rule-set version.
  rules list             Stored rule-set versions (same as lists versions).
  rules show VERSION     A stored rule set with its files.
  rules diff [FROM] TO   Rule-level difference (FROM defaults to the active).
  rules activate VERSION Activate a rule-set version (lists unchanged).
  rollback               Re-activate the versions active before the current.
  dry-run [--rules=V] [--lists=V] [--last=N] [FILE.jsonl]
                         Re-screen the last N stored decisions (or the requests
                         in FILE, one JSON per line) under candidate versions and
                         report the answers that would change.
  audit list [--party=NAME] [--rule=ID] [--decision=CLASS] [--limit=N]
             [--from=RFC3339] [--until=RFC3339] [--replica=ID] [--page_token=T]
                         Stored decisions, newest first (cluster mode: every
                         replica's, merged); next_page_token -> --page_token.
  audit verify [--resume] [--verify_timeout=DURATION]
                         Check the decision hash chain over the stored bytes;
                         names the first broken link. Streams progress to
                         stderr (records, rate) and prints the result. An
                         interrupted check continues with --resume from where
                         the last one found the chain intact.
  audit replay ID        Re-evaluate a stored decision under its own versions.
  admin log [--limit=N]  The admin action log (who, what, when, result).
  admin backup DIR       Operators: online, consistent, incremental backup of
                         the server's store (RocksDB BackupEngine) into DIR on
                         the server, relative to its --backup_root. Screening
                         goes on. Restore offline: screening_server
                         --restore_backup=BACKUP_DIR --db=NEW_DB (README).
  dismiss DECISION_ID PARTY_INDEX ENTITY_ID --reason=TEXT
                         Record that this hit of a stored decision is a false
                         positive: the same party (name, country, address) on
                         the same, unchanged listed record is then reported as
                         DISMISSED (still shown, not raising the decision).
  dispositions [revoke ID --reason=TEXT]
                         List the disposition log, or revoke one.
  location import FILE   Ingest signed chip location reports (JSONL of
                         v1.LocationReport); prints rejections with reasons.
  alerts [--limit=N]     Diversion alerts, newest first (JSON lines).
  auth hash-token        Read a token on stdin, print its SHA-256 for the
                         --auth_config file of the server.
  help [COMMAND...]      This text, or the entry of COMMAND (e.g. help batch,
                         help lists import).

Credentials: --token=TOKEN or $EXPORTSCREEN_TOKEN (sent as "authorization:
Bearer TOKEN"); --tls_ca=CA.pem for TLS, plus --tls_cert/--tls_key for mTLS.

Exit codes:
  0  success; for `screen`: decision CLEAR; for `health`: SERVING
  2  screen: REVIEW            3  screen: LICENSE_REQUIRED
  4  screen: PROHIBITED        5  health: NOT_SERVING; rules validate: invalid
  5  location import: some reports rejected
  6  audit verify: chain broken; audit replay: answer differs
  1  error (RPC failure, bad input, server error: the gRPC status is printed);
     batch: any line could not be screened (see the output and summary)
  2  batch: all lines screened, something needs a human (REVIEW,
     LICENSE_REQUIRED or PROHIBITED); 0: every shipment CLEAR
  64 usage error
)";

std::unique_ptr<grpc::ClientContext> NewContext() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty()) {
    if (const char* env = std::getenv("EXPORTSCREEN_TOKEN")) token = env;
  }
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
  return ctx;
}

// Retry Screen and GetDecision on UNAVAILABLE (a dead replica, no log ack,
// a request id still being recorded). With a request_id and the server's
// --idempotency_window a retry returns the decision already recorded.
constexpr char kRetryServiceConfig[] = R"json({
  "methodConfig": [{
    "name": [{"service": "exportscreen.v1.ScreeningService", "method": "Screen"},
             {"service": "exportscreen.v1.ScreeningService", "method": "GetDecision"}],
    "retryPolicy": {"maxAttempts": 5, "initialBackoff": "0.2s", "maxBackoff": "2s",
                    "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]}
  }]
})json";

std::shared_ptr<grpc::Channel> NewChannel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  args.SetServiceConfigJSON(kRetryServiceConfig);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!absl::GetFlag(FLAGS_tls_ca).empty()) {
    grpc::SslCredentialsOptions ssl;
    ReadInput(absl::GetFlag(FLAGS_tls_ca), &ssl.pem_root_certs);
    if (!absl::GetFlag(FLAGS_tls_cert).empty()) {
      ReadInput(absl::GetFlag(FLAGS_tls_cert), &ssl.pem_cert_chain);
      ReadInput(absl::GetFlag(FLAGS_tls_key), &ssl.pem_private_key);
    }
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server), credentials, args);
}

int PrintRpcError(const grpc::Status& status) {
  std::cerr << "error: " << StatusCodeName(status.error_code()) << ": " << status.error_message()
            << "\n";
  if (!status.error_details().empty()) {
    v1::RpcStatus rich;
    if (rich.ParseFromString(status.error_details())) {
      for (const auto& any : rich.details()) {
        v1::BadRequest bad;
        if (any.UnpackTo(&bad)) {
          for (const auto& v : bad.field_violations()) {
            std::cerr << "  field " << v.field() << ": " << v.description() << "\n";
          }
        }
      }
    }
  }
  return 1;
}

int CmdScreen(const std::vector<std::string>& args) {
  std::string path = args.empty() ? "-" : args[0];
  std::string json;
  if (!ReadInput(path, &json)) {
    std::cerr << "error: cannot read " << path << "\n";
    return 1;
  }
  v1::ScreenRequest request;
  std::string error;
  if (!ParseJson(json, &request, &error)) {
    std::cerr << "error: " << path << " is not a v1.ScreenRequest: " << error << "\n";
    return 1;
  }
  if (absl::GetFlag(FLAGS_explain)) request.set_explain(true);
  if (absl::GetFlag(FLAGS_max_hits) != 0) {
    request.set_max_hits_per_party(absl::GetFlag(FLAGS_max_hits));
  }
  auto stub = v1::ScreeningService::NewStub(NewChannel());
  v1::ScreenResponse response;
  auto ctx = NewContext();
  grpc::Status status = stub->Screen(ctx.get(), request, &response);
  if (!status.ok()) return PrintRpcError(status);
  std::cout << ToJson(response) << "\n";
  return DecisionExitCode(response.decision());
}

int CmdStatus() {
  auto stub = v1::AdminService::NewStub(NewChannel());
  v1::ServingStatus status_msg;
  auto ctx = NewContext();
  grpc::Status status =
      stub->GetServingStatus(ctx.get(), v1::GetServingStatusRequest(), &status_msg);
  if (!status.ok()) return PrintRpcError(status);
  std::cout << ToJson(status_msg) << "\n";
  return 0;
}

int CmdHealth(const std::string& service) {
  HealthState state = HealthState::kUnknown;
  grpc::Status status = CheckHealth(
      NewChannel(), service,
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)),
      &state);
  if (!status.ok()) return PrintRpcError(status);
  std::cout << (state == HealthState::kServing      ? "SERVING"
                : state == HealthState::kNotServing ? "NOT_SERVING"
                                                    : "UNKNOWN")
            << "\n";
  return state == HealthState::kServing ? 0 : 5;
}

int CmdDecision(const std::vector<std::string>& args) {
  if (args.empty()) return UsageError("decision takes at least one ID");
  auto stub = v1::ScreeningService::NewStub(NewChannel());
  for (const std::string& id : args) {
    v1::GetDecisionRequest request;
    request.set_decision_id(id);
    v1::DecisionRecord record;
    auto ctx = NewContext();
    grpc::Status status = stub->GetDecision(ctx.get(), request, &record);
    if (!status.ok()) return PrintRpcError(status);
    std::cout << ToJson(record) << "\n";
  }
  return 0;
}

int CmdListsImport(const std::vector<std::string>& files) {
  if (absl::GetFlag(FLAGS_format).empty()) {
    return UsageError("lists import needs --format");
  }
  if (files.empty()) return UsageError("lists import needs at least one FILE");
  v1::ImportListRequest request;
  request.set_format(absl::GetFlag(FLAGS_format));
  request.set_activate(absl::GetFlag(FLAGS_activate));
  request.set_replace_lists(absl::GetFlag(FLAGS_replace));
  request.set_dry_run(absl::GetFlag(FLAGS_dry_run));
  for (const auto& path : files) {
    std::string content;
    if (!ReadInput(path, &content)) {
      std::cerr << "error: cannot read " << path << "\n";
      return 1;
    }
    auto* f = request.add_files();
    f->set_name(BaseName(path));
    f->set_content(std::move(content));
  }
  auto stub = v1::AdminService::NewStub(NewChannel());
  v1::ImportListResponse response;
  auto ctx = NewContext();
  grpc::Status status = stub->ImportList(ctx.get(), request, &response);
  if (!status.ok()) return PrintRpcError(status);
  std::cout << ToJson(response) << "\n";
  std::cerr << "imported " << response.accepted() << " entities, " << response.rejected_size()
            << " rejected rows; +" << response.added() << " -" << response.removed() << " ~"
            << response.changed() << "; version "
            << (response.list_version().empty() ? "(dry run)" : response.list_version())
            << (response.activated() ? " (active)" : "") << "\n";
  return 0;
}

int CmdListsVersions() {
  auto stub = v1::AdminService::NewStub(NewChannel());
  v1::ListVersionsResponse response;
  auto ctx = NewContext();
  grpc::Status status = stub->ListVersions(ctx.get(), v1::ListVersionsRequest(), &response);
  if (!status.ok()) return PrintRpcError(status);
  std::cout << ToJson(response) << "\n";
  return 0;
}

// Runs one AdminService unary call and prints its answer as JSON.
template <typename Req, typename Resp, typename Method>
int AdminCall(Method method, const Req& request, Resp* response) {
  auto stub = v1::AdminService::NewStub(NewChannel());
  auto ctx = NewContext();
  grpc::Status status = ((*stub).*method)(ctx.get(), request, response);
  if (!status.ok()) return PrintRpcError(status);
  std::cout << ToJson(*response) << "\n";
  return 0;
}

int CmdRulesPublish(const std::string& dir) {
  auto files = rules::ReadRuleFiles(dir);
  if (!files.ok()) {
    std::cerr << "error: " << files.status().message() << "\n";
    return 1;
  }
  v1::PublishRuleSetRequest request;
  for (const auto& [name, content] : *files) (*request.mutable_files())[name] = content;
  request.set_source(dir);
  v1::RuleSetInfo info;
  return AdminCall(&v1::AdminService::Stub::PublishRuleSet, request, &info);
}

int CmdDiff(bool rules_diff, const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) return UsageError("diff takes [FROM] TO");
  v1::DiffRequest request;
  if (args.size() == 2) request.set_from_version(args[0]);
  request.set_to_version(args.back());
  v1::DiffResponse response;
  return rules_diff ? AdminCall(&v1::AdminService::Stub::DiffRuleSets, request, &response)
                    : AdminCall(&v1::AdminService::Stub::DiffListVersions, request, &response);
}

int CmdActivate(const std::string& rules_version, const std::string& list_version) {
  v1::ActivateRequest request;
  request.set_rule_set_version(rules_version);
  request.set_list_version(list_version);
  v1::ActiveVersions active;
  return AdminCall(&v1::AdminService::Stub::Activate, request, &active);
}

int CmdDryRun(const std::vector<std::string>& args) {
  v1::DryRunRequest request;
  request.set_rule_set_version(absl::GetFlag(FLAGS_rules));
  request.set_list_version(absl::GetFlag(FLAGS_lists));
  request.set_last_n(absl::GetFlag(FLAGS_last));
  if (!args.empty()) {
    std::string content;
    if (!ReadInput(args[0], &content)) {
      std::cerr << "error: cannot read " << args[0] << "\n";
      return 1;
    }
    int line_no = 0;
    for (absl::string_view line : absl::StrSplit(content, '\n')) {
      ++line_no;
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      std::string error;
      if (!ParseJson(std::string(line), request.add_requests(), &error)) {
        std::cerr << "error: " << args[0] << ":" << line_no << ": " << error << "\n";
        return 1;
      }
    }
  }
  v1::DryRunResponse response;
  int rc = AdminCall(&v1::AdminService::Stub::DryRun, request, &response);
  if (rc == 0) {
    std::cerr << "dry run under rules " << response.rule_set_version() << ", lists "
              << response.list_version() << ": " << response.screened() << " screened, "
              << response.changed() << " would change\n";
    for (const auto& c : response.changes()) {
      std::cerr << "  " << (c.decision_id().empty() ? c.request_id() : c.decision_id()) << ": "
                << c.why() << "\n";
    }
  }
  return rc;
}

int CmdAuditList() {
  v1::ListDecisionsRequest request;
  request.set_party_name(absl::GetFlag(FLAGS_party));
  request.set_rule_id(absl::GetFlag(FLAGS_rule));
  request.set_replica(absl::GetFlag(FLAGS_replica));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  request.set_limit(absl::GetFlag(FLAGS_limit));
  // Only set a bound that was given: an unset field means "open".
  auto bound = [](const std::string& flag,
                  google::protobuf::Timestamp* (v1::ListDecisionsRequest::*field)(),
                  v1::ListDecisionsRequest* req) -> bool {
    if (flag.empty()) return true;
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, flag, &t, &err)) return false;
    (req->*field)()->set_seconds(absl::ToUnixSeconds(t));
    return true;
  };
  if (!bound(absl::GetFlag(FLAGS_from), &v1::ListDecisionsRequest::mutable_from_time, &request) ||
      !bound(absl::GetFlag(FLAGS_until), &v1::ListDecisionsRequest::mutable_until_time, &request)) {
    return UsageError("--from/--until must be RFC 3339 times, e.g. 2026-11-29T00:00:00Z");
  }
  const std::string d = absl::GetFlag(FLAGS_decision);
  if (!d.empty()) {
    v1::Decision value;
    if (!v1::Decision_Parse("DECISION_" + d, &value)) {
      return UsageError("--decision must be CLEAR, REVIEW, LICENSE_REQUIRED or PROHIBITED");
    }
    request.add_decisions(value);
  }
  v1::ListDecisionsResponse response;
  return AdminCall(&v1::AdminService::Stub::ListDecisions, request, &response);
}

int CmdAuditVerify() {
  auto stub = v1::AdminService::NewStub(NewChannel());
  auto ctx = NewContext();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_verify_timeout)));
  v1::VerifyAuditChainRequest request;
  request.set_resume(absl::GetFlag(FLAGS_resume));
  auto reader = stub->StreamVerifyAuditChain(ctx.get(), request);
  v1::VerifyAuditChainProgress p;
  std::optional<v1::VerifyAuditChainResponse> result;
  while (reader->Read(&p)) {
    if (p.has_result()) {
      result = p.result();
      continue;
    }
    std::cerr << absl::StrFormat("verified %d records (sequences %d..%d of %d)%s, %.0f records/s\n",
                                 p.records_checked(), p.first_sequence(), p.last_sequence(),
                                 p.decision_count(), p.resumed() ? ", resumed" : "",
                                 p.records_per_second());
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
        status.error_code() == grpc::StatusCode::CANCELLED ||
        status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      std::cerr << "the verification stopped; `screenctl audit verify --resume` continues "
                   "from the last point reported above\n";
    }
    return PrintRpcError(status);
  }
  if (!result.has_value()) {
    std::cerr << "error: the server ended the verification without a result\n";
    return 1;
  }
  std::cout << ToJson(*result) << "\n";
  return result->ok() ? 0 : 6;
}

int CmdAuditReplay(const std::string& id) {
  v1::ReplayDecisionRequest request;
  request.set_decision_id(id);
  v1::ReplayDecisionResponse response;
  int rc = AdminCall(&v1::AdminService::Stub::ReplayDecision, request, &response);
  if (rc != 0) return rc;
  std::cerr << (response.identical() ? "replay: identical" : "replay: DIFFERENT") << "\n";
  for (const auto& d : response.differences()) std::cerr << "  " << d << "\n";
  return response.identical() ? 0 : 6;
}

// `help COMMAND...`: the entries of the Commands section whose name starts
// with the given words (an entry is a line indented by two spaces, plus
// its continuation lines, indented further).
int CmdHelp(const std::vector<std::string>& words) {
  if (words.empty()) {
    std::cout << kUsage;
    return 0;
  }
  const std::string wanted = absl::StrJoin(words, " ");
  std::vector<std::string> lines = absl::StrSplit(kUsage, '\n');
  bool in_commands = false, printing = false, found = false;
  std::vector<std::string> names;
  for (const std::string& line : lines) {
    if (line == "Commands:") {
      in_commands = true;
      continue;
    }
    if (!in_commands) continue;
    if (!line.empty() && line[0] != ' ') break;  // next section
    const bool entry = line.size() > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ';
    if (entry) {
      absl::string_view name = absl::string_view(line).substr(2);
      // The command words end where arguments (upper case, [ or -) begin.
      std::vector<std::string> parts;
      for (absl::string_view w : absl::StrSplit(name, ' ', absl::SkipEmpty())) {
        if (w.empty() || !(std::islower(static_cast<unsigned char>(w[0])))) break;
        parts.push_back(std::string(w));
      }
      const std::string command = absl::StrJoin(parts, " ");
      if (names.empty() || names.back() != command) names.push_back(command);
      printing = command == wanted || absl::StartsWith(command, wanted + " ");
      if (printing) found = true;
    }
    if (printing) std::cout << line << "\n";
  }
  if (!found) {
    std::cerr << "screenctl: no command \"" << wanted << "\"; commands:\n";
    for (const auto& n : names) std::cerr << "  " << n << "\n";
    return 64;
  }
  return 0;
}

}  // namespace
}  // namespace exportscreen::cli

int main(int argc, char** argv) {
  using namespace exportscreen::cli;
  namespace v1 = exportscreen::v1;
  absl::SetProgramUsageMessage(kUsage);
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << kUsage;
      return 0;
    }
  }
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  // As in the server: no per-acquisition deadlock check (it cost a few per
  // cent of a batch's client CPU); the tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  if (args.empty()) return UsageError("no command");
  const std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "help") return CmdHelp(rest);
  if (cmd == "screen") return CmdScreen(rest);
  if (cmd == "status") return CmdStatus();
  if (cmd == "batch")
    return CmdBatch(
        rest, NewChannel(), [] { return NewContext(); }, absl::GetFlag(FLAGS_timeout));
  if (cmd == "health" && rest.size() <= 1) {
    return CmdHealth(rest.empty() ? "" : rest[0]);
  }
  if (cmd == "decision") return CmdDecision(rest);
  if (cmd == "lists" && !rest.empty() && rest[0] == "import") {
    return CmdListsImport(std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  if (cmd == "lists" && !rest.empty() && rest[0] == "versions") {
    return CmdListsVersions();
  }
  auto tail = [&rest](size_t from) {
    return std::vector<std::string>(rest.begin() + std::min(from, rest.size()), rest.end());
  };
  const std::string sub = rest.empty() ? "" : rest[0];
  if (cmd == "lists" && sub == "diff") return CmdDiff(false, tail(1));
  if (cmd == "lists" && sub == "activate" && rest.size() == 2) return CmdActivate("", rest[1]);
  if (cmd == "rules" && sub == "validate" && rest.size() == 2) return ValidateRules(rest[1]);
  if (cmd == "rules" && sub == "attributes") return ListRuleAttributes();
  if (cmd == "rules" && sub == "publish" && rest.size() == 2) return CmdRulesPublish(rest[1]);
  if (cmd == "rules" && sub == "list") return CmdListsVersions();
  if (cmd == "rules" && sub == "show" && rest.size() == 2) {
    v1::GetRuleSetRequest request;
    request.set_version(rest[1]);
    v1::StoredRuleSet response;
    return AdminCall(&v1::AdminService::Stub::GetRuleSet, request, &response);
  }
  if (cmd == "rules" && sub == "diff") return CmdDiff(true, tail(1));
  if (cmd == "rules" && sub == "activate" && rest.size() == 2) return CmdActivate(rest[1], "");
  if (cmd == "cluster" && sub == "status" && rest.size() == 1) {
    v1::ClusterStatus status;
    return AdminCall(&v1::AdminService::Stub::GetClusterStatus, v1::GetClusterStatusRequest(),
                     &status);
  }
  if (cmd == "rollback" || (cmd == "lists" && sub == "rollback" && rest.size() == 1)) {
    v1::ActiveVersions active;
    return AdminCall(&v1::AdminService::Stub::Rollback, v1::RollbackRequest(), &active);
  }
  if (cmd == "dry-run") return CmdDryRun(rest);
  if (cmd == "dismiss") {
    int party = 0;
    if (rest.size() != 3 || !absl::SimpleAtoi(rest[1], &party)) {
      return UsageError("dismiss takes DECISION_ID PARTY_INDEX ENTITY_ID --reason=TEXT");
    }
    v1::RecordDispositionRequest request;
    request.set_decision_id(rest[0]);
    request.set_party_index(party);
    request.set_entity_id(rest[2]);
    request.set_reason(absl::GetFlag(FLAGS_reason));
    v1::Disposition out;
    return AdminCall(&v1::AdminService::Stub::RecordDisposition, request, &out);
  }
  if (cmd == "dispositions" && sub == "revoke" && rest.size() == 2) {
    v1::RevokeDispositionRequest request;
    request.set_disposition_id(rest[1]);
    request.set_reason(absl::GetFlag(FLAGS_reason));
    v1::Disposition out;
    return AdminCall(&v1::AdminService::Stub::RevokeDisposition, request, &out);
  }
  if (cmd == "dispositions" && rest.empty()) {
    v1::ListDispositionsResponse out;
    return AdminCall(&v1::AdminService::Stub::ListDispositions, v1::ListDispositionsRequest(),
                     &out);
  }
  if (cmd == "admin" && sub == "log") {
    v1::ListAdminActionsRequest request;
    request.set_limit(absl::GetFlag(FLAGS_limit));
    v1::ListAdminActionsResponse response;
    return AdminCall(&v1::AdminService::Stub::ListAdminActions, request, &response);
  }
  if (cmd == "admin" && sub == "backup") {
    if (rest.size() != 2) return UsageError("admin backup takes one DIR");
    v1::BackupRequest request;
    request.set_dir(rest[1]);
    v1::BackupResponse response;
    return AdminCall(&v1::AdminService::Stub::Backup, request, &response);
  }
  if (cmd == "auth" && sub == "hash-token") {
    std::string token;
    std::getline(std::cin, token);
    token = std::string(absl::StripAsciiWhitespace(token));
    if (token.empty()) return UsageError("no token on stdin");
    std::cout << exportscreen::Sha256Hex(token) << "\n";
    return 0;
  }
  if (cmd == "location" && sub == "import") {
    return CmdLocationImport(tail(1), NewChannel(), [] { return NewContext(); });
  }
  if (cmd == "alerts") {
    return CmdAlerts(
        rest, NewChannel(), [] { return NewContext(); }, absl::GetFlag(FLAGS_limit));
  }
  if (cmd == "audit" && sub == "list") return CmdAuditList();
  if (cmd == "audit" && sub == "verify") return CmdAuditVerify();
  if (cmd == "audit" && sub == "replay" && rest.size() == 2) return CmdAuditReplay(rest[1]);
  return UsageError(absl::StrCat("unknown command: ", absl::StrJoin(args, " ")));
}
