// Helpers shared by the object-store tests (the conformance suite and the
// adapters' own tests).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "object_store/object_store.h"

namespace docpipe::testing {

inline std::vector<std::string> Keys(const std::vector<ObjectInfo>& infos) {
  std::vector<std::string> keys;
  for (const ObjectInfo& i : infos) keys.push_back(i.key);
  return keys;
}

// The value, or a test failure naming the Status (never a crash).
template <typename T>
T Must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : T{};
}

}  // namespace docpipe::testing
