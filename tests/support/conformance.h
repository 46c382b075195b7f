#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

namespace docpipe::testing {

// One adapter of a port in its parameterised conformance suite: a name (the
// test name's last part; "...Moto" for adapters on a moto_server, which CTest
// runs as one test per suite, CMakeLists.txt MOTO_CONFORMANCE_SUITES) and how
// to open a fresh one for each test.
template <typename UnderTest>
struct ConformanceAdapter {
  std::string name;
  std::function<std::unique_ptr<UnderTest>()> make;

  // GoogleTest prints a parameter in failure messages and in the names CTest
  // lists ("# GetParam() = ..."): the adapter's name, not its bytes.
  friend void PrintTo(const ConformanceAdapter& adapter, std::ostream* os) { *os << adapter.name; }
};

//! The test-name generator of INSTANTIATE_TEST_SUITE_P: the adapter's name.
struct AdapterName {
  template <typename Param>
  std::string operator()(const ::testing::TestParamInfo<Param>& info) const {
    return info.param.name;
  }
};

}  // namespace docpipe::testing
