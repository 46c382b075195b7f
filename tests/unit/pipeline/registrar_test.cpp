// Registrar (pipeline/registrar.h) on the embedded adapters and the fake
// clock: identity and versions from content, duplicates, unreadable files
// recorded as FAILED, objects named by S3 events, and the failure paths when
// the control table, the store or the queue return an error. (Concurrent
// registrations from several Lambdas: tests/unit/lambda/s3_event_handler_test.cpp.)
#include "pipeline/registrar.h"

#include <gtest/gtest.h>

#include "common/hash.h"
#include "pipeline/document_id.h"
#include "pipeline/object_keys.h"
#include "support/fake_clock.h"
#include "support/pipeline_workspace.h"

namespace docpipe {
namespace {

using Outcome = Registration::Outcome;

constexpr int kMaxRetries = 3;
constexpr int64_t kRegistrarTtlDays = 30;

class RegistrarTest : public ::testing::Test {
 protected:
  // Writes `content` to a local file and registers it as input/<name>.
  Result<Registration> RegisterFile(const std::string& name, const std::string& content) {
    testing::WriteFile(ws_.dir().Join("src/" + name), content);
    return registrar_.RegisterLocalFile(ws_.dir().Join("src/" + name), "input/" + name);
  }
  ControlRecord Stored(const Registration& reg) {
    Result<ControlRecord> r = ws_.real_control().Get(reg.document_id, reg.processing_version);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ControlRecord{};
  }
  // Bodies of the messages waiting in the queue (received and released again).
  std::vector<std::string> Queued() {
    Result<std::vector<QueueMessage>> got = ws_.real_queue().Receive(10, 0, 0);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    std::vector<std::string> bodies;
    if (got.ok()) {
      for (const QueueMessage& m : *got) bodies.push_back(m.body);
    }
    return bodies;
  }
  void SetStatus(const Registration& reg, DocStatus status) {
    ControlRecord r = Stored(reg);
    r.status = status;
    ASSERT_TRUE(ws_.real_control().Update(r).ok());
  }

  testing::FakeClock clock_;
  testing::PipelineWorkspace ws_{clock_};
  EventRecorder events_{ws_.services(), "registrar-test", kRegistrarTtlDays};
  Registrar registrar_{ws_.services(), events_, kMaxRetries};
};

TEST_F(RegistrarTest, AFirstFileIsStoredRecordedAuditedCountedAndQueued) {
  const std::string content = "# Manual\n\nSome text.\n";
  Result<Registration> reg = RegisterFile("guide.md", content);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(reg->outcome, Outcome::kNew);
  EXPECT_STREQ(OutcomeName(reg->outcome), "new");
  EXPECT_EQ(reg->document_id, DocumentIdForKey("input/guide.md"));
  EXPECT_EQ(reg->processing_version, "000001");
  EXPECT_EQ(reg->source_key, "input/guide.md");
  EXPECT_EQ(*ws_.real_store().Get("input/guide.md"), content);

  ControlRecord rec = Stored(*reg);
  EXPECT_EQ(rec.status, DocStatus::kPending);
  EXPECT_EQ(rec.source_key, "input/guide.md");
  EXPECT_EQ(rec.source_size, static_cast<int64_t>(content.size()));
  EXPECT_EQ(rec.content_sha256, Sha256Hex(content));
  EXPECT_EQ(rec.source_etag, "");
  EXPECT_EQ(rec.max_retries, kMaxRetries);
  EXPECT_EQ(rec.created_at, clock_.NowMs());
  EXPECT_EQ(rec.updated_at, clock_.NowMs());
  EXPECT_EQ(rec.ttl, clock_.NowMs() / 1000 + kRegistrarTtlDays * 86400);

  Result<std::vector<AuditEvent>> audit = ws_.real_audit().List(reg->document_id);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].event_type, "DOCUMENT_RECEIVED");
  EXPECT_EQ((*audit)[0].details["source_key"], "input/guide.md");
  EXPECT_EQ((*audit)[0].details["source_size"], content.size());
  EXPECT_EQ((*audit)[0].details["content_sha256"], Sha256Hex(content));
  EXPECT_FALSE((*audit)[0].details.contains("source_etag"));
  EXPECT_DOUBLE_EQ(ws_.Metric("documents_received"), 1);
  EXPECT_EQ(Queued(), std::vector<std::string>{WorkMessageBody(reg->document_id, "000001")});
}

TEST_F(RegistrarTest, TheSameContentIsADuplicateQueuedAgainOnlyWhileUnfinished) {
  Result<Registration> first = RegisterFile("a.md", "one");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(Queued().size(), 1u);

  Result<Registration> again = RegisterFile("a.md", "one");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->outcome, Outcome::kDuplicate);
  EXPECT_STREQ(OutcomeName(again->outcome), "duplicate");
  EXPECT_EQ(again->processing_version, "000001");
  EXPECT_EQ(again->message, "unchanged since version 000001 (PENDING)");
  EXPECT_EQ(ws_.CountAudit(first->document_id, "DUPLICATE_SKIPPED"), 1);
  EXPECT_DOUBLE_EQ(ws_.Metric("duplicates_skipped"), 1);
  EXPECT_EQ(Queued().size(), 2u) << "a fresh message revives a version whose message was lost";
  EXPECT_FALSE(ws_.real_control().Get(first->document_id, "000002").ok()) << "no new version";

  SetStatus(*first, DocStatus::kCompleted);
  const int sends = ws_.faults().Calls("queue.Send");
  again = RegisterFile("a.md", "one");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, Outcome::kDuplicate);
  EXPECT_EQ(again->message, "unchanged since version 000001 (COMPLETED)");
  EXPECT_EQ(ws_.faults().Calls("queue.Send"), sends) << "finished work is not queued again";
  EXPECT_EQ(ws_.faults().Calls("store.PutFile"), 1) << "unchanged content is not copied again";
}

TEST_F(RegistrarTest, ChangedContentIsANewVersionAndASupersededOneIsNoDuplicate) {
  Result<Registration> v1 = RegisterFile("a.md", "one");
  ASSERT_TRUE(v1.ok());
  Result<Registration> v2 = RegisterFile("a.md", "two");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(v2->outcome, Outcome::kNewVersion);
  EXPECT_STREQ(OutcomeName(v2->outcome), "new_version");
  EXPECT_EQ(v2->document_id, v1->document_id);
  EXPECT_EQ(v2->processing_version, "000002");
  EXPECT_EQ(*ws_.real_store().Get("input/a.md"), "two");

  // Back to the first content: the latest version (2) differs, so version 3.
  Result<Registration> v3 = RegisterFile("a.md", "one");
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->outcome, Outcome::kNewVersion);
  EXPECT_EQ(v3->processing_version, "000003");

  // A superseded latest version never makes a duplicate.
  SetStatus(*v3, DocStatus::kSuperseded);
  Result<Registration> v4 = RegisterFile("a.md", "one");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->outcome, Outcome::kNewVersion);
  EXPECT_EQ(v4->processing_version, "000004");
}

TEST_F(RegistrarTest, AnUnreadableFileIsRecordedAsFailedWithItsReason) {
  Result<Registration> missing = registrar_.RegisterLocalFile(ws_.dir().Join("nope.pdf"), "input/nope.pdf");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(missing->outcome, Outcome::kFailed);
  EXPECT_STREQ(OutcomeName(missing->outcome), "failed");
  EXPECT_NE(missing->message.find(ws_.dir().Join("nope.pdf")), std::string::npos) << missing->message;
  EXPECT_NE(missing->message.find("No such file"), std::string::npos) << missing->message;
  ControlRecord rec = Stored(*missing);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_EQ(rec.error_stage, "register");
  EXPECT_EQ(rec.last_error, missing->message);
  EXPECT_EQ(rec.max_retries, kMaxRetries);
  EXPECT_EQ(ws_.CountAudit(missing->document_id, "DOCUMENT_RECEIVED"), 1);
  EXPECT_EQ(ws_.CountAudit(missing->document_id, "DOCUMENT_FAILED"), 1);
  EXPECT_DOUBLE_EQ(ws_.Metric("documents_received"), 1);
  EXPECT_DOUBLE_EQ(ws_.Metric("documents_failed"), 1);
  Result<std::string> error = ws_.real_store().Get(ErrorKey(missing->document_id));
  ASSERT_TRUE(error.ok()) << "errors/ says why";
  EXPECT_EQ(nlohmann::json::parse(*error)["stage"], "register");
  EXPECT_TRUE(Queued().empty()) << "nothing to process";

  // A folder is no document either; a second failure is a second version.
  testing::WriteFile(ws_.dir().Join("folder.pdf/inner"), "x");
  Result<Registration> folder = registrar_.RegisterLocalFile(ws_.dir().Join("folder.pdf"), "input/nope.pdf");
  ASSERT_TRUE(folder.ok());
  EXPECT_EQ(folder->outcome, Outcome::kFailed);
  EXPECT_NE(folder->message.find("not a regular file"), std::string::npos) << folder->message;
  EXPECT_EQ(folder->processing_version, "000002");
}

// A name the store cannot take fails that file alone (recorded, so the rest
// of a batch goes on and `status` says why), and nothing is stored or queued.
TEST_F(RegistrarTest, AKeyTheStoreCannotTakeFailsThatFileAlone) {
  testing::WriteFile(ws_.dir().Join("a.md"), "x");
  Result<Registration> r = registrar_.RegisterLocalFile(ws_.dir().Join("a.md"), "../outside.md");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, Outcome::kFailed);
  EXPECT_NE(r->message.find("cannot be stored"), std::string::npos) << r->message;
  EXPECT_EQ(ws_.faults().Calls("store.PutFile"), 0);
  EXPECT_TRUE(Queued().empty());
}

TEST_F(RegistrarTest, ControlTableErrorsAreReturnedBeforeAnythingIsStoredOrQueued) {
  ws_.faults().Fail("control.GetLatest", Status::Unavailable("control table down"));
  Result<Registration> r = RegisterFile("a.md", "one");
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << r.status().ToString();
  EXPECT_TRUE(ws_.real_store().Head("input/a.md").status().IsNotFound()) << "nothing copied";
  EXPECT_TRUE(Queued().empty());

  // Unreadable files need the table too: its error, not a FAILED record.
  r = registrar_.RegisterLocalFile(ws_.dir().Join("nope.pdf"), "input/nope.pdf");
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);

  ws_.faults().Clear();
  ws_.faults().Fail("control.Create", Status::Unavailable("throttled"));
  r = RegisterFile("a.md", "one");
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_TRUE(Queued().empty()) << "no message for a version that was never recorded";
  EXPECT_EQ(ws_.CountAudit(DocumentIdForKey("input/a.md"), "DOCUMENT_RECEIVED"), 0);
}

TEST_F(RegistrarTest, AConflictingCreateIsARaceAndIsRetried) {
  ws_.faults().Fail("control.Create", Status::Conflict("another registrar was first"), 1);
  Result<Registration> r = RegisterFile("a.md", "one");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, Outcome::kNew);
  EXPECT_EQ(ws_.faults().Calls("control.Create"), 2);

  ws_.faults().Fail("control.Create", Status::Conflict("always someone else"));
  r = RegisterFile("a.md", "two");
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("too many concurrent registrations"), std::string::npos);
  EXPECT_EQ(ws_.faults().Calls("control.Create"), 2 + 20);
}

// A store that cannot take the file (a full disk, an I/O error, a store out
// of reach after its retries) fails that file, recorded with the reason, so
// the batch goes on; a queue that cannot take the message is the caller's.
TEST_F(RegistrarTest, StoreErrorsFailTheFileAndQueueErrorsAreReturned) {
  ws_.faults().Fail("store.PutFile", Status::Unavailable("S3 is slow"));
  Result<Registration> r = RegisterFile("a.md", "one");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, Outcome::kFailed);
  EXPECT_NE(r->message.find("could not be copied into the store"), std::string::npos) << r->message;
  EXPECT_NE(r->message.find("S3 is slow"), std::string::npos) << r->message;
  EXPECT_TRUE(Queued().empty());

  // A store that refuses the content itself: the file is recorded as FAILED.
  ws_.faults().Fail("store.PutFile", Status::InvalidInput("source is a FIFO"));
  r = RegisterFile("a.md", "one");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, Outcome::kFailed);
  EXPECT_NE(r->message.find("source is a FIFO"), std::string::npos);

  ws_.faults().Clear();
  ws_.faults().Fail("queue.Send", Status::Unavailable("queue down"));
  r = RegisterFile("b.md", "two");
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << "the caller learns the work was not queued";
  Result<ControlRecord> recorded = ws_.real_control().Get(DocumentIdForKey("input/b.md"), "000001");
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(recorded->status, DocStatus::kPending) << "the version is recorded: registering again queues it";
  ws_.faults().Clear();
  r = RegisterFile("b.md", "two");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, Outcome::kDuplicate);
  EXPECT_EQ(Queued().size(), 1u);
}

TEST_F(RegistrarTest, ObjectsNamedByEventsAreIdentifiedByTheirEtag) {
  Result<Registration> r = registrar_.RegisterObject("input/a.pdf", 10, "\"etag-1\"", {{"parent_document_id", "p"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, Outcome::kNew);
  ControlRecord rec = Stored(*r);
  EXPECT_EQ(rec.source_etag, "etag-1") << "quotes dropped";
  EXPECT_EQ(rec.source_size, 10);
  EXPECT_EQ(rec.content_sha256, "");
  Result<std::vector<AuditEvent>> audit = ws_.real_audit().List(r->document_id);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].details["source_etag"], "etag-1");
  EXPECT_EQ((*audit)[0].details["parent_document_id"], "p") << "the caller's details are added";
  EXPECT_EQ(ws_.faults().Calls("store.PutFile"), 0) << "the object is already stored";

  EXPECT_EQ(registrar_.RegisterObject("input/a.pdf", 10, "etag-1")->outcome, Outcome::kDuplicate);
  EXPECT_EQ(registrar_.RegisterObject("input/a.pdf", 11, "etag-1")->processing_version, "000002")
      << "another size is other content";
  EXPECT_EQ(registrar_.RegisterObject("input/a.pdf", 11, "etag-2")->processing_version, "000003");

  // A file's fingerprint (SHA-256) and an event's (ETag) never match each other.
  Result<Registration> file = RegisterFile("a.pdf", "whatever");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->outcome, Outcome::kNewVersion);
}

TEST(WorkMessageTest, BodiesRoundTripAndOthersAreRefused) {
  std::string id, version;
  ASSERT_TRUE(ParseWorkMessage(WorkMessageBody("doc-1", "000007"), &id, &version));
  EXPECT_EQ(id, "doc-1");
  EXPECT_EQ(version, "000007");
  for (const char* bad : {"", "not json", "[]", R"({"document_id":"a"})", R"({"processing_version":"1"})",
                          R"({"document_id":1,"processing_version":"1"})"}) {
    EXPECT_FALSE(ParseWorkMessage(bad, &id, &version)) << bad;
  }
}

}  // namespace
}  // namespace docpipe
