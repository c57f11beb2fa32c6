// Worked cases from reference section 6 (and the rules of sections 1-5 they
// exercise), as data: each a ScreenRequest in text format, the as-of date,
// the expected decision, the expected ECCN of each item and rule ids that
// must (and must not) appear among the findings or offered exceptions.
// Shared by tests/engine (ScreeningEngine with FakeNameIndex) and the
// integration test that replays them through the public Screen RPC. The
// listed parties and ownership links the party cases assume are
// kWorkedCaseEntities / kWorkedCaseOwnership below (ListedEntity /
// OwnershipLink text format); entity ids follow seeds/entities.jsonl.
//
// Generated once from the reference tables; edit freely. Header-only data.
#ifndef EXPORTSCREEN_TESTS_TESTING_WORKED_CASES_H_
#define EXPORTSCREEN_TESTS_TESTING_WORKED_CASES_H_

#include "exportscreen/v1/screening.pb.h"

namespace exportscreen::testing {

struct WorkedCase {
  const char* name;
  const char* reference;  // section / row of the reference
  const char* as_of;      // YYYY-MM-DD (set ScreenRequest.as_of_date)
  const char* request;    // v1::ScreenRequest, text format
  v1::Decision decision;  // expected decision
  const char* eccns;      // expected ECCN per item, comma-separated
  const char* must_fire;  // rule ids that must appear, comma-separated
  const char* must_not_fire;
};

inline constexpr WorkedCase kWorkedCases[] = {
    {"chip A100 SXM4 80GB to DE", "6.1 row 1", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"A100 SXM4 80GB\" kind: ITEM_KIND_IC tpp: 4992 "
     "die_area_mm2: 826 memory_bandwidth_gbps: 2039 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 600 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"chip A800 SXM 80GB to DE", "6.1 row 2", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"A800 SXM 80GB\" kind: ITEM_KIND_IC tpp: 4992 "
     "die_area_mm2: 826 memory_bandwidth_gbps: 2039 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 400 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"chip A30 to DE", "6.1 row 3", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"A30\" kind: ITEM_KIND_IC tpp: 2640 die_area_mm2: "
     "826 memory_bandwidth_gbps: 933 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 200 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.b", "", ""},
    {"chip A40 to DE", "6.1 row 4", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"A40\" kind: ITEM_KIND_IC tpp: 2395 die_area_mm2: "
     "628.4 memory_bandwidth_gbps: 696 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 112.5 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.b", "", ""},
    {"chip A10 to DE", "6.1 row 5", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"A10\" kind: ITEM_KIND_IC tpp: 2000 die_area_mm2: "
     "628.4 memory_bandwidth_gbps: 600 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A991.p", "", ""},
    {"chip H100 SXM5 to DE", "6.1 row 6", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"chip H100 PCIe to DE", "6.1 row 7", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"H100 PCIe\" kind: ITEM_KIND_IC tpp: 12104 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 2000 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 600 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"chip H800 SXM5 to DE", "6.1 row 8", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"H800 SXM5\" kind: ITEM_KIND_IC tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 400 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"chip H200 SXM to DE", "6.1 row 9", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"H200 SXM\" kind: ITEM_KIND_IC tpp: 15832 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 4800 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"chip H20 to DE", "6.1 row 10", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"H20\" kind: ITEM_KIND_IC tpp: 2368 die_area_mm2: "
     "814 memory_bandwidth_gbps: 4000 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A991.p", "", ""},
    {"chip B200 to DE", "6.1 row 11", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"B200\" kind: ITEM_KIND_IC tpp: 36000 die_area_mm2: "
     "1628 memory_bandwidth_gbps: 8000 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 1800 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"chip L40S to DE", "6.1 row 12", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"L40S\" kind: ITEM_KIND_IC tpp: 5864 die_area_mm2: "
     "608.5 memory_bandwidth_gbps: 864 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"chip L40 to DE", "6.1 row 13", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"L40\" kind: ITEM_KIND_IC tpp: 2896 die_area_mm2: "
     "608.5 memory_bandwidth_gbps: 864 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.b", "", ""},
    {"chip L4 to DE", "6.1 row 14", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"L4\" kind: ITEM_KIND_IC tpp: 1936 die_area_mm2: "
     "294.5 memory_bandwidth_gbps: 300 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"chip L20 to DE", "6.1 row 15", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"L20\" kind: ITEM_KIND_IC tpp: 1912 die_area_mm2: "
     "608.5 memory_bandwidth_gbps: 864 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A991.p", "", ""},
    {"chip L2 to DE", "6.1 row 16", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"L2\" kind: ITEM_KIND_IC tpp: 1544 die_area_mm2: "
     "294.5 memory_bandwidth_gbps: 300 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A991.p", "", ""},
    {"chip GeForce RTX 4090 to DE", "1.3 / NV23 (non-datacenter, TPP >= 4800)", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"GeForce RTX 4090\" kind: ITEM_KIND_IC tpp: 5285 "
     "die_area_mm2: 608.5 memory_bandwidth_gbps: 1008 datacenter_marketed: false parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", ""},
    {"H100 SXM5 to CN: licence, Jan-2026 case-by-case window", "6.1 row 6; 1.7; 1.9", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: "
     "15831 die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { "
     "key: \"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a",
     "lic.ac.macau_d5,lic.ac.hq_macau_d5,pol.h200_window,rf.location_attestation", ""},
    {"H200 SXM to CN: licence, case-by-case window", "6.1 row 9; 1.9", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"H200 SXM\" kind: ITEM_KIND_IC tpp: "
     "15832 die_area_mm2: 814 memory_bandwidth_gbps: 4800 datacenter_marketed: true parameters { "
     "key: \"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.macau_d5,pol.h200_window", ""},
    {"H200 SXM to CN before the window: presumption of denial", "1.9", "2025-12-01",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"H200 SXM\" kind: ITEM_KIND_IC tpp: "
     "15832 die_area_mm2: 814 memory_bandwidth_gbps: 4800 datacenter_marketed: true parameters { "
     "key: \"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.macau_d5", "pol.h200_window"},
    {"B200 to CN: outside the window", "6.1 row 11; 1.9", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"B200\" kind: ITEM_KIND_IC tpp: 36000 "
     "die_area_mm2: 1628 memory_bandwidth_gbps: 8000 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 1800 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.macau_d5", "pol.h200_window"},
    {"H100 reexport from SG to CN: no window", "1.9", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: "
     "15831 die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { "
     "key: \"interconnect_gbps\" value: 900 } quantity: 8 } export_country: \"SG\"",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.macau_d5", "pol.h200_window"},
    {"H20 to CN after the is-informed letter", "6.1 row 10; 1.13", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"H20\" kind: ITEM_KIND_IC tpp: 2368 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 4000 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A991.p", "lic.is_informed.h20", ""},
    {"H20 to CN before the is-informed letter", "6.1 row 10; 1.13", "2025-03-01",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"H20\" kind: ITEM_KIND_IC tpp: 2368 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 4000 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A991.p", "", "lic.is_informed.h20"},
    {"L20 to CN: below thresholds", "6.1 row 15", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"L20\" kind: ITEM_KIND_IC tpp: 1912 "
     "die_area_mm2: 608.5 memory_bandwidth_gbps: 864 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A991.p", "", ""},
    {"RTX 4090 (non-datacenter) to CN: licence, NAC available", "1.3; 1.8", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"GeForce RTX 4090\" kind: ITEM_KIND_IC "
     "tpp: 5285 die_area_mm2: 608.5 memory_bandwidth_gbps: 1008 datacenter_marketed: false "
     "parameters { key: \"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.macau_d5,lex.nac", ""},
    {"A30 to VN (D:1): licence, ACA available", "1.7; 1.8", "2026-07-23",
     "destination_country: \"VN\" parties { role: PARTY_ROLE_END_USER name: \"Example Data VN\" "
     "country: \"VN\" } items { description: \"A30\" kind: ITEM_KIND_IC tpp: 2640 die_area_mm2: "
     "826 memory_bandwidth_gbps: 933 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 200 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.b", "lic.ac.d1_d4,lex.aca", "lic.ac.macau_d5"},
    {"H100 to SA (D:4): licence, no ACA for datacenter .a", "1.7; NV23", "2026-07-23",
     "destination_country: \"SA\" parties { role: PARTY_ROLE_END_USER name: \"Example Data SA\" "
     "country: \"SA\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.d1_d4", "lex.aca"},
    {"L4 to IL (D:4 but A:6): no licence", "1.7", "2026-07-23",
     "destination_country: \"IL\" parties { role: PARTY_ROLE_END_USER name: \"Example Lab IL\" "
     "country: \"IL\" } items { description: \"L4\" kind: ITEM_KIND_IC tpp: 1936 die_area_mm2: "
     "294.5 memory_bandwidth_gbps: 300 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } ",
     v1::DECISION_CLEAR, "3A090.a", "", "lic.ac.d1_d4"},
    {"H100 to DE for a party whose ultimate parent is in CN", "1.7(b) HQ rule; BIS 2026-05-31",
     "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud Europe "
     "GmbH\" country: \"DE\" headquarters_country: \"DE\" ultimate_parent_name: \"Example "
     "Holdings\" ultimate_parent_country: \"CN\" } items { description: \"H100 SXM5\" kind: "
     "ITEM_KIND_IC tpp: 15831 die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: "
     "true parameters { key: \"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.hq_macau_d5", "lic.ac.macau_d5"},
    {"H100 to Macau", "3.4; 1.7", "2026-07-23",
     "destination_country: \"MO\" parties { role: PARTY_ROLE_END_USER name: \"Example Macau Ltd\" "
     "country: \"MO\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.macau_d5", ""},
    {"H100 to Hong Kong (treated as CN)", "3.4", "2026-07-23",
     "destination_country: \"HK\" parties { role: PARTY_ROLE_END_USER name: \"Example HK Ltd\" "
     "country: \"HK\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.macau_d5", ""},
    {"H100 to the UAE (UNCERTAIN, conservative)", "1.7; 7.1", "2026-07-23",
     "destination_country: \"AE\" parties { role: PARTY_ROLE_END_USER name: \"Example AI LLC\" "
     "country: \"AE\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.a", "lic.ac.uae,rf.transshipment_hub", ""},
    {"H100 to SG: transshipment hub review", "5.3", "2026-07-23",
     "destination_country: \"SG\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud Pte "
     "Ltd\" country: \"SG\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_REVIEW, "3A090.a", "rf.transshipment_hub", ""},
    {"H100 to DE with location attestation: fast path", "III.1", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } location_attestation { provided: true "
     "verifier: \"vendor\" }",
     v1::DECISION_CLEAR, "3A090.a", "fp.allied_full_stack", ""},
    {"Huawei Ascend 910B (PRC-designed) to DE: GP10 red flag", "1.12.1", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"Ascend 910B\" kind: ITEM_KIND_IC tpp: 5120 "
     "die_area_mm2: 665 datacenter_marketed: true features: \"prc_designed\" quantity: 4 } ",
     v1::DECISION_REVIEW, "3A090.a", "rf.gp10_prc_chip", ""},
    {"S1 HGX H100 8-GPU server to DE", "6.2 S1", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_COMPUTER tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 1 } ",
     v1::DECISION_CLEAR, "4A090.a", "", ""},
    {"S1 HGX H100 8-GPU server to CN", "6.2 S1", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_COMPUTER "
     "tpp: 15831 die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true "
     "parameters { key: \"interconnect_gbps\" value: 900 } quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "4A090.a", "lic.ac.macau_d5", ""},
    {"S1 DGX H100 as mass-market encryption item", "6.2 S1", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_COMPUTER tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 1 features: \"mass_market_encryption\" } ",
     v1::DECISION_CLEAR, "5A992.z.1", "", ""},
    {"S2 HGX H20 server to CN: 4A994.l, is-informed licence", "6.2 S2", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"H20\" kind: ITEM_KIND_COMPUTER tpp: "
     "2368 die_area_mm2: 814 memory_bandwidth_gbps: 4000 datacenter_marketed: true parameters { "
     "key: \"interconnect_gbps\" value: 900 } quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "4A994.l", "lic.is_informed.h20", ""},
    {"S3 server with 8 x L40", "6.2 S3", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"L40\" kind: ITEM_KIND_COMPUTER tpp: 2896 "
     "die_area_mm2: 608.5 memory_bandwidth_gbps: 864 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 1 } ",
     v1::DECISION_CLEAR, "4A090.b", "", ""},
    {"S3 server with 8 x L40, mass-market encryption, to CN", "6.2 S3; 1.5", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"L40\" kind: ITEM_KIND_COMPUTER tpp: "
     "2896 die_area_mm2: 608.5 memory_bandwidth_gbps: 864 datacenter_marketed: true parameters { "
     "key: \"interconnect_gbps\" value: 64 } quantity: 1 features: \"mass_market_encryption\" } ",
     v1::DECISION_LICENSE_REQUIRED, "5A992.z.2", "lic.ac.macau_d5,lex.nac", ""},
    {"HBM3E stack to CN", "1.4", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"HBM3E 12-high stack\" kind: "
     "ITEM_KIND_HBM memory_bandwidth_gbps: 1229 parameters { key: \"memory_bandwidth_density\" "
     "value: 10.2 } quantity: 100 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.c", "lic.ac.hbm", "lex.hbm"},
    {"Low-density HBM to CN: License Exception HBM offered (UNCERTAIN threshold)", "1.4",
     "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"HBM2 stack\" kind: ITEM_KIND_HBM "
     "memory_bandwidth_gbps: 307 parameters { key: \"memory_bandwidth_density\" value: 3.0 } "
     "quantity: 100 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090.c", "lic.ac.hbm,lex.hbm", ""},
    {"HBM3E stack to DE", "1.4", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"HBM3E 12-high stack\" kind: ITEM_KIND_HBM "
     "memory_bandwidth_gbps: 1229 parameters { key: \"memory_bandwidth_density\" value: 10.2 } "
     "quantity: 100 } ",
     v1::DECISION_CLEAR, "3A090.c", "", "lic.ac.hbm"},
    {"SME E1 to CN", "6.3 E1", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"ASML NXE:3600D EUV scanner\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"light_source_nm\" value: 13.5 } features: "
     "\"lithography\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.f.1.a", "lic.sme.macau_d5,rf.advanced_node_fab_sme", ""},
    {"SME E2 to CN", "6.3 E2", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"ASML TWINSCAN NXT:2000i\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"light_source_nm\" value: 193 } parameters { key: "
     "\"mrf_nm\" value: 38 } parameters { key: \"dco_nm\" value: 1.3 } features: \"lithography\" "
     "features: \"immersion\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.f.1.b", "lic.sme.macau_d5,rf.advanced_node_fab_sme", ""},
    {"SME E3 to CN", "6.3 E3", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"ASML TWINSCAN NXT:1980Di\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"light_source_nm\" value: 193 } parameters { key: "
     "\"mrf_nm\" value: 38 } parameters { key: \"dco_nm\" value: 1.6 } features: \"lithography\" "
     "features: \"immersion\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B993.f.1", "lic.sme.rs_a11,rf.advanced_node_fab_sme", ""},
    {"SME E5 to CN", "6.3 E5", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"DUV immersion overlay retrofit kit\" kind: "
     "ITEM_KIND_SME_UPGRADE_KIT parameters { key: \"dco_nm\" value: 1.4 } features: "
     "\"duv_immersion_enhancement\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.f.6", "lic.sme.macau_d5,rf.advanced_node_fab_sme", ""},
    {"SME E6 to CN", "6.3 E6", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"ArFi throughput upgrade package\" kind: "
     "ITEM_KIND_SME_UPGRADE_KIT parameters { key: \"throughput_gain_percent\" value: 5 } features: "
     "\"throughput_upgrade\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B993.f.3", "lic.sme.rs_a11,rf.advanced_node_fab_sme", ""},
    {"SME E7 pellicle to CN", "6.3 E7", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"EUV pellicle\" kind: ITEM_KIND_MATERIAL  "
     "features: \"euv_pellicle\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.l", "lic.sme.macau_d5,rf.advanced_node_fab_sme", ""},
    {"SME E7 mask blank to CN", "6.3 E7", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"EUV mask blank\" kind: ITEM_KIND_MATERIAL  "
     "features: \"euv_mask_blank\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.j", "lic.ns2", ""},
    {"SME E7 mask to CN", "6.3 E7", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"Patterned EUV mask\" kind: "
     "ITEM_KIND_MATERIAL  features: \"euv_mask\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.q", "lic.sme.worldwide,rf.advanced_node_fab_sme", ""},
    {"SME E8 to CN", "6.3 E8", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"EUV resist track\" kind: ITEM_KIND_SME_TOOL  "
     "features: \"euv_resist_track\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.n", "lic.sme.macau_d5,rf.advanced_node_fab_sme", ""},
    {"SME E9 to CN", "6.3 E9", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"EUV pattern shaping tool\" kind: "
     "ITEM_KIND_SME_TOOL  features: \"euv_pattern_shaping\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.r", "lic.sme.macau_d5,rf.advanced_node_fab_sme", ""},
    {"SME E10 to CN", "6.3 E10", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"Selective SiGe isotropic etch\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"sige_selectivity\" value: 150 } features: "
     "\"isotropic_dry_etch\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.c.1.a",
     "lic.sme.worldwide,lic.sme.macau_d5,rf.advanced_node_fab_sme", ""},
    {"SME E11 to CN", "6.3 E11", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"Pulsed-RF anisotropic etch\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"gas_switch_ms\" value: 200 } parameters { key: "
     "\"esc_zones\" value: 24 } features: \"anisotropic_dry_etch\" features: \"pulsed_rf\" "
     "quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.c.1.c", "lic.sme.worldwide,rf.advanced_node_fab_sme",
     ""},
    {"SME E4 ArF dry to CN: no list-based licence", "6.3 E4", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"ASML TWINSCAN NXT:1470 (ArF dry)\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"light_source_nm\" value: 193 } parameters { key: "
     "\"mrf_nm\" value: 57 } features: \"lithography\" quantity: 1 } ",
     v1::DECISION_CLEAR, "3B991", "", ""},
    {"SME E4 ArF dry to an advanced-node fab in CN", "6.3 E4; 2.5", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"ASML TWINSCAN NXT:1470 (ArF dry)\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"light_source_nm\" value: 193 } parameters { key: "
     "\"mrf_nm\" value: 57 } features: \"lithography\" quantity: 1 } end_use_codes: "
     "\"advanced_node_ic_production\"",
     v1::DECISION_LICENSE_REQUIRED, "3B991", "lic.enduse.advanced_node_fab", ""},
    {"SME E4 ArF dry to a CN fab of unknown node", "2.5 (a)(2)(ii)", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"ASML TWINSCAN NXT:1470 (ArF dry)\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"light_source_nm\" value: 193 } parameters { key: "
     "\"mrf_nm\" value: 57 } features: \"lithography\" quantity: 1 } end_use_codes: "
     "\"ic_production_unknown_node\"",
     v1::DECISION_LICENSE_REQUIRED, "3B991", "lic.enduse.unknown_node_fab", ""},
    {"SME E10 to DE: worldwide licence", "6.3 E10", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"Selective SiGe isotropic etch\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"sige_selectivity\" value: 150 } features: "
     "\"isotropic_dry_etch\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.c.1.a", "lic.sme.worldwide", "lex.iec"},
    {"SME E10 to JP: IEC offered (UNCERTAIN country list)", "6.3 E10; 2.2", "2026-07-23",
     "destination_country: \"JP\" parties { role: PARTY_ROLE_END_USER name: \"Example Fab KK\" "
     "country: \"JP\" } items { description: \"Selective SiGe isotropic etch\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"sige_selectivity\" value: 150 } features: "
     "\"isotropic_dry_etch\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B001.c.1.a", "lic.sme.worldwide,lex.iec", ""},
    {"SME E11 etch before the Sept 2024 rule", "6.3 E11; 0", "2024-06-01",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"Pulsed-RF anisotropic etch\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"gas_switch_ms\" value: 200 } parameters { key: "
     "\"esc_zones\" value: 24 } features: \"anisotropic_dry_etch\" features: \"pulsed_rf\" "
     "quantity: 1 } ",
     v1::DECISION_CLEAR, "", "", "lic.sme.worldwide"},
    {"3B993.c.3 etch (500 ms / 10 zones band) to CN", "2.1", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"Pulsed-RF etch, slower gas switching\" kind: "
     "ITEM_KIND_SME_TOOL parameters { key: \"gas_switch_ms\" value: 400 } parameters { key: "
     "\"esc_zones\" value: 12 } features: \"anisotropic_dry_etch\" features: \"pulsed_rf\" "
     "quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B993.c.3", "lic.sme.rs_a11", ""},
    {"3D993.b multipatterning ECAD to CN", "2.1", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"Multipatterning ECAD suite\" kind: "
     "ITEM_KIND_SOFTWARE  features: \"multipatterning_ecad\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3D993.b", "lic.sme.rs_a11", ""},
    {"3D993.c computational lithography to CN", "2.1", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"Computational lithography\" kind: "
     "ITEM_KIND_SOFTWARE  features: \"computational_lithography\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3D993.c", "lic.sme.rs_a11", ""},
    {"3D993.d throughput software to CN", "2.1", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"Scanner throughput software\" kind: "
     "ITEM_KIND_SOFTWARE  features: \"throughput_software\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3D993.d", "lic.sme.rs_a11", ""},
    {"3B993.f.4 DUV add-on to CN", "2.8", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Foundry Co., "
     "Ltd.\" country: \"CN\" } items { description: \"DUV overlay add-on\" kind: "
     "ITEM_KIND_SME_SUBSYSTEM parameters { key: \"dco_nm\" value: 2.0 } features: "
     "\"duv_immersion_enhancement\" quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "3B993.f.4", "lic.sme.rs_a11", ""},
    {"A10 to CN for a supercomputer", "2.5 (a)(1)", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"A10\" kind: ITEM_KIND_IC tpp: 2000 "
     "die_area_mm2: 628.4 memory_bandwidth_gbps: 600 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } end_use_codes: \"supercomputer\"",
     v1::DECISION_LICENSE_REQUIRED, "3A991.p", "lic.enduse.supercomputer", ""},
    {"A10 to CN for SME production", "2.5 (a)(4)", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Computing "
     "Co., Ltd.\" country: \"CN\" } items { description: \"A10\" kind: ITEM_KIND_IC tpp: 2000 "
     "die_area_mm2: 628.4 memory_bandwidth_gbps: 600 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 64 } quantity: 8 } end_use_codes: "
     "\"sme_development_production\"",
     v1::DECISION_LICENSE_REQUIRED, "3A991.p", "lic.enduse.sme_production", ""},
    {"EAR99 item to RU for a military end use", "3.2 (744.21)", "2026-07-23",
     "destination_country: \"RU\" parties { role: PARTY_ROLE_END_USER name: \"Example Defence "
     "LLC\" country: \"RU\" } items { description: \"office furniture\" kind: ITEM_KIND_OTHER "
     "quantity: 1 } end_use_codes: \"military\"",
     v1::DECISION_LICENSE_REQUIRED, "", "lic.enduse.military", ""},
    {"EAR99 item to IR (E:1)", "4 (E:1)", "2026-07-23",
     "destination_country: \"IR\" parties { role: PARTY_ROLE_END_USER name: \"Example Trading "
     "Tehran\" country: \"IR\" } items { description: \"office furniture\" kind: ITEM_KIND_OTHER "
     "quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "lic.embargo.e1_e2", ""},
    {"H100 to DE for IaaS training for a D:5-HQ'd customer", "1.12.2", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC tpp: 15831 "
     "die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true parameters { key: "
     "\"interconnect_gbps\" value: 900 } quantity: 8 } end_use_codes: \"iaas_ai_training_d5_hq\"",
     v1::DECISION_REVIEW, "3A090.a", "lic.ac.iaas_training_d5", ""},
    {"H20 x 200 to a 1-year-old company at a residential address in MY", "1.12.3; 5.3",
     "2026-07-23",
     "destination_country: \"MY\" parties { role: PARTY_ROLE_END_USER name: \"Example Tech Sdn "
     "Bhd\" country: \"MY\" address { street: \"12 Jalan Example\" country: \"MY\" kind: "
     "ADDRESS_KIND_RESIDENTIAL } incorporated_year: 2026 } items { description: \"H20\" kind: "
     "ITEM_KIND_IC tpp: 2368 die_area_mm2: 814 memory_bandwidth_gbps: 4000 datacenter_marketed: "
     "true parameters { key: \"interconnect_gbps\" value: 900 } quantity: 200 } ",
     v1::DECISION_REVIEW, "3A991.p",
     "rf.transshipment_hub,rf.shell_consignee,rf.quantity_residential,rf.quantity_new_company", ""},
    {"H100 consigned to a freight forwarder", "5.3 (classic RF)", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Cloud GmbH\" "
     "country: \"DE\" } parties { role: PARTY_ROLE_INTERMEDIATE_CONSIGNEE name: \"Example "
     "Forwarding GmbH\" country: \"DE\" address { country: \"DE\" kind: "
     "ADDRESS_KIND_FREIGHT_FORWARDER } } items { description: \"H100 SXM5\" kind: ITEM_KIND_IC "
     "tpp: 15831 die_area_mm2: 814 memory_bandwidth_gbps: 3350 datacenter_marketed: true "
     "parameters { key: \"interconnect_gbps\" value: 900 } quantity: 8 } ",
     v1::DECISION_REVIEW, "3A090.a", "rf.freight_forwarder_consignee", ""},
    {"P1 Huawei Technologies", "6.4 P1", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Huawei Technologies "
     "Co., Ltd.\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "pl.el.all_items,pl.el.fn1", ""},
    {"P2 Huawei Technologies Cooperatief (NL)", "6.4 P2", "2026-07-23",
     "destination_country: \"NL\" parties { role: PARTY_ROLE_END_USER name: \"Huawei Technologies "
     "Cooperatief U.A.\" country: \"NL\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "pl.el.all_items,pl.el.fn1", ""},
    {"P3 SMIC", "6.4 P3", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Semiconductor "
     "Manufacturing International Corporation\" country: \"CN\" } items { description: \"office "
     "furniture\" kind: ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "pl.el.all_items,pl.el.fn5", ""},
    {"P8 YMTC", "6.4 P8", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Yangtze Memory "
     "Technologies Co., Ltd.\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "pl.el.all_items", "pl.el.fn5"},
    {"P10 Naura (alias)", "6.4 P10", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Northern Huachuang\" "
     "country: \"CN\" } items { description: \"office furniture\" kind: ITEM_KIND_OTHER quantity: "
     "1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "pl.el.all_items", ""},
    {"BAAI (footnote 4)", "3.1 FN4; 90 FR 14046", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Beijing Academy of "
     "Artificial Intelligence\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "pl.el.all_items,pl.el.fn4", ""},
    {"Denied person", "3.2 DPL", "2026-07-23",
     "destination_country: \"AE\" parties { role: PARTY_ROLE_END_USER name: \"Example Denied "
     "Exporter Ltd\" country: \"AE\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_PROHIBITED, "", "pl.dpl", ""},
    {"Unverified List party", "3.2 UVL", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Unverified "
     "Trading Co\" country: \"HK\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_REVIEW, "", "pl.uvl", ""},
    {"Military End-User List party", "3.2 MEU", "2026-07-23",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Aviation "
     "Industry Institute\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "pl.meu", ""},
    {"SDN party", "3.2 SDN", "2026-07-23",
     "destination_country: \"AE\" parties { role: PARTY_ROLE_END_USER name: \"Example Sanctioned "
     "Shipping LLC\" country: \"AE\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_PROHIBITED, "", "pl.sdn", ""},
    {"Other-list party (ISN)", "3.2", "2026-07-23",
     "destination_country: \"DE\" parties { role: PARTY_ROLE_END_USER name: \"Example Proliferator "
     "Co\" country: \"CN\" } items { description: \"office furniture\" kind: ITEM_KIND_OTHER "
     "quantity: 1 } ",
     v1::DECISION_REVIEW, "", "pl.other_lists", ""},
    {"Affiliate 60 % owned by Huawei, rule in force", "3.3", "2025-10-15",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Huawei Example "
     "Subsidiary Ltd\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "",
     "own.affiliates_50,pl.el.all_items,pl.el.fn1,rf.affiliation", ""},
    {"Affiliate 60 % owned by Huawei, rule suspended", "3.3", "2026-01-15",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Huawei Example "
     "Subsidiary Ltd\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_REVIEW, "", "rf.affiliation", "pl.el.all_items"},
    {"Affiliate 60 % owned by Huawei, suspension over", "3.3; 7.6", "2026-12-01",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Huawei Example "
     "Subsidiary Ltd\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "own.affiliates_50,pl.el.all_items", ""},
    {"Affiliate before the rule existed", "3.3", "2025-06-01",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Huawei Example "
     "Subsidiary Ltd\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_CLEAR, "", "", "rf.affiliation"},
    {"Aggregate 30 % + 25 % by SMIC and Huawei", "3.3 (aggregate)", "2025-10-15",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Joint "
     "Venture Semiconductor Co\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_LICENSE_REQUIRED, "", "own.affiliates_50,pl.el.fn5,pl.el.fn1", ""},
    {"Minority 30 % owned by SMIC: red flag only", "3.3 (significant minority)", "2025-10-15",
     "destination_country: \"CN\" parties { role: PARTY_ROLE_END_USER name: \"Example Minority "
     "Packaging Co\" country: \"CN\" } items { description: \"office furniture\" kind: "
     "ITEM_KIND_OTHER quantity: 1 } ",
     v1::DECISION_REVIEW, "", "rf.affiliation", "own.affiliates_50"},
    // Reference 1.6: the October 2022 test (both prongs) and its licence
    // scope (China; Macau from January 2023), for historical dates.
    {"A100 to CN under the October 2022 test", "1.6", "2023-03-01",
     "destination_country: \"CN\" as_of_date: \"2023-03-01\" parties { role: PARTY_ROLE_END_USER "
     "name: \"Example Cloud Co\" country: \"CN\" } items { description: \"A100 SXM4 80GB\" kind: "
     "ITEM_KIND_IC tpp: 4992 die_area_mm2: 826 memory_bandwidth_gbps: 2039 datacenter_marketed: "
     "true parameters { key: \"interconnect_gbps\" value: 600 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090", "lic.ac.2022.china", "lic.ac.macau_d5"},
    {"A800 to CN under the October 2022 test (400 GB/s: escaped)", "1.6", "2023-03-01",
     "destination_country: \"CN\" as_of_date: \"2023-03-01\" parties { role: PARTY_ROLE_END_USER "
     "name: \"Example Cloud Co\" country: \"CN\" } items { description: \"A800 SXM 80GB\" kind: "
     "ITEM_KIND_IC tpp: 4992 die_area_mm2: 826 memory_bandwidth_gbps: 2039 datacenter_marketed: "
     "true parameters { key: \"interconnect_gbps\" value: 400 } quantity: 8 } ",
     v1::DECISION_CLEAR, "", "", "lic.ac.2022.china,lic.ac.macau_d5"},
    {"A100 to Macau under the October 2022 test", "1.6", "2023-06-01",
     "destination_country: \"MO\" as_of_date: \"2023-06-01\" parties { role: PARTY_ROLE_END_USER "
     "name: \"Example Cloud Co\" country: \"MO\" } items { description: \"A100 SXM4 80GB\" kind: "
     "ITEM_KIND_IC tpp: 4992 die_area_mm2: 826 memory_bandwidth_gbps: 2039 datacenter_marketed: "
     "true parameters { key: \"interconnect_gbps\" value: 600 } quantity: 8 } ",
     v1::DECISION_LICENSE_REQUIRED, "3A090", "lic.ac.2022.macau", "lic.ac.2022.china"},
};

// Listed parties the party cases assume (v1::ListedEntity text format, one
// per element). Names as listed in the CSL of 2026-07-31 where real.
inline constexpr const char* kWorkedCaseEntities[] = {
    R"pb(entity_id: "EL:huawei-technologies" list: "EL" primary_name: "Huawei Technologies Co., Ltd." countries: "CN" el_footnotes: [1, 2] license_requirement: "For all items subject to the EAR (see 734.9(e)(1) and 744.11)" license_policy: "Presumption of denial" federal_register_citations: "84 FR 22963")pb",
    R"pb(entity_id: "EL:huawei-cooperatief" list: "EL" primary_name: "Huawei Technologies Cooperatief U.A." countries: "NL" el_footnotes: [1] license_requirement: "For all items subject to the EAR" license_policy: "Presumption of denial" federal_register_citations: "84 FR 22963")pb",
    R"pb(entity_id: "EL:smic" list: "EL" primary_name: "Semiconductor Manufacturing International Corporation" aliases { name: "SMIC" } countries: "CN" el_footnotes: [5] license_requirement: "For all items subject to the EAR (see 734.4(a)(9), 734.9(e)(3) and 744.11)" license_policy: "Presumption of denial" federal_register_citations: "85 FR 83420" federal_register_citations: "89 FR 96837")pb",
    R"pb(entity_id: "EL:ymtc" list: "EL" primary_name: "Yangtze Memory Technologies Co., Ltd." aliases { name: "YMTC" } countries: "CN" license_requirement: "For all items subject to the EAR" license_policy: "Presumption of denial" federal_register_citations: "87 FR 77508")pb",
    R"pb(entity_id: "EL:naura" list: "EL" primary_name: "Naura Technology Group Co., Ltd." aliases { name: "Northern Huachuang" } countries: "CN" license_requirement: "For all items subject to the EAR" license_policy: "Presumption of denial" federal_register_citations: "89 FR 96837")pb",
    R"pb(entity_id: "EL:baai" list: "EL" primary_name: "Beijing Academy of Artificial Intelligence" aliases { name: "BAAI" } countries: "CN" el_footnotes: [4] license_requirement: "For all items subject to the EAR (see 734.9(e)(2) and 744.11)" license_policy: "Presumption of denial" federal_register_citations: "90 FR 14046")pb",
    R"pb(entity_id: "DPL:example-denied" list: "DPL" primary_name: "Example Denied Exporter Ltd" countries: "AE")pb",
    R"pb(entity_id: "UVL:example-unverified" list: "UVL" primary_name: "Example Unverified Trading Co" countries: "CN")pb",
    R"pb(entity_id: "MEU:example-meu" list: "MEU" primary_name: "Example Aviation Industry Institute" countries: "CN")pb",
    R"pb(entity_id: "SDN:example-sdn" list: "SDN" primary_name: "Example Sanctioned Shipping LLC" countries: "AE")pb",
    R"pb(entity_id: "ISN:example-isn" list: "ISN" primary_name: "Example Proliferator Co" countries: "CN")pb",
};

// Ownership links the affiliate cases assume (v1::OwnershipLink text format);
// the same links are in seeds/ownership.jsonl.
inline constexpr const char* kWorkedCaseOwnership[] = {
    R"pb(owner_entity_id: "EL:huawei-technologies" owner_name: "Huawei Technologies Co., Ltd." owned_name: "Huawei Example Subsidiary Ltd" owned_country: "CN" percent: 60 source: "ILLUSTRATIVE test link, not a real ownership fact")pb",
    R"pb(owner_entity_id: "EL:smic" owner_name: "Semiconductor Manufacturing International Corporation" owned_name: "Example Joint Venture Semiconductor Co" owned_country: "CN" percent: 30 source: "ILLUSTRATIVE test link, not a real ownership fact")pb",
    R"pb(owner_entity_id: "EL:huawei-technologies" owner_name: "Huawei Technologies Co., Ltd." owned_name: "Example Joint Venture Semiconductor Co" owned_country: "CN" percent: 25 source: "ILLUSTRATIVE test link, not a real ownership fact")pb",
    R"pb(owner_entity_id: "EL:smic" owner_name: "Semiconductor Manufacturing International Corporation" owned_name: "Example Minority Packaging Co" owned_country: "CN" percent: 30 source: "ILLUSTRATIVE test link, not a real ownership fact")pb",
};

}  // namespace exportscreen::testing

#endif  // EXPORTSCREEN_TESTS_TESTING_WORKED_CASES_H_
