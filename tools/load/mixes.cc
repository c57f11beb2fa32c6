#include "tools/load/mixes.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"

namespace exportscreen::load {
namespace {

const char* const kNames[] = {"Huawei Technologies Co Ltd",
                              "Rheinland Engineering Simulation GmbH",
                              "Semiconductor Manufacturing International Corp",
                              "Kansai Research Computing Center K.K.",
                              "Bright Star Global Trading Sdn Bhd",
                              "Mahan Air",
                              "Acme Precision Optics Ltd",
                              "Shenzhen Longhua Electronics Trading Co"};
const char* const kDests[] = {"CN", "DE", "JP", "MY", "SG", "NL", "US", "AE"};

void AddParties(int i, int n, v1::ScreenRequest* r) {
  for (int p = 0; p < n; ++p) {
    auto* party = r->add_parties();
    party->set_role(p ? v1::PARTY_ROLE_END_USER : v1::PARTY_ROLE_ULTIMATE_CONSIGNEE);
    party->set_name(kNames[(i + p * 3) % 8]);
    party->set_country(kDests[i % 8]);
  }
}

void AddChip(int i, v1::ScreenRequest* r) {
  auto* item = r->add_items();
  item->set_kind(v1::ITEM_KIND_IC);
  item->set_tpp(i % 2 ? 15831 : 1300);
  item->set_die_area_mm2(814);
  item->set_datacenter_marketed(i % 2 == 1);
  item->set_quantity(4);
}

}  // namespace

std::vector<v1::ScreenRequest> TypicalMix() {
  std::vector<v1::ScreenRequest> out;
  for (int i = 0; i < 64; ++i) {
    v1::ScreenRequest r;
    r.set_request_id(absl::StrCat("load-", i));
    r.set_destination_country(kDests[i % 8]);
    AddParties(i, 2, &r);
    AddChip(i, &r);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<v1::ScreenRequest> HeavyMix() {
  std::vector<v1::ScreenRequest> out;
  for (int i = 0; i < 16; ++i) {
    v1::ScreenRequest r;
    r.set_request_id(absl::StrCat("heavy-", i));
    r.set_destination_country(kDests[i % 8]);
    AddParties(i, 4, &r);
    for (int k = 0; k < 10; ++k) {
      switch (k % 4) {
        case 0:
        case 1:
          AddChip(i + k, &r);
          break;
        case 2: {
          auto* item = r.add_items();
          item->set_kind(v1::ITEM_KIND_SME_SUBSYSTEM);
          item->set_description("EUV light source collector subsystem");
          item->set_quantity(1);
          break;
        }
        default: {
          auto* item = r.add_items();
          item->set_kind(v1::ITEM_KIND_OTHER);
          item->set_description("Ethernet cable assembly");
          item->set_quantity(100);
        }
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<v1::ScreenRequest>> RequestsFromPath(const std::string& path) {
  std::vector<v1::ScreenRequest> out;
  auto parse = [&](const std::string& text, const std::string& where) -> absl::Status {
    v1::ScreenRequest r;
    auto s = google::protobuf::util::JsonStringToMessage(text, &r);
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", s.ToString()));
    out.push_back(std::move(r));
    return absl::OkStatus();
  };
  if (std::filesystem::is_directory(path)) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(path)) {
      if (e.path().extension() == ".json") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f);
      std::stringstream text;
      text << in.rdbuf();
      if (auto s = parse(text.str(), f.string()); !s.ok()) return s;
    }
  } else {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      if (auto s = parse(line, absl::StrCat(path, ":", n)); !s.ok()) return s;
    }
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no requests"));
  return out;
}

absl::StatusOr<std::vector<v1::ScreenRequest>> Mix(const std::string& name) {
  if (name == "typical") return TypicalMix();
  if (name == "heavy") return HeavyMix();
  return RequestsFromPath(name);
}

}  // namespace exportscreen::load
