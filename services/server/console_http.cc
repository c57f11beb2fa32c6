#include "services/server/console_http.h"

#include <httplib.h>

#include <filesystem>
#include <functional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "exportscreen/v1/location.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/api/grpc_services.h"
#include "services/common/logging.h"
#include "services/common/proto_time.h"
#include "services/server/console_util.h"
#include "services/server/static_files.h"
#include "services/serving/decision_counts.h"
#include "services/serving/operations.h"

namespace exportscreen::server {

namespace {

using google::protobuf::Message;
using namespace console;  // NOLINT: the console's HTTP helpers

// Decision filters of the queue: a ListDecisionsRequest (list code and
// destination included) and the view.
struct Filter {
  v1::ListDecisionsRequest request;
  bool summary = false;
};

// RFC 3339 or YYYY-MM-DD (a day: from its start; `until` to its end).
bool ParseTimeParam(const std::string& v, bool end_of_day, absl::Time* t) {
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, v, t, &err)) return true;
  absl::CivilDay day;
  if (v.size() == 10 && absl::ParseCivilTime(v, &day)) {
    *t = absl::FromCivil(end_of_day ? day + 1 : day, absl::UTCTimeZone());
    return true;
  }
  return false;
}

// Parses the queue's query parameters; answers 400 naming the parameter
// and returns false on bad input.
bool ParseFilter(const httplib::Request& req, httplib::Response& res, Filter* f) {
  auto bad = [&](const char* field, absl::string_view why) {
    SendError(res, 400, "INVALID_ARGUMENT", absl::StrCat(field, ": ", why), field);
    return false;
  };
  for (const char* name : {"from", "until"}) {
    if (!req.has_param(name) || req.get_param_value(name).empty()) continue;
    absl::Time t;
    if (!ParseTimeParam(req.get_param_value(name), std::string(name) == "until", &t)) {
      return bad(name, absl::StrCat("\"", req.get_param_value(name),
                                    "\" is not a date (YYYY-MM-DD) or RFC 3339 time"));
    }
    SetProtoTime(t, std::string(name) == "from" ? f->request.mutable_from_time()
                                                : f->request.mutable_until_time());
  }
  if (f->request.has_from_time() && f->request.has_until_time() &&
      f->request.from_time().seconds() >= f->request.until_time().seconds()) {
    return bad("until", "must be after from");
  }
  if (req.has_param("decision")) {
    for (absl::string_view d :
         absl::StrSplit(req.get_param_value("decision"), ',', absl::SkipWhitespace())) {
      std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(d));
      if (!absl::StartsWith(name, "DECISION_")) name = absl::StrCat("DECISION_", name);
      v1::Decision value;
      if (!v1::Decision_Parse(name, &value) || value == v1::DECISION_UNSPECIFIED) {
        return bad("decision", absl::StrCat("\"", d,
                                            "\" is not CLEAR, REVIEW, "
                                            "LICENSE_REQUIRED or PROHIBITED"));
      }
      f->request.add_decisions(value);
    }
  }
  if (req.has_param("limit")) {
    int limit = 0;
    if (!absl::SimpleAtoi(req.get_param_value("limit"), &limit) || limit < 1 || limit > 1000) {
      return bad("limit", "must be a number from 1 to 1000");
    }
    f->request.set_limit(limit);
  } else {
    f->request.set_limit(50);
  }
  const std::string party = req.get_param_value("party");
  if (party.size() > 200) return bad("party", "longer than 200 characters");
  f->request.set_party_name(party);
  const std::string rule = req.get_param_value("rule");
  if (rule.size() > 200) return bad("rule", "longer than 200 characters");
  f->request.set_rule_id(rule);
  // Checked by ListDecisions (INVALID_ARGUMENT naming page_token).
  f->request.set_page_token(req.get_param_value("page_token"));
  if (f->request.page_token().size() > 4096)
    return bad("page_token", "longer than 4096 characters");
  f->request.set_list_code(absl::AsciiStrToUpper(req.get_param_value("list")));
  if (f->request.list_code().size() > 16) {
    return bad("list", "not a list code (EL, SDN, DPL, UVL, MEU, UN ...)");
  }
  const std::string destination = absl::AsciiStrToUpper(req.get_param_value("destination"));
  f->request.set_destination_country(destination);
  if (!destination.empty() && (destination.size() != 2 || !absl::ascii_isalpha(destination[0]) ||
                               !absl::ascii_isalpha(destination[1]))) {
    return bad("destination", absl::StrCat("\"", req.get_param_value("destination"),
                                           "\" is not a two-letter country code"));
  }
  const std::string view = req.get_param_value("view");
  if (!view.empty() && view != "summary" && view != "full") {
    return bad("view", "must be summary or full");
  }
  f->summary = view == "summary";
  return true;
}

// What the queue shows of a record: the same message without the detail
// the decision page loads on its own (alignments, rule descriptions, facts,
// item determinations, near misses).
void Summarize(v1::DecisionRecord* r) {
  v1::ScreenResponse* resp = r->mutable_response();
  resp->clear_rules();
  resp->clear_item_determinations();
  resp->clear_near_misses();
  for (auto& m : *resp->mutable_party_matches()) {
    m.clear_alignment();
    m.clear_normalization_steps();
    m.clear_corroboration();
    m.clear_citations();
    m.clear_license_requirement();
  }
  for (auto& x : *resp->mutable_findings()) x.clear_facts();
  r->clear_prev_hash();
  r->clear_hash();
}

}  // namespace

std::string ResolveConsoleDir(const std::string& flag) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!flag.empty()) return flag;
  for (const std::string& dir :
       {std::string("services/console/web"), std::string(ES_SOURCE_DIR "/services/console/web")}) {
    if (fs::exists(fs::path(dir) / "index.html", ec)) {
      return fs::absolute(dir, ec).lexically_normal().string();
    }
  }
  return "";
}

struct ConsoleApi::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::AdminService::Stub> admin;
  std::unique_ptr<v1::ScreeningService::Stub> screening;
  std::unique_ptr<v1::LocationService::Stub> location;
  const api::Authorizer* authorizer;
  const serving::SnapshotManager* manager;
  StaticFiles static_files;
  mutable serving::DecisionCounts counts_cache;
  std::set<std::string> hosts;  // lower case
  bool tls = false;

  using Handler =
      std::function<void(const httplib::Request&, httplib::Response&, grpc::ClientContext*)>;

  // Authenticates; unless `action` (whose gRPC handler checks the role and
  // records refusals in the admin log), refuses callers with no console
  // role. Then runs `fn` with a client context carrying the caller's
  // credentials.
  void Serve(const httplib::Request& req, httplib::Response& res, bool action,
             const Handler& fn) const {
    res.set_header("Cache-Control", "no-store");
    const std::string authorization = req.get_header_value("Authorization");
    absl::StatusOr<api::Caller> caller = authorizer->Authenticate(authorization, "");
    if (!caller.ok()) {
      res.set_header("WWW-Authenticate", "Bearer");
      SendStatus(res, caller.status());
      return;
    }
    if (!action) {
      absl::Status s = api::Authorizer::Require(
          *caller, "the console", {v1::ROLE_ANALYST, v1::ROLE_AUDITOR, v1::ROLE_OPERATOR});
      if (!s.ok()) {
        SendStatus(res, s);
        return;
      }
    }
    grpc::ClientContext ctx;
    Prepare(req, std::chrono::system_clock::now() + std::chrono::seconds(60), &ctx);
    fn(req, res, &ctx);
  }

  // A gRPC call on the browser's behalf: its credentials, its address (for
  // the admin log, see api::AuditPeer) and the deadline.
  static void Prepare(const httplib::Request& req, std::chrono::system_clock::time_point deadline,
                      grpc::ClientContext* ctx) {
    const std::string authorization = req.get_header_value("Authorization");
    if (!authorization.empty()) ctx->AddMetadata("authorization", authorization);
    ctx->AddMetadata(api::kConsoleClientKey, api::ConsoleClientValue(ClientAddress(req)));
    ctx->set_deadline(deadline);
  }

  template <typename Resp>
  static void Finish(httplib::Response& res, const grpc::Status& s, const Resp& r) {
    if (!s.ok()) {
      SendStatus(res,
                 absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
      return;
    }
    SendMessage(res, r);
  }

  void Decisions(const httplib::Request& req, httplib::Response& res,
                 grpc::ClientContext* ctx) const {
    Filter f;
    if (!ParseFilter(req, res, &f)) return;
    v1::ListDecisionsResponse out;
    grpc::Status s = admin->ListDecisions(ctx, f.request, &out);
    if (!s.ok()) return Finish(res, s, out);
    if (f.summary) {
      for (auto& r : *out.mutable_records()) Summarize(&r);
    }
    SendMessage(res, out);
  }

  // Decisions per class under the filters (not the class filter), over
  // every chain the store holds (all replicas' in cluster mode), for at most
  // 3 s of scanning (then "complete": false). Kept per filter: a repeated
  // count reads only the decisions recorded since (decision_counts.h).
  void Counts(const httplib::Request& req, httplib::Response& res) const {
    Filter f;
    if (!ParseFilter(req, res, &f)) return;
    const absl::Time start = absl::Now();
    absl::StatusOr<serving::DecisionCountsResult> r =
        counts_cache.Count(*manager->store(), f.request, absl::Seconds(3));
    if (!r.ok()) return SendStatus(res, r.status());
    const auto& counts = r->counts;
    const int64_t scanned = r->scanned;
    const bool complete = r->complete;
    std::string body = "{\"counts\":{";
    for (int d = 1; d < 5; ++d) {
      absl::StrAppend(&body, d > 1 ? "," : "", JsonQuote(v1::Decision_Name(d)), ":", counts[d]);
    }
    absl::StrAppend(&body, "},\"scanned\":", scanned, ",\"complete\":", complete ? "true" : "false",
                    ",\"milliseconds\":", absl::ToInt64Milliseconds(absl::Now() - start), "}\n");
    res.set_content(body, kJson);
  }
};

ConsoleApi::ConsoleApi(std::shared_ptr<grpc::Channel> channel, const api::Authorizer* authorizer,
                       const serving::SnapshotManager* manager, ConsoleOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->channel = channel;
  impl_->admin = v1::AdminService::NewStub(channel);
  impl_->screening = v1::ScreeningService::NewStub(channel);
  impl_->location = v1::LocationService::NewStub(channel);
  impl_->authorizer = authorizer;
  impl_->manager = manager;
  impl_->static_files = StaticFiles::Scan(options.static_dir);
  for (const std::string& host : options.hosts) {
    impl_->hosts.insert(absl::AsciiStrToLower(absl::StripAsciiWhitespace(host)));
  }
  impl_->tls = options.tls;
}

ConsoleApi::~ConsoleApi() = default;

namespace {

using Impl = ConsoleApi::Impl;
using Req = const httplib::Request&;
using Res = httplib::Response&;

// Registers API routes that go through Impl::Serve (authentication, roles,
// errors in JSON).
struct Routes {
  httplib::Server* http;
  const Impl* impl;
  void Get(const char* pattern, bool action, Impl::Handler fn) const {
    http->Get(pattern,
              [impl = impl, action, fn](Req req, Res res) { impl->Serve(req, res, action, fn); });
  }
  void Post(const char* pattern, bool action, Impl::Handler fn) const {
    http->Post(pattern,
               [impl = impl, action, fn](Req req, Res res) { impl->Serve(req, res, action, fn); });
  }
};

void InstallHostGuard(httplib::Server* http, const Impl* impl) {
  // DNS rebinding: the console answers only requests addressed to a
  // loopback name or a configured host name; cross-site pages cannot send
  // JSON bodies without a (refused) preflight.
  http->set_pre_routing_handler([impl](Req req, Res res) {
    if (impl->tls) res.set_header("Strict-Transport-Security", "max-age=31536000");
    const std::string host = req.get_header_value("Host");
    if ((absl::StartsWith(req.path, "/api/") || absl::StartsWith(req.path, "/console")) &&
        !IsLoopbackHostHeader(host) && !impl->hosts.count(absl::AsciiStrToLower(HostName(host)))) {
      SendError(res, 403, "PERMISSION_DENIED",
                "Host: the console answers only on a loopback address or a name of "
                "--console_hosts",
                "Host");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

// Who am I, decisions (list, counts, one, replay), listed records,
// dispositions.
void InstallDecisionRoutes(const Routes& r) {
  const Impl* impl = r.impl;
  r.http->Get("/api/v1/whoami", [impl](Req req, Res res) {
    impl->Serve(req, res, false, [impl](Req req, Res res, grpc::ClientContext*) {
      auto caller = impl->authorizer->Authenticate(req.get_header_value("Authorization"), "");
      std::string roles;
      for (v1::Role r : caller->roles) {
        absl::StrAppend(&roles, roles.empty() ? "" : ",", JsonQuote(v1::Role_Name(r)));
      }
      res.set_content(
          absl::StrCat("{\"principal\":", JsonQuote(caller->name), ",\"roles\":[", roles,
                       "],\"open_mode\":", impl->authorizer->open() ? "true" : "false", "}\n"),
          kJson);
    });
  });
  r.Get("/api/v1/decisions", false,
        [impl](Req req, Res res, grpc::ClientContext* ctx) { impl->Decisions(req, res, ctx); });
  r.Get("/api/v1/decisions/counts", false,
        [impl](Req req, Res res, grpc::ClientContext*) { impl->Counts(req, res); });
  r.Get(R"(/api/v1/decisions/([A-Za-z0-9_-]+))", false,
        [impl](Req req, Res res, grpc::ClientContext* ctx) {
          v1::GetDecisionRequest r;
          r.set_decision_id(req.matches[1]);
          v1::DecisionRecord out;
          Impl::Finish(res, impl->screening->GetDecision(ctx, r, &out), out);
        });
  r.Get(R"(/api/v1/decisions/([A-Za-z0-9_-]+)/replay)", false,
        [impl](Req req, Res res, grpc::ClientContext* ctx) {
          v1::ReplayDecisionRequest r;
          r.set_decision_id(req.matches[1]);
          v1::ReplayDecisionResponse out;
          Impl::Finish(res, impl->admin->ReplayDecision(ctx, r, &out), out);
        });
  r.Get(R"(/api/v1/entities/([^/]+))", false, [impl](Req req, Res res, grpc::ClientContext*) {
    auto snapshot = impl->manager->Current();
    if (snapshot == nullptr) {
      return SendError(res, 503, "UNAVAILABLE", "not serving: no active list version");
    }
    auto it = snapshot->data->entity_by_id.find(std::string(req.matches[1]));
    if (it == snapshot->data->entity_by_id.end()) {
      return SendError(res, 404, "NOT_FOUND",
                       absl::StrCat("entity ", std::string(req.matches[1]),
                                    " is not in the active list version ", snapshot->list_version));
    }
    res.set_header("X-List-Version", snapshot->list_version);
    SendMessage(res, snapshot->data->entities[it->second]);
  });
  r.Get("/api/v1/dispositions", false, [impl](Req, Res res, grpc::ClientContext* ctx) {
    v1::ListDispositionsResponse out;
    Impl::Finish(res, impl->admin->ListDispositions(ctx, {}, &out), out);
  });
  r.Post("/api/v1/dispositions", true, [impl](Req req, Res res, grpc::ClientContext* ctx) {
    v1::RecordDispositionRequest r;
    if (!ParseBody(req, res, &r)) return;
    v1::Disposition out;
    Impl::Finish(res, impl->admin->RecordDisposition(ctx, r, &out), out);
  });
  r.Post(R"(/api/v1/dispositions/([A-Za-z0-9_-]+)/revoke)", true,
         [impl](Req req, Res res, grpc::ClientContext* ctx) {
           v1::RevokeDispositionRequest r;
           if (!ParseBody(req, res, &r)) return;
           r.set_disposition_id(req.matches[1]);
           if (absl::StripAsciiWhitespace(r.reason()).empty()) {
             return SendError(res, 400, "INVALID_ARGUMENT", "reason: is required", "reason");
           }
           v1::Disposition out;
           Impl::Finish(res, impl->admin->RevokeDisposition(ctx, r, &out), out);
         });
}

// Alerts, versions and status, diffs, the admin log, audit verification,
// screening; unknown API paths.
void InstallOperatorRoutes(const Routes& r) {
  const Impl* impl = r.impl;
  r.Get("/api/v1/alerts", false, [impl](Req req, Res res, grpc::ClientContext* ctx) {
    v1::ListAlertsRequest r;
    int limit = 0;
    if (!ParseLimit(req, res, &limit)) return;
    r.set_limit(limit);
    const std::string u = req.get_param_value("unacknowledged_only");
    if (!u.empty() && u != "true" && u != "false") {
      return SendError(res, 400, "INVALID_ARGUMENT", "unacknowledged_only: must be true or false",
                       "unacknowledged_only");
    }
    r.set_unacknowledged_only(u == "true");
    v1::ListAlertsResponse out;
    Impl::Finish(res, impl->location->ListAlerts(ctx, r, &out), out);
  });
  r.Post(R"(/api/v1/alerts/([A-Za-z0-9_-]+)/acknowledge)", true,
         [impl](Req req, Res res, grpc::ClientContext* ctx) {
           v1::AcknowledgeAlertRequest r;
           r.set_alert_id(req.matches[1]);
           v1::Alert out;
           Impl::Finish(res, impl->location->AcknowledgeAlert(ctx, r, &out), out);
         });
  r.Get("/api/v1/versions", false, [impl](Req, Res res, grpc::ClientContext* ctx) {
    v1::ListVersionsResponse out;
    Impl::Finish(res, impl->admin->ListVersions(ctx, {}, &out), out);
  });
  r.Get("/api/v1/status", false, [impl](Req, Res res, grpc::ClientContext* ctx) {
    v1::ServingStatus out;
    Impl::Finish(res, impl->admin->GetServingStatus(ctx, {}, &out), out);
  });
  r.Get("/api/v1/versions/diff", false, [impl](Req req, Res res, grpc::ClientContext* ctx) {
    const std::string kind = req.get_param_value("kind");
    if (kind != "lists" && kind != "rules") {
      return SendError(res, 400, "INVALID_ARGUMENT", "kind: must be lists or rules", "kind");
    }
    v1::DiffRequest r;
    r.set_from_version(req.get_param_value("from"));
    r.set_to_version(req.get_param_value("to"));
    if (r.to_version().empty()) {
      return SendError(res, 400, "INVALID_ARGUMENT", "to: is required (a version)", "to");
    }
    v1::DiffResponse out;
    Impl::Finish(res,
                 kind == "lists" ? impl->admin->DiffListVersions(ctx, r, &out)
                                 : impl->admin->DiffRuleSets(ctx, r, &out),
                 out);
  });
  r.Get("/api/v1/admin-log", false, [impl](Req req, Res res, grpc::ClientContext* ctx) {
    v1::ListAdminActionsRequest r;
    int limit = 0;
    if (!ParseLimit(req, res, &limit)) return;
    r.set_limit(limit);
    v1::ListAdminActionsResponse out;
    Impl::Finish(res, impl->admin->ListAdminActions(ctx, r, &out), out);
  });
  r.Get("/api/v1/audit/verify", false, [impl](Req, Res res, grpc::ClientContext* ctx) {
    v1::VerifyAuditChainResponse out;
    Impl::Finish(res, impl->admin->VerifyAuditChain(ctx, {}, &out), out);
  });
  r.Post("/api/v1/screen", false, [impl](Req req, Res res, grpc::ClientContext* ctx) {
    v1::ScreenRequest r;
    if (!ParseBody(req, res, &r)) return;
    v1::ScreenResponse out;
    const grpc::Status s = impl->screening->Screen(ctx, r, &out);
    // A screening from the console is an analyst's action: the admin log
    // records it (gRPC screenings are in the decision log only).
    auto caller = impl->authorizer->Authenticate(req.get_header_value("Authorization"), "");
    api::RecordAdminAction(
        *impl->manager, impl->manager->store(), absl::Now(), "Screen",
        caller.ok() ? caller->name : "", api::ConsolePeer(ClientAddress(req)),
        absl::StrCat("request=", r.request_id(), " destination=", r.destination_country(),
                     " decision=", out.decision_id(), " ", v1::Decision_Name(out.decision())),
        absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
    Impl::Finish(res, s, out);
  });
  // Unknown API paths: JSON, not the static 404.
  r.http->Get(R"(/api/.*)", [](Req req, Res res) {
    SendError(res, 404, "NOT_FOUND", absl::StrCat(req.path, ": no such API"));
  });
}

void InstallStaticPages(httplib::Server* http, const Impl* impl) {
  if (impl->static_files.size() == 0) {
    http->Get(R"(/console/.*)", [](Req, Res res) {
      SendError(res, 404, "NOT_FOUND",
                "console pages not found: start the server with "
                "--console_dir=<repository>/services/console/web");
    });
  } else {
    http->Get(R"(/console/(.*))", [impl](Req req, Res res) {
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("X-Frame-Options", "DENY");
      static const std::string kPolicy =
          "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
      impl->static_files.Serve(req.matches[1], req, res, kPolicy);
    });
  }
  http->Get("/", [](Req, Res res) { res.set_redirect("/console/"); });
  http->Get("/console", [](Req, Res res) { res.set_redirect("/console/"); });
}

}  // namespace

void ConsoleApi::Install(httplib::Server* http) {
  InstallHostGuard(http, impl_.get());
  const Routes routes{http, impl_.get()};
  InstallDecisionRoutes(routes);
  InstallOperatorRoutes(routes);
  InstallStaticPages(http, impl_.get());
}

}  // namespace exportscreen::server
