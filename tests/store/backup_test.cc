// Checkpoint backups of the store (services/store/backup.cc): what a
// backup directory holds, shared SST files between backups, and the edges
// a restore must refuse (a truncated or missing file, an unfinished
// backup, an unknown id). The online, under-load path through the server
// is tests/integration/backup_test.cc.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/store/entity_store.h"
#include "tests/testing/temp_dir.h"

namespace exportscreen::store {
namespace {

namespace fs = std::filesystem;

void AddDecisions(EntityStore* store, int n, int offset) {
  for (int i = 0; i < n; ++i) {
    v1::DecisionRecord r;
    r.mutable_request()->set_request_id(absl::StrCat("req-", offset + i));
    ASSERT_TRUE(store->decisions().AppendDecision(&r).ok());
  }
}

std::set<ino_t> SstInodes(const fs::path& dir) {
  std::set<ino_t> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".sst") continue;
    struct stat st {};
    if (stat(e.path().c_str(), &st) == 0) out.insert(st.st_ino);
  }
  return out;
}

TEST(CheckpointBackupTest, BackupsShareFilesRestoreCopiesAndVerifies) {
  testing::TempDir dir;
  const std::string db = dir.path() + "/db", backups = dir.path() + "/b";
  {
    auto store = EntityStore::Open(db);
    ASSERT_TRUE(store.ok());
    AddDecisions(store->get(), 50, 0);
  }  // closing flushes: the reopened store has SST files
  auto store = EntityStore::Open(db);
  ASSERT_TRUE(store.ok());
  auto first = (*store)->Backup(backups);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->backup_id, 1u);
  EXPECT_EQ(first->decision_count, 50u);
  AddDecisions(store->get(), 10, 50);
  auto second = (*store)->Backup(backups);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->backup_id, 2u);
  EXPECT_EQ(second->backups_kept, 2);
  const fs::path c1 = fs::path(backups) / "checkpoint-00000001";
  const fs::path c2 = fs::path(backups) / "checkpoint-00000002";
  ASSERT_TRUE(fs::exists(c1 / "BACKUP_INFO"));
  ASSERT_TRUE(fs::exists(c2 / "BACKUP_INFO"));
  // Incremental on disk: the SST files of the first backup are the same
  // inodes in the second (and in the live store).
  const auto i1 = SstInodes(c1), i2 = SstInodes(c2);
  ASSERT_FALSE(i1.empty());
  for (ino_t ino : i1) EXPECT_EQ(i2.count(ino), 1u);

  // The first backup restores as of its point: 50 decisions, chain intact.
  const std::string r1 = dir.path() + "/r1";
  auto restored = EntityStore::RestoreBackup(backups, 1, r1);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->backup_id, 1u);
  {
    auto s = EntityStore::Open(r1);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->decisions().decision_count(), 50);
  }
  // The restored store is a copy: no inode shared with the backup.
  for (ino_t ino : SstInodes(r1)) EXPECT_EQ(i1.count(ino), 0u);
  // Latest (0) = backup 2, with the 10 decisions recorded after backup 1.
  const std::string r2 = dir.path() + "/r2";
  auto latest = EntityStore::RestoreBackup(backups, 0, r2);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->backup_id, 2u);
  auto s2 = EntityStore::Open(r2);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ((*s2)->decisions().decision_count(), 60);
}

TEST(CheckpointBackupTest, RestoreRefusesWhatIsNotAWholeBackup) {
  testing::TempDir dir;
  const std::string db = dir.path() + "/db", backups = dir.path() + "/b";
  {
    auto store = EntityStore::Open(db);
    ASSERT_TRUE(store.ok());
    AddDecisions(store->get(), 20, 0);
  }
  {
    auto store = EntityStore::Open(db);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Backup(backups).ok());
  }
  // No backup 7; an empty directory holds none.
  EXPECT_EQ(EntityStore::RestoreBackup(backups, 7, dir.path() + "/x").status().code(),
            absl::StatusCode::kNotFound);
  fs::create_directories(dir.path() + "/empty");
  EXPECT_EQ(EntityStore::RestoreBackup(dir.path() + "/empty", 0, dir.path() + "/y").status().code(),
            absl::StatusCode::kNotFound);
  // An unfinished backup (no BACKUP_INFO, as after a crash) is not a
  // backup: the latest is still backup 1, and the next backup removes it.
  fs::create_directories(fs::path(backups) / "checkpoint-00000002.partial");
  fs::create_directories(fs::path(backups) / "checkpoint-00000003");  // no BACKUP_INFO
  auto latest = EntityStore::RestoreBackup(backups, 0, dir.path() + "/z");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->backup_id, 1u);
  {
    auto store = EntityStore::Open(db);
    ASSERT_TRUE(store.ok());
    auto next = (*store)->Backup(backups);
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->backup_id, 2u);
    EXPECT_FALSE(fs::exists(fs::path(backups) / "checkpoint-00000002.partial"));
  }
  // A truncated file: DATA_LOSS, naming the file.
  const fs::path c1 = fs::path(backups) / "checkpoint-00000001";
  std::string victim;
  for (const auto& e : fs::directory_iterator(c1)) {
    if (e.path().extension() == ".sst") victim = e.path().string();
  }
  ASSERT_FALSE(victim.empty());
  // Break the link first so the live store and backup 2 keep their copy.
  fs::copy_file(victim, victim + ".tmp");
  fs::remove(victim);
  fs::rename(victim + ".tmp", victim);
  fs::resize_file(victim, fs::file_size(victim) / 2);
  auto broken = EntityStore::RestoreBackup(backups, 1, dir.path() + "/w");
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kDataLoss) << broken.status();
  EXPECT_NE(broken.status().message().find(fs::path(victim).filename().string()),
            std::string::npos);
  // A flipped byte inside an SST of the same size: the checksum read of
  // the restored store refuses it.
  const fs::path c2 = fs::path(backups) / "checkpoint-00000002";
  std::string victim2;
  for (const auto& e : fs::directory_iterator(c2)) {
    if (e.path().extension() == ".sst") victim2 = e.path().string();
  }
  ASSERT_FALSE(victim2.empty());
  fs::copy_file(victim2, victim2 + ".tmp");
  fs::remove(victim2);
  fs::rename(victim2 + ".tmp", victim2);
  {
    std::fstream f(victim2, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    char c = 0;
    f.seekg(100);
    f.get(c);
    f.seekp(100);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  auto flipped = EntityStore::RestoreBackup(backups, 2, dir.path() + "/v");
  EXPECT_FALSE(flipped.ok());
}

}  // namespace
}  // namespace exportscreen::store
