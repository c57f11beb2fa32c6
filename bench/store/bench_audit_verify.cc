// Audit-chain verification at scale (issue 16): fills a store with N
// decisions and verifies the whole chain the way `screenctl audit verify`
// does (serving::VerifyAuditChain, progress every 100,000 records), then
// resumes from the mark. Prints the store size and the rates.
//
// The records are the 16 real decisions of tests/data/legacy_decision_store
// (the 8 sample shipments screened twice: parties, items, hits, findings),
// appended in turn with fresh request ids, so each has the size and shape of
// a real record; they are chained and stored by the decision log's own
// recorder (group commit), as the server stores them.
//
//   bench_audit_verify --decisions=10000000 --db=/tmp/verify10m [--keep]
// An existing --db with enough decisions is verified without refilling.
#include <filesystem>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "services/serving/audit_verification.h"
#include "services/store/entity_store.h"

ABSL_FLAG(int64_t, decisions, 1000000, "decisions in the store");
ABSL_FLAG(std::string, db, "", "store directory (default: a temporary one, removed after)");
ABSL_FLAG(bool, keep, false, "keep the store after the run");

namespace es = exportscreen;

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int64_t target = absl::GetFlag(FLAGS_decisions);
  std::string path = absl::GetFlag(FLAGS_db);
  const bool temporary = path.empty();
  if (temporary) path = std::filesystem::temp_directory_path() / "es_bench_audit_verify";
  if (temporary) std::filesystem::remove_all(path);

  // The sample records.
  std::vector<es::v1::DecisionRecord> samples;
  {
    const std::string fixture = std::string(ES_SOURCE_DIR) + "/tests/data/legacy_decision_store/db";
    const std::string copy = path + ".fixture";
    std::filesystem::remove_all(copy);
    std::filesystem::copy(fixture, copy, std::filesystem::copy_options::recursive);
    auto store = es::store::EntityStore::Open(copy);
    if (!store.ok()) {
      std::cerr << store.status() << "\n";
      return 1;
    }
    auto s = (*store)->decisions().ScanDecisions(1, false, [&](const es::v1::DecisionRecord& r) {
      samples.push_back(r);
      return true;
    });
    store->reset();
    std::filesystem::remove_all(copy);
    if (!s.ok() || samples.empty()) {
      std::cerr << "no sample decisions: " << s << "\n";
      return 1;
    }
  }
  size_t sample_bytes = 0;
  for (const auto& r : samples) sample_bytes += r.ByteSizeLong();

  auto opened = es::store::EntityStore::Open(path);
  if (!opened.ok()) {
    std::cerr << opened.status() << "\n";
    return 1;
  }
  es::store::DecisionLog& log = (*opened)->decisions();
  const int64_t have = log.decision_count();
  const absl::Time fill_start = absl::Now();
  constexpr int64_t kWindow = 20000;  // appends in flight
  for (int64_t next = have; next < target;) {
    const int64_t n = std::min(kWindow, target - next);
    absl::BlockingCounter done(static_cast<int>(n));
    for (int64_t i = 0; i < n; ++i, ++next) {
      auto r = std::make_unique<es::v1::DecisionRecord>(samples[next % samples.size()]);
      r->mutable_request()->set_request_id(absl::StrCat("bench-", next));
      r->mutable_recorded_at()->set_seconds(1796000000 + next / 1000);
      log.AppendDecisionAsync(std::move(r), [&](absl::Status s, auto) {
        if (!s.ok()) std::cerr << s << "\n";
        done.DecrementCount();
      });
    }
    done.Wait();
    if (next % 1000000 < kWindow) std::cerr << "filled " << next << "\n";
  }
  const double fill_s = absl::ToDoubleSeconds(absl::Now() - fill_start);
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path)) {
    if (e.is_regular_file()) bytes += e.file_size();
  }
  std::cout << absl::StrFormat(
      "machine: %d cores; store: %d decisions (mean record %d bytes), %.2f GB on disk%s\n",
      std::thread::hardware_concurrency(), log.decision_count(),
      static_cast<int>(sample_bytes / samples.size()), bytes / 1e9,
      target > have ? absl::StrFormat("; filled %d in %.0f s", target - have, fill_s) : "");

  for (bool resume : {false, true}) {
    es::v1::VerifyAuditChainRequest request;
    request.set_resume(resume);
    int reports = 0;
    const absl::Time start = absl::Now();
    auto v = es::serving::VerifyAuditChain(
        **opened, request, [&](const es::v1::VerifyAuditChainProgress& p) {
          if (++reports % 20 == 0) {
            std::cerr << "  verified " << p.records_checked() << "\n";
          }
        });
    const double s = absl::ToDoubleSeconds(absl::Now() - start);
    if (!v.ok()) {
      std::cerr << v.status() << "\n";
      return 1;
    }
    std::cout << absl::StrFormat(
        "%s: ok=%d, %d records in %.1f s = %.0f records/s (%.0f MB/s), %d progress reports\n",
        resume ? "verify --resume (from the mark)" : "verify (whole chain)", v->ok(),
        v->records_checked(), s, v->records_checked() / std::max(s, 1e-9),
        v->records_checked() * (sample_bytes / samples.size()) / std::max(s, 1e-9) / 1e6, reports);
    if (!v->ok()) return 2;
  }
  opened->reset();
  if (temporary && !absl::GetFlag(FLAGS_keep)) std::filesystem::remove_all(path);
  return 0;
}
