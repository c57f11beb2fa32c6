// Parses the real public lists in ES_LISTS_DIR (the repository's snapshot in
// seeds/lists/) and checks their known counts. A missing file FAILS the test
// (never a skip counted as a pass).
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/importers/import_util.h"
#include "services/store/importers.h"
#include "tests/store/importers/test_util.h"

namespace exportscreen::store {
namespace {

using testing::ExpectAccounted;
using testing::FindByName;
using testing::HasAlias;
using testing::ReadListFile;

// Loads files or fails the test.
#define LOAD_OR_FAIL(vec, ...)                                    \
  for (const char* path : {__VA_ARGS__}) {                        \
    ImportInput in;                                               \
    if (!ReadListFile(path, &in)) {                               \
      FAIL() << "missing " << testing::ListsDir() << "/" << path; \
    }                                                             \
    vec.push_back(std::move(in));                                 \
  }

std::map<std::string, int> CountByList(const ImportResult& r) {
  std::map<std::string, int> out;
  for (const auto& e : r.entities) ++out[e.list()];
  return out;
}

void ExpectUniqueIdsAndBasics(const ImportResult& r) {
  std::set<std::string> ids;
  for (const auto& e : r.entities) {
    EXPECT_TRUE(ids.insert(e.entity_id()).second) << e.entity_id();
    EXPECT_EQ(e.entity_id(), e.list() + ":" + e.source_id());
    EXPECT_FALSE(e.primary_name().empty());
    EXPECT_GT(e.source_line(), 0);
    for (const auto& c : e.countries()) {
      EXPECT_EQ(c.size(), 2u) << e.entity_id();
    }
  }
}

TEST(RealFilesTest, BisCsv) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "bis_csl_2026-07-31/bis_lists_from_csl_2026-07-31.csv");
  auto r = ParseListFiles("bis_csv", files);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAccounted(*r);
  ExpectUniqueIdsAndBasics(*r);
  EXPECT_TRUE(r->rejected.empty()) << testing::Reasons(*r);
  auto counts = CountByList(*r);
  EXPECT_EQ(counts["EL"], 3420);
  EXPECT_EQ(counts["DPL"], 1596);
  EXPECT_EQ(counts["UVL"], 222);
  EXPECT_EQ(counts["MEU"], 70);
  EXPECT_EQ(r->skipped_lines, 1);  // header
  EXPECT_TRUE(r->warnings.empty());
  const v1::ListedEntity* huawei = FindByName(*r, "Huawei Technologies Co., Ltd. (Huawei)");
  ASSERT_NE(huawei, nullptr);
  EXPECT_EQ(huawei->list(), "EL");
  EXPECT_THAT(std::vector<int>(huawei->el_footnotes().begin(), huawei->el_footnotes().end()),
              ::testing::ElementsAre(1, 2));
  EXPECT_THAT(huawei->federal_register_citations(), ::testing::Contains("84 FR 22963"));
  EXPECT_THAT(huawei->federal_register_citations(), ::testing::Contains("85 FR 51603"));
  EXPECT_TRUE(HasAlias(*huawei, "Huawei Technologies Co., Ltd.", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_TRUE(HasAlias(*huawei, "Huawei", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_TRUE(HasAlias(*huawei, "Shenzhen Huawei Technologies", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_THAT(huawei->countries(), ::testing::ElementsAre("CN"));
  EXPECT_EQ(huawei->license_policy(), "Presumption of denial");
  const v1::ListedEntity* affiliate =
      FindByName(*r,
                 "Huawei Technologies Co., Ltd. (Huawei). Affiliated Entity: Beijing "
                 "Huawei Longshine Information Technology Co., Ltd.");
  ASSERT_NE(affiliate, nullptr);
  EXPECT_TRUE(HasAlias(*affiliate,
                       "Beijing Huawei Longshine Information Technology Co., "
                       "Ltd.",
                       v1::ALIAS_STRENGTH_STRONG));
  EXPECT_FALSE(HasAlias(*affiliate, "Huawei", v1::ALIAS_STRENGTH_STRONG));
  // Footnotes parsed from the licence text agree with the file's own parse.
  int footnoted = 0;
  for (const auto& e : r->entities) footnoted += e.el_footnotes_size() > 0;
  EXPECT_EQ(footnoted, 766 + 156 + 95 + 16);
}

TEST(RealFilesTest, BisFootnoteParserAgreesWithFileColumn) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "bis_csl_2026-07-31/bis_lists_from_csl_2026-07-31.csv");
  auto r = ParseListFiles("bis_csv", files);
  ASSERT_TRUE(r.ok());
  int agree = 0, total = 0;
  for (const auto& e : r->entities) {
    if (e.list() != "EL") continue;
    ++total;
    auto parsed = importers::ParseElFootnotes(e.license_requirement());
    std::vector<int> column(e.el_footnotes().begin(), e.el_footnotes().end());
    agree += parsed == column;
  }
  EXPECT_EQ(agree, total);
}

TEST(RealFilesTest, CslTruncated) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "us_csl_2023-11_truncated/csl.csv");
  auto r = ParseListFiles("csl", files);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAccounted(*r);
  ExpectUniqueIdsAndBasics(*r);
  EXPECT_EQ(r->skipped_lines, 2);  // header twice
  ASSERT_FALSE(r->rejected.empty());
  EXPECT_EQ(r->rejected.back().file, "csl.csv");
  EXPECT_THAT(r->rejected.back().reason, ::testing::HasSubstr("truncated"));
  EXPECT_EQ(r->rejected.back().line, 4233);  // physical line (multi-line rows)
  EXPECT_EQ(r->rejected.size(), 1u) << testing::Reasons(*r);
  auto counts = CountByList(*r);
  EXPECT_EQ(counts["EL"], 919);
  EXPECT_EQ(counts["DPL"], 577);
  EXPECT_EQ(counts["UVL"], 186);
  EXPECT_EQ(counts["MEU"], 71);
  EXPECT_EQ(counts["ISN"], 144);
  EXPECT_EQ(counts["DTC"], 142);
  EXPECT_EQ(counts["SDN"], 1737);
  // SSI 288, PLC 78, CMIC 68, NS-MBS 14, FSE 1, CAP 1; 5 NS-MBS rows are
  // the same ent_num as an SSI row and are merged into it.
  EXPECT_EQ(counts["NONSDN"], 450 - 5);
  EXPECT_EQ(r->merged_rows, 5);
  const v1::ListedEntity* bank = testing::FindById(*r, "NONSDN:17014");
  ASSERT_NE(bank, nullptr);
  EXPECT_THAT(bank->programs(), ::testing::IsSupersetOf({"SSI", "NS-MBS"}));
  for (const auto& j : r->rejected)
    std::printf("csl rejected: %s:%lld %s\n", j.file.c_str(), static_cast<long long>(j.line),
                j.reason.c_str());
}

TEST(RealFilesTest, CslSample) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "us_csl_sample/consolidated.csv");
  auto r = ParseListFiles("csl", files);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAccounted(*r);
  EXPECT_EQ(r->entities.size(), 13u) << testing::Reasons(*r);
  for (const auto& e : r->entities) {
    if (e.list() == "MEU") {
      EXPECT_THAT(std::vector<int>(e.el_footnotes().begin(), e.el_footnotes().end()),
                  ::testing::IsEmpty());
    }
  }
}

TEST(RealFilesTest, Dpl) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "bis_dpl_2023-11/dpl.txt");
  auto r = ParseListFiles("dpl", files);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAccounted(*r);
  ExpectUniqueIdsAndBasics(*r);
  EXPECT_EQ(r->records_read, 666);  // header + 665 rows
  EXPECT_EQ(static_cast<int64_t>(r->entities.size()) + r->merged_rows +
                static_cast<int64_t>(r->rejected.size()),
            665);
  EXPECT_TRUE(r->rejected.empty()) << testing::Reasons(*r);
  const v1::ListedEntity* zimo = FindByName(*r, "ZIMO SHENG");
  ASSERT_NE(zimo, nullptr);
  EXPECT_EQ(zimo->addresses_size(), 2);
  EXPECT_EQ(zimo->start_date(), "2020-03-16");
  EXPECT_EQ(zimo->end_date(), "2028-12-13");
  EXPECT_THAT(zimo->countries(), ::testing::ElementsAre("US", "CN"));
  EXPECT_THAT(zimo->federal_register_citations(), ::testing::ElementsAre("85 FR 16054"));
  for (const auto& w : r->warnings) std::printf("dpl warning: %s\n", w.reason.c_str());
  std::printf("dpl: %zu entities, %lld merged rows\n", r->entities.size(),
              static_cast<long long>(r->merged_rows));
}

TEST(RealFilesTest, UnXml) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "un_consolidated_2026-02/UN_consolidated.xml");
  auto r = ParseListFiles("un_xml", files);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAccounted(*r);
  ExpectUniqueIdsAndBasics(*r);
  int persons = 0, orgs = 0, weak = 0;
  for (const auto& e : r->entities) {
    persons += e.type() == v1::ENTITY_TYPE_PERSON;
    orgs += e.type() == v1::ENTITY_TYPE_ORGANIZATION;
    for (const auto& a : e.aliases()) weak += a.strength() == v1::ALIAS_STRENGTH_WEAK;
    EXPECT_EQ(e.start_date().size(), 10u) << e.entity_id();
  }
  EXPECT_EQ(persons, 730);
  EXPECT_EQ(orgs, 273);
  EXPECT_GT(weak, 500);
  EXPECT_TRUE(r->rejected.empty()) << testing::Reasons(*r);
  for (const auto& w : r->warnings) std::printf("un warning: %s\n", w.reason.c_str());
  EXPECT_TRUE(r->warnings.empty());
  const v1::ListedEntity* e = testing::FindById(*r, "UN:6907993");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->primary_name(), "ERIC BADEGE");
  EXPECT_THAT(e->programs(), ::testing::ElementsAre("DRC"));
  EXPECT_EQ(e->start_date(), "2012-12-31");
  EXPECT_THAT(e->countries(), ::testing::ElementsAre("RW", "CD"));
}

TEST(RealFilesTest, OfacSdn2024) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "ofac_sdn_2024-05-03/sdn.csv");
  auto r = ParseListFiles("ofac_sdn", files);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAccounted(*r);
  ExpectUniqueIdsAndBasics(*r);
  EXPECT_EQ(r->entities.size(), 14965u);
  EXPECT_EQ(r->skipped_lines, 1);  // 0x1A
  EXPECT_TRUE(r->rejected.empty()) << testing::Reasons(*r);
  int counts[5] = {0, 0, 0, 0, 0};
  for (const auto& e : r->entities) ++counts[e.type()];
  EXPECT_EQ(counts[v1::ENTITY_TYPE_PERSON], 6854);
  EXPECT_EQ(counts[v1::ENTITY_TYPE_ORGANIZATION], 6884);
  EXPECT_EQ(counts[v1::ENTITY_TYPE_VESSEL], 851);
  EXPECT_EQ(counts[v1::ENTITY_TYPE_AIRCRAFT], 376);
  const v1::ListedEntity* bnc = testing::FindById(*r, "SDN:306");
  ASSERT_NE(bnc, nullptr);
  EXPECT_EQ(bnc->primary_name(), "BANCO NACIONAL DE CUBA");
  EXPECT_TRUE(HasAlias(*bnc, "BNC", v1::ALIAS_STRENGTH_WEAK));
  EXPECT_THAT(bnc->programs(), ::testing::ElementsAre("CUBA"));
}

TEST(RealFilesTest, OfacSdn2024WithPartialAltAdd) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "ofac_sdn_2024-05-03/sdn.csv", "ofac_sdn_2025-12_partial/alt.csv",
               "ofac_sdn_2025-12_partial/add.csv", "ofac_sdn_2025-12_partial/sdn_comments.csv");
  auto r = ParseListFiles("ofac_sdn", files);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAccounted(*r);
  EXPECT_EQ(r->entities.size(), 14965u);
  EXPECT_GT(r->rejected.size(), 0u);
  for (const auto& j : r->rejected) {
    ASSERT_THAT(j.reason, ::testing::HasSubstr("no primary record ent_num"));
    ASSERT_GT(j.line, 0);
  }
  EXPECT_EQ(r->merged_rows + static_cast<int64_t>(r->rejected.size()), 20107 + 24244 + 28);
  const v1::ListedEntity* bnc = testing::FindById(*r, "SDN:306");
  ASSERT_NE(bnc, nullptr);
  EXPECT_TRUE(HasAlias(*bnc, "NATIONAL BANK OF CUBA", v1::ALIAS_STRENGTH_STRONG));
  EXPECT_THAT(bnc->countries(), ::testing::IsSupersetOf({"CH", "ES", "JP"}));
  for (const auto& w : r->warnings) std::printf("ofac warning: %s\n", w.reason.c_str());
  EXPECT_TRUE(r->warnings.empty());
  std::printf("sdn+2025 alt/add: %zu entities, %lld merged, %zu rejected\n", r->entities.size(),
              static_cast<long long>(r->merged_rows), r->rejected.size());
}

TEST(RealFilesTest, OfacNonSdn) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "ofac_non_sdn_2025-12/cons_prim.csv", "ofac_non_sdn_2025-12/cons_alt.csv",
               "ofac_non_sdn_2025-12/cons_add.csv", "ofac_non_sdn_2025-12/cons_comments.csv");
  auto r = ParseListFiles("ofac_sdn", files);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAccounted(*r);
  EXPECT_EQ(r->entities.size(), 442u);
  for (const auto& e : r->entities) EXPECT_EQ(e.list(), "NONSDN");
  EXPECT_TRUE(r->rejected.empty()) << testing::Reasons(*r);
  EXPECT_EQ(r->merged_rows, 1073 + 574 + 10);
}

TEST(RealFilesTest, OfacPartialAloneIsInvalid) {
  std::vector<ImportInput> files;
  LOAD_OR_FAIL(files, "ofac_sdn_2025-12_partial/alt.csv");
  auto r = ParseListFiles("ofac_sdn", files);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("no primary file"));
}

// All real lists, timed (informational; the bar is well under 1 s).
TEST(RealFilesTest, AllListsTimed) {
  struct Job {
    const char* format;
    std::vector<const char*> paths;
  };
  const std::vector<Job> jobs = {
      {"bis_csv", {"bis_csl_2026-07-31/bis_lists_from_csl_2026-07-31.csv"}},
      {"csl", {"us_csl_2023-11_truncated/csl.csv"}},
      {"csl", {"us_csl_sample/consolidated.csv"}},
      {"dpl", {"bis_dpl_2023-11/dpl.txt"}},
      {"un_xml", {"un_consolidated_2026-02/UN_consolidated.xml"}},
      {"ofac_sdn",
       {"ofac_sdn_2024-05-03/sdn.csv", "ofac_sdn_2025-12_partial/alt.csv",
        "ofac_sdn_2025-12_partial/add.csv", "ofac_sdn_2025-12_partial/sdn_comments.csv"}},
      {"ofac_sdn",
       {"ofac_non_sdn_2025-12/cons_prim.csv", "ofac_non_sdn_2025-12/cons_alt.csv",
        "ofac_non_sdn_2025-12/cons_add.csv", "ofac_non_sdn_2025-12/cons_comments.csv"}},
  };
  std::vector<std::vector<ImportInput>> inputs;
  size_t bytes = 0;
  for (const Job& job : jobs) {
    std::vector<ImportInput> files;
    for (const char* p : job.paths) {
      ImportInput in;
      if (!ReadListFile(p, &in)) FAIL() << "missing " << testing::ListsDir() << "/" << p;
      bytes += in.content.size();
      files.push_back(std::move(in));
    }
    inputs.push_back(std::move(files));
  }
  const auto start = std::chrono::steady_clock::now();
  size_t entities = 0, rejected = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto r = ParseListFiles(jobs[i].format, inputs[i]);
    ASSERT_TRUE(r.ok()) << r.status();
    entities += r->entities.size();
    rejected += r->rejected.size();
    std::map<std::string, int> counts = CountByList(*r);
    std::string line;
    for (const auto& [list, n] : counts) line += list + "=" + std::to_string(n) + " ";
    std::printf("%-8s %-55s %s rejected=%zu merged=%lld skipped=%lld warnings=%zu\n",
                jobs[i].format, jobs[i].paths[0], line.c_str(), r->rejected.size(),
                static_cast<long long>(r->merged_rows), static_cast<long long>(r->skipped_lines),
                r->warnings.size());
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("all real lists: %.1f MB, %zu entities, %zu rejected, %.1f ms\n", bytes / 1e6,
              entities, rejected, ms);
  EXPECT_LT(ms, 5000);  // generous: shared 2-core machine, debug-ish builds
}

}  // namespace
}  // namespace exportscreen::store
