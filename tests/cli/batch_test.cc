// Batch runner tests: summary, checkpoint, record format, and whole runs
// against an in-process fake ScreeningService (answers by party name, can
// break a stream mid-way) to check ordering, reconnects and --resume.
#include "services/cli/batch.h"

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::cli {
namespace {

using ::testing::HasSubstr;

v1::ScreenStreamResponse Answer(const std::string& line_id, const v1::ScreenRequest& request) {
  v1::ScreenStreamResponse out;
  out.set_line_id(line_id);
  if (request.destination_country().empty()) {
    out.mutable_error()->set_code(3);
    out.mutable_error()->set_message("destination_country: required");
    return out;
  }
  auto* r = out.mutable_response();
  r->set_request_id(request.request_id());
  r->set_rule_set_version("rs1");
  r->set_list_version("lv1");
  r->set_decision_id(absl::StrCat("d", line_id));
  r->set_decision(v1::DECISION_CLEAR);
  for (int i = 0; i < request.parties_size(); ++i) {
    if (absl::StrContains(request.parties(i).name(), "Huawei")) {
      r->set_decision(v1::DECISION_PROHIBITED);
      auto* m = r->add_party_matches();
      m->set_list("EL");
      m->set_entity_id("EL:huawei-technologies");
      m->set_party_index(i);
      m->set_score(0.97);
      m->set_action(v1::MATCH_ACTION_BLOCK);
      auto* f = r->add_findings();
      f->set_rule_id("party.entity_list");
    }
  }
  return out;
}

// Answers every line; the first stream breaks after `break_after` reads.
class FakeScreening final : public v1::ScreeningService::Service {
 public:
  std::atomic<int> break_after{-1};
  std::atomic<int> streams{0};
  absl::Mutex mu;
  // Every request_id each line was sent with, and how many sends.
  std::map<std::string, std::set<std::string>> ids_by_line ABSL_GUARDED_BY(mu);
  int sends ABSL_GUARDED_BY(mu) = 0;

  grpc::Status ScreenStream(grpc::ServerContext* context,
                            grpc::ServerReaderWriter<v1::ScreenStreamResponse,
                                                     v1::ScreenStreamRequest>* stream) override {
    ++streams;
    v1::ScreenStreamRequest request;
    int reads = 0;
    while (stream->Read(&request)) {
      {
        absl::MutexLock lock(&mu);
        ids_by_line[request.line_id()].insert(request.request().request_id());
        ++sends;
      }
      if (break_after >= 0 && ++reads > break_after) {
        break_after = -1;
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "injected failure");
      }
      stream->Write(Answer(request.line_id(), request.request()));
    }
    return grpc::Status::OK;
  }
};

class BatchRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  BatchOptions Options(const std::string& input, const std::string& output) {
    BatchOptions o;
    o.input = input;
    o.output = output;
    o.server = absl::StrCat("127.0.0.1:", port_);
    o.quiet = true;
    o.window = 7;  // small, so the window wraps many times
    o.checkpoint_interval = absl::ZeroDuration();
    return o;
  }
  // JSONL input of n requests; every 10th names Huawei, every 25th is bad.
  std::string MakeJsonl(int n) {
    std::string content;
    for (int i = 1; i <= n; ++i) {
      if (i % 25 == 0) {
        content += "{broken\n";
        continue;
      }
      content +=
          absl::StrCat("{\"request_id\":\"r", i, "\",\"destination_country\":\"CN\",",
                       "\"parties\":[{\"name\":\"",
                       i % 10 == 0 ? "Huawei Technologies Co Ltd" : "Acme Trading", "\"}]}\n");
    }
    return Write("in.jsonl", content);
  }
  // first_line of each record, in output order.
  static std::vector<int64_t> RecordLines(const std::string& output) {
    std::vector<int64_t> lines;
    for (absl::string_view rec : absl::StrSplit(Read(output), '\n', absl::SkipEmpty())) {
      google::protobuf::Struct s;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                      google::protobuf::StringPiece(rec.data(), rec.size()), &s)
                      .ok())
          << rec;
      lines.push_back(static_cast<int64_t>(s.fields().at("first_line").number_value()));
    }
    return lines;
  }

  testing::TempDir dir_;
  FakeScreening fake_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

std::vector<int64_t> OneToN(int n) {
  std::vector<int64_t> v;
  for (int i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

TEST_F(BatchRunTest, OneRecordPerLineInInputOrderWithSummaryAndExitCode) {
  std::string in = MakeJsonl(100);
  std::string out = dir_.path() + "/out.jsonl";
  BatchOptions o = Options(in, out);
  o.summary_path = dir_.path() + "/summary.json";
  EXPECT_EQ(RunBatch(o), 1);  // bad lines: errors win
  EXPECT_EQ(RecordLines(out), OneToN(100));
  auto summary = BatchSummary::FromJson(Read(o.summary_path));
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->shipments(), 100);
  EXPECT_EQ(summary->errors(), 4);
  // Huawei on lines 10, 20, ... 100 except the bad 50 and 100.
  EXPECT_EQ(summary->by_decision().at("PROHIBITED"), 8);
  EXPECT_EQ(summary->by_decision().at("CLEAR"), 88);
  EXPECT_EQ(summary->by_rule().at("party.entity_list"), 8);
  EXPECT_EQ(summary->by_list().at("EL"), 8);
  EXPECT_THAT(Read(out), HasSubstr("\"first_line\":25,\"last_line\":25,"
                                   "\"shipment_id\":\"\",\"error\":{\"code\":"
                                   "\"INVALID_ARGUMENT\""));
}

TEST_F(BatchRunTest, ExitCodeTwoWhenSomethingNeedsReviewAndNoErrors) {
  std::string in = Write("ok.jsonl",
                         "{\"destination_country\":\"CN\",\"parties\":[{\"name\":"
                         "\"Huawei\"}]}\n{\"destination_country\":\"DE\","
                         "\"parties\":[{\"name\":\"Acme\"}]}\n");
  EXPECT_EQ(RunBatch(Options(in, dir_.path() + "/o.jsonl")), 2);
  std::string clear = Write("clear.jsonl",
                            "{\"destination_country\":\"DE\",\"parties\":[{"
                            "\"name\":\"Acme\"}]}\n");
  EXPECT_EQ(RunBatch(Options(clear, dir_.path() + "/c.jsonl")), 0);
}

TEST_F(BatchRunTest, BrokenStreamIsReopenedAndOutstandingLinesResent) {
  std::string in = MakeJsonl(200);
  std::string out = dir_.path() + "/out.jsonl";
  fake_.break_after = 37;
  RunBatch(Options(in, out));
  EXPECT_GE(fake_.streams.load(), 2);
  EXPECT_EQ(RecordLines(out), OneToN(200));
}

// Issue 17: a line without a request_id gets one for the run, the same on
// every resend after a reconnect (a server with --idempotency_window then
// answers a resent line with the decision already recorded for it); the
// output does not show it.
TEST_F(BatchRunTest, ResentLinesKeepTheRequestIdTheRunGaveThem) {
  std::string content;
  for (int i = 1; i <= 100; ++i) {
    content += absl::StrCat("{\"destination_country\":\"CN\",\"parties\":[{\"name\":\"Acme ", i,
                            "\"}]}\n");
  }
  std::string in = Write("noid.jsonl", content);
  std::string out = dir_.path() + "/noid-out.jsonl";
  fake_.break_after = 20;
  EXPECT_EQ(RunBatch(Options(in, out)), 0);
  EXPECT_GE(fake_.streams.load(), 2);
  EXPECT_EQ(RecordLines(out), OneToN(100));
  absl::MutexLock lock(&fake_.mu);
  EXPECT_GT(fake_.sends, 100) << "no line was resent";
  std::set<std::string> all;
  for (const auto& [line, ids] : fake_.ids_by_line) {
    ASSERT_EQ(ids.size(), 1u) << "line " << line << " resent under another request_id";
    EXPECT_TRUE(absl::StartsWith(*ids.begin(), "batch-")) << *ids.begin();
    all.insert(*ids.begin());
  }
  EXPECT_EQ(all.size(), 100u) << "two lines share a request_id";
  EXPECT_THAT(Read(out), ::testing::Not(HasSubstr("batch-")));
}

TEST_F(BatchRunTest, CrashThenResumeGivesExactlyOneRecordPerLine) {
  std::string in = MakeJsonl(300);
  std::string out = dir_.path() + "/out.jsonl";
  for (int64_t crash_at : {1, 57, 150, 299}) {
    BatchOptions first = Options(in, out);
    first.crash_after_records = crash_at;
    EXPECT_EQ(RunBatch(first), 1);
    // A kill can also leave half a record behind.
    std::ofstream(out, std::ios::app) << "{\"first_line\":99";
    BatchOptions again = Options(in, out);
    again.resume = true;
    again.summary_path = dir_.path() + "/summary.json";
    EXPECT_EQ(RunBatch(again), 1);
    EXPECT_EQ(RecordLines(out), OneToN(300)) << "crash at " << crash_at;
    auto summary = BatchSummary::FromJson(Read(again.summary_path));
    ASSERT_TRUE(summary.ok());
    EXPECT_EQ(summary->shipments(), 300);
    EXPECT_EQ(summary->errors(), 12);
    // Resuming a complete run changes nothing.
    EXPECT_EQ(RunBatch(again), 1);
    EXPECT_EQ(RecordLines(out), OneToN(300));
  }
}

TEST_F(BatchRunTest, CsvInputAndCsvOutput) {
  std::string in = Write("in.csv",
                         "shipment_id,destination_country,party_name,item_description,bogus\n"
                         "S1,CN,Acme,GPU,\n"
                         "S1,CN,Huawei Technologies Co Ltd,,\n"
                         "S2,DE,Beta,Laptop,\n");
  std::string out = dir_.path() + "/out.csv";
  BatchOptions o = Options(in, out);
  o.out_format = OutputFormat::kCsv;
  EXPECT_EQ(RunBatch(o), 1);  // the unknown column is an error
  std::vector<std::string> rows = absl::StrSplit(Read(out), '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0] + "\n", CsvOutputHeader());
  EXPECT_THAT(rows[1], HasSubstr("1,1,,,,,,,,INVALID_ARGUMENT"));
  EXPECT_THAT(rows[2], HasSubstr("2,3,S1,PROHIBITED,party.entity_list,"
                                 "EL:EL:huawei-technologies@0.9700:BLOCK,rs1,lv1"));
  EXPECT_THAT(rows[3], HasSubstr("4,4,S2,CLEAR,"));
}

TEST_F(BatchRunTest, ResumeRefusesACheckpointOfAnotherInput) {
  std::string in = MakeJsonl(10);
  std::string out = dir_.path() + "/out.jsonl";
  RunBatch(Options(in, out));
  std::string other = Write("other.jsonl", "{}\n{}\n");
  BatchOptions o = Options(other, out);
  o.resume = true;
  EXPECT_EQ(RunBatch(o), 1);
}

TEST(BatchSummaryTest, JsonRoundTrip) {
  BatchSummary s;
  InputUnit unit;
  unit.first_line = 2;
  unit.last_line = 4;
  v1::ScreenStreamResponse r = Answer("2", [] {
    v1::ScreenRequest q;
    q.set_destination_country("CN");
    q.add_parties()->set_name("Huawei \"quoted\" \xC3\xA9");
    return q;
  }());
  s.Add(unit, &r);
  InputUnit bad;
  bad.first_line = bad.last_line = 5;
  bad.error = absl::InvalidArgumentError("bad \x01 \xFF bytes");
  s.Add(bad, nullptr);
  auto back = BatchSummary::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status() << s.ToJson();
  EXPECT_EQ(back->ToJson(), s.ToJson());
  EXPECT_EQ(back->lines(), 4);
  EXPECT_EQ(back->ExitCode(), 1);
}

TEST(CheckpointTest, SaveLoadAndMissing) {
  testing::TempDir dir;
  std::string path = dir.path() + "/o.checkpoint";
  auto none = LoadCheckpoint(path);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  Checkpoint cp;
  cp.input = "in,\"x\".csv";
  cp.input_size = 123456789012;
  cp.input_mtime_ns = 1754000000123456789;
  cp.in_format = "csv";
  cp.out_format = "jsonl";
  cp.input_offset = 4242;
  cp.next_line = 77;
  cp.output_offset = 9999;
  ASSERT_TRUE(SaveCheckpoint(path, cp).ok());
  auto loaded = LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->input, cp.input);
  EXPECT_EQ((*loaded)->input_size, cp.input_size);
  EXPECT_EQ((*loaded)->input_mtime_ns, cp.input_mtime_ns);
  EXPECT_EQ((*loaded)->input_offset, 4242);
  EXPECT_EQ((*loaded)->next_line, 77);
  EXPECT_EQ((*loaded)->output_offset, 9999);
  EXPECT_FALSE((*loaded)->complete);
  std::ofstream(path) << "{garbage";
  EXPECT_FALSE(LoadCheckpoint(path).ok());
}

}  // namespace
}  // namespace exportscreen::cli
