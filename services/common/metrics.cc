#include "services/common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace exportscreen::metrics {

namespace {

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 9e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrCat(v);
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<int64_t>(std::llround(v * 1e6)), std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    out[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> SizeBuckets() {
  std::vector<double> b;
  for (double v = 1; v <= 4096; v *= 2) b.push_back(v);
  return b;
}

Family::Family(std::string name, std::string help, Type type, std::vector<std::string> label_names,
               std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

void* Family::Child(std::initializer_list<absl::string_view> values) {
  // Per-thread cache: key = this family's address + the label values.
  thread_local std::unordered_map<std::string, void*> cache;
  std::string key(reinterpret_cast<const char*>(this), sizeof(this));
  for (absl::string_view v : values) {
    key.append(v.data(), v.size());
    key.push_back('\x1f');
  }
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::string labels;
  size_t i = 0;
  for (absl::string_view v : values) {
    if (i < label_names_.size()) {
      absl::StrAppend(&labels, labels.empty() ? "" : ",", label_names_[i], "=\"", EscapeLabel(v),
                      "\"");
    }
    ++i;
  }
  void* child = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = children_.find(labels);
    if (it == children_.end()) {
      using Owned = std::unique_ptr<void, void (*)(void*)>;
      Owned made(
          nullptr, +[](void*) {});
      switch (type_) {
        case Type::kCounter:
          made = Owned(
              new Counter(), +[](void* p) { delete static_cast<Counter*>(p); });
          break;
        case Type::kGauge:
          made = Owned(
              new Gauge(), +[](void* p) { delete static_cast<Gauge*>(p); });
          break;
        case Type::kHistogram:
          made = Owned(
              new Histogram(bounds_), +[](void* p) { delete static_cast<Histogram*>(p); });
          break;
      }
      it = children_.emplace(labels, std::move(made)).first;
    }
    child = it->second.get();
  }
  cache.emplace(std::move(key), child);
  return child;
}

Counter* Family::CounterWith(std::initializer_list<absl::string_view> values) {
  return static_cast<Counter*>(Child(values));
}
Gauge* Family::GaugeWith(std::initializer_list<absl::string_view> values) {
  return static_cast<Gauge*>(Child(values));
}
Histogram* Family::HistogramWith(std::initializer_list<absl::string_view> values) {
  return static_cast<Histogram*>(Child(values));
}

void Family::Render(std::string* out) const {
  AppendHeader(out, name_, help_, TypeName(type_));
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, child] : children_) {
    switch (type_) {
      case Type::kCounter:
        AppendSample(out, name_, labels,
                     static_cast<double>(static_cast<Counter*>(child.get())->Value()));
        break;
      case Type::kGauge:
        AppendSample(out, name_, labels, static_cast<Gauge*>(child.get())->Value());
        break;
      case Type::kHistogram: {
        const auto* h = static_cast<const Histogram*>(child.get());
        const std::vector<uint64_t> counts = h->BucketCounts();
        uint64_t cumulative = 0;
        const std::string bucket = absl::StrCat(name_, "_bucket");
        const std::string sep = labels.empty() ? "" : ",";
        for (size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          const std::string le = i < h->bounds().size() ? FormatValue(h->bounds()[i]) : "+Inf";
          AppendSample(out, bucket, absl::StrCat(labels, sep, "le=\"", le, "\""),
                       static_cast<double>(cumulative));
        }
        // Count from the buckets so that _count equals the +Inf bucket even
        // while observations race the scrape.
        AppendSample(out, absl::StrCat(name_, "_sum"), labels, h->Sum());
        AppendSample(out, absl::StrCat(name_, "_count"), labels, static_cast<double>(cumulative));
        break;
      }
    }
  }
}

Registry& Registry::Default() {
  static Registry* registry = new Registry();
  return *registry;
}

Family* Registry::Get(absl::string_view name, absl::string_view help, Type type,
                      std::vector<std::string> label_names, std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_
             .emplace(std::string(name),
                      std::make_unique<Family>(std::string(name), std::string(help), type,
                                               std::move(label_names), std::move(bounds)))
             .first;
  }
  return it->second.get();
}

std::string Registry::Render() const {
  std::vector<const Family*> families;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  std::string out;
  for (const Family* f : families) f->Render(&out);
  return out;
}

void AppendHeader(std::string* out, absl::string_view name, absl::string_view help,
                  absl::string_view type) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void AppendSample(std::string* out, absl::string_view name, absl::string_view labels,
                  double value) {
  if (labels.empty()) {
    absl::StrAppend(out, name, " ", FormatValue(value), "\n");
  } else {
    absl::StrAppend(out, name, "{", labels, "} ", FormatValue(value), "\n");
  }
}

std::string EscapeLabel(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace exportscreen::metrics
