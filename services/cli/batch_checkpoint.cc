// `screenctl batch` checkpoints: the sidecar file of a resumable run,
// written atomically and durably, read back on --resume.
#include "services/cli/batch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

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

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::DataLossError(absl::StrCat("write: ", strerror(errno)));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace batch_internal

namespace {

using batch_internal::AppendJsonString;
using batch_internal::WriteAll;

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

// ---------------------------------------------------------------------------
// Checkpoint

std::string CheckpointPath(const std::string& output) { return output + ".checkpoint"; }

absl::Status SaveCheckpoint(const std::string& path, const Checkpoint& cp) {
  std::string json = "{\"version\":1,\"input\":";
  AppendJsonString(&json, cp.input);
  absl::StrAppend(&json, ",\"input_size\":", cp.input_size, ",\"input_mtime_ns\":\"",
                  cp.input_mtime_ns, "\"", ",\"in_format\":\"", cp.in_format,
                  "\",\"out_format\":\"", cp.out_format, "\",\"input_offset\":", cp.input_offset,
                  ",\"next_line\":", cp.next_line, ",\"output_offset\":", cp.output_offset,
                  ",\"complete\":", cp.complete ? "true" : "false",
                  ",\"summary\":", cp.summary.ToJson(), "}\n");
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::DataLossError(absl::StrCat("cannot write ", tmp, ": ", strerror(errno)));
  }
  absl::Status s = WriteAll(fd, json);
  if (s.ok() && fsync(fd) != 0) s = absl::DataLossError("fsync checkpoint");
  close(fd);
  if (!s.ok()) return s;
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::DataLossError(absl::StrCat("rename ", tmp, ": ", strerror(errno)));
  }
  int dfd = open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);  // makes the rename durable
    close(dfd);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Checkpoint>> LoadCheckpoint(const std::string& path) {
  std::string json;
  if (access(path.c_str(), F_OK) != 0) return std::optional<Checkpoint>();
  if (!ReadInput(path, &json)) {
    return absl::DataLossError(absl::StrCat("cannot read ", path));
  }
  google::protobuf::Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(json, &s);
  if (!status.ok()) {
    return absl::DataLossError(
        absl::StrCat("corrupt checkpoint ", path, ": ", status.message().as_string()));
  }
  const auto& f = s.fields();
  auto str = [&](const char* key) {
    auto it = f.find(key);
    return it == f.end() ? std::string() : it->second.string_value();
  };
  auto num = [&](const char* key) -> int64_t {
    auto it = f.find(key);
    return it == f.end() ? 0 : static_cast<int64_t>(it->second.number_value());
  };
  Checkpoint cp;
  cp.input = str("input");
  cp.input_size = num("input_size");
  int64_t mtime = 0;
  absl::SimpleAtoi(str("input_mtime_ns"), &mtime);  // string: > 2^53
  cp.input_mtime_ns = mtime;
  cp.in_format = str("in_format");
  cp.out_format = str("out_format");
  cp.input_offset = num("input_offset");
  cp.next_line = num("next_line");
  cp.output_offset = num("output_offset");
  auto complete = f.find("complete");
  cp.complete = complete != f.end() && complete->second.bool_value();
  auto summary = f.find("summary");
  if (summary != f.end()) {
    std::string sj;
    google::protobuf::util::MessageToJsonString(summary->second, &sj);
    auto parsed = BatchSummary::FromJson(sj);
    if (!parsed.ok()) return parsed.status();
    cp.summary = std::move(*parsed);
  }
  return std::optional<Checkpoint>(std::move(cp));
}

}  // namespace exportscreen::cli
