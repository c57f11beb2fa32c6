// Request mixes shared by the load tools (es_load, es_loadgen).
#ifndef EXPORTSCREEN_TOOLS_LOAD_MIXES_H_
#define EXPORTSCREEN_TOOLS_LOAD_MIXES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "exportscreen/v1/screening.pb.h"

namespace exportscreen::load {

// "typical": 64 requests of 2 parties and 1 item (an AI chip, half of them
// above the 3A090 thresholds) to 8 destinations, listed and ordinary names.
std::vector<v1::ScreenRequest> TypicalMix();

// "heavy": 16 requests of 4 parties and 10 items each (chips, SME
// subsystems, ordinary goods), as the engine benchmark's heavy case.
std::vector<v1::ScreenRequest> HeavyMix();

// One v1.ScreenRequest JSON per non-blank line of `path`, or every *.json
// file of a directory (one request each).
absl::StatusOr<std::vector<v1::ScreenRequest>> RequestsFromPath(const std::string& path);

// typical | heavy | a path (see RequestsFromPath).
absl::StatusOr<std::vector<v1::ScreenRequest>> Mix(const std::string& name);

}  // namespace exportscreen::load

#endif  // EXPORTSCREEN_TOOLS_LOAD_MIXES_H_
