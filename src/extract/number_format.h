#pragma once

#include <string>
#include <string_view>

namespace docpipe {

// Spreadsheet number formats (ECMA-376 18.8.30/31; ODF's are mapped onto the
// same codes): renders a cell value as the spreadsheet displays it, so that
// "0.15" under "0%" reads "15%" and 45292 under "yyyy-mm-dd" reads
// "2024-01-01". Covers sections (positive;negative;zero;text), literals and
// quoted text, thousands separators, decimals, percent, scientific, dates,
// times and elapsed time ([h]:mm); colours and locale tags are dropped.
// Fractions are shown as decimals.
std::string FormatNumber(double value, std::string_view format_code, bool date1904 = false);

// The format code of a built-in number format id (0-49); "" when unknown
// (the caller uses General).
std::string BuiltinNumberFormat(int id);

// Whether `format_code` shows a date or time.
bool IsDateFormat(std::string_view format_code);

// Excel's "General": up to 11 significant digits, no trailing zeros,
// scientific for very large or small magnitudes.
std::string FormatGeneral(double value);

}  // namespace docpipe
