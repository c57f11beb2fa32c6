#include "services/store/store_db.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rocksdb/options.h"
#include "services/common/status_macros.h"
#include "services/store/key_codec.h"

namespace exportscreen::store {
namespace {

const char* const kAllCfs[] = {kCfEntities,        kCfOwnership,       kCfItems,
                               kCfRuleSets,        kCfListVersions,    kCfMeta,
                               kCfDecisions,       kCfLocationReports, kCfLocationLatest,
                               kCfLocationReplay,  kCfSerialDecisions, kCfAlerts,
                               kCfLocationHistory, kCfReplicaDecisions};

}  // namespace

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::UnavailableError(msg);
  }
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

std::string Serialize(const google::protobuf::MessageLite& msg) {
  // Deterministic (map order) and sized up front: one allocation.
  std::string out;
  out.resize(msg.ByteSizeLong());
  google::protobuf::io::ArrayOutputStream stream(out.data(), static_cast<int>(out.size()));
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  msg.SerializeWithCachedSizes(&coded);
  return out;
}

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char c = static_cast<unsigned char>(prefix.back());
    if (c != 0xff) {
      prefix.back() = static_cast<char>(c + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

absl::Status MultiGetOptional(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                              const std::vector<std::string>& keys,
                              std::vector<std::optional<std::string>>* values) {
  const size_t n = keys.size();
  values->assign(n, std::nullopt);
  if (n == 0) return absl::OkStatus();
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> pinned(n);
  std::vector<rocksdb::Status> statuses(n);
  db->MultiGet(rocksdb::ReadOptions(), cf, n, slices.data(), pinned.data(), statuses.data());
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    RETURN_IF_ERROR(FromRocks(statuses[i], "multiget"));
    (*values)[i] = pinned[i].ToString();
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> NextPrefixedSequence(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                              absl::string_view prefix) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  it->SeekForPrev(rocksdb::Slice(PrefixEnd(std::string(prefix))));
  uint64_t next = 1;
  const rocksdb::Slice p(prefix.data(), prefix.size());
  if (it->Valid() && it->key().starts_with(p) && it->key().size() == prefix.size() + 8) {
    next = DecodeFixed64BE(it->key().data() + prefix.size()) + 1;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), absl::StrCat("scan ", prefix)));
  return next;
}

absl::Status WriteSynced(rocksdb::DB* db, rocksdb::WriteBatch* batch, absl::string_view what) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db->Write(wo, batch), what);
}

absl::StatusOr<std::unique_ptr<StoreDb>> StoreDb::Open(const std::string& path) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.compression = rocksdb::kLZ4Compression;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (const char* name : kAllCfs) {
    rocksdb::ColumnFamilyOptions o = cf_options;
    if (absl::string_view(name) == kCfDecisions) {
      // Append-only, written on the request path: large memtables (fewer
      // flushes), no compression until the bottom level.
      o.write_buffer_size = 128 << 20;
      o.compression = rocksdb::kNoCompression;
      o.bottommost_compression = rocksdb::kLZ4Compression;
    }
    descriptors.emplace_back(name, o);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  if (!s.ok()) {
    // Fall back to no compression if LZ4 is not compiled in.
    if (s.IsInvalidArgument() && s.ToString().find("ompression") != std::string::npos) {
      for (auto& d : descriptors) {
        d.options.compression = rocksdb::kNoCompression;
        d.options.bottommost_compression = rocksdb::kDisableCompressionOption;
      }
      s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
    }
    RETURN_IF_ERROR(FromRocks(s, absl::StrCat("open ", path)));
  }
  std::unique_ptr<StoreDb> out(new StoreDb(std::unique_ptr<rocksdb::DB>(raw), std::move(handles)));
  out->handle_names_.push_back(rocksdb::kDefaultColumnFamilyName);
  for (const char* name : kAllCfs) out->handle_names_.push_back(name);
  return out;
}

StoreDb::StoreDb(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : db_(std::move(db)), handles_(std::move(handles)) {}

StoreDb::~StoreDb() {
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  db_->Close().PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* StoreDb::cf(absl::string_view name) const {
  for (size_t i = 0; i < handle_names_.size(); ++i) {
    if (handle_names_[i] == name) return handles_[i];
  }
  return nullptr;  // unreachable: every column family is opened in Open()
}

}  // namespace exportscreen::store
