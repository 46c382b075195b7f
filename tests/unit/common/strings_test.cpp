#include "common/strings.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

// Issue 17: escape sequences and U+202E in file names reached the terminal raw.
TEST(TerminalSafeTest, ControlCharactersAndBidiOverridesBecomeVisibleEscapes) {
  EXPECT_EQ(TerminalSafe("input/\x1b]0;pwned\x07report.pdf"), "input/\\x1b]0;pwned\\x07report.pdf");
  EXPECT_EQ(TerminalSafe("a\nb\rc\td\x7f"), "a\\x0ab\\x0dc\\x09d\\x7f");
  EXPECT_EQ(TerminalSafe("invoice\xE2\x80\xAEgpj.exe"), "invoice\\u202egpj.exe");  // U+202E RLO
  EXPECT_EQ(TerminalSafe("\xE2\x81\xA6x\xE2\x81\xA9"), "\\u2066x\\u2069");           // isolates
  EXPECT_EQ(TerminalSafe("\xE2\x80\x8F\xD8\x9C"), "\\u200f\\u061c");                  // RLM, ALM
  EXPECT_EQ(TerminalSafe("c1\xC2\x9B" "31m"), "c1\\u009b31m");                        // C1 CSI
  EXPECT_EQ(TerminalSafe("latin1 caf\xE9"), "latin1 caf\\xe9");                       // not UTF-8
}

TEST(TerminalSafeTest, OrdinaryTextOfAnyScriptIsKept) {
  for (const char* s : {"input/docs/report 2024.pdf", "input/\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9.pdf",
                        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt", "caf\xC3\xA9 \xEF\xBF\xBD", "C:\\path"}) {
    EXPECT_EQ(TerminalSafe(s), s);
  }
  EXPECT_EQ(TerminalSafe(""), "");
}

}  // namespace
}  // namespace docpipe
