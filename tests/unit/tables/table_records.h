#pragma once

// Records and events the table tests write (the conformance suite and the
// adapters' own tests). Internal linkage: each test file has its own copy.

#include <string>

#include <gtest/gtest.h>

#include "tables/tables.h"

namespace docpipe {
namespace {

constexpr TimeMs kT0 = 1795323310000;  // 2026-11-22T04:55:10.000Z

ControlRecord NewRecord(const std::string& doc, int version, DocStatus status, TimeMs updated_at) {
  ControlRecord r;
  r.document_id = doc;
  r.processing_version = FormatVersion(version);
  r.source_key = "input/" + doc + ".pdf";
  r.status = status;
  r.current_stage = "extract";
  r.created_at = kT0;
  r.updated_at = updated_at;
  return r;
}

// Version 1 of `doc` claimed by worker w1, with every optional field set
// (reserved words as metric names).
[[maybe_unused]] ControlRecord ClaimedRecord(const std::string& doc) {
  ControlRecord r = NewRecord(doc, 1, DocStatus::kInProgress, kT0);
  r.ttl = 1'900'000'000;
  r.lease_owner = "w1";
  r.lease_expires_at = kT0 + 60'000;
  r.next_attempt_at = kT0 + 5'000;
  r.stage_status["extract"].started_at = kT0;
  r.stage_status["extract"].metrics = {{"value", 1}, {"status", "x"}};
  return r;
}

// Releases the claim of a ClaimedRecord: times cleared, ttl dropped, back
// to before the first stage.
[[maybe_unused]] void ReleaseClaim(ControlRecord& r) {
  r.status = DocStatus::kPending;
  r.lease_owner = "";
  r.lease_expires_at = 0;
  r.next_attempt_at = 0;
  r.ttl = 0;
  r.current_stage = "";
  r.stage_status["extract"].started_at = 0;
  r.updated_at = kT0 + 1;
}

[[maybe_unused]] AuditEvent Event(const std::string& doc, const std::string& type, TimeMs t) {
  AuditEvent e;
  e.document_id = doc;
  e.processing_version = "000001";
  e.event_type = type;
  e.time = t;
  e.worker_id = "w1";
  return e;
}

// After a race of claims on version 1 of "race": exactly one claim won, and
// the stored record is the winner's.
[[maybe_unused]] void ExpectOneClaimWon(ControlTable& table, int winners, const std::string& winner_owner) {
  ASSERT_EQ(winners, 1);
  Result<ControlRecord> stored = table.Get("race", "000001");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->lease_owner, winner_owner);
  EXPECT_EQ(stored->revision, 2);
}

}  // namespace
}  // namespace docpipe
