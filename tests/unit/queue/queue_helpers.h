#pragma once

// Shared by the queue tests (the conformance suite and the adapters' own
// tests). Internal linkage: each test file has its own copy.

#include <gtest/gtest.h>

#include "queue/work_queue.h"

namespace docpipe {
namespace {

// Receives exactly one message without waiting (asserting so).
[[maybe_unused]] QueueMessage ReceiveOne(WorkQueue& q, int64_t visibility_ms) {
  auto got = q.Receive(1, visibility_ms, 0);
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  if (!got.ok() || got->size() != 1) {
    ADD_FAILURE() << "expected one message, got " << (got.ok() ? got->size() : 0);
    return {};
  }
  return got->front();
}

// How many of up to 10 messages one receive without waiting gets.
[[maybe_unused]] size_t ReceiveCount(WorkQueue& q, int64_t visibility_ms) {
  auto got = q.Receive(10, visibility_ms, 0);
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  return got.ok() ? got->size() : 0;
}

[[maybe_unused]] QueueStats StatsOf(WorkQueue& q) {
  auto s = q.Stats();
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : QueueStats{};
}

}  // namespace
}  // namespace docpipe
