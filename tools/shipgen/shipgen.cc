// shipgen: writes a large, realistic, reproducible synthetic shipment list
// (the batch input of `screenctl batch`, CSV or JSONL) to stdout or --out.
//
// Most shipments go to ordinary customers in many countries (names built
// from place + sector + the country's legal form, e.g. "Rheinland Precision
// GmbH", "Osaka Semiconductor K.K."); a known fraction (--listed_rate) names
// a real listed party read from --names (entities.jsonl: primary names and
// aliases; or a plain file of one name per line), sometimes with a changed
// case or dropped punctuation, as customers write them. Items range from
// cables and laptops to AI accelerators and SME subsystems. --bad_rate adds
// malformed rows. Same --seed, same file. Single-threaded.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "exportscreen/v1/entities.pb.h"
#include "google/protobuf/util/json_util.h"

ABSL_FLAG(int64_t, lines, 1000, "data lines (CSV rows / JSONL requests) to write");
ABSL_FLAG(uint64_t, seed, 1, "random seed");
ABSL_FLAG(double, listed_rate, 0.01, "fraction of shipments naming a listed party");
ABSL_FLAG(double, bad_rate, 0.0, "fraction of malformed lines");
ABSL_FLAG(std::string, names, "seeds/entities.jsonl",
          "listed names: entities JSONL, or one name per line");
ABSL_FLAG(std::string, format, "csv", "csv | jsonl");
ABSL_FLAG(std::string, out, "-", "output file (- = stdout)");
ABSL_FLAG(int, max_rows, 3, "CSV: at most this many rows per shipment");

namespace {

struct Country {
  const char* code;
  const char* form;
  std::vector<const char*> places;
  int weight;
};

const std::vector<Country>& Countries() {
  static const auto* c = new std::vector<Country>{
      {"DE", "GmbH", {"Rheinland", "Bayern", "Hamburg", "Stuttgart", "Dresden"}, 14},
      {"JP", "K.K.", {"Osaka", "Kansai", "Tokyo", "Nagoya", "Sendai"}, 10},
      {"FR", "SAS", {"Lyon", "Grenoble", "Toulouse", "Bretagne"}, 7},
      {"GB", "Ltd", {"Cambridge", "Midlands", "Bristol", "Thames"}, 8},
      {"US", "Inc.", {"Austin", "Pacific", "Hudson", "Rocky Mountain", "Bay"}, 16},
      {"NL", "B.V.", {"Eindhoven", "Delft", "Holland"}, 5},
      {"KR", "Co., Ltd.", {"Seoul", "Pangyo", "Busan"}, 6},
      {"TW", "Co., Ltd.", {"Hsinchu", "Taichung", "Tainan"}, 6},
      {"IN", "Pvt Ltd", {"Bengaluru", "Pune", "Chennai"}, 6},
      {"BR", "Ltda", {"Campinas", "Sao Paulo", "Curitiba"}, 3},
      {"CA", "Inc.", {"Ontario", "Waterloo", "Montreal"}, 4},
      {"SG", "Pte. Ltd.", {"Jurong", "Marina", "Changi"}, 3},
      {"MY", "Sdn Bhd", {"Penang", "Kuala Lumpur", "Johor"}, 3},
      {"AE", "FZE", {"Jebel Ali", "Dubai Silicon Oasis"}, 2},
      {"CN", "Co., Ltd.", {"Hangzhou", "Suzhou", "Chengdu", "Wuxi", "Shenzhen"}, 7},
  };
  return *c;
}

const char* kSectors[] = {"Precision",
                          "Engineering",
                          "Semiconductor",
                          "Data Systems",
                          "Research Computing",
                          "Medical Imaging",
                          "Automotive Electronics",
                          "Cloud Services",
                          "Instruments",
                          "Robotics",
                          "Energy Systems",
                          "Photonics",
                          "Logistics",
                          "University Lab Supply"};

struct ItemSpec {
  const char* description;
  const char* kind;
  double tpp;  // 0 = unknown
  double die_area;
  const char* datacenter;  // "", "true", "false"
  const char* eccn;
  const char* part;
};

const std::vector<ItemSpec>& Items() {
  static const auto* items = new std::vector<ItemSpec>{
      {"Ethernet cable assembly 5m", "OTHER", 0, 0, "", "EAR99", "CAB-5M"},
      {"Laptop computer 14in", "COMPUTER", 0, 0, "", "5A992.c", "LT-14"},
      {"Workstation graphics card", "IC", 1300, 380, "false", "", "WS-GPU-A4"},
      {"Gaming graphics card", "IC", 2600, 608, "false", "", "GC-4090"},
      {"NVIDIA H100 SXM5 80GB", "IC", 15831, 814, "true", "3A090.a", "H100-SXM5"},
      {"NVIDIA H20", "IC", 2368, 814, "true", "", "H20"},
      {"AI accelerator card PCIe", "IC", 4800, 600, "true", "", "ACC-PCIE"},
      {"Rack server 2U with 8 accelerators", "COMPUTER", 126648, 6512, "true", "4A090.a", "SRV-8X"},
      {"Oscilloscope 1 GHz", "OTHER", 0, 0, "", "EAR99", "OSC-1G"},
      {"Industrial PLC controller", "OTHER", 0, 0, "", "EAR99", "PLC-300"},
      {"DUV immersion overlay retrofit kit", "SME_UPGRADE_KIT", 0, 0, "", "", "DUV-KIT"},
      {"Etch chamber subsystem", "SME_SUBSYSTEM", 0, 0, "", "", "ETCH-SUB"},
      {"Photoresist 1 gallon", "MATERIAL", 0, 0, "", "EAR99", "PR-1G"},
      {"Network switch 48 port", "COMPUTER", 0, 0, "", "5A992.c", "SW-48"},
  };
  return *items;
}

std::vector<std::string> LoadNames(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != '{') {
      names.push_back(line);
      continue;
    }
    exportscreen::v1::ListedEntity e;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(line, &e, options).ok()) continue;
    names.push_back(e.primary_name());
    for (const auto& a : e.aliases()) names.push_back(a.name());
  }
  return names;
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\"", "\"\""}}), "\"");
}

std::string JsonStr(const std::string& s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int64_t n = absl::GetFlag(FLAGS_lines);
  const bool csv = absl::GetFlag(FLAGS_format) == "csv";
  std::vector<std::string> listed = LoadNames(absl::GetFlag(FLAGS_names));
  if (listed.empty()) {
    std::cerr << "shipgen: no names in " << absl::GetFlag(FLAGS_names) << "\n";
    return 1;
  }
  std::FILE* out = stdout;
  if (absl::GetFlag(FLAGS_out) != "-") {
    out = std::fopen(absl::GetFlag(FLAGS_out).c_str(), "w");
    if (out == nullptr) {
      std::cerr << "shipgen: cannot write " << absl::GetFlag(FLAGS_out) << "\n";
      return 1;
    }
  }
  std::mt19937_64 rng(absl::GetFlag(FLAGS_seed));
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<int> weights;
  for (const auto& c : Countries()) weights.push_back(c.weight);
  std::discrete_distribution<int> pick_country(weights.begin(), weights.end());
  auto pick = [&](size_t size) { return static_cast<size_t>(rng() % size); };

  if (csv) {
    std::fputs(
        "shipment_id,exporter,destination_country,party_role,party_name,"
        "party_country,party_city,item_part_number,item_description,"
        "item_kind,item_tpp,item_die_area_mm2,item_datacenter_marketed,"
        "item_eccn,item_quantity,end_use_description\n",
        out);
  }
  int64_t written = 0, shipments = 0, listed_shipments = 0, bad = 0;
  std::string buf;
  while (written < n) {
    ++shipments;
    const Country& c = Countries()[pick_country(rng)];
    std::string dest = c.code;
    const std::string place = c.places[pick(c.places.size())];
    std::string name = absl::StrCat(place, " ", kSectors[pick(std::size(kSectors))], " ", c.form);
    std::string city = place;
    if (u(rng) < absl::GetFlag(FLAGS_listed_rate)) {
      ++listed_shipments;
      name = listed[pick(listed.size())];
      double v = u(rng);  // spelled as customers write it
      if (v < 0.2)
        name = absl::AsciiStrToUpper(name);
      else if (v < 0.4)
        name = absl::StrReplaceAll(name, {{",", ""}, {".", ""}});
      if (u(rng) < 0.7) dest = "CN";
    }
    const std::string id = absl::StrFormat("SHP-%08d", shipments);
    const int rows =
        csv ? 1 + static_cast<int>(pick(std::max(1, absl::GetFlag(FLAGS_max_rows)))) : 1;
    for (int r = 0; r < rows && written < n; ++r, ++written) {
      buf.clear();
      if (u(rng) < absl::GetFlag(FLAGS_bad_rate)) {
        ++bad;
        buf = csv ? absl::StrCat(id, ",\"unterminated,", dest, "\n")
                  : absl::StrCat("{\"request_id\": \"", id, "\", broken\n");
        std::fputs(buf.c_str(), out);
        continue;
      }
      const ItemSpec& item = Items()[pick(Items().size())];
      const int qty = 1 + static_cast<int>(pick(40));
      if (csv) {
        absl::StrAppend(&buf, id, ",Example Exports Inc.,", dest, ",ULTIMATE_CONSIGNEE,", Csv(name),
                        ",", dest, ",", Csv(city), ",", item.part, ",", Csv(item.description), ",",
                        item.kind, ",", item.tpp > 0 ? absl::StrCat(item.tpp) : "", ",",
                        item.die_area > 0 ? absl::StrCat(item.die_area) : "", ",", item.datacenter,
                        ",", item.eccn, ",", qty, ",", r == 0 ? "commercial use" : "", "\n");
      } else {
        std::string item_json = absl::StrCat(
            "{\"part_number\":", JsonStr(item.part), ",\"description\":", JsonStr(item.description),
            ",\"kind\":\"ITEM_KIND_", item.kind, "\"",
            item.tpp > 0 ? absl::StrCat(",\"tpp\":", item.tpp) : "",
            item.die_area > 0 ? absl::StrCat(",\"die_area_mm2\":", item.die_area) : "",
            *item.datacenter ? absl::StrCat(",\"datacenter_marketed\":", item.datacenter) : "",
            *item.eccn ? absl::StrCat(",\"declared_eccn\":", JsonStr(item.eccn)) : "",
            ",\"quantity\":", qty, "}");
        absl::StrAppend(&buf, "{\"request_id\":", JsonStr(id),
                        ",\"exporter\":\"Example Exports Inc.\",\"destination_country\":\"", dest,
                        "\",\"parties\":[{\"role\":\"PARTY_ROLE_ULTIMATE_CONSIGNEE\","
                        "\"name\":",
                        JsonStr(name), ",\"country\":\"", dest,
                        "\",\"address\":{\"city\":", JsonStr(city), ",\"country\":\"", dest,
                        "\"}}],\"items\":[", item_json, "]}\n");
      }
      std::fputs(buf.c_str(), out);
    }
  }
  if (out != stdout) std::fclose(out);
  std::cerr << absl::StrFormat(
      "shipgen: %d lines, %d shipments, %d naming a listed party (%.2f%%), %d malformed lines\n",
      written, shipments, listed_shipments,
      100.0 * listed_shipments / std::max<int64_t>(1, shipments), bad);
  return 0;
}
