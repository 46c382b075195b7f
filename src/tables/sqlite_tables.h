#pragma once

#include <string>

#include "tables/tables.h"

namespace docpipe {

// Embedded adapters: the control, audit and metrics tables as tables of one
// SQLite database file (WAL mode) shared by every docpipe process on a
// workspace. Each adapter holds its own connection; conflicts between
// processes are resolved by SQLite transactions plus the revision condition.
Result<ControlTablePtr> NewSqliteControlTable(const std::string& db_path);
Result<AuditLogPtr> NewSqliteAuditLog(const std::string& db_path);
Result<MetricsTablePtr> NewSqliteMetricsTable(const std::string& db_path);

}  // namespace docpipe
