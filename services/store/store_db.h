// StoreDb: the database core shared by the per-record stores of this
// folder: the RocksDB handle and its column families (key_codec.h), plus
// the helpers every store uses (status translation, deterministic
// serialisation, parsing, prefix scans, sequence allocation).
//
// Internal to services/store: nothing outside this folder includes it (the
// RocksDB types stay here). Thread-safe: RocksDB handles are.
#ifndef EXPORTSCREEN_SERVICES_STORE_STORE_DB_H_
#define EXPORTSCREEN_SERVICES_STORE_STORE_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace exportscreen::store {

class StoreDb {
 public:
  // Opens (creating if missing) the database at `path` with every column
  // family of key_codec.h. Errors: INTERNAL or UNAVAILABLE (e.g. locked by
  // another process) with RocksDB's message.
  static absl::StatusOr<std::unique_ptr<StoreDb>> Open(const std::string& path);
  ~StoreDb();
  StoreDb(const StoreDb&) = delete;
  StoreDb& operator=(const StoreDb&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  // The handle of column family `name` (one of key_codec.h's kCf*).
  rocksdb::ColumnFamilyHandle* cf(absl::string_view name) const;
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles() const { return handles_; }

 private:
  StoreDb(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles);
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> handle_names_;
};

// RocksDB status -> absl status: NotFound -> NOT_FOUND, lock/busy/timeout
// -> UNAVAILABLE, corruption -> DATA_LOSS, the rest INTERNAL; the message
// starts with `what`.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

// Deterministic serialisation (map order), sized once.
std::string Serialize(const google::protobuf::MessageLite& msg);

// Parses a stored value; DATA_LOSS naming `what` if it does not parse.
template <typename Msg>
absl::StatusOr<Msg> Parse(const rocksdb::Slice& value, absl::string_view what) {
  Msg msg;
  if (!msg.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError(absl::StrCat("cannot parse ", what));
  }
  return msg;
}

// The exclusive upper bound of the keys starting with `prefix`.
std::string PrefixEnd(std::string prefix);

// Batched point reads of `keys` in `cf`: values[i] set if found.
absl::Status MultiGetOptional(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                              const std::vector<std::string>& keys,
                              std::vector<std::optional<std::string>>* values);

// The sequence after the last key `prefix` + 8-byte big-endian sequence in
// `cf` (1 if none): for append-only logs kept under a prefix.
absl::StatusOr<uint64_t> NextPrefixedSequence(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                              absl::string_view prefix);

// Every value under `prefix` in `cf`, parsed, in key order.
template <typename Msg>
absl::StatusOr<std::vector<Msg>> ScanPrefix(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                            absl::string_view prefix, absl::string_view what) {
  std::vector<Msg> out;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  const rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    auto msg = Parse<Msg>(it->value(), what);
    if (!msg.ok()) return msg.status();
    out.push_back(std::move(*msg));
  }
  absl::Status s = FromRocks(it->status(), absl::StrCat("scan ", what));
  if (!s.ok()) return s;
  return out;
}

// Reads one optional value: nullopt if absent.
template <typename Msg>
absl::StatusOr<std::optional<Msg>> GetOptional(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                               absl::string_view key, absl::string_view what) {
  std::string value;
  rocksdb::Status s =
      db->Get(rocksdb::ReadOptions(), cf, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<Msg>();
  absl::Status status = FromRocks(s, absl::StrCat("get ", what));
  if (!status.ok()) return status;
  auto msg = Parse<Msg>(value, what);
  if (!msg.ok()) return msg.status();
  return std::optional<Msg>(std::move(*msg));
}

// Writes `batch` synced (the operator-facing logs: they must survive a
// power loss once acknowledged).
absl::Status WriteSynced(rocksdb::DB* db, rocksdb::WriteBatch* batch, absl::string_view what);

}  // namespace exportscreen::store

#endif  // EXPORTSCREEN_SERVICES_STORE_STORE_DB_H_
