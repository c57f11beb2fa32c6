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
  EXPECT_THAT(NormalizeAndValidate(&r).message(), HasSubstr("parties[0].headquarters_country"));
}

TEST(RequestValidatorTest, MaxHitsPerPartyAndPartyType) {
  v1::ScreenRequest r = ValidRequest();
  r.set_max_hits_per_party(100);
  r.mutable_parties(0)->set_type(v1::PARTY_TYPE_VESSEL);
  EXPECT_TRUE(NormalizeAndValidate(&r).ok());
  for (int bad : {101, -1, 1000000}) {
    r = ValidRequest();
    r.set_max_hits_per_party(bad);
    absl::Status s = NormalizeAndValidate(&r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("max_hits_per_party: must be 0 (default) to 100"));
  }
  r = ValidRequest();
  r.mutable_parties(0)->set_type(static_cast<v1::PartyType>(42));
  absl::Status s = NormalizeAndValidate(&r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("parties[0].type"));
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

// Issue 12: every enum field is checked (proto3 enums are open).
TEST(RequestValidatorTest, EnumNumbersOutsideTheProtoNameTheirField) {
  for (int n : {-1, 11, 300, 999, 100000}) {
    v1::ScreenRequest r = ValidRequest();
    r.mutable_parties(0)->mutable_address()->set_kind(static_cast<v1::AddressKind>(n));
    r.mutable_parties(0)->set_role(static_cast<v1::PartyRole>(n + 100));
    r.add_items()->set_kind(static_cast<v1::ItemKind>(n == 11 ? 999 : n));
    absl::Status s = NormalizeAndValidate(&r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_THAT(s.message(), HasSubstr("parties[0].address.kind: unknown enum number"));
    EXPECT_THAT(s.message(), HasSubstr("parties[0].role: unknown enum number"));
    EXPECT_THAT(s.message(), HasSubstr("items[0].kind: unknown enum number"));
  }
}

TEST(RequestValidatorTest, OversizedRequestIsRejectedBeforeAnyWork) {
  v1::ScreenRequest r = ValidRequest();
  auto* item = r.add_items();
  for (int i = 0; i < 20000; ++i) item->add_serial_numbers(std::string(60, 'S'));
  absl::Status s = NormalizeAndValidate(&r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("request: is "));
  EXPECT_THAT(s.message(), HasSubstr("the limit is 1048576"));
}

TEST(RequestValidatorTest, StringsAndRepeatedFieldsAreBounded) {
  v1::ScreenRequest r = ValidRequest();
  for (int i = 0; i < kMaxCodes + 1; ++i) r.add_end_use_codes("ai_training");
  auto* item = r.add_items();
  item->set_description(std::string(kMaxLongTextBytes + 1, 'd'));
  item->add_serial_numbers(std::string(kMaxShortTextBytes + 1, 's'));
  r.mutable_parties(0)->add_identifiers()->set_value(std::string(300, 'v'));
  absl::Status s = NormalizeAndValidate(&r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("end_use_codes: more than 64"));
  EXPECT_THAT(s.message(), HasSubstr("items[0].description: is longer than"));
  EXPECT_THAT(s.message(), HasSubstr("items[0].serial_numbers[0]: is longer than"));
  EXPECT_THAT(s.message(), HasSubstr("parties[0].identifiers[0].value: is longer than"));
}

TEST(RequestValidatorTest, EchoedValuesAreCut) {
  v1::ScreenRequest r = ValidRequest();
  r.set_destination_country(std::string(100000, 'X'));
  absl::Status s = NormalizeAndValidate(&r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(s.message().size(), 400u) << s.message().size();
  EXPECT_THAT(s.message(), HasSubstr("(100000 bytes)"));
}

TEST(RequestValidatorTest, UnknownFieldsAreDropped) {
  v1::ScreenRequest r = ValidRequest();
  r.add_items()->set_declared_eccn("EAR99");
  // Field 999 (varint) on the request, the party and the item.
  const std::string unknown = std::string("\xb8\x3e\x01", 3);
  std::string bytes = r.SerializeAsString() + unknown;
  v1::ScreenRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  ASSERT_FALSE(parsed.GetReflection()->GetUnknownFields(parsed).empty());
  v1::Item* item = parsed.mutable_items(0);
  item->GetReflection()->MutableUnknownFields(item)->AddVarint(999, 1);
  ASSERT_TRUE(NormalizeAndValidate(&parsed).ok());
  EXPECT_TRUE(parsed.GetReflection()->GetUnknownFields(parsed).empty());
  EXPECT_TRUE(item->GetReflection()->GetUnknownFields(*item).empty());
}

// Issue 13: a declared ECCN is checked, never trusted to mean "nothing".
TEST(RequestValidatorTest, DeclaredEccnIsWellFormedOrRejected) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c :
       {Case{"3a090.A", "3A090.a"}, Case{" ear99 ", "EAR99"}, Case{"3B001.f.1.a", "3B001.f.1.a"},
        Case{"5A992.Z.1", "5A992.z.1"}, Case{"0Y521", "0Y521"}}) {
    v1::ScreenRequest r = ValidRequest();
    r.add_items()->set_declared_eccn(c.in);
    ASSERT_TRUE(NormalizeAndValidate(&r).ok()) << c.in;
    EXPECT_EQ(r.items(0).declared_eccn(), c.out);
  }
  for (const char* bad :
       {"3A09", "XA090", "3F001", "3A090..a", "3A090.", "H100", "3A090.a-1", "EAR-99", "3A0900"}) {
    v1::ScreenRequest r = ValidRequest();
    r.add_items()->set_declared_eccn(bad);
    absl::Status s = NormalizeAndValidate(&r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("items[0].declared_eccn")) << bad;
  }
}

}  // namespace
}  // namespace exportscreen::api
