// Status helpers missing from Abseil 20220623: RETURN_IF_ERROR and
// ASSIGN_OR_RETURN. Header-only; thread-compatible.
#ifndef EXPORTSCREEN_SERVICES_COMMON_STATUS_MACROS_H_
#define EXPORTSCREEN_SERVICES_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ES_CONCAT_INNER_(a, b) a##b
#define ES_CONCAT_(a, b) ES_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the current function if it is not OK.
#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status es_status_ = (expr);      \
    if (!es_status_.ok()) return es_status_; \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates the StatusOr `expr`; on error
// returns its status, otherwise moves the value into `lhs` (which may be a
// declaration such as `auto x`).
#define ASSIGN_OR_RETURN(lhs, expr) \
  ES_ASSIGN_OR_RETURN_IMPL_(ES_CONCAT_(es_statusor_, __LINE__), lhs, expr)
#define ES_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // EXPORTSCREEN_SERVICES_COMMON_STATUS_MACROS_H_
