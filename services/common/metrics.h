// Metrics: process-wide counters, gauges and histograms rendered in the
// Prometheus text exposition format (version 0.0.4). No dependency beyond
// Abseil, so every layer may count what it does; the server exposes them on
// --metrics_listen (services/server/ops_http.h).
//
// Hot path: Counter::Add, Gauge::Set and Histogram::Observe are a few
// relaxed atomic operations, no lock, no allocation. A labelled family's
// With(...) finds its child in a per-thread cache (one hash lookup); only the
// first use of a label set on a thread takes the family's mutex.
//
// Lifetime: metrics and families are created once, live for the process and
// are never removed (pointers to them may be cached anywhere).
//
// Thread-safety: everything here is thread-safe.
#ifndef EXPORTSCREEN_SERVICES_COMMON_METRICS_H_
#define EXPORTSCREEN_SERVICES_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace exportscreen::metrics {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
  }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative histogram with fixed upper bounds (ascending; +Inf implied).
// The sum is kept in millionths of the unit (exact for latencies in seconds
// down to a microsecond).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (not cumulative) counts; the last is the +Inf bucket.
  std::vector<uint64_t> BucketCounts() const;
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const {
    return static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
  }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_micro_{0};
};

// Latency buckets in seconds: 100 us .. 10 s.
std::vector<double> LatencyBuckets();
// Size buckets: 1, 2, 4, ... 4096.
std::vector<double> SizeBuckets();

enum class Type { kCounter, kGauge, kHistogram };

// A metric name with a fixed set of label names; children by label values.
class Family {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> label_names,
         std::vector<double> bounds);

  // The child for these label values (as many as label names). REQUIRES
  // the family's type to match the accessor.
  Counter* CounterWith(std::initializer_list<absl::string_view> values);
  Gauge* GaugeWith(std::initializer_list<absl::string_view> values);
  Histogram* HistogramWith(std::initializer_list<absl::string_view> values);

  void Render(std::string* out) const;
  const std::string& name() const { return name_; }

 private:
  void* Child(std::initializer_list<absl::string_view> values);

  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  // Rendered label set ("a=\"x\",b=\"y\"") -> child (Counter, Gauge or
  // Histogram, by type_).
  std::map<std::string, std::unique_ptr<void, void (*)(void*)>> children_ ABSL_GUARDED_BY(mu_);
};

class Registry {
 public:
  // The process-wide registry (never destroyed).
  static Registry& Default();

  // Returns the family of that name, creating it on first use. REQUIRES
  // the same type, labels and bounds at every call site.
  Family* Get(absl::string_view name, absl::string_view help, Type type,
              std::vector<std::string> label_names = {}, std::vector<double> bounds = {});

  // Shorthands for metrics without labels.
  Counter* GetCounter(absl::string_view name, absl::string_view help) {
    return Get(name, help, Type::kCounter)->CounterWith({});
  }
  Gauge* GetGauge(absl::string_view name, absl::string_view help) {
    return Get(name, help, Type::kGauge)->GaugeWith({});
  }
  Histogram* GetHistogram(absl::string_view name, absl::string_view help,
                          std::vector<double> bounds) {
    return Get(name, help, Type::kHistogram, {}, std::move(bounds))->HistogramWith({});
  }

  // Every family, sorted by name, in the text exposition format.
  std::string Render() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_ ABSL_GUARDED_BY(mu_);
};

// Text-format helpers for values computed at scrape time (gauges read from
// a snapshot, RocksDB properties). `labels` is "" or `a="x",b="y"`.
void AppendHeader(std::string* out, absl::string_view name, absl::string_view help,
                  absl::string_view type);
void AppendSample(std::string* out, absl::string_view name, absl::string_view labels, double value);
// Escapes a label value (backslash, quote, newline).
std::string EscapeLabel(absl::string_view value);

}  // namespace exportscreen::metrics

#endif  // EXPORTSCREEN_SERVICES_COMMON_METRICS_H_
