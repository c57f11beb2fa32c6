#include "services/api/request_validator.h"

#include "exportscreen/v1/status.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/api/iso_countries.h"

namespace exportscreen::api {
namespace {

using ::testing::HasSubstr;

v1::ScreenRequest ValidRequest() {
  v1::ScreenRequest r;
  r.set_destination_country("de");
  auto* p = r.add_parties();
  p->set_name("  Rheinland Engineering GmbH ");
  p->mutable_address()->set_country("de");
  return r;
}

TEST(RequestValidatorTest, AcceptsAndNormalises) {
  v1::ScreenRequest r = ValidRequest();
  ASSERT_TRUE(NormalizeAndValidate(&r).ok());
  EXPECT_EQ(r.destination_country(), "DE");
  EXPECT_EQ(r.parties(0).name(), "Rheinland Engineering GmbH");
  EXPECT_EQ(r.parties(0).country(), "DE");  // filled from the address
}

TEST(RequestValidatorTest, MissingDestinationNamesTheField) {
  v1::ScreenRequest r = ValidRequest();
  r.clear_destination_country();
  absl::Status s = NormalizeAndValidate(&r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("destination_country: is required"));
  auto payload = s.GetPayload(kBadRequestPayloadUrl);
  ASSERT_TRUE(payload.has_value());
  v1::BadRequest bad;
  ASSERT_TRUE(bad.ParseFromString(std::string(*payload)));
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_EQ(bad.field_violations(0).field(), "destination_country");
}

TEST(RequestValidatorTest, UnknownCountryCodeNamesTheField) {
  v1::ScreenRequest r = ValidRequest();
  r.set_destination_country("XX");
  absl::Status s = NormalizeAndValidate(&r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("destination_country: unknown country code \"XX\""));
  r = ValidRequest();
  r.mutable_parties(0)->set_headquarters_country("China");
  EXPECT_THAT(NormalizeAndValidate(&r).message(),
              HasSubstr("parties[0].headquarters_country"));
}

TEST(RequestValidatorTest, PartyNames) {
  v1::ScreenRequest r = ValidRequest();
  r.mutable_parties(0)->set_name("   ");
  EXPECT_THAT(NormalizeAndValidate(&r).message(), HasSubstr("parties[0].name: is empty"));
  r = ValidRequest();
  r.mutable_parties(0)->set_name(".,;-");
  EXPECT_THAT(NormalizeAndValidate(&r).message(),
              HasSubstr("parties[0].name: has no letters or digits"));
  r = ValidRequest();
  r.mutable_parties(0)->set_name(std::string(kMaxNameBytes + 1, 'a'));
  EXPECT_THAT(NormalizeAndValidate(&r).message(), HasSubstr("longer than 4096"));
  r = ValidRequest();
  r.clear_parties();
  EXPECT_THAT(NormalizeAndValidate(&r).message(), HasSubstr("parties: at least one"));
  r = ValidRequest();
  r.mutable_parties(0)->add_aliases("");
  EXPECT_THAT(NormalizeAndValidate(&r).message(), HasSubstr("parties[0].aliases[0]"));
}

TEST(RequestValidatorTest, ItemsAndDates) {
  v1::ScreenRequest r = ValidRequest();
  r.add_items()->set_quantity(-1);
  EXPECT_THAT(NormalizeAndValidate(&r).message(), HasSubstr("items[0].quantity"));
  r = ValidRequest();
  r.add_items()->set_tpp(-5);
  EXPECT_THAT(NormalizeAndValidate(&r).message(), HasSubstr("items[0].tpp"));
  r = ValidRequest();
  r.add_items()->set_die_area_mm2(std::numeric_limits<double>::infinity());
  EXPECT_THAT(NormalizeAndValidate(&r).message(), HasSubstr("items[0].die_area_mm2"));
  r = ValidRequest();
  r.set_as_of_date("2025-02-30");
  EXPECT_THAT(NormalizeAndValidate(&r).message(), HasSubstr("as_of_date"));
  r = ValidRequest();
  r.set_as_of_date("2026-11-10");
  EXPECT_TRUE(NormalizeAndValidate(&r).ok());
}

TEST(RequestValidatorTest, ReportsEveryViolation) {
  v1::ScreenRequest r;
  r.add_parties();
  absl::Status s = NormalizeAndValidate(&r);
  EXPECT_THAT(s.message(), HasSubstr("destination_country"));
  EXPECT_THAT(s.message(), HasSubstr("parties[0].name"));
}

TEST(IsoCountriesTest, Codes) {
  EXPECT_TRUE(IsIsoAlpha2("CN"));
  EXPECT_TRUE(IsIsoAlpha2("MO"));
  EXPECT_TRUE(IsIsoAlpha2("XK"));
  EXPECT_FALSE(IsIsoAlpha2("XX"));
  EXPECT_FALSE(IsIsoAlpha2("cn"));
  EXPECT_FALSE(IsIsoAlpha2("CHN"));
}

}  // namespace
}  // namespace exportscreen::api
