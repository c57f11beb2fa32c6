#include "services/cli/batch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <memory>
#include <random>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "exportscreen/v1/service.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "services/cli/batch_internal.h"
#include "services/cli/commands.h"

ABSL_FLAG(std::string, out, "-", "batch: output file (- = stdout)");
ABSL_FLAG(bool, resume, false, "batch: continue an interrupted run of the same INPUT and --out");
ABSL_FLAG(std::string, out_format, "jsonl", "batch: output format jsonl|csv");
ABSL_FLAG(std::string, in_format, "",
          "batch: input format csv|jsonl (default: from the extension)");
ABSL_FLAG(std::string, summary, "", "batch: also write the summary JSON here");
ABSL_FLAG(int, window, 1024, "batch: shipments in flight or unwritten (memory bound)");
ABSL_FLAG(std::string, progress, "auto",
          "batch: progress bar on stderr: auto (if a terminal) | always | never");

namespace exportscreen::cli {
// ---------------------------------------------------------------------------
// The run

namespace {

using Stream = grpc::ClientReaderWriter<v1::ScreenStreamRequest, v1::ScreenStreamResponse>;
using batch_internal::WriteAll;

// A shipment in the window, from read until written.
struct Slot {
  InputUnit unit;
  std::string line_id;
  bool done = false;    // answered (or a local error)
  bool resend = false;  // refused as overloaded: send again
  int attempts = 0;
  bool generated_id = false;  // request_id set by this run (not in the output)
  v1::ScreenStreamResponse response;
};

// Output file with our own buffer, so that we know exactly which bytes have
// reached the kernel (the checkpoint's output offset).
class Output {
 public:
  ~Output() {
    if (owned_ && fd_ >= 0) close(fd_);
  }
  absl::Status Open(const std::string& path, int64_t keep_bytes, bool is_file) {
    if (!is_file) {
      fd_ = 1;
      return absl::OkStatus();
    }
    fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      return absl::PermissionDeniedError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
    }
    owned_ = true;
    if (ftruncate(fd_, keep_bytes) != 0 || lseek(fd_, keep_bytes, SEEK_SET) < 0) {
      return absl::DataLossError(absl::StrCat("cannot truncate ", path));
    }
    written_ = keep_bytes;
    return absl::OkStatus();
  }
  absl::Status Append(absl::string_view data) {
    buf_.append(data.data(), data.size());
    if (buf_.size() >= (256 << 10)) return Flush();
    return absl::OkStatus();
  }
  absl::Status Flush() {
    absl::Status s = WriteAll(fd_, buf_);
    written_ += static_cast<int64_t>(buf_.size());
    buf_.clear();
    return s;
  }
  absl::Status Sync() {
    absl::Status s = Flush();
    if (!s.ok()) return s;
    if (owned_ && fdatasync(fd_) != 0) {
      return absl::DataLossError(absl::StrCat("fdatasync: ", strerror(errno)));
    }
    return absl::OkStatus();
  }
  int64_t written() const { return written_; }

 private:
  int fd_ = -1;
  bool owned_ = false;
  int64_t written_ = 0;
  std::string buf_;
};

class BatchRun {
 public:
  explicit BatchRun(const BatchOptions& options)
      : options_(options),
        run_id_(absl::StrFormat("%08x%08x", std::random_device()(), std::random_device()())) {}

  int Run();

 private:
  // One ScreenStream call and its reader thread.
  struct Session {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<Stream> stream;
    std::thread reader;
    bool writes_done = false;
  };

  absl::Status Prepare();
  absl::Status OpenSession();
  // Cancels, joins the reader, returns the stream's final status.
  grpc::Status CloseSession();
  void ReaderLoop(Stream* stream);
  // more_follow: another Write comes right after (never true for the last
  // write before waiting, or the message could sit in gRPC's buffer).
  bool WriteSlot(Slot* slot, bool more_follow);
  // A new slot at the end of the window, with a spare answer's storage if
  // there is one (the reader parses the answer into it, by swap, with almost
  // no allocation).
  Slot* NewSlotLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Slot* slot = &window_.emplace_back();
    if (!spare_responses_.empty()) {
      slot->response.Swap(&spare_responses_.back());
      spare_responses_.pop_back();
    }
    return slot;
  }
  // Keeps a written answer's storage for a later slot.
  void Recycle(v1::ScreenStreamResponse* response) {
    response->Clear();
    absl::MutexLock lock(&mu_);
    if (spare_responses_.size() < static_cast<size_t>(std::max(1, options_.window))) {
      spare_responses_.emplace_back().Swap(response);
    }
  }
  // Writes done slots at the head of the window; checkpoints on schedule.
  absl::Status Drain(bool force_checkpoint);
  absl::Status WriteCheckpoint(bool complete);
  void Ticker();
  void DrawProgress(bool final_line);
  int Finish(int code);

  // A line without a request_id gets one for this run, so that a line
  // resent on a new stream after a break is answered with the decision
  // already recorded for it (servers with --idempotency_window) instead of
  // being recorded twice.
  void GiveRequestId(Slot* slot) const {
    slot->generated_id = slot->unit.request.request_id().empty();
    if (slot->generated_id) {
      slot->unit.request.set_request_id(
          absl::StrCat("batch-", run_id_, "-", slot->unit.first_line));
    }
  }

  const BatchOptions& options_;
  const std::string run_id_;  // names the request ids this run gives lines without one
  bool to_file_ = false;
  InputFormat in_format_ = InputFormat::kCsv;
  std::unique_ptr<UnitReader> reader_;
  Output output_;
  Checkpoint cp_;  // summary and positions of what is written
  int64_t input_size_ = -1;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScreeningService::Stub> stub_;
  Session session_;
  absl::Time last_checkpoint_ = absl::InfinitePast();
  int64_t records_written_ = 0;
  int64_t records_at_start_ = 0;
  absl::Time started_ = absl::Now();

  absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<Slot> window_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> resend_ ABSL_GUARDED_BY(mu_);  // line ids
  // Written answers, cleared, for the next slots (at most a window's worth).
  std::vector<v1::ScreenStreamResponse> spare_responses_ ABSL_GUARDED_BY(mu_);
  bool reader_ended_ ABSL_GUARDED_BY(mu_) = true;
  int64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // sent, not answered
  absl::Time last_answer_ ABSL_GUARDED_BY(mu_) = absl::Now();
  bool stop_ticker_ ABSL_GUARDED_BY(mu_) = false;
  int64_t progress_offset_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t progress_lines_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t first_progress_line_ = 0;
  // The live stream's context, for the watchdog's TryCancel.
  grpc::ClientContext* live_context_ ABSL_GUARDED_BY(mu_) = nullptr;
};

absl::Status BatchRun::Prepare() {
  to_file_ = !options_.output.empty() && options_.output != "-";
  if (options_.resume && !to_file_) {
    return absl::InvalidArgumentError("--resume needs --out=FILE");
  }
  if (options_.in_format.has_value()) {
    in_format_ = *options_.in_format;
  } else {
    auto f = InputFormatFromName(options_.input);
    if (!f.ok()) return f.status();
    in_format_ = *f;
  }
  auto lines = LineReader::Open(options_.input);
  if (!lines.ok()) return lines.status();
  input_size_ = (*lines)->size();
  struct stat st;
  int64_t mtime = 0;
  if (options_.input != "-" && stat(options_.input.c_str(), &st) == 0) {
    mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  }
  if (options_.resume && input_size_ < 0) {
    return absl::InvalidArgumentError("--resume needs a regular input file");
  }
  reader_ = NewUnitReader(in_format_, std::move(*lines));

  cp_.input = options_.input;
  cp_.input_size = input_size_;
  cp_.input_mtime_ns = mtime;
  cp_.in_format = in_format_ == InputFormat::kCsv ? "csv" : "jsonl";
  cp_.out_format = options_.out_format == OutputFormat::kCsv ? "csv" : "jsonl";

  std::optional<Checkpoint> previous;
  if (to_file_ && options_.resume) {
    auto loaded = LoadCheckpoint(CheckpointPath(options_.output));
    if (!loaded.ok()) return loaded.status();
    previous = std::move(*loaded);
  }
  if (previous.has_value()) {
    if (previous->in_format != cp_.in_format || previous->out_format != cp_.out_format ||
        previous->input_size != cp_.input_size || previous->input_mtime_ns != cp_.input_mtime_ns) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the checkpoint ", CheckpointPath(options_.output), " is of another input or format (",
          previous->input, ", ", previous->in_format, " -> ", previous->out_format,
          "); remove it to start again"));
    }
    cp_.input_offset = previous->input_offset;
    cp_.next_line = previous->next_line;
    cp_.output_offset = previous->output_offset;
    cp_.complete = previous->complete;
    cp_.summary = previous->summary;
    records_at_start_ = cp_.summary.shipments();
    first_progress_line_ = cp_.next_line - 1;
    if (!cp_.complete) {
      absl::Status s = reader_->Resume(cp_.input_offset, cp_.next_line);
      if (!s.ok()) return s;
    }
  }
  absl::Status s = output_.Open(options_.output, cp_.output_offset, to_file_);
  if (!s.ok()) return s;
  if (cp_.output_offset == 0 && options_.out_format == OutputFormat::kCsv) {
    s = output_.Append(CsvOutputHeader());
    if (!s.ok()) return s;
  }
  if (to_file_) {
    // A fresh run must not be "resumed" from an older run's checkpoint.
    s = WriteCheckpoint(cp_.complete);
    if (!s.ok()) return s;
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  channel_ =
      options_.channel != nullptr
          ? options_.channel
          : grpc::CreateCustomChannel(options_.server, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::ScreeningService::NewStub(channel_);
  return absl::OkStatus();
}

absl::Status BatchRun::OpenSession() {
  session_.context =
      options_.new_context ? options_.new_context() : std::make_unique<grpc::ClientContext>();
  // No overall deadline: a stream lives as long as the file takes; the
  // ticker's stall watchdog cancels a stream that stops answering.
  session_.context->set_deadline(std::chrono::system_clock::time_point::max());
  session_.writes_done = false;
  session_.stream = stub_->ScreenStream(session_.context.get());
  {
    absl::MutexLock lock(&mu_);
    reader_ended_ = false;
    outstanding_ = 0;
    live_context_ = session_.context.get();
    last_answer_ = absl::Now();
    resend_.clear();
  }
  session_.reader = std::thread([this, stream = session_.stream.get()] { ReaderLoop(stream); });
  // Resend what the previous stream left unanswered, in input order.
  std::vector<Slot*> pending;
  {
    absl::MutexLock lock(&mu_);
    for (auto& slot : window_) {
      if (!slot.done) pending.push_back(&slot);  // deque refs are stable
    }
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    if (!WriteSlot(pending[i], i + 1 < pending.size()))
      return absl::UnavailableError("stream write failed");
  }
  return absl::OkStatus();
}

grpc::Status BatchRun::CloseSession() {
  if (session_.stream == nullptr) return grpc::Status::OK;
  bool ended;
  {
    absl::MutexLock lock(&mu_);
    ended = reader_ended_;
  }
  // A stream the server ended keeps its real status; a live one is cut.
  if (!ended) session_.context->TryCancel();
  if (session_.reader.joinable()) session_.reader.join();
  grpc::Status status = session_.stream->Finish();
  {
    absl::MutexLock lock(&mu_);
    live_context_ = nullptr;
  }
  session_.stream.reset();
  session_.context.reset();
  return status;
}

void BatchRun::ReaderLoop(Stream* stream) {
  v1::ScreenStreamResponse response;
  while (stream->Read(&response)) {
    absl::MutexLock lock(&mu_);
    last_answer_ = absl::Now();
    // Window is ordered by first_line, and line ids are first lines.
    int64_t line = 0;
    if (!absl::SimpleAtoi(response.line_id(), &line)) continue;
    auto it = std::lower_bound(window_.begin(), window_.end(), line,
                               [](const Slot& s, int64_t l) { return s.unit.first_line < l; });
    if (it == window_.end() || it->unit.first_line != line || it->done) {
      continue;  // an answer we no longer wait for
    }
    --outstanding_;
    const int code = response.has_error() ? response.error().code() : 0;
    if ((code == static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED) ||
         code == static_cast<int>(grpc::StatusCode::UNAVAILABLE)) &&
        it->attempts < 6) {
      it->resend = true;
      resend_.push_back(it->line_id);
      cv_.SignalAll();
      continue;
    }
    it->response = std::move(response);
    response.Clear();
    it->done = true;
    cv_.SignalAll();
  }
  absl::MutexLock lock(&mu_);
  reader_ended_ = true;
  cv_.SignalAll();
}

bool BatchRun::WriteSlot(Slot* slot, bool more_follow) {
  // The request stays in the slot for a resend: it is lent to the wire
  // message (a swap, no copy) and taken back once Write has serialised it.
  v1::ScreenStreamRequest request;
  request.set_line_id(slot->line_id);
  request.mutable_request()->Swap(&slot->unit.request);
  {
    absl::MutexLock lock(&mu_);
    ++slot->attempts;
    slot->resend = false;
    ++outstanding_;
  }
  // When more writes follow at once, let gRPC coalesce them into one
  // send: per-message sends and wakeups were most of the client's CPU.
  grpc::WriteOptions options;
  if (more_follow) options.set_buffer_hint();
  const bool written = session_.stream->Write(request, options);
  request.mutable_request()->Swap(&slot->unit.request);
  return written;
}

absl::Status BatchRun::WriteCheckpoint(bool complete) {
  absl::Status s = output_.Sync();
  if (!s.ok()) return s;
  cp_.output_offset = output_.written();
  cp_.complete = complete;
  last_checkpoint_ = absl::Now();
  return SaveCheckpoint(CheckpointPath(options_.output), cp_);
}

absl::Status BatchRun::Drain(bool force_checkpoint) {
  while (true) {
    Slot slot;
    {
      absl::MutexLock lock(&mu_);
      if (window_.empty() || !window_.front().done) break;
      slot = std::move(window_.front());
      window_.pop_front();
      progress_offset_ = slot.unit.end_offset;  // NOLINT: read by the ticker
      progress_lines_ = slot.unit.last_line;
    }
    if (slot.generated_id && slot.response.has_response()) {
      slot.response.mutable_response()->clear_request_id();
    }
    const v1::ScreenStreamResponse* response = slot.unit.error.ok() ? &slot.response : nullptr;
    absl::Status s = output_.Append(FormatRecord(options_.out_format, slot.unit, response));
    if (!s.ok()) return s;
    cp_.summary.Add(slot.unit, response);
    Recycle(&slot.response);
    cp_.input_offset = slot.unit.end_offset;
    cp_.next_line = slot.unit.last_line + 1;
    ++records_written_;
    if (options_.crash_after_records >= 0 && records_written_ >= options_.crash_after_records) {
      return absl::AbortedError("simulated crash");
    }
  }
  if (to_file_ &&
      (force_checkpoint || absl::Now() - last_checkpoint_ >= options_.checkpoint_interval)) {
    return WriteCheckpoint(false);
  }
  return absl::OkStatus();
}

void BatchRun::DrawProgress(bool final_line) {
  int64_t offset, lines;
  {
    absl::MutexLock lock(&mu_);
    offset = progress_offset_;
    lines = progress_lines_;
  }
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - started_);
  // Rate of this run only (a resumed run starts at its checkpoint).
  const double run_rate = elapsed > 0 ? (lines - first_progress_line_) / elapsed : 0;
  std::string bar;
  if (input_size_ > 0) {
    double frac = std::min(1.0, static_cast<double>(offset) / input_size_);
    int filled = static_cast<int>(frac * 30);
    double eta = frac > 0 && frac < 1 ? elapsed * (1 - frac) / frac : 0;
    bar = absl::StrFormat("\r[%s%s] %5.1f%% line %d  %.0f lines/s  ETA %d:%02d ",
                          std::string(filled, '#'), std::string(30 - filled, '.'), frac * 100,
                          lines, run_rate, static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  } else {
    bar = absl::StrFormat("\rline %d  %.0f lines/s ", lines, run_rate);
  }
  if (final_line) bar.push_back('\n');
  std::fwrite(bar.data(), 1, bar.size(), stderr);
}

void BatchRun::Ticker() {
  absl::MutexLock lock(&mu_);
  while (!stop_ticker_) {
    cv_.WaitWithTimeout(&mu_, absl::Milliseconds(250));
    if (stop_ticker_) break;
    // Watchdog: a stream that answers nothing while we wait is reopened.
    if (!reader_ended_ && outstanding_ > 0 && absl::Now() - last_answer_ > options_.stall_timeout &&
        live_context_ != nullptr) {
      live_context_->TryCancel();
      last_answer_ = absl::Now();
    }
    if (options_.progress) {
      mu_.Unlock();
      DrawProgress(false);
      mu_.Lock();
    }
  }
}

int BatchRun::Run() {
  absl::Status prepared = Prepare();
  if (!prepared.ok()) {
    std::cerr << "error: " << prepared.message() << "\n";
    return prepared.code() == absl::StatusCode::kInvalidArgument ? 64 : 1;
  }
  if (cp_.complete) {
    if (!options_.quiet) std::cerr << "batch: already complete\n";
    return Finish(cp_.summary.ExitCode());
  }
  std::thread ticker([this] { Ticker(); });
  auto stop = [&](int code) {
    {
      absl::MutexLock lock(&mu_);
      stop_ticker_ = true;
      cv_.SignalAll();
    }
    ticker.join();
    return code;
  };

  bool input_done = false;
  int failed_attempts = 0;
  absl::Duration backoff = absl::Milliseconds(100);
  const int window = std::max(1, options_.window);
  while (true) {
    // (Re)open the stream and resend whatever is unanswered.
    int64_t answered_before = records_written_;
    absl::Status opened = OpenSession();
    bool broken = !opened.ok();
    while (!broken) {
      // Overloaded lines first, then new input while the window has room.
      std::vector<std::string> resend;
      bool room = false, all_done = false, ended = false;
      {
        absl::MutexLock lock(&mu_);
        auto wake = [this, window, input_done]() {
          mu_.AssertHeld();  // absl::Condition evaluates it under mu_
          return reader_ended_ || !resend_.empty() || (!window_.empty() && window_.front().done) ||
                 (!input_done && static_cast<int>(window_.size()) < window) ||
                 (input_done && window_.empty());
        };
        mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Milliseconds(500));
        resend.swap(resend_);
        room = !input_done && static_cast<int>(window_.size()) < window;
        all_done = input_done && window_.empty();
        ended = reader_ended_;
      }
      absl::Status drained = Drain(false);
      if (!drained.ok()) {
        std::cerr << "\nerror: " << drained.message() << "\n";
        CloseSession();
        return stop(1);
      }
      if (all_done) break;
      if (ended) {
        broken = true;
        break;
      }
      for (const auto& id : resend) {
        Slot* slot = nullptr;
        {
          absl::MutexLock lock(&mu_);
          for (auto& s : window_) {
            if (s.line_id == id && s.resend && !s.done) slot = &s;
          }
        }
        if (slot == nullptr) continue;
        absl::SleepFor(absl::Milliseconds(5 * slot->attempts));  // let it drain
        if (!WriteSlot(slot, false)) {
          broken = true;
          break;
        }
      }
      if (broken) break;
      // Fill the window.
      while (room && !input_done) {
        InputUnit unit;
        absl::StatusOr<bool> more = reader_->Next(&unit);
        if (!more.ok()) {
          std::cerr << "\nerror: reading " << options_.input << ": " << more.status().message()
                    << "\n";
          (void)Drain(true);
          CloseSession();
          return stop(1);
        }
        if (!*more) {
          input_done = true;
          if (!session_.writes_done) {
            session_.writes_done = true;
            session_.stream->WritesDone();
          }
          break;
        }
        Slot* slot;
        {
          absl::MutexLock lock(&mu_);
          slot = NewSlotLocked();
          slot->unit = std::move(unit);
          slot->line_id = absl::StrCat(slot->unit.first_line);
          GiveRequestId(slot);
          slot->done = !slot->unit.error.ok();
          room = static_cast<int>(window_.size()) < window;
        }
        if (!slot->done && !WriteSlot(slot, room)) {
          broken = true;
          break;
        }
      }
      if (input_done && !session_.writes_done && !broken) {
        session_.writes_done = true;
        session_.stream->WritesDone();
      }
    }
    grpc::Status status = CloseSession();
    {
      absl::MutexLock lock(&mu_);
      if (input_done && window_.empty()) break;
    }
    // The stream broke with lines outstanding: reconnect and resend.
    if (records_written_ > answered_before) {
      failed_attempts = 0;
      backoff = absl::Milliseconds(100);
    }
    if (++failed_attempts > options_.max_reconnects) {
      (void)Drain(true);
      std::cerr << "\nerror: ScreenStream failed " << failed_attempts - 1
                << " times in a row (last: " << StatusCodeName(status.error_code()) << ": "
                << status.error_message() << ")"
                << (to_file_ ? "; rerun with --resume to continue\n" : "\n");
      return stop(1);
    }
    std::cerr << "\nwarning: stream ended (" << StatusCodeName(status.error_code()) << ": "
              << status.error_message() << "); reconnecting\n";
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
  absl::Status drained = Drain(true);
  if (drained.ok() && to_file_) drained = WriteCheckpoint(true);
  if (!drained.ok()) drained = output_.Flush();
  stop(0);
  if (!drained.ok()) {
    std::cerr << "error: " << drained.message() << "\n";
    return 1;
  }
  if (options_.progress) DrawProgress(true);
  return Finish(cp_.summary.ExitCode());
}

int BatchRun::Finish(int code) {
  (void)output_.Flush();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - started_);
  if (!options_.quiet) {
    std::cerr << cp_.summary.ToText();
    std::cerr << absl::StrFormat(
        "  this run: %d shipments in %.1f s (%.0f shipments/s); exit code %d\n", records_written_,
        elapsed, elapsed > 0 ? records_written_ / elapsed : 0.0, code);
  }
  if (!options_.summary_path.empty()) {
    int fd = open(options_.summary_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || !WriteAll(fd, cp_.summary.ToJson() + "\n").ok()) {
      std::cerr << "error: cannot write " << options_.summary_path << "\n";
      if (fd >= 0) close(fd);
      return 1;
    }
    close(fd);
  }
  return code;
}

}  // namespace

int RunBatch(const BatchOptions& options) {
  BatchRun run(options);
  return run.Run();
}

int CmdBatch(const std::vector<std::string>& args, std::shared_ptr<grpc::Channel> channel,
             std::function<std::unique_ptr<grpc::ClientContext>()> new_context,
             absl::Duration timeout) {
  if (args.size() != 1) return UsageError("batch takes one INPUT file");
  BatchOptions options;
  options.input = args[0];
  options.output = absl::GetFlag(FLAGS_out);
  options.summary_path = absl::GetFlag(FLAGS_summary);
  options.resume = absl::GetFlag(FLAGS_resume);
  options.channel = std::move(channel);
  options.new_context = std::move(new_context);
  options.stall_timeout = timeout;
  options.window = absl::GetFlag(FLAGS_window);
  const std::string in_format = absl::GetFlag(FLAGS_in_format);
  if (!in_format.empty()) {
    auto f = InputFormatFromName(in_format);
    if (!f.ok()) return UsageError(std::string(f.status().message()));
    options.in_format = *f;
  }
  const std::string out_format = absl::GetFlag(FLAGS_out_format);
  if (out_format == "csv") {
    options.out_format = OutputFormat::kCsv;
  } else if (out_format != "jsonl") {
    return UsageError("--out_format must be jsonl or csv");
  }
  const std::string progress = absl::GetFlag(FLAGS_progress);
  options.progress = progress == "always" || (progress == "auto" && isatty(2));
  return RunBatch(options);
}

}  // namespace exportscreen::cli
