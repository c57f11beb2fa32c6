#include "services/common/file_util.h"
#include "services/common/proto_time.h"
#include "services/serving/location_ingest.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "google/protobuf/text_format.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"
#include "services/rules/compiled_rules.h"

namespace exportscreen::serving {
namespace {

// Location reports by outcome (metrics): what `fn` added to `summary`.
absl::Status CountIngest(v1::IngestSummary* summary, const std::function<absl::Status()>& fn) {
  static metrics::Family* const reports = metrics::Registry::Default().Get(
      "es_location_reports_total",
      "Location reports ingested, by outcome (accepted, duplicate, rejected)",
      metrics::Type::kCounter, {"outcome"});
  const int64_t accepted = summary->accepted(), duplicates = summary->duplicates(),
                rejected = summary->rejected_size();
  absl::Status status = fn();
  reports->CounterWith({"accepted"})->Add(static_cast<uint64_t>(summary->accepted() - accepted));
  reports->CounterWith({"duplicate"})
      ->Add(static_cast<uint64_t>(summary->duplicates() - duplicates));
  reports->CounterWith({"rejected"})
      ->Add(static_cast<uint64_t>(summary->rejected_size() - rejected));
  return status;
}

absl::Time ToTime(const google::protobuf::Timestamp& t) { return FromProtoTime(t); }

void SetTime(absl::Time t, google::protobuf::Timestamp* out) { SetProtoTime(t, out); }

bool IsCountryCode(const std::string& c) {
  return c.size() == 2 && absl::ascii_isupper(static_cast<unsigned char>(c[0])) &&
         absl::ascii_isupper(static_cast<unsigned char>(c[1]));
}

constexpr size_t kChunk = 128;

}  // namespace

engine::ReportedLocation ToReportedLocation(const v1::LocationReport& r) {
  engine::ReportedLocation loc;
  loc.country = r.country();
  loc.verifier_id = r.verifier_id();
  loc.observed_at = ToTime(r.observed_at());
  loc.report_id = r.report_id();
  return loc;
}

// --- LocationTrust ---------------------------------------------------------

absl::StatusOr<std::unique_ptr<LocationTrust>> LocationTrust::FromConfig(
    const v1::LocationTrustConfig& config) {
  auto trust = std::unique_ptr<LocationTrust>(new LocationTrust());
  trust->config_ = config;
  for (const auto& v : config.verifiers()) {
    if (v.verifier_id().empty()) {
      return absl::InvalidArgumentError("location trust: verifier without verifier_id");
    }
    auto key = Ed25519PublicKey::FromHex(v.ed25519_public_key_hex());
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("location trust: verifier ", v.verifier_id(), ": ", key.status().message()));
    }
    if (!trust->keys_.emplace(v.verifier_id(), *std::move(key)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("location trust: duplicate verifier ", v.verifier_id()));
    }
  }
  if (config.allowed_clock_skew_seconds() < 0 || config.max_age_seconds() < 0) {
    return absl::InvalidArgumentError("location trust: negative skew or max age");
  }
  trust->skew_ = absl::Seconds(
      config.allowed_clock_skew_seconds() > 0 ? config.allowed_clock_skew_seconds() : 300);
  trust->max_age_ =
      config.max_age_seconds() > 0 ? absl::Seconds(config.max_age_seconds()) : absl::Hours(24 * 30);
  return trust;
}

absl::StatusOr<std::unique_ptr<LocationTrust>> LocationTrust::FromText(absl::string_view text) {
  v1::LocationTrustConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(
        "location trust: not a text-format exportscreen.v1.LocationTrustConfig");
  }
  return FromConfig(config);
}

absl::StatusOr<std::unique_ptr<LocationTrust>> LocationTrust::FromFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  auto trust = FromText(text);
  if (!trust.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", trust.status().message()));
  }
  return trust;
}

std::string LocationTrust::CheckFields(const v1::LocationReport& r, absl::Time now,
                                       const Ed25519PublicKey** key_out) const {
  if (r.report_id().empty()) return "malformed: report_id missing";
  if (r.serial_number().empty()) return "malformed: serial_number missing";
  if (!IsCountryCode(r.country())) {
    return absl::StrCat("malformed: country \"", r.country(), "\" is not an ISO alpha-2 code");
  }
  if (!r.has_observed_at()) return "malformed: observed_at missing";
  if (r.verifier_id().empty()) return "malformed: verifier_id missing";
  if (r.signature().empty() && key_out != nullptr) return "unsigned";
  auto key = keys_.find(r.verifier_id());
  if (key == keys_.end()) return "unknown verifier";
  const absl::Time observed = ToTime(r.observed_at());
  if (observed > now + skew_) return "future-dated";
  if (observed < now - max_age_) return "too old";
  if (key_out != nullptr) *key_out = &key->second;
  return "";
}

std::string LocationTrust::Check(const v1::LocationReport& r, absl::Time now) const {
  const Ed25519PublicKey* key = nullptr;
  std::string reason = CheckFields(r, now, &key);
  if (!reason.empty()) return reason;
  if (!key->Verify(CanonicalReportBytes(r), r.signature())) {
    return "bad signature";
  }
  return "";
}

std::string LocationTrust::CheckBundle(const v1::ReportBundle& b) const {
  if (b.bundle_id().empty()) return "malformed: bundle_id missing";
  if (b.verifier_id().empty()) return "malformed: bundle verifier_id missing";
  if (b.signature().empty()) return "unsigned";
  auto key = keys_.find(b.verifier_id());
  if (key == keys_.end()) return "unknown verifier";
  const std::string digest = BundleDigest(b);
  if (digest.empty() || !key->second.Verify(digest, b.signature())) {
    return "bad signature";
  }
  return "";
}

std::string LocationTrust::CheckBundled(const v1::LocationReport& r,
                                        const std::string& bundle_verifier_id,
                                        absl::Time now) const {
  if (!r.signature().empty()) {
    return "malformed: a report in a bundle must not carry its own signature";
  }
  if (!r.verifier_id().empty() && r.verifier_id() != bundle_verifier_id) {
    return absl::StrCat("malformed: verifier_id \"", r.verifier_id(),
                        "\" differs from the bundle's");
  }
  return CheckFields(r, now, nullptr);
}

// --- LocationIngestor ------------------------------------------------------

LocationIngestor::LocationIngestor(store::EntityStore* store, SnapshotManager* manager,
                                   std::unique_ptr<LocationTrust> trust, Clock* clock,
                                   LocationIngestOptions options)
    : store_(store), manager_(manager), trust_(std::move(trust)), clock_(clock), options_(options) {
  if (options_.verify_threads > 1) {
    pool_ = std::make_unique<WorkerPool>(options_.verify_threads - 1, 1024);
  }
  for (const auto& c : trust_->config().alert_countries()) {
    alert_countries_.insert(absl::AsciiStrToUpper(c));
  }
}

LocationIngestor::~LocationIngestor() = default;

absl::StatusOr<std::unique_ptr<LocationIngestor>> LocationIngestor::Create(
    store::EntityStore* store, SnapshotManager* manager, std::unique_ptr<LocationTrust> trust,
    Clock* clock, LocationIngestOptions options) {
  if (trust == nullptr) {
    ASSIGN_OR_RETURN(trust, LocationTrust::FromConfig(v1::LocationTrustConfig()));
  }
  std::unique_ptr<LocationIngestor> ingestor(
      new LocationIngestor(store, manager, std::move(trust), clock, options));
  // The sequence first: a concurrent ingest is impossible (this ingestor
  // does not exist yet), so the scan reflects exactly that sequence.
  ASSIGN_OR_RETURN(const uint64_t sequence, store->locations().LocationSequence());
  std::vector<std::pair<std::string, engine::ReportedLocation>> all;
  RETURN_IF_ERROR(store->locations().ScanLatestLocations([&](const v1::LocationReport& r) {
    all.emplace_back(r.serial_number(), ToReportedLocation(r));
  }));
  auto feed = manager->location_feed();
  feed->Store(feed->Load()->With(std::move(all), sequence));
  return ingestor;
}

void LocationIngestor::ParallelFor(size_t n, size_t chunk, const std::function<void(size_t)>& fn) {
  chunk = std::max<size_t>(1, chunk);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (;;) {
      const size_t begin = next.fetch_add(chunk);
      if (begin >= n) return;
      const size_t end = std::min(n, begin + chunk);
      for (size_t i = begin; i < end; ++i) fn(i);
    }
  };
  const int helpers = pool_ == nullptr || n <= chunk ? 0 : options_.verify_threads - 1;
  absl::BlockingCounter done(helpers);
  for (int h = 0; h < helpers; ++h) {
    if (!pool_->TrySchedule([&] {
          work();
          done.DecrementCount();
        })) {
      done.DecrementCount();
    }
  }
  work();
  done.Wait();
}

void LocationIngestor::VerifyAll(const std::vector<v1::LocationReport>& reports, absl::Time now,
                                 std::vector<std::string>* reasons) {
  reasons->assign(reports.size(), std::string());
  ParallelFor(reports.size(), kChunk,
              [&](size_t i) { (*reasons)[i] = trust_->Check(reports[i], now); });
}

absl::Status LocationIngestor::IngestBatch(std::vector<v1::LocationReport> reports,
                                           int64_t index_base, v1::IngestSummary* summary) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  summary->set_received(summary->received() + static_cast<int64_t>(reports.size()));
  std::vector<std::string> reasons;
  VerifyAll(reports, now, &reasons);
  // bundle_id is set by the service only for reports that came in a bundle.
  for (auto& r : reports) r.clear_bundle_id();
  return CountIngest(summary, [&] {
    return StoreChecked(std::move(reports), std::move(reasons), nullptr, index_base, now, summary);
  });
}

absl::Status LocationIngestor::IngestBundleBatch(std::vector<v1::ReportBundle> bundles,
                                                 int64_t index_base, v1::IngestSummary* summary) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  // One signature per bundle, bundles in parallel.
  std::vector<std::string> bundle_reason(bundles.size());
  ParallelFor(bundles.size(), 1,
              [&](size_t b) { bundle_reason[b] = trust_->CheckBundle(bundles[b]); });
  size_t total = 0;
  for (const auto& b : bundles) total += size_t(b.reports_size());
  std::vector<v1::LocationReport> reports;
  std::vector<std::string> reasons;
  std::vector<std::string> bundle_ids;
  reports.reserve(total);
  reasons.reserve(total);
  bundle_ids.reserve(total);
  for (size_t b = 0; b < bundles.size(); ++b) {
    v1::ReportBundle& bundle = bundles[b];
    const std::string bundle_rejection =
        bundle_reason[b].empty()
            ? std::string()
            : absl::StrCat("bundle ", bundle.bundle_id(), ": ", bundle_reason[b]);
    for (auto& r : *bundle.mutable_reports()) {
      reasons.push_back(bundle_rejection.empty()
                            ? trust_->CheckBundled(r, bundle.verifier_id(), now)
                            : bundle_rejection);
      r.set_bundle_id(bundle.bundle_id());
      reports.push_back(std::move(r));
      bundle_ids.push_back(bundle.bundle_id());
    }
  }
  summary->set_received(summary->received() + static_cast<int64_t>(total));
  summary->set_bundles_received(summary->bundles_received() + static_cast<int64_t>(bundles.size()));
  return CountIngest(summary, [&] {
    return StoreChecked(std::move(reports), std::move(reasons), &bundle_ids, index_base, now,
                        summary);
  });
}

absl::Status LocationIngestor::StoreChecked(std::vector<v1::LocationReport> reports,
                                            std::vector<std::string> reasons,
                                            const std::vector<std::string>* bundle_ids,
                                            int64_t index_base, absl::Time now,
                                            v1::IngestSummary* summary) {
  std::vector<v1::LocationReport> valid;
  std::vector<int64_t> valid_index;
  valid.reserve(reports.size());
  valid_index.reserve(reports.size());
  for (size_t i = 0; i < reports.size(); ++i) {
    if (!reasons[i].empty()) {
      auto* rej = summary->add_rejected();
      rej->set_report_id(reports[i].report_id());
      rej->set_index(index_base + static_cast<int64_t>(i));
      rej->set_reason(std::move(reasons[i]));
      if (bundle_ids != nullptr) rej->set_bundle_id((*bundle_ids)[i]);
      continue;
    }
    SetTime(now, reports[i].mutable_received_at());
    valid.push_back(std::move(reports[i]));
    valid_index.push_back(index_base + static_cast<int64_t>(i));
  }

  std::vector<store::LocationPut> outcome;
  std::vector<v1::LocationReport> latest;
  uint64_t sequence = 0;
  RETURN_IF_ERROR(store_->locations().PutLocationReports(valid, &outcome, &latest, &sequence));
  std::vector<const v1::LocationReport*> stored;
  stored.reserve(valid.size());
  for (size_t i = 0; i < valid.size(); ++i) {
    switch (outcome[i]) {
      case store::LocationPut::kStored:
        stored.push_back(&valid[i]);
        break;
      case store::LocationPut::kDuplicate:
        summary->set_duplicates(summary->duplicates() + 1);
        break;
      case store::LocationPut::kConflict:
      case store::LocationPut::kReplay: {
        auto* rej = summary->add_rejected();
        rej->set_report_id(valid[i].report_id());
        rej->set_index(valid_index[i]);
        rej->set_bundle_id(valid[i].bundle_id());
        rej->set_reason(outcome[i] == store::LocationPut::kConflict
                            ? "replay: report_id already stored with other content"
                            : "replay: (verifier, serial, observed_at) already reported");
        break;
      }
    }
  }
  summary->set_accepted(summary->accepted() + static_cast<int64_t>(stored.size()));

  if (!latest.empty()) {
    std::vector<std::pair<std::string, engine::ReportedLocation>> updates;
    updates.reserve(latest.size());
    for (const auto& r : latest) {
      updates.emplace_back(r.serial_number(), ToReportedLocation(r));
    }
    // Under mu_: feeds are published in sequence order.
    auto feed = manager_->location_feed();
    feed->Store(feed->Load()->With(std::move(updates), sequence));
  }
  return RaiseAlerts(stored, summary);
}

bool LocationIngestor::CountryOfConcern(const std::string& country) const {
  if (alert_countries_.contains(country)) return true;
  if (trust_->config().alert_country_groups().empty()) return false;
  auto snapshot = manager_->Current();
  if (snapshot == nullptr || snapshot->rules == nullptr) return false;
  const rules::CompiledRules& R = snapshot->rules->compiled();
  const int id = R.CountryId(country);
  if (id < 0 || size_t(id) >= R.groups_of_country.size()) return false;
  for (const auto& group : trust_->config().alert_country_groups()) {
    int g = R.Id(rules::Vocab::kGroup, group);
    if (g >= 0 && R.groups_of_country[id].Test(g)) return true;
  }
  return false;
}

absl::Status LocationIngestor::RaiseAlerts(const std::vector<const v1::LocationReport*>& stored,
                                           v1::IngestSummary* summary) {
  std::vector<v1::Alert> alerts;
  const absl::Time now = clock_->Now();
  // The per-serial decision lookups (one store scan each) run in parallel
  // on the verify pool; the alerts are then built in stream order.
  std::vector<absl::StatusOr<std::vector<v1::SerialDecisionRef>>> all_refs(stored.size());
  ParallelFor(stored.size(), kChunk, [&](size_t i) {
    all_refs[i] = store_->locations().DecisionsForSerial(stored[i]->serial_number());
  });
  for (size_t i = 0; i < stored.size(); ++i) {
    const v1::LocationReport* r = stored[i];
    if (!all_refs[i].ok()) return all_refs[i].status();
    std::vector<v1::SerialDecisionRef>& refs = *all_refs[i];
    if (refs.empty()) continue;
    const absl::Time observed = ToTime(r->observed_at());
    // The newest answered shipment (CLEAR or LICENSE_REQUIRED) recorded
    // before the observation.
    const v1::SerialDecisionRef* ref = nullptr;
    for (auto it = refs.rbegin(); it != refs.rend(); ++it) {
      if (it->decision() != v1::DECISION_CLEAR && it->decision() != v1::DECISION_LICENSE_REQUIRED) {
        continue;
      }
      if (ToTime(it->recorded_at()) > observed) continue;
      ref = &*it;
      break;
    }
    if (ref == nullptr) continue;
    const std::string declared = absl::AsciiStrToUpper(ref->destination_country());
    if (r->country() == declared) continue;
    const bool concern = CountryOfConcern(r->country());
    v1::Alert a;
    a.set_kind(v1::ALERT_KIND_DIVERSION);
    SetTime(now, a.mutable_created_at());
    a.set_decision_id(ref->decision_id());
    a.set_serial_number(r->serial_number());
    a.set_country(r->country());
    a.set_declared_destination(declared);
    a.add_report_ids(r->report_id());
    a.set_verifier_id(r->verifier_id());
    *a.mutable_observed_at() = r->observed_at();
    a.set_country_of_concern(concern);
    a.set_message(absl::StrCat("Chip ", r->serial_number(), " of shipment ", ref->decision_id(),
                               " (declared destination ", declared, ") reported in ", r->country(),
                               concern ? " (country of concern)" : "", " by ", r->verifier_id(),
                               " at ",
                               absl::FormatTime(absl::RFC3339_sec, observed, absl::UTCTimeZone()),
                               "; investigate possible diversion and report to BIS if credible."));
    alerts.push_back(std::move(a));
  }
  if (alerts.empty()) return absl::OkStatus();
  std::vector<v1::Alert> appended;
  RETURN_IF_ERROR(store_->alerts().AppendAlerts(std::move(alerts), &appended));
  summary->set_alerts_raised(summary->alerts_raised() + static_cast<int64_t>(appended.size()));
  for (const auto& a : appended) summary->add_alert_ids(a.alert_id());
  return absl::OkStatus();
}

absl::StatusOr<int64_t> LocationIngestor::RaiseAlertsFor(
    const std::vector<v1::LocationReport>& reports) {
  std::vector<const v1::LocationReport*> stored;
  stored.reserve(reports.size());
  for (const auto& r : reports) stored.push_back(&r);
  v1::IngestSummary summary;
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(RaiseAlerts(stored, &summary));
  return summary.alerts_raised();
}

absl::StatusOr<v1::IngestSummary> LocationIngestor::Ingest(
    std::vector<v1::LocationReport> reports) {
  v1::IngestSummary summary;
  const size_t batch = std::max<size_t>(1, options_.batch_size);
  for (size_t begin = 0; begin < reports.size(); begin += batch) {
    const size_t end = std::min(reports.size(), begin + batch);
    std::vector<v1::LocationReport> part(std::make_move_iterator(reports.begin() + begin),
                                         std::make_move_iterator(reports.begin() + end));
    RETURN_IF_ERROR(IngestBatch(std::move(part), static_cast<int64_t>(begin), &summary));
  }
  return summary;
}

absl::StatusOr<v1::IngestSummary> LocationIngestor::IngestBundles(
    std::vector<v1::ReportBundle> bundles) {
  v1::IngestSummary summary;
  const size_t batch = std::max<size_t>(1, options_.bundle_batch_size);
  int64_t base = 0;
  std::vector<v1::ReportBundle> part;
  size_t part_reports = 0;
  auto flush = [&]() -> absl::Status {
    if (part.empty()) return absl::OkStatus();
    const int64_t n = static_cast<int64_t>(part_reports);
    absl::Status s = IngestBundleBatch(std::move(part), base, &summary);
    base += n;
    part.clear();
    part_reports = 0;
    return s;
  };
  for (auto& b : bundles) {
    part_reports += size_t(b.reports_size());
    part.push_back(std::move(b));
    if (part_reports >= batch) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(flush());
  return summary;
}

}  // namespace exportscreen::serving
