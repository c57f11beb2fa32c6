// Property test of the screening path without transport (validation ->
// engine over the real rules): random requests, valid and invalid, with
// enum numbers, sizes, countries, ECCNs and dates at and beyond the limits.
// Properties:
//   - nothing crashes (the sanitizer build runs this too);
//   - an invalid request is INVALID_ARGUMENT, every violation names a field,
//     and it is never answered;
//   - a valid request is answered with a decision, and an answer for an item
//     whose declared ECCN is not on the CCL, or for a date before the
//     modelled span, is never CLEAR.
// ES_PROPERTY_N sets the count (default 10,000; the soak script runs
// 1,000,000), ES_PROPERTY_SEED the seed (printed).
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "exportscreen/v1/status.pb.h"
#include "gtest/gtest.h"
#include "services/api/request_validator.h"
#include "services/api/screener.h"
#include "services/engine/screening_engine.h"
#include "tests/testing/fake_name_index.h"

namespace exportscreen::api {
namespace {

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(0, 99) < percent; }
  // Dirty requests draw invalid values too; clean ones only valid values
  // (half of each, so both paths get plenty of cases).
  bool dirty = true;
  bool Bad(int percent) { return dirty && Chance(percent); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[size_t(Int(0, int(v.size()) - 1))];
  }

  std::string Text(size_t max) {
    static const std::vector<std::string> kWords = {"Huawei",
                                                    "Technologies",
                                                    "Co.",
                                                    "Ltd",
                                                    "GmbH",
                                                    "Acme",
                                                    "Trading",
                                                    "\xe5\x8d\x8e\xe4\xb8\xba",
                                                    "\xd0\x9e\xd0\x9e\xd0\x9e",
                                                    "  ",
                                                    "-",
                                                    "'",
                                                    "Research",
                                                    "Branch",
                                                    "Shenzhen",
                                                    "\xe2\x80\x8b"};
    std::string s;
    const int n = Int(0, 6);
    for (int i = 0; i < n; ++i) absl::StrAppend(&s, i ? " " : "", Pick(kWords));
    if (Bad(3)) s.assign(max + size_t(Int(1, 64)), 'x');  // past the limit
    if (s.empty() || s == "  " || s == "-" || s == "'") s = "Acme";
    return s;
  }
  std::string Country() {
    static const std::vector<std::string> kCountries = {"CN", "DE", "US", "SG",   "MO", "HK", "RU",
                                                        "IR", "CU", "KP", "AE",   "IL", "SN", "ML",
                                                        "BO", "AQ", "cn", " de ", "PK", "TW", "VN"};
    static const std::vector<std::string> kBad = {"ZZ", "C", "CHN", "12", "\xc3\x84\xc3\x84", "XK"};
    return Bad(5) ? Pick(kBad) : Pick(kCountries);
  }
  std::string Eccn() {
    static const std::vector<std::string> kEccns = {
        "3A090.a",     "3A090.b",     "3A090.c", "4A090.a",     "3B001.f.1.a", "3B001.b",
        "3B001.c.1.a", "3B993.f.1",   "3A001.z", "5A992.z.1",   "3A991.p",     "EAR99",
        "ear99",       "3A999",       "0A501",   "0A002",       "9A610.x",     "3A789",
        "9E999",       "3A090.a.9.z", "",        "3b001.F.1.A", "5A002",       "4A003.z"};
    static const std::vector<std::string> kBad = {"H100",  "3A09",  "3A090..a",
                                                  "XA090", "3F001", "EAR-99"};
    return Bad(5) ? Pick(kBad) : Pick(kEccns);
  }
  std::string Date() {
    static const std::vector<std::string> kDates = {
        "",           "",           "",           "2022-10-06", "2022-10-07", "2023-11-17",
        "2024-12-02", "2025-01-15", "2025-05-13", "2026-07-01", "1999-01-01", "2030-01-01"};
    static const std::vector<std::string> kBad = {"2026-02-30", "yesterday", "2026-7-1x"};
    return Bad(5) ? Pick(kBad) : Pick(kDates);
  }
  template <typename E>
  E Enum(int max_valid) {
    if (Bad(10)) {
      static const std::vector<int> kOut = {-1, -100, 300, 999, 65536, 100000, 1 << 30};
      return static_cast<E>(Pick(kOut));
    }
    return static_cast<E>(Int(0, max_valid));
  }

 private:
  std::mt19937_64 rng_;
};

v1::ScreenRequest RandomRequest(Gen& g) {
  v1::ScreenRequest r;
  g.dirty = g.Chance(50);
  if (g.Bad(5)) r.set_request_id(std::string(size_t(g.Int(100, 200)), 'r'));
  r.set_destination_country(g.Country());
  if (g.Chance(20)) r.set_export_country(g.Country());
  r.set_as_of_date(g.Date());
  const int parties = g.Bad(3) ? g.Int(95, 105) : g.Int(1, 4);
  for (int i = 0; i < parties; ++i) {
    v1::Party* p = r.add_parties();
    p->set_role(g.Enum<v1::PartyRole>(6));
    p->set_name(g.Text(kMaxNameBytes));
    p->set_country(g.Country());
    if (g.Chance(30)) {
      p->mutable_address()->set_kind(g.Enum<v1::AddressKind>(6));
      p->mutable_address()->set_country(g.Country());
      p->mutable_address()->set_city(g.Text(kMaxShortTextBytes));
    }
    if (g.Chance(20)) p->set_headquarters_country(g.Country());
    if (g.Chance(10)) p->set_incorporated_year(g.Bad(50) ? g.Int(-5, 12000) : g.Int(1900, 2026));
    const int aliases = g.Bad(2) ? 51 : g.Int(0, 2);
    for (int a = 0; a < aliases; ++a) p->add_aliases(g.Text(kMaxNameBytes));
    if (g.Chance(10)) {
      auto* id = p->add_identifiers();
      id->set_type("LEI");
      id->set_value(g.Text(kMaxShortTextBytes));
    }
  }
  const int items = g.Bad(2) ? 1001 : g.Int(0, 5);
  for (int i = 0; i < items; ++i) {
    v1::Item* it = r.add_items();
    it->set_kind(g.Enum<v1::ItemKind>(10));
    it->set_declared_eccn(g.Eccn());
    if (g.Chance(50)) it->set_tpp(g.Bad(5) ? -1 : g.Int(0, 20000));
    if (g.Chance(40)) it->set_die_area_mm2(g.Int(0, 900));
    if (g.Chance(20)) it->set_memory_bandwidth_gbps(g.Int(0, 9000));
    if (g.Chance(20)) it->set_datacenter_marketed(g.Chance(50));
    if (g.Chance(5)) it->set_quantity(g.Bad(50) ? -3 : g.Int(0, 1000));
    if (g.Chance(10)) {
      const int serials = g.Chance(5) ? g.Int(100, 300) : g.Int(1, 5);
      for (int s = 0; s < serials; ++s) {
        it->add_serial_numbers(g.Bad(2) ? std::string(300, 's') : absl::StrCat("SN", s));
      }
    }
    if (g.Chance(5)) it->add_features(g.Text(kMaxShortTextBytes));
    if (g.Chance(5)) (*it->mutable_parameters())["x"] = g.Bad(50) ? 1e308 * 10 : 1.0;
  }
  const int codes = g.Bad(2) ? 65 : g.Int(0, 3);
  static const std::vector<std::string> kCodes = {"ai_training", "military_end_use",
                                                  "no_such_code"};
  for (int i = 0; i < codes; ++i) r.add_end_use_codes(g.Pick(kCodes));
  return r;
}

TEST(ScreeningPropertyTest, RandomRequestsNeverCrashNorClearWhatTheRulesDoNotCover) {
  const char* n_env = std::getenv("ES_PROPERTY_N");
  const char* seed_env = std::getenv("ES_PROPERTY_SEED");
  const int64_t n = n_env ? std::atoll(n_env) : 10000;
  const uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : std::random_device{}();
  std::printf("property test: %lld requests, ES_PROPERTY_SEED=%llu\n", static_cast<long long>(n),
              static_cast<unsigned long long>(seed));

  auto files = rules::ReadRuleFiles(ES_SOURCE_DIR "/rules");
  ASSERT_TRUE(files.ok()) << files.status();
  auto rs = rules::RuleSet::Compile(*files);
  ASSERT_TRUE(rs.ok()) << rs.status();
  engine::ScreeningSnapshot snap;
  snap.rules = *rs;
  auto data = std::make_shared<engine::ReferenceData>();
  snap.index = std::make_shared<testing::FakeNameIndex>(data->entities);
  snap.data = data;
  snap.rule_set_version = "r";
  snap.list_version = "l";
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 7, 1, 12, 0, 0), absl::UTCTimeZone()));
  Screener screener(nullptr, &clock);

  Gen g(seed);
  int64_t invalid = 0, answered = 0, clear = 0;
  for (int64_t i = 0; i < n; ++i) {
    v1::ScreenRequest req = RandomRequest(g);
    const v1::ScreenRequest original = req;
    absl::StatusOr<v1::ScreenResponse> r =
        screener.Screen(engine::ScreeningView{snap}, req, "property");
    if (!r.ok()) {
      ++invalid;
      ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
          << r.status() << "\nseed " << seed << " request " << i;
      auto payload = r.status().GetPayload(kBadRequestPayloadUrl);
      ASSERT_TRUE(payload.has_value()) << r.status();
      v1::BadRequest bad;
      ASSERT_TRUE(bad.ParseFromString(std::string(*payload)));
      ASSERT_GT(bad.field_violations_size(), 0);
      for (const auto& v : bad.field_violations()) {
        ASSERT_FALSE(v.field().empty()) << r.status();
      }
      ASSERT_LT(r.status().message().size(), 8192u);
      continue;
    }
    ++answered;
    ASSERT_NE(r->decision(), v1::DECISION_UNSPECIFIED);
    if (r->decision() != v1::DECISION_CLEAR) continue;
    ++clear;
    // CLEAR only where the rules cover everything the request says.
    ASSERT_FALSE(!original.as_of_date().empty() && original.as_of_date() < "2022-10-07")
        << "CLEAR before the modelled span; seed " << seed << " request " << i;
    for (const auto& det : r->item_determinations()) {
      ASSERT_TRUE(det.license_rule_ids().empty());
    }
    for (const auto& item : original.items()) {
      const std::string& e = item.declared_eccn();
      ASSERT_TRUE(e != "3A789" && e != "9E999" && e != "0A002")
          << "CLEAR for an ECCN the CCL does not cover; seed " << seed << " request " << i;
    }
  }
  std::printf(
      "property test: %lld invalid (all INVALID_ARGUMENT naming a field), "
      "%lld answered (%lld CLEAR), 0 crashes\n",
      static_cast<long long>(invalid), static_cast<long long>(answered),
      static_cast<long long>(clear));
  EXPECT_GT(invalid, n / 10);
  EXPECT_GT(answered, n / 10);
}

}  // namespace
}  // namespace exportscreen::api
