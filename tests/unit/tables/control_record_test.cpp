#include "tables/control_record.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

using nlohmann::json;

ControlRecord FullRecord() {
  ControlRecord r;
  r.document_id = "doc-1";
  r.processing_version = FormatVersion(2);
  r.source_key = "input/reports/a.pdf";
  r.source_size = 123456789012;
  r.content_sha256 = "ab12";
  r.source_etag = "9b2cf535f27731c974343645a3985328-2";
  r.status = DocStatus::kInProgress;
  r.current_stage = "chunk";
  StageStatus extract;
  extract.status = StageState::kCompleted;
  extract.started_at = 1795323310123;
  extract.completed_at = 1795323311456;
  extract.duration_ms = 1333;
  extract.attempts = 2;
  extract.interruptions = 1;
  extract.output_key = "extracted/doc-1/000002.json";
  extract.metrics = {{"pages", 12}, {"ocr", false}};
  r.stage_status["extract"] = extract;
  StageStatus chunk;
  chunk.status = StageState::kInProgress;
  chunk.started_at = 1795323311500;
  chunk.error = "previous attempt: timeout";
  r.stage_status["chunk"] = chunk;
  r.retry_count = 1;
  r.max_retries = 5;
  r.created_at = 946684799999;  // 1999-12-31T23:59:59.999Z
  r.updated_at = 1795323311501;
  r.ttl = 1800000000;
  r.last_error = "boom";
  r.error_stage = "extract";
  r.lease_owner = "worker-7";
  r.lease_expires_at = 1795323371501;
  r.next_attempt_at = 0;
  r.page_count = 12;
  r.chunk_count = 0;
  r.claim_message_id = "msg-3";
  r.message_claims = 2;
  r.dead_letter_requeues = 1;
  r.requeued_message_id = "msg-2";
  r.takeovers = 1;
  r.revision = 9;
  return r;
}

TEST(ControlRecordTest, StatusNamesRoundTrip) {
  for (DocStatus s : {DocStatus::kPending, DocStatus::kInProgress, DocStatus::kCompleted, DocStatus::kFailed,
                      DocStatus::kSuperseded}) {
    auto parsed = ParseDocStatus(DocStatusName(s));
    ASSERT_TRUE(parsed.has_value()) << DocStatusName(s);
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_STREQ(DocStatusName(DocStatus::kInProgress), "IN_PROGRESS");
  EXPECT_STREQ(DocStatusName(DocStatus::kSuperseded), "SUPERSEDED");
  EXPECT_FALSE(ParseDocStatus("pending").has_value());
  EXPECT_FALSE(ParseDocStatus("").has_value());
}

TEST(ControlRecordTest, FormatVersionPadsToSixDigits) {
  EXPECT_EQ(FormatVersion(1), "000001");
  EXPECT_EQ(FormatVersion(42), "000042");
  EXPECT_EQ(FormatVersion(999999), "999999");
  EXPECT_EQ(FormatVersion(1234567), "1234567");
  EXPECT_LT(FormatVersion(9), FormatVersion(10));  // sorts as a string
}

TEST(ControlRecordTest, JsonUsesFieldNamesAndIsoTimes) {
  json j = ToJson(FullRecord());
  EXPECT_EQ(j["document_id"], "doc-1");
  EXPECT_EQ(j["processing_version"], "000002");
  EXPECT_EQ(j["status"], "IN_PROGRESS");
  EXPECT_EQ(j["created_at"], "1999-12-31T23:59:59.999Z");
  EXPECT_EQ(j["updated_at"], "2026-11-22T04:55:11.501Z");
  EXPECT_EQ(j["ttl"], 1800000000);
  EXPECT_TRUE(j["ttl"].is_number_integer());
  EXPECT_FALSE(j.contains("next_attempt_at")) << "zero times are omitted";
  EXPECT_EQ(j["stage_status"]["extract"]["started_at"], "2026-11-22T04:55:10.123Z");
  EXPECT_EQ(j["stage_status"]["extract"]["metrics"]["pages"], 12);
  EXPECT_FALSE(j["stage_status"]["chunk"].contains("completed_at"));
  EXPECT_EQ(j["revision"], 9);
  EXPECT_EQ(j["message_claims"], 2);
  json fresh = ToJson(ControlRecord{});
  for (const char* unused :
       {"claim_message_id", "message_claims", "dead_letter_requeues", "requeued_message_id", "takeovers"}) {
    EXPECT_FALSE(fresh.contains(unused)) << unused << " is absent until used";
  }
}

TEST(ControlRecordTest, RoundTripsEveryField) {
  ControlRecord in = FullRecord();
  // Through text, as the tables store it.
  auto out = ControlRecordFromJson(json::parse(ToJson(in).dump()));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->document_id, in.document_id);
  EXPECT_EQ(out->processing_version, in.processing_version);
  EXPECT_EQ(out->source_key, in.source_key);
  EXPECT_EQ(out->source_size, in.source_size);
  EXPECT_EQ(out->content_sha256, in.content_sha256);
  EXPECT_EQ(out->source_etag, in.source_etag);
  EXPECT_EQ(out->status, in.status);
  EXPECT_EQ(out->current_stage, in.current_stage);
  EXPECT_EQ(out->retry_count, 1);
  EXPECT_EQ(out->max_retries, 5);
  EXPECT_EQ(out->created_at, in.created_at);
  EXPECT_EQ(out->updated_at, in.updated_at);
  EXPECT_EQ(out->ttl, in.ttl);
  EXPECT_EQ(out->last_error, "boom");
  EXPECT_EQ(out->error_stage, "extract");
  EXPECT_EQ(out->lease_owner, "worker-7");
  EXPECT_EQ(out->lease_expires_at, in.lease_expires_at);
  EXPECT_EQ(out->next_attempt_at, 0);
  EXPECT_EQ(out->page_count, 12);
  EXPECT_EQ(out->claim_message_id, "msg-3");
  EXPECT_EQ(out->message_claims, 2);
  EXPECT_EQ(out->dead_letter_requeues, 1);
  EXPECT_EQ(out->requeued_message_id, "msg-2");
  EXPECT_EQ(out->takeovers, 1);
  EXPECT_EQ(out->revision, 9);
  ASSERT_EQ(out->stage_status.size(), 2u);
  const StageStatus& e = out->stage_status.at("extract");
  EXPECT_EQ(e.status, StageState::kCompleted);
  EXPECT_EQ(e.started_at, 1795323310123);
  EXPECT_EQ(e.completed_at, 1795323311456);
  EXPECT_EQ(e.duration_ms, 1333);
  EXPECT_EQ(e.attempts, 2);
  EXPECT_EQ(e.interruptions, 1);
  EXPECT_EQ(e.output_key, "extracted/doc-1/000002.json");
  EXPECT_EQ(e.metrics, (json{{"pages", 12}, {"ocr", false}}));
  EXPECT_EQ(out->stage_status.at("chunk").error, "previous attempt: timeout");
  EXPECT_EQ(out->stage_status.at("chunk").completed_at, 0);
  EXPECT_EQ(ToJson(*out), ToJson(in));
}

TEST(ControlRecordTest, DefaultRecordRoundTrips) {
  ControlRecord in;
  in.document_id = "d";
  in.processing_version = "000001";
  auto out = ControlRecordFromJson(ToJson(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(ToJson(*out), ToJson(in));
  EXPECT_EQ(out->created_at, 0);
  EXPECT_EQ(out->ttl, 0);
}

// Records written before stages counted their interruptions (issue 17n)
// have no such field: they read as none, and a stage with none writes none.
TEST(ControlRecordTest, AStageWithoutInterruptionsReadsAsNone) {
  json j = ToJson(FullRecord());
  ASSERT_TRUE(j["stage_status"]["extract"].contains("interruptions"));
  EXPECT_FALSE(j["stage_status"]["chunk"].contains("interruptions"));
  j["stage_status"]["extract"].erase("interruptions");
  auto out = ControlRecordFromJson(j);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->stage_status.at("extract").interruptions, 0);
  EXPECT_EQ(out->stage_status.at("extract").attempts, 2);
}

TEST(ControlRecordTest, NullTimesReadAsZero) {
  json j = ToJson(FullRecord());
  j["lease_expires_at"] = nullptr;
  auto out = ControlRecordFromJson(j);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->lease_expires_at, 0);
}

void ExpectInvalid(const json& j, const std::string& field) {
  auto r = ControlRecordFromJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
}

TEST(ControlRecordTest, BadJsonNamesTheField) {
  json base = ToJson(FullRecord());
  ExpectInvalid(json::array(), "not a JSON object");
  ExpectInvalid(json("text"), "not a JSON object");
  {
    json j = base;
    j["status"] = "WHATEVER";
    ExpectInvalid(j, "status");
  }
  {
    json j = base;
    j.erase("document_id");
    ExpectInvalid(j, "document_id");
  }
  {
    json j = base;
    j["created_at"] = "yesterday";
    ExpectInvalid(j, "created_at");
  }
  {
    json j = base;
    j["updated_at"] = 1795323311501;  // a number, not a time string
    ExpectInvalid(j, "updated_at");
  }
  {
    json j = base;
    j["lease_expires_at"] = "2026-13-01T00:00:00.000Z";
    ExpectInvalid(j, "lease_expires_at");
  }
  {
    json j = base;
    j["retry_count"] = "1";
    ExpectInvalid(j, "retry_count");
  }
  {
    json j = base;
    j["stage_status"] = json::array();
    ExpectInvalid(j, "stage_status");
  }
  {
    json j = base;
    j["stage_status"]["extract"]["attempts"] = "two";
    ExpectInvalid(j, "stage_status.extract");
    ExpectInvalid(j, "attempts");
  }
}

TEST(ControlRecordTest, ErrorsAreCappedInJson) {
  ControlRecord r = FullRecord();
  r.last_error = std::string(5000, 'x');
  r.stage_status["chunk"].error = std::string(1999, 'y') + "\xC3\xA9";  // 'é' straddles the cap
  json j = ToJson(r);
  EXPECT_EQ(j["last_error"].get<std::string>().size(), kMaxErrorChars);
  // Cut before the two-byte sequence rather than through it.
  EXPECT_EQ(j["stage_status"]["chunk"]["error"].get<std::string>(), std::string(1999, 'y'));
  EXPECT_NO_THROW((void)j.dump());
}

TEST(AuditEventTest, RoundTrips) {
  AuditEvent e;
  e.document_id = "doc-1";
  e.event_id = "2026-11-22T04:55:10.123Z#0000abcd";
  e.processing_version = "000001";
  e.event_type = "STAGE_FAILED";
  e.stage = "extract";
  e.time = 1795323310123;
  e.worker_id = "w1";
  e.duration_ms = 77;
  e.error = "bad pdf";
  e.details = {{"attempt", 3}};
  e.ttl = 1900000000;
  json j = ToJson(e);
  EXPECT_EQ(j["time"], "2026-11-22T04:55:10.123Z");
  auto out = AuditEventFromJson(json::parse(j.dump()));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->document_id, e.document_id);
  EXPECT_EQ(out->event_id, e.event_id);
  EXPECT_EQ(out->processing_version, e.processing_version);
  EXPECT_EQ(out->event_type, e.event_type);
  EXPECT_EQ(out->stage, e.stage);
  EXPECT_EQ(out->time, e.time);
  EXPECT_EQ(out->worker_id, e.worker_id);
  EXPECT_EQ(out->duration_ms, 77);
  EXPECT_EQ(out->error, "bad pdf");
  EXPECT_EQ(out->details, e.details);
  EXPECT_EQ(out->ttl, e.ttl);
}

TEST(AuditEventTest, BadJsonNamesTheField) {
  json j = {{"document_id", "d"}, {"event_type", "STAGE_STARTED"}, {"time", "noon"}};
  auto r = AuditEventFromJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("time"), std::string::npos);
  j["time"] = "2026-11-22T04:55:10.123Z";
  j["details"] = "x";
  r = AuditEventFromJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("details"), std::string::npos);
  j.erase("details");
  EXPECT_TRUE(AuditEventFromJson(j).ok());
}

}  // namespace
}  // namespace docpipe
