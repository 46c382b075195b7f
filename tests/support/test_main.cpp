// main() of the test binaries: GoogleTest's, with one rule. A skipped test is
// a failed test here: a suite whose SetUpTestSuite failed (GoogleTest then
// marks its tests skipped) or a GTEST_SKIP both mean that something the test
// needed was missing, and that must not pass unnoticed.
//
// GoogleTest's own printer writes "[  SKIPPED ]" for such tests, and CTest
// (gtest_discover_tests) reports any test whose output holds that as
// "Skipped", whatever its exit status. So this printer replaces it: the same
// lines for running, passing and failing tests, and a skipped test reported
// as FAILED.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using ::testing::TestInfo;
using ::testing::TestPartResult;
using ::testing::UnitTest;

std::string FullName(const TestInfo& info) { return std::string(info.test_suite_name()) + "." + info.name(); }

class SkipIsFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  void OnTestIterationStart(const UnitTest& unit_test, int) override {
    std::printf("[==========] Running %d tests from %d test suites.\n", unit_test.test_to_run_count(),
                unit_test.test_suite_to_run_count());
    std::fflush(stdout);
  }
  void OnTestStart(const TestInfo& info) override {
    std::printf("[ RUN      ] %s\n", FullName(info).c_str());
    std::fflush(stdout);
  }
  void OnTestPartResult(const TestPartResult& part) override {
    if (part.type() == TestPartResult::kSuccess) return;
    const char* kind = part.skipped() ? "Skipped (a failure in docpipe's tests)" : "Failure";
    if (part.file_name() != nullptr) {
      std::printf("%s:%d: %s\n%s\n", part.file_name(), part.line_number(), kind, part.message());
    } else {
      std::printf("%s\n%s\n", kind, part.message());
    }
    std::fflush(stdout);
  }
  void OnTestEnd(const TestInfo& info) override {
    const auto* result = info.result();
    const long long ms = static_cast<long long>(result->elapsed_time());
    if (result->Passed() && !result->Skipped()) {
      std::printf("[       OK ] %s (%lld ms)\n", FullName(info).c_str(), ms);
    } else {
      std::printf("[  FAILED  ] %s%s (%lld ms)\n", FullName(info).c_str(),
                  result->Skipped() ? " was skipped; docpipe's tests never skip (a missing peer is a failure)" : "",
                  ms);
      failed_.push_back(FullName(info));
    }
    std::fflush(stdout);
  }
  void OnTestSuiteEnd(const ::testing::TestSuite& suite) override {
    // A failure outside any test (e.g. in SetUpTestSuite or TearDownTestSuite).
    if (suite.ad_hoc_test_result().Failed()) failed_.push_back(std::string(suite.name()) + " (suite set-up or tear-down)");
  }
  void OnTestIterationEnd(const UnitTest& unit_test, int) override {
    std::printf("[==========] %d tests from %d test suites ran. (%lld ms total)\n", unit_test.test_to_run_count(),
                unit_test.test_suite_to_run_count(), static_cast<long long>(unit_test.elapsed_time()));
    if (failed_.empty()) {
      std::printf("[  PASSED  ] %d tests.\n", unit_test.successful_test_count());
    } else {
      std::printf("[  FAILED  ] %zu, listed below:\n", failed_.size());
      for (const std::string& name : failed_) std::printf("[  FAILED  ] %s\n", name.c_str());
    }
    std::fflush(stdout);
  }

  bool AnyFailed() const { return !failed_.empty(); }

 private:
  std::vector<std::string> failed_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::TestEventListeners& listeners = UnitTest::GetInstance()->listeners();
  // --gtest_list_tests (CTest's discovery) prints without any listener.
  std::unique_ptr<::testing::TestEventListener> default_printer(listeners.Release(listeners.default_result_printer()));
  auto owned = std::make_unique<SkipIsFailurePrinter>();
  const SkipIsFailurePrinter* printer = owned.get();
  listeners.Append(owned.release());  // GoogleTest deletes it
  const int rc = RUN_ALL_TESTS();
  return rc != 0 || printer->AnyFailed() ? 1 : 0;
}
