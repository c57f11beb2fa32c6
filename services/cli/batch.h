// `screenctl batch`: screens a shipment file (CSV or JSONL, see
// batch_input.h) through ScreeningService.ScreenStream and writes one result
// per shipment, in input order, as JSONL or CSV.
//
// Memory is bounded whatever the file size: the input is read once, and at
// most `window` shipments are in flight or waiting for an earlier one to be
// written (results are written in input order, which keeps resuming simple).
//
// Resume: the output is itself the record of what is done. Every
// `checkpoint_interval` the output is flushed and fdatasync'ed, then a
// sidecar OUTPUT.checkpoint (written to a temp file, fsync'ed and renamed) records
// the output length, the input offset and line number where the next
// shipment starts, and the summary so far. `--resume` truncates the output to
// the recorded length (dropping a partial last line and anything written
// after the checkpoint, which is redone) and continues the input there. So
// each input line ends up in exactly one output record.
//
// Stream failures: lines sent but not answered are kept in the window and
// resent on a new stream (the client matches answers by line id and ignores
// answers for lines it no longer waits for). A line the server refuses as
// overloaded (RESOURCE_EXHAUSTED / UNAVAILABLE in-band) is resent a few
// times. A new stream may be pinned to a newer snapshot; every record names
// its versions.
//
// Thread-safety: RunBatch may be called from any thread; the pieces below
// are thread-compatible values.
#ifndef EXPORTSCREEN_SERVICES_CLI_BATCH_H_
#define EXPORTSCREEN_SERVICES_CLI_BATCH_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "exportscreen/v1/service.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/cli/batch_input.h"

namespace exportscreen::cli {

enum class OutputFormat { kJsonl, kCsv };

// Counts over a whole run (kept across --resume in the checkpoint).
class BatchSummary {
 public:
  // Adds the result of one unit: `response` is null for a unit that was not
  // screened (local input error or line error).
  void Add(const InputUnit& unit, const v1::ScreenStreamResponse* response);

  // 0: every shipment CLEAR; 2: something needs a human (REVIEW,
  // LICENSE_REQUIRED, PROHIBITED) and no errors; 1: any error.
  int ExitCode() const;
  // Compact JSON object (the --summary file, and part of the checkpoint).
  std::string ToJson() const;
  static absl::StatusOr<BatchSummary> FromJson(const std::string& json);
  // Human-readable, several lines.
  std::string ToText() const;

  int64_t shipments() const { return shipments_; }
  int64_t lines() const { return lines_; }
  int64_t errors() const { return errors_; }
  const std::map<std::string, int64_t>& by_decision() const { return by_decision_; }
  const std::map<std::string, int64_t>& by_rule() const { return by_rule_; }
  const std::map<std::string, int64_t>& by_list() const { return by_list_; }

 private:
  static constexpr int kMaxErrorSamples = 20;
  int64_t shipments_ = 0;
  int64_t lines_ = 0;  // input lines covered (blank lines inside included)
  int64_t errors_ = 0;
  std::map<std::string, int64_t> by_decision_;
  std::map<std::string, int64_t> by_rule_;   // shipments per fired rule id
  std::map<std::string, int64_t> by_list_;   // shipments with a hit per list
  std::map<std::string, int64_t> by_error_;  // error code name -> count
  std::vector<std::pair<int64_t, std::string>> error_samples_;
};

// One output record (with its trailing newline). `response` as for Add().
std::string FormatRecord(OutputFormat format, const InputUnit& unit,
                         const v1::ScreenStreamResponse* response);
// The CSV output header line (with newline).
std::string CsvOutputHeader();
// "CLEAR", "REVIEW", ... (without the DECISION_ prefix).
std::string DecisionName(v1::Decision decision);

// The sidecar file of a resumable run.
struct Checkpoint {
  std::string input;  // path as given
  int64_t input_size = -1;
  int64_t input_mtime_ns = 0;
  std::string in_format;     // "csv" | "jsonl"
  std::string out_format;    // "jsonl" | "csv"
  int64_t input_offset = 0;  // where the next unit starts (0 = beginning)
  int64_t next_line = 1;
  int64_t output_offset = 0;  // output bytes that are final
  bool complete = false;
  BatchSummary summary;
};
std::string CheckpointPath(const std::string& output);
// Atomic and durable: temp file, fsync, rename, fsync of the directory.
absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& cp);
// nullopt if there is no checkpoint file. Errors: DATA_LOSS if unreadable.
absl::StatusOr<std::optional<Checkpoint>> LoadCheckpoint(const std::string& path);

struct BatchOptions {
  std::string input;                     // path or "-"
  std::string output;                    // path; "" or "-" = stdout (no --resume)
  std::string summary_path;              // "" = none
  std::optional<InputFormat> in_format;  // nullopt: from the extension
  OutputFormat out_format = OutputFormat::kJsonl;
  bool resume = false;
  std::string server = "127.0.0.1:50051";
  // If set, used instead of an insecure channel to `server` (screenctl
  // passes its channel with TLS settings).
  std::shared_ptr<grpc::Channel> channel;
  // If set, makes each stream's context (credentials metadata); its deadline
  // is replaced, since a batch stream lives as long as the file takes.
  std::function<std::unique_ptr<grpc::ClientContext>()> new_context;
  // No answer for this long while lines are outstanding: the stream is
  // considered dead and reopened.
  absl::Duration stall_timeout = absl::Seconds(30);
  int window = 1024;       // shipments in flight or unwritten
  int max_reconnects = 8;  // consecutive failed attempts
  absl::Duration checkpoint_interval = absl::Seconds(1);
  bool progress = false;  // progress bar on stderr
  bool quiet = false;     // no summary on stderr
  // Test hook: after writing this many records, stop as if killed (no
  // flush of the output buffer, no checkpoint). -1: off.
  int64_t crash_after_records = -1;
};

// Runs a batch. Returns the exit code (see BatchSummary::ExitCode; 1 also
// for fatal errors such as an unreadable input or an unreachable server,
// after which --resume continues; 64 for usage errors).
int RunBatch(const BatchOptions& options);

// `screenctl batch INPUT` with the batch flags (defined in batch.cc).
// `channel` and `new_context` as in BatchOptions; `timeout` is the stall
// timeout.
int CmdBatch(const std::vector<std::string>& args, std::shared_ptr<grpc::Channel> channel,
             std::function<std::unique_ptr<grpc::ClientContext>()> new_context,
             absl::Duration timeout);

}  // namespace exportscreen::cli

#endif  // EXPORTSCREEN_SERVICES_CLI_BATCH_H_
