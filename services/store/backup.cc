// Online backup and offline restore of the whole store (issue 15).
//
// A backup is a RocksDB checkpoint: the live SST files hard-linked (no byte
// copied when the backup directory is on the store's filesystem; copied
// otherwise), the MANIFEST and the WAL copied, one consistent point across
// the column families without a flush. Each backup is a directory
// `checkpoint-<8-digit id>` under the backup directory, complete once its
// BACKUP_INFO file exists (written last, then the directory is renamed into
// place): a crash mid-backup leaves only a `.partial` directory, which the
// next backup removes. Successive backups share unchanged SST files through
// the links (incremental on disk). Getting them off the host is the
// operator's job (any copy tool that keeps files, e.g. `cp -a`, `rsync`).
//
// Directories holding RocksDB BackupEngine backups (the format of earlier
// versions: a `meta/` folder) stay restorable, and backups into them go on
// in that format.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/backup_engine.h"
#include "rocksdb/utilities/checkpoint.h"
#include "services/common/status_macros.h"
#include "services/store/entity_store.h"
#include "services/store/store_db.h"

namespace exportscreen::store {
namespace {

namespace fs = std::filesystem;

constexpr char kCheckpointPrefix[] = "checkpoint-";
constexpr char kInfoFile[] = "BACKUP_INFO";

absl::Status FromRocksBackup(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// fsync of one file or directory.
absl::Status SyncPath(const std::string& path, bool directory) {
  const int fd = open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  const int r = fsync(fd);
  close(fd);
  if (r != 0) return Errno("fsync", path);
  return absl::OkStatus();
}

bool IsBackupEngineDir(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(fs::path(dir) / "meta", ec);
}

// The completed checkpoints of `dir`, by id.
std::map<uint32_t, fs::path> CompletedCheckpoints(const std::string& dir) {
  std::map<uint32_t, fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    uint32_t id = 0;
    if (name.rfind(kCheckpointPrefix, 0) != 0 ||
        !absl::SimpleAtoi(name.substr(sizeof(kCheckpointPrefix) - 1), &id) ||
        name.size() != sizeof(kCheckpointPrefix) - 1 + 8 || !fs::exists(e.path() / kInfoFile, ec)) {
      continue;
    }
    out[id] = e.path();
  }
  return out;
}

// BACKUP_INFO: "key value" lines, then one "file NAME SIZE" line per file.
absl::Status WriteInfo(const fs::path& dir, const EntityStore::BackupInfo& info,
                       const std::vector<std::pair<std::string, uint64_t>>& files) {
  const std::string path = (dir / kInfoFile).string();
  {
    std::ofstream out(path, std::ios::trunc);
    out << "format exportscreen-checkpoint-1\n"
        << "backup_id " << info.backup_id << "\n"
        << "timestamp " << info.timestamp << "\n"
        << "decision_count " << info.decision_count << "\n";
    for (const auto& [name, size] : files) out << "file " << name << " " << size << "\n";
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("write ", path));
  }
  return SyncPath(path, false);
}

absl::StatusOr<EntityStore::BackupInfo> ReadInfo(
    const fs::path& dir, std::vector<std::pair<std::string, uint64_t>>* files) {
  std::ifstream in((dir / kInfoFile).string());
  if (!in) return absl::NotFoundError(absl::StrCat("no ", kInfoFile, " in ", dir.string()));
  EntityStore::BackupInfo info;
  std::string line;
  bool format_ok = false;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    uint64_t n = 0;
    if (f.size() == 2 && f[0] == "format") {
      format_ok = f[1] == "exportscreen-checkpoint-1";
    } else if (f.size() == 2 && absl::SimpleAtoi(f[1], &n)) {
      if (f[0] == "backup_id") info.backup_id = static_cast<uint32_t>(n);
      if (f[0] == "timestamp") info.timestamp = static_cast<int64_t>(n);
      if (f[0] == "decision_count") info.decision_count = n;
    } else if (f.size() == 3 && f[0] == "file" && absl::SimpleAtoi(f[2], &n)) {
      files->emplace_back(f[1], n);
      info.size_bytes += n;
      ++info.file_count;
    } else {
      return absl::DataLossError(
          absl::StrCat(dir.string(), "/", kInfoFile, ": unreadable line '", line, "'"));
    }
  }
  if (!format_ok) {
    return absl::DataLossError(absl::StrCat(dir.string(), "/", kInfoFile, ": unknown format"));
  }
  return info;
}

// Runs `fn` on a thread of its own at the lowest CPU (nice 19) and I/O (idle
// class, where the scheduler honours it) priority; threads it starts
// inherit both. Screening keeps the cores.
template <typename Fn>
auto OnIdleThread(Fn fn) -> decltype(fn()) {
  decltype(fn()) result = absl::InternalError("backup did not run");
  std::thread worker([&] {
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
    constexpr int kIoprioClassIdle = 3, kIoprioClassShift = 13, kIoprioWhoProcess = 1;
    syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, kIoprioClassIdle << kIoprioClassShift);
    result = fn();
  });
  worker.join();
  return result;
}

}  // namespace

absl::StatusOr<EntityStore::BackupInfo> EntityStore::Backup(const std::string& backup_dir,
                                                            uint64_t rate_limit_bytes) const {
  if (IsBackupEngineDir(backup_dir)) {
    return OnIdleThread([&] { return BackupEngineBackup(backup_dir, rate_limit_bytes); });
  }
  return OnIdleThread([&] { return CheckpointBackup(backup_dir); });
}

absl::StatusOr<EntityStore::BackupInfo> EntityStore::CheckpointBackup(
    const std::string& backup_dir) const {
  std::error_code ec;
  const fs::path root = fs::absolute(backup_dir, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("backup directory ", backup_dir, ": ", ec.message()));
  fs::create_directories(root, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", root.string(), ": ", ec.message()));
  // Leftovers of a backup that did not finish (crash): never restorable.
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kCheckpointPrefix, 0) == 0 &&
        (absl::EndsWith(name, ".partial") || absl::EndsWith(name, ".partial.tmp"))) {
      fs::remove_all(e.path(), ec);
    }
  }
  const auto done = CompletedCheckpoints(root.string());
  BackupInfo info;
  info.backup_id = done.empty() ? 1 : done.rbegin()->first + 1;
  info.timestamp = static_cast<int64_t>(absl::ToUnixSeconds(absl::Now()));
  info.decision_count = static_cast<uint64_t>(decisions().decision_count());
  const std::string name = absl::StrFormat("%s%08u", kCheckpointPrefix, info.backup_id);
  const fs::path partial = root / (name + ".partial");
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(FromRocksBackup(rocksdb::Checkpoint::Create(db_->db(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // No flush (log_size_for_flush = max): the WAL is copied instead, so the
  // large decision memtable is not forced to disk on the request path's
  // behalf. Every write of this store goes through the WAL.
  RETURN_IF_ERROR(FromRocksBackup(checkpoint->CreateCheckpoint(partial.string(), ~uint64_t{0}),
                                  absl::StrCat("create checkpoint ", partial.string())));
  std::vector<std::pair<std::string, uint64_t>> files;
  for (const auto& e : fs::directory_iterator(partial, ec)) {
    const uint64_t size = e.file_size(ec);
    files.emplace_back(e.path().filename().string(), size);
    // Copied files (MANIFEST, WAL, OPTIONS, CURRENT) must be durable; the
    // linked SSTs already are (RocksDB syncs them before they become live).
    if (e.path().extension() != ".sst") {
      RETURN_IF_ERROR(SyncPath(e.path().string(), false));
    }
    info.size_bytes += size;
    ++info.file_count;
  }
  if (ec) return absl::InternalError(absl::StrCat("list ", partial.string(), ": ", ec.message()));
  std::sort(files.begin(), files.end());
  RETURN_IF_ERROR(WriteInfo(partial, info, files));
  RETURN_IF_ERROR(SyncPath(partial.string(), true));
  fs::rename(partial, root / name, ec);
  if (ec) return absl::InternalError(absl::StrCat("rename ", partial.string(), ": ", ec.message()));
  RETURN_IF_ERROR(SyncPath(root.string(), true));
  info.backups_kept = static_cast<int>(done.size()) + 1;
  return info;
}

absl::StatusOr<EntityStore::BackupInfo> EntityStore::BackupEngineBackup(
    const std::string& backup_dir, uint64_t rate_limit_bytes) const {
  rocksdb::BackupEngineOptions options(backup_dir);
  options.backup_rate_limit = rate_limit_bytes;
  options.share_table_files = true;  // incremental: unchanged SSTs shared
  options.sync = false;              // one syncfs at the end instead
  options.max_background_operations = 1;
  rocksdb::BackupEngine* raw = nullptr;
  RETURN_IF_ERROR(
      FromRocksBackup(rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw),
                      absl::StrCat("open backup directory ", backup_dir)));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  const uint64_t recorded = static_cast<uint64_t>(decisions().decision_count());
  rocksdb::CreateBackupOptions create;
  create.flush_before_backup = false;
  uint32_t id = 0;
  RETURN_IF_ERROR(
      FromRocksBackup(engine->CreateNewBackup(create, db_->db(), &id), "create backup"));
  const int fd = open(backup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open backup directory", backup_dir);
  const int synced = syncfs(fd);
  close(fd);
  if (synced != 0) return Errno("sync backup directory", backup_dir);
  rocksdb::BackupInfo info;
  RETURN_IF_ERROR(FromRocksBackup(engine->GetBackupInfo(id, &info), "backup info"));
  std::vector<rocksdb::BackupInfo> all;
  engine->GetBackupInfo(&all);
  BackupInfo out;
  out.backup_id = id;
  out.timestamp = info.timestamp;
  out.size_bytes = info.size;
  out.file_count = info.number_files;
  out.decision_count = recorded;
  out.backups_kept = static_cast<int>(all.size());
  return out;
}

absl::StatusOr<EntityStore::BackupInfo> EntityStore::RestoreBackup(const std::string& backup_dir,
                                                                   uint32_t backup_id,
                                                                   const std::string& db_path) {
  std::error_code ec;
  if (fs::exists(db_path, ec) && !fs::is_empty(db_path, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("restore target ", db_path,
                     " exists and is not empty: a restore never overwrites a store"));
  }
  if (IsBackupEngineDir(backup_dir)) {
    return RestoreBackupEngine(backup_dir, backup_id, db_path);
  }
  const auto done = CompletedCheckpoints(backup_dir);
  if (done.empty()) return absl::NotFoundError(absl::StrCat("no backup in ", backup_dir));
  if (backup_id == 0) backup_id = done.rbegin()->first;
  const auto found = done.find(backup_id);
  if (found == done.end()) {
    return absl::NotFoundError(absl::StrCat("no backup ", backup_id, " in ", backup_dir));
  }
  std::vector<std::pair<std::string, uint64_t>> files;
  ASSIGN_OR_RETURN(BackupInfo info, ReadInfo(found->second, &files));
  // Every file the backup listed, whole, copied (the restored store shares
  // nothing with the backup).
  fs::create_directories(db_path, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", db_path, ": ", ec.message()));
  for (const auto& [name, size] : files) {
    const fs::path from = found->second / name;
    if (name.find('/') != std::string::npos || fs::file_size(from, ec) != size || ec) {
      return absl::DataLossError(absl::StrCat("backup ", backup_id, ": file ", name,
                                              " is missing or not of its recorded size"));
    }
    fs::copy_file(from, fs::path(db_path) / name, ec);
    if (ec) return absl::InternalError(absl::StrCat("copy ", from.string(), ": ", ec.message()));
  }
  // Open the restored store and read every block against its checksum.
  {
    ASSIGN_OR_RETURN(std::unique_ptr<EntityStore> restored, Open(db_path));
    RETURN_IF_ERROR(FromRocksBackup(restored->db_->db()->VerifyChecksum(),
                                    absl::StrCat("verify restored backup ", backup_id)));
  }
  info.backups_kept = static_cast<int>(done.size());
  return info;
}

absl::StatusOr<EntityStore::BackupInfo> EntityStore::RestoreBackupEngine(
    const std::string& backup_dir, uint32_t backup_id, const std::string& db_path) {
  rocksdb::BackupEngineOptions options(backup_dir);
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  RETURN_IF_ERROR(
      FromRocksBackup(rocksdb::BackupEngineReadOnly::Open(options, rocksdb::Env::Default(), &raw),
                      absl::StrCat("open backup directory ", backup_dir)));
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  std::vector<rocksdb::BackupInfo> all;
  engine->GetBackupInfo(&all);
  if (all.empty()) {
    return absl::NotFoundError(absl::StrCat("no backup in ", backup_dir));
  }
  if (backup_id == 0) backup_id = all.back().backup_id;
  RETURN_IF_ERROR(FromRocksBackup(engine->VerifyBackup(backup_id, true),
                                  absl::StrCat("verify backup ", backup_id)));
  RETURN_IF_ERROR(FromRocksBackup(engine->RestoreDBFromBackup(backup_id, db_path, db_path),
                                  absl::StrCat("restore backup ", backup_id)));
  BackupInfo out;
  out.backup_id = backup_id;
  for (const auto& b : all) {
    if (b.backup_id == backup_id) {
      out.timestamp = b.timestamp;
      out.size_bytes = b.size;
      out.file_count = b.number_files;
    }
  }
  out.backups_kept = static_cast<int>(all.size());
  return out;
}

}  // namespace exportscreen::store
