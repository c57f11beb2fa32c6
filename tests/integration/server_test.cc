// In-process gRPC tests: a real ScreeningServer on a free loopback port,
// driven through the generated stubs.
#include "services/server/server.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "exportscreen/v1/status.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/cli/health_client.h"
#include "services/common/clock.h"
#include "tests/testing/server_options.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// seeds/shipments/*.json, sorted.
std::vector<std::filesystem::path> SampleShipmentFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(ES_SOURCE_DIR) + "/seeds/shipments")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// An answer without what differs between two evaluations of one request.
v1::ScreenResponse WithoutIdentity(v1::ScreenResponse r) {
  r.clear_decision_id();
  r.clear_evaluated_at();
  return r;
}

v1::ScreenRequest LoadRequest(const std::string& path) {
  v1::ScreenRequest r;
  auto s = google::protobuf::util::JsonStringToMessage(ReadFile(path), &r);
  EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
  return r;
}

// Expected decision from the sample's file name: NN-<decision>-....json.
v1::Decision ExpectedFromName(const std::string& name) {
  if (name.find("-clear-") != std::string::npos) return v1::DECISION_CLEAR;
  if (name.find("-review-") != std::string::npos) return v1::DECISION_REVIEW;
  if (name.find("-license-") != std::string::npos) return v1::DECISION_LICENSE_REQUIRED;
  if (name.find("-prohibited-") != std::string::npos) return v1::DECISION_PROHIBITED;
  return v1::DECISION_UNSPECIFIED;
}

class ServerTest : public ::testing::Test {
 protected:
  server::ServerOptions Options(const std::string& rules_dir) {
    server::ServerOptions o = testing::TestServerOptions(db_.path());
    o.bootstrap.rules_dir = rules_dir;
    o.workers = 2;
    return o;
  }
  // lists_dir: BootstrapOptions::lists_dir ("" = the hand-written
  // seeds/entities.jsonl, as most tests here use).
  void StartServer(const std::string& rules_dir, const std::string& lists_dir = "",
                   Clock* clock = nullptr) {
    server::ServerOptions o = Options(rules_dir);
    o.bootstrap.lists_dir = lists_dir;
    o.screen_inline_max_bytes = inline_max_bytes_;
    if (clock != nullptr) o.clock = clock;
    auto s = server::ScreeningServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    // As screenctl: accept answers up to the server's send limit (16 MiB).
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    channel_ = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                         grpc::InsecureChannelCredentials(), args);
    screening_ = v1::ScreeningService::NewStub(channel_);
    admin_ = v1::AdminService::NewStub(channel_);
  }
  // Every sample shipment gets the decision its file name announces.
  void ScreenSamples();
  cli::HealthState Health() {
    cli::HealthState state = cli::HealthState::kUnknown;
    auto s = cli::CheckHealth(channel_, "",
                              std::chrono::system_clock::now() + std::chrono::seconds(5), &state);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return state;
  }
  grpc::Status Screen(const v1::ScreenRequest& req, v1::ScreenResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return screening_->Screen(&ctx, req, resp);
  }
  v1::ServingStatus Status() {
    grpc::ClientContext ctx;
    v1::ServingStatus st;
    EXPECT_TRUE(admin_->GetServingStatus(&ctx, {}, &st).ok());
    return st;
  }

  testing::TempDir db_;
  size_t inline_max_bytes_ = 0;
  std::unique_ptr<server::ScreeningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScreeningService::Stub> screening_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  const std::string rules_dir_ = std::string(ES_SOURCE_DIR) + "/rules";
};

TEST_F(ServerTest, NotServingUntilLoadedThenServing) {
  StartServer(rules_dir_);
  EXPECT_EQ(Health(), cli::HealthState::kNotServing);
  v1::ScreenResponse resp;
  v1::ScreenRequest req =
      LoadRequest(std::string(ES_SOURCE_DIR) + "/seeds/shipments/01-clear-workstation-gpu-de.json");
  EXPECT_EQ(Screen(req, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(Status().serving());

  ASSERT_TRUE(server_->Load().ok());
  EXPECT_EQ(Health(), cli::HealthState::kServing);
  v1::ServingStatus st = Status();
  EXPECT_TRUE(st.serving());
  EXPECT_GT(st.rule_count(), 0);
  EXPECT_GT(st.entity_count(), 5);
  EXPECT_GT(st.entity_counts_by_list().at("EL"), 0);
  EXPECT_FALSE(st.rule_set_version().empty());
  EXPECT_FALSE(st.list_version().empty());
}

TEST_F(ServerTest, EmptyRulesDirectoryStaysNotServing) {
  testing::TempDir empty_rules;
  StartServer(empty_rules.path());
  EXPECT_FALSE(server_->Load().ok());
  EXPECT_EQ(Health(), cli::HealthState::kNotServing);
  v1::ScreenResponse resp;
  v1::ScreenRequest req;
  req.set_destination_country("DE");
  req.add_parties()->set_name("Someone");
  EXPECT_EQ(Screen(req, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServerTest, SampleShipmentsGetTheirDecisions) {
  for (size_t inline_max : {size_t{0}, size_t{1} << 20}) {
    // The pool path, then every request evaluated on the callback thread.
    SCOPED_TRACE(absl::StrCat("screen_inline_max_bytes=", inline_max));
    inline_max_bytes_ = inline_max;
    if (server_ != nullptr) {
      server_->Shutdown();
      server_.reset();
    }
    ScreenSamples();
  }
}

void ServerTest::ScreenSamples() {
  StartServer(rules_dir_);
  ASSERT_TRUE(server_->Load().ok());
  int samples = 0;
  const std::vector<std::filesystem::path> files = SampleShipmentFiles();
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    const v1::Decision expected = ExpectedFromName(name);
    ASSERT_NE(expected, v1::DECISION_UNSPECIFIED) << name;
    v1::ScreenResponse resp;
    grpc::Status s = Screen(LoadRequest(path.string()), &resp);
    ASSERT_TRUE(s.ok()) << name << ": " << s.error_message();
    EXPECT_EQ(resp.decision(), expected) << name << " got " << v1::Decision_Name(resp.decision());
    EXPECT_FALSE(resp.decision_id().empty());
    EXPECT_FALSE(resp.rule_set_version().empty());
    EXPECT_FALSE(resp.list_version().empty());
    EXPECT_GT(resp.evaluated_at().seconds(), 0);
    if (resp.decision() != v1::DECISION_CLEAR) {
      EXPECT_GT(resp.findings_size(), 0) << name << ": non-CLEAR needs findings";
    }
    ++samples;
  }
  EXPECT_GE(samples, 5);
}

// The embedded default (screening_server --seed_lists=seeds/lists): an empty
// store imports the real-list snapshot bootstrap.txt names, not the twelve
// hand-written parties, and the seeds' illustrative ownership links are
// resolved onto the real entities by name. (The samples' decisions on the
// real lists, at today's date: tests/integration/e2e_test.sh.)
TEST_F(ServerTest, EmbeddedDefaultIsTheRealListSnapshot) {
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2025, 10, 15, 12, 0, 0), absl::UTCTimeZone()));
  StartServer(rules_dir_, std::string(ES_SOURCE_DIR) + "/seeds/lists", &clock);
  ASSERT_TRUE(server_->Load().ok());
  v1::ServingStatus st = Status();
  EXPECT_EQ(st.entity_counts_by_list().at("EL"), 3420);
  EXPECT_EQ(st.entity_counts_by_list().at("DPL"), 1596);
  EXPECT_EQ(st.entity_counts_by_list().at("UVL"), 222);
  EXPECT_EQ(st.entity_counts_by_list().at("MEU"), 70);
  EXPECT_EQ(st.entity_counts_by_list().at("SDN"), 14965);
  EXPECT_EQ(st.entity_counts_by_list().at("UN"), 1003);
  EXPECT_EQ(st.entity_count(), 3420 + 1596 + 222 + 70 + 14965 + 1003);
  EXPECT_EQ(st.ownership_count(), 4);
  EXPECT_GT(st.item_count(), 0);

  // Parties only the real lists have: an SDN bank and a UN-listed person.
  for (const auto& [party, list] : std::vector<std::pair<std::string, std::string>>{
           {"Banco Nacional de Cuba", "SDN"}, {"Eric Badege", "UN"}}) {
    v1::ScreenRequest req;
    req.set_destination_country("ES");
    req.add_parties()->set_name(party);
    v1::ScreenResponse resp;
    ASSERT_TRUE(Screen(req, &resp).ok());
    EXPECT_NE(resp.decision(), v1::DECISION_CLEAR) << party;
    std::set<std::string> lists;
    for (const auto& m : resp.party_matches()) lists.insert(m.list());
    EXPECT_THAT(lists, ::testing::Contains(list)) << party;
  }
  // seeds/ownership.jsonl names its owners by the hand-written ids
  // (EL:huawei-technologies); against the real lists it resolves by name.
  v1::ScreenRequest req;
  req.set_destination_country("CN");
  auto* p = req.add_parties();
  p->set_name("Huawei Example Subsidiary Ltd");
  p->set_country("CN");
  v1::ScreenResponse resp;
  ASSERT_TRUE(Screen(req, &resp).ok());
  EXPECT_EQ(resp.decision(), v1::DECISION_LICENSE_REQUIRED);
  std::set<std::string> fired;
  for (const auto& f : resp.findings()) fired.insert(f.rule_id());
  EXPECT_THAT(fired, ::testing::IsSupersetOf({"own.affiliates_50", "pl.el.fn1"}));
}

TEST_F(ServerTest, SeedListsWithoutBootstrapFileStaysNotServing) {
  testing::TempDir lists;
  StartServer(rules_dir_, lists.path());
  absl::Status s = server_->Load();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("bootstrap.txt"));
  EXPECT_EQ(Health(), cli::HealthState::kNotServing);
}

TEST_F(ServerTest, SeedListsBadLineIsNamed) {
  testing::TempDir lists;
  std::ofstream(lists.path() + "/bootstrap.txt") << "# comment\n\nno_such_format x.csv\n";
  std::ofstream(lists.path() + "/x.csv") << "a,b\n";
  StartServer(rules_dir_, lists.path());
  absl::Status s = server_->Load();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("bootstrap.txt:3: "));
  EXPECT_EQ(Health(), cli::HealthState::kNotServing);
}

TEST_F(ServerTest, HuaweiWithoutPunctuationHitsEntityList) {
  StartServer(rules_dir_);
  ASSERT_TRUE(server_->Load().ok());
  v1::ScreenRequest req;
  req.set_destination_country("CN");
  auto* p = req.add_parties();
  p->set_name("Huawei Technologies Co Ltd");
  p->set_country("CN");
  v1::ScreenResponse resp;
  ASSERT_TRUE(Screen(req, &resp).ok());
  ASSERT_GT(resp.party_matches_size(), 0);
  const auto& m = resp.party_matches(0);
  EXPECT_EQ(m.list(), "EL");
  EXPECT_THAT(m.listed_name(), HasSubstr("Huawei Technologies"));
  EXPECT_THAT(m.el_footnotes(), ::testing::Contains(1));
  EXPECT_FALSE(m.license_requirement().empty());
  EXPECT_THAT(m.citations(), ::testing::Contains("84 FR 22963"));
  EXPECT_NE(resp.decision(), v1::DECISION_CLEAR);
}

TEST_F(ServerTest, BadRequestsAreInvalidArgumentNamingTheField) {
  StartServer(rules_dir_);
  ASSERT_TRUE(server_->Load().ok());
  v1::ScreenRequest req;
  req.add_parties()->set_name("Someone");
  v1::ScreenResponse resp;
  grpc::Status s = Screen(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("destination_country"));
  v1::RpcStatus rich;
  ASSERT_TRUE(rich.ParseFromString(s.error_details()));
  ASSERT_EQ(rich.details_size(), 1);
  v1::BadRequest bad;
  ASSERT_TRUE(rich.details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "destination_country");

  req.set_destination_country("ZZ");
  s = Screen(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown country code \"ZZ\""));
}

// Unary Screen answers from pooled, reused messages (ScreenMessagePool):
// whatever order the calls come in, every answer equals the first answer
// to the same request (nothing of an earlier, larger answer survives), and
// the stored decision record holds exactly the answer that was sent.
TEST_F(ServerTest, PooledAnswersCarryNothingFromEarlierCalls) {
  StartServer(rules_dir_);
  ASSERT_TRUE(server_->Load().ok());
  const std::vector<std::filesystem::path> files = SampleShipmentFiles();
  ASSERT_GE(files.size(), 5u);
  std::map<std::string, v1::ScreenResponse> first;
  for (int round = 0; round < 4; ++round) {
    // Alternate the order so a small answer follows a large one.
    for (size_t k = 0; k < files.size(); ++k) {
      const auto& path = files[round % 2 == 0 ? k : files.size() - 1 - k];
      v1::ScreenResponse resp;
      ASSERT_TRUE(Screen(LoadRequest(path.string()), &resp).ok()) << path;
      grpc::ClientContext ctx;
      v1::GetDecisionRequest get;
      get.set_decision_id(resp.decision_id());
      v1::DecisionRecord record;
      ASSERT_TRUE(screening_->GetDecision(&ctx, get, &record).ok());
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(record.response(), resp))
          << path << "\nsent:\n"
          << resp.DebugString() << "\nstored:\n"
          << record.response().DebugString();
      EXPECT_EQ(record.request().request_id(), LoadRequest(path.string()).request_id());
      auto [it, inserted] = first.emplace(path.string(), WithoutIdentity(resp));
      if (!inserted) {
        EXPECT_TRUE(
            google::protobuf::util::MessageDifferencer::Equals(it->second, WithoutIdentity(resp)))
            << path << " round " << round << "\nfirst:\n"
            << it->second.DebugString() << "\nnow:\n"
            << WithoutIdentity(resp).DebugString();
      }
    }
  }
}

TEST_F(ServerTest, DecisionsAreStoredAndSurviveRestart) {
  std::string decision_id, rules_version, list_version;
  {
    StartServer(rules_dir_);
    ASSERT_TRUE(server_->Load().ok());
    v1::ScreenResponse resp;
    ASSERT_TRUE(Screen(LoadRequest(std::string(ES_SOURCE_DIR) +
                                   "/seeds/shipments/03-license-huawei-entity-list.json"),
                       &resp)
                    .ok());
    decision_id = resp.decision_id();
    rules_version = resp.rule_set_version();
    list_version = resp.list_version();
    server_->Shutdown();
    server_.reset();
  }
  StartServer(rules_dir_);
  ASSERT_TRUE(server_->Load().ok());
  v1::ServingStatus st = Status();
  EXPECT_EQ(st.rule_set_version(), rules_version);
  EXPECT_EQ(st.list_version(), list_version);
  EXPECT_EQ(st.decision_count(), 1);
  grpc::ClientContext ctx;
  v1::GetDecisionRequest get;
  get.set_decision_id(decision_id);
  v1::DecisionRecord record;
  ASSERT_TRUE(screening_->GetDecision(&ctx, get, &record).ok());
  EXPECT_EQ(record.response().decision(), v1::DECISION_LICENSE_REQUIRED);
  EXPECT_EQ(record.request().request_id(), "sample-03");
  grpc::ClientContext ctx2;
  get.set_decision_id("D00000000000000ff");
  EXPECT_EQ(screening_->GetDecision(&ctx2, get, &record).error_code(), grpc::StatusCode::NOT_FOUND);
}

// Issue 12, "limits that agree": the largest Screen request the server
// accepts (just under 1 MiB: 100 parties on listed names with aliases, 1,000
// advanced-chip items) is recorded and can be read back by every RPC that
// reads decision records: GetDecision, ListDecisions (pages bounded by bytes,
// paging reaches every record), ReplayDecision and DryRun.
TEST_F(ServerTest, LargestAcceptedRequestsCanBeReadBack) {
  StartServer(rules_dir_);
  ASSERT_TRUE(server_->Load().ok());
  v1::ScreenRequest req = LoadRequest(std::string(ES_SOURCE_DIR) +
                                      "/seeds/shipments/03-license-huawei-entity-list.json");
  req.set_request_id("largest");
  const v1::Party first = req.parties(0);
  req.clear_parties();
  const char* listed[] = {"Huawei Technologies Co., Ltd.", "Banco Nacional de Cuba",
                          "Semiconductor Manufacturing International Corporation"};
  for (int p = 0; p < 100; ++p) {
    v1::Party* party = req.add_parties();
    *party = first;
    party->set_name(absl::StrCat(listed[p % 3], " branch ", p));
    for (int a = 0; a < 10; ++a) party->add_aliases(absl::StrCat(listed[(p + a) % 3], " ", a));
  }
  const v1::Item item = req.items(0);
  req.clear_items();
  for (int i = 0; i < 1000; ++i) {
    v1::Item* it = req.add_items();
    *it = item;
    it->set_part_number(absl::StrCat("PN-", i));
    it->set_declared_eccn("3A090.a");
    it->set_kind(v1::ITEM_KIND_IC);
    it->set_tpp(5000);
    it->set_description(std::string(800, 'x'));
    for (int k = 0; k < 10; ++k) it->add_serial_numbers(absl::StrCat("SN-", i, "-", k));
  }
  ASSERT_LT(req.ByteSizeLong(), size_t{1} << 20);
  ASSERT_GT(req.ByteSizeLong(), size_t{900} << 10);
  constexpr int kDecisions = 12;
  std::vector<std::string> ids;
  size_t answer_bytes = 0;
  for (int n = 0; n < kDecisions; ++n) {
    v1::ScreenResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ASSERT_TRUE(screening_->Screen(&ctx, req, &resp).ok());
    EXPECT_NE(resp.decision(), v1::DECISION_CLEAR);
    ids.push_back(resp.decision_id());
    answer_bytes = resp.ByteSizeLong();
  }
  std::cout << "largest request " << req.ByteSizeLong() << " bytes, answer " << answer_bytes
            << " bytes\n";
  for (const auto& id : ids) {
    grpc::ClientContext ctx;
    v1::GetDecisionRequest get;
    get.set_decision_id(id);
    v1::DecisionRecord record;
    ASSERT_TRUE(screening_->GetDecision(&ctx, get, &record).ok()) << id;
    EXPECT_EQ(record.request().items_size(), 1000);
  }
  // Every record appears exactly once when paging with the largest limit.
  std::set<std::string> listed_ids;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext ctx;
    v1::ListDecisionsRequest list;
    list.set_limit(1000);
    list.set_page_token(token);
    v1::ListDecisionsResponse page;
    grpc::Status s = admin_->ListDecisions(&ctx, list, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_GT(page.records_size(), 0);
    for (const auto& r : page.records()) {
      EXPECT_TRUE(listed_ids.insert(r.decision_id()).second) << r.decision_id();
    }
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_EQ(listed_ids, std::set<std::string>(ids.begin(), ids.end()));
  if (answer_bytes * kDecisions > (size_t{16} << 20)) {
    EXPECT_GT(pages, 1);
  }
  {
    grpc::ClientContext ctx;
    v1::ReplayDecisionRequest replay;
    replay.set_decision_id(ids.back());
    v1::ReplayDecisionResponse out;
    grpc::Status s = admin_->ReplayDecision(&ctx, replay, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(out.identical());
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    v1::DryRunRequest dry;
    dry.set_last_n(kDecisions);
    v1::DryRunResponse out;
    grpc::Status s = admin_->DryRun(&ctx, dry, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.screened(), kDecisions);
  }
}

// A rule set larger than what GetRuleSet can send back is refused before it
// is stored, naming the field; nothing is stored.
TEST_F(ServerTest, RuleSetLargerThanItsReadBackIsRefused) {
  StartServer(rules_dir_);
  ASSERT_TRUE(server_->Load().ok());
  v1::PublishRuleSetRequest pub;
  pub.set_source("too-large");
  for (const auto& f : std::filesystem::directory_iterator(rules_dir_)) {
    if (f.is_regular_file()) {
      (*pub.mutable_files())[f.path().filename().string()] = ReadFile(f.path().string());
    }
  }
  (*pub.mutable_files())["zz_padding.textproto"] = "# " + std::string(9u << 20, 'x') + "\n";
  grpc::ClientContext ctx;
  v1::RuleSetInfo info;
  grpc::Status s = admin_->PublishRuleSet(&ctx, pub, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("files"));
  grpc::ClientContext ctx2;
  v1::ListVersionsResponse versions;
  ASSERT_TRUE(admin_->ListVersions(&ctx2, {}, &versions).ok());
  EXPECT_EQ(versions.rule_sets_size(), 1);
}

TEST_F(ServerTest, StreamAnswersEveryLineOnOneSnapshot) {
  StartServer(rules_dir_);
  ASSERT_TRUE(server_->Load().ok());
  grpc::ClientContext ctx;
  auto stream = screening_->ScreenStream(&ctx);
  const int kLines = 300;
  std::thread writer([&] {
    for (int i = 0; i < kLines; ++i) {
      v1::ScreenStreamRequest line;
      line.set_line_id(std::to_string(i));
      auto* req = line.mutable_request();
      req->set_destination_country(i % 50 == 7 ? "" : (i % 2 ? "CN" : "DE"));
      req->add_parties()->set_name(i % 3 ? "Huawei Technologies Co Ltd"
                                         : "Rheinland Engineering GmbH");
      ASSERT_TRUE(stream->Write(line));
    }
    stream->WritesDone();
  });
  std::set<std::string> seen;
  std::set<std::string> versions;
  int errors = 0;
  v1::ScreenStreamResponse out;
  while (stream->Read(&out)) {
    EXPECT_TRUE(seen.insert(out.line_id()).second) << "duplicate " << out.line_id();
    if (out.has_error()) {
      ++errors;
      EXPECT_EQ(out.error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
      EXPECT_THAT(out.error().message(), HasSubstr("destination_country"));
    } else {
      versions.insert(out.response().rule_set_version() + "/" + out.response().list_version());
    }
  }
  writer.join();
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(static_cast<int>(seen.size()), kLines);
  EXPECT_EQ(errors, 6);  // i % 50 == 7 for i < 300
  EXPECT_EQ(versions.size(), 1u);
}

// ScreenStream answers in reused records too: every streamed answer equals
// the unary answer to the same request and the stored record, whatever
// larger or smaller answers came before it on the stream.
TEST_F(ServerTest, StreamedAnswersCarryNothingFromEarlierLines) {
  StartServer(rules_dir_);
  ASSERT_TRUE(server_->Load().ok());
  const std::vector<std::filesystem::path> files = SampleShipmentFiles();
  std::map<std::string, v1::ScreenResponse> unary;
  std::vector<v1::ScreenRequest> requests;
  for (const auto& path : files) {
    v1::ScreenResponse resp;
    requests.push_back(LoadRequest(path.string()));
    ASSERT_TRUE(Screen(requests.back(), &resp).ok()) << path;
    unary[requests.back().request_id()] = WithoutIdentity(resp);
  }
  grpc::ClientContext ctx;
  auto stream = screening_->ScreenStream(&ctx);
  const int kRounds = 20;
  std::thread writer([&] {
    for (int round = 0; round < kRounds; ++round) {
      for (size_t k = 0; k < requests.size(); ++k) {
        const size_t i = round % 2 == 0 ? k : requests.size() - 1 - k;
        v1::ScreenStreamRequest line;
        line.set_line_id(absl::StrCat(round, ":", i));
        *line.mutable_request() = requests[i];
        ASSERT_TRUE(stream->Write(line));
      }
    }
    stream->WritesDone();
  });
  int answered = 0;
  v1::ScreenStreamResponse out;
  std::vector<std::string> decision_ids;
  while (stream->Read(&out)) {
    ASSERT_FALSE(out.has_error()) << out.error().message();
    ++answered;
    const auto& expected = unary[out.response().request_id()];
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(expected,
                                                                   WithoutIdentity(out.response())))
        << out.line_id() << "\nunary:\n"
        << expected.DebugString() << "\nstreamed:\n"
        << WithoutIdentity(out.response()).DebugString();
    if (answered % 17 == 0) decision_ids.push_back(out.response().decision_id());
  }
  writer.join();
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(answered, kRounds * static_cast<int>(requests.size()));
  for (const auto& id : decision_ids) {
    grpc::ClientContext c;
    v1::GetDecisionRequest get;
    get.set_decision_id(id);
    v1::DecisionRecord record;
    ASSERT_TRUE(screening_->GetDecision(&c, get, &record).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
        unary[record.request().request_id()], WithoutIdentity(record.response())))
        << id;
  }
}

}  // namespace
}  // namespace exportscreen
