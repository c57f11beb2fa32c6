// Internal to services/cli: the CSV columns of `screenctl batch` input (what
// each column sets, on the shipment, the party or the item of its row) and
// the merging of a shipment's rows. Not part of the CLI library's API (see
// batch_input.h); include only from services/cli/batch_input*.cc.
// Thread-safety: the column table is immutable after first use.
#ifndef EXPORTSCREEN_SERVICES_CLI_BATCH_CSV_COLUMNS_H_
#define EXPORTSCREEN_SERVICES_CLI_BATCH_CSV_COLUMNS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "exportscreen/v1/screening.pb.h"

namespace exportscreen::cli::batch_internal {

enum class Target { kShipment, kParty, kItem };

// What a row contributes before it is merged into its shipment.
struct CsvRow {
  std::string shipment_id;
  v1::ScreenRequest shipment;  // shipment-level fields only
  v1::Party party;
  bool has_party = false;
  v1::Item item;
  bool has_item = false;
};

using Setter = std::function<absl::Status(absl::string_view, CsvRow*)>;

struct Column {
  std::string name;
  Target target;
  Setter set;
};

// Every column, in the documented order (CsvColumnNames).
const std::vector<Column>& Columns();

// Merges the shipment-level fields of `row` into `into`; a field set to two
// different values is an error (which one would be right is unknowable).
absl::Status MergeShipmentFields(const v1::ScreenRequest& row, v1::ScreenRequest* into);

}  // namespace exportscreen::cli::batch_internal

#endif  // EXPORTSCREEN_SERVICES_CLI_BATCH_CSV_COLUMNS_H_
