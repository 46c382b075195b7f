#pragma once

#include <string_view>

namespace docpipe {

// Checks that turn a pattern match into a confident detection. Pure
// functions, so each rule is testable on its own.

//! Luhn (mod 10) checksum over a string of ASCII digits.
bool LuhnValid(std::string_view digits);
//! Whether `digits` starts with an issuer prefix (IIN) used by a major
//! network and has a length that network issues (Visa, Mastercard, Amex,
//! Discover, Diners, JCB, UnionPay, Maestro).
bool KnownCardPrefix(std::string_view digits);
//! Whether the separators of a card candidate are consistent and grouped as
//! cards are printed (4-4-4-4[-3], 4-6-5, 4-6-4), or absent.
bool CardGroupingValid(std::string_view raw);

//! The IBAN length of the country (ISO 3166 alpha-2), 0 if it issues none.
int IbanLength(std::string_view country);
//! ISO 13616 check: known country, its length, mod 97 == 1. `iban` is
//! compact (no spaces), upper case.
bool IbanValid(std::string_view iban);

//! US SSN rules for ddd-dd-dddd parts: area not 000/666/9xx, group not 00,
//! serial not 0000.
bool SsnValid(std::string_view area, std::string_view group, std::string_view serial);

//! Whether year-month-day is a calendar date (year 1000..2999).
bool DateValid(int year, int month, int day);
//! Month number of an English month name or abbreviation ("Sep", "sept."), 0 if none.
int MonthFromName(std::string_view name);

//! One IPv4 octet: 0..255 without leading zeros.
bool Ipv4OctetValid(std::string_view octet);

}  // namespace docpipe
