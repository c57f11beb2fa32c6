// libFuzzer target: a Screen request as it arrives on the wire (binary
// protobuf) or as JSON (screenctl, the batch JSONL input): decoded,
// normalised and validated, then screened by the engine over the real
// rules. Invariants: no crash; an invalid request is INVALID_ARGUMENT and
// never evaluated; a valid one gets a decision.
// The first byte chooses the encoding (even: binary, odd: JSON).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "services/api/request_validator.h"
#include "services/engine/screening_engine.h"
#include "tests/testing/fake_name_index.h"

namespace {

using namespace exportscreen;

const engine::ScreeningSnapshot& Snapshot() {
  static const engine::ScreeningSnapshot* snap = [] {
    auto files = rules::ReadRuleFiles(ES_SOURCE_DIR "/rules");
    if (!files.ok()) std::abort();
    auto rs = rules::RuleSet::Compile(*files);
    if (!rs.ok()) std::abort();
    auto* s = new engine::ScreeningSnapshot();
    s->rules = *rs;
    auto data = std::make_shared<engine::ReferenceData>();
    s->index = std::make_shared<testing::FakeNameIndex>(data->entities);
    s->data = data;
    s->rule_set_version = "fuzz";
    s->list_version = "fuzz";
    return s;
  }();
  return *snap;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  v1::ScreenRequest req;
  const char* body = reinterpret_cast<const char*>(data + 1);
  if (data[0] % 2 == 0) {
    if (!req.ParseFromArray(body, int(size - 1))) return 0;
  } else {
    if (!google::protobuf::util::JsonStringToMessage(std::string(body, size - 1), &req).ok()) {
      return 0;
    }
  }
  absl::Status valid = api::NormalizeAndValidate(&req);
  if (!valid.ok()) {
    if (valid.code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  auto r = engine::ScreeningEngine::Screen(Snapshot(), req, absl::CivilDay(2026, 7, 1));
  if (!r.ok() || r->decision() == v1::DECISION_UNSPECIFIED) std::abort();
  return 0;
}
