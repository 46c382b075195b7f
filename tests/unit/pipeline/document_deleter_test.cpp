// DeleteDocument (pipeline/document_deleter.h) on the embedded adapters, the
// local vector index and the fake clock: every version, object and chunk of
// the document goes, nothing of any other document does, the audit trail
// stays; the index is opened only when a load ever started; live claims,
// unknown ids and failing tables, store or index stop the delete with their
// error, leaving the control records for a retry.
#include "pipeline/document_deleter.h"

#include <gtest/gtest.h>

#include <set>

#include "index/local_vector_index.h"
#include "pipeline/object_keys.h"
#include "pipeline/registrar.h"
#include "pipeline/stage.h"
#include "support/fake_clock.h"
#include "support/pipeline_workspace.h"

namespace docpipe {
namespace {

constexpr int kDeleterDim = 4;

class DocumentDeleterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalVectorIndexOptions o;
    o.directory = ws_.dir().Join("index");
    o.dimension = kDeleterDim;
    Result<VectorIndexPtr> made = NewLocalVectorIndex(o);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    index_ = std::move(*made);
  }

  // Registers input/<name> with `content` and writes every output a run of
  // the stages leaves, plus its chunks in the index when `loaded`.
  Registration Processed(const std::string& name, const std::string& content, bool loaded) {
    testing::WriteFile(ws_.dir().Join("src/" + name), content);
    Result<Registration> reg = registrar_.RegisterLocalFile(ws_.dir().Join("src/" + name), "input/" + name);
    EXPECT_TRUE(reg.ok()) << reg.status().ToString();
    const std::string& id = reg->document_id;
    for (const std::string& key : OutputKeys(id)) EXPECT_TRUE(ws_.real_store().Put(key, "{}").ok());
    EXPECT_TRUE(ws_.real_store().Put(ExtractedPageKey(id, 1), "page one").ok());
    EXPECT_TRUE(ws_.real_store().Put(ExtractedMetadataKey(id), "{}").ok());
    ControlRecord r = *ws_.real_control().Get(id, reg->processing_version);
    r.status = DocStatus::kCompleted;
    if (loaded) {
      r.stage_status[kLoadStage].attempts = 1;
      r.stage_status[kLoadStage].status = StageState::kCompleted;
      IndexedChunk c;
      c.chunk_id = id + ":" + reg->processing_version + ":0";
      c.document_id = id;
      c.processing_version = reg->processing_version;
      c.source_key = "input/" + name;
      c.text = content;
      c.vector = {1, 0.5f, 0.25f, static_cast<float>(content.size())};
      EXPECT_TRUE(index_->ReplaceDocument(id, reg->processing_version, {c}).ok());
    }
    EXPECT_TRUE(ws_.real_control().Update(r).ok());
    return *reg;
  }

  Result<DeleteReport> Delete(const std::string& id) {
    return DeleteDocument(ws_.services(), opener_, events_, id);
  }
  std::set<std::string> Keys() {
    std::set<std::string> keys;
    for (const ObjectInfo& o : *ws_.real_store().List("")) keys.insert(o.key);
    return keys;
  }
  std::set<std::string> IndexedDocuments() {
    SearchQuery q;
    q.vector = {1, 0.5f, 0.25f, 1};
    q.mode = SearchMode::kVector;
    q.k = 50;
    Result<std::vector<SearchHit>> hits = index_->Search(q);
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    std::set<std::string> ids;
    if (hits.ok()) {
      for (const SearchHit& h : *hits) ids.insert(h.chunk.document_id);
    }
    return ids;
  }

  testing::FakeClock clock_;
  testing::PipelineWorkspace ws_{clock_};
  EventRecorder events_{ws_.services(), "cli", 0};
  Registrar registrar_{ws_.services(), events_, 3};
  VectorIndexPtr index_;
  int opened_ = 0;
  Status open_error_;
  IndexOpener opener_ = [this]() -> Result<VectorIndex*> {
    ++opened_;
    if (!open_error_.ok()) return open_error_;
    return index_.get();
  };
};

TEST_F(DocumentDeleterTest, EveryVersionObjectAndChunkGoesAndTheAuditTrailStays) {
  Registration v1 = Processed("a.md", "first", true);
  Registration v2 = Processed("a.md", "second text", true);
  ASSERT_EQ(v2.processing_version, "000002");
  Registration other = Processed("b.md", "other", true);
  const std::set<std::string> before = Keys();

  Result<DeleteReport> report = Delete(v1.document_id);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->versions, 2);
  // input/a.md, five outputs, two extracted objects.
  EXPECT_EQ(report->objects, 8);
  EXPECT_EQ(opened_, 1);

  EXPECT_TRUE(ws_.real_control().ListVersions(v1.document_id)->empty());
  EXPECT_TRUE(ws_.real_control().Get(other.document_id, "000001").ok());
  std::set<std::string> left;
  for (const std::string& k : before) {
    if (k.find(v1.document_id) == std::string::npos && k != "input/a.md") left.insert(k);
  }
  EXPECT_EQ(Keys(), left) << "only the other document's objects are left";
  EXPECT_TRUE(Keys().count("input/b.md"));
  EXPECT_EQ(IndexedDocuments(), std::set<std::string>{other.document_id});

  EXPECT_EQ(ws_.CountAudit(v1.document_id, "DOCUMENT_RECEIVED"), 2) << "the audit trail is kept";
  Result<std::vector<AuditEvent>> audit = ws_.real_audit().List(v1.document_id);
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->back().event_type, "DOCUMENT_DELETED");
  EXPECT_EQ(audit->back().processing_version, "000002");
  EXPECT_EQ(audit->back().details["versions"], 2);
  EXPECT_EQ(audit->back().details["objects"], 8);

  EXPECT_TRUE(Delete(v1.document_id).status().IsNotFound()) << "gone";
}

TEST_F(DocumentDeleterTest, ADocumentThatNeverLoadedTouchesNoIndex) {
  Registration reg = Processed("a.md", "text", false);
  open_error_ = Status::Unavailable("the index must not be opened");
  Result<DeleteReport> report = Delete(reg.document_id);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(opened_, 0);
  EXPECT_EQ(report->versions, 1);
  EXPECT_TRUE(Keys().empty());

  // A load that failed at once still counts as started.
  Registration failed = Processed("b.md", "text", false);
  ControlRecord r = *ws_.real_control().Get(failed.document_id, "000001");
  r.stage_status[kLoadStage].status = StageState::kFailed;
  ASSERT_TRUE(ws_.real_control().Update(r).ok());
  Result<DeleteReport> refused = Delete(failed.document_id);
  EXPECT_EQ(refused.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(opened_, 1);
}

TEST_F(DocumentDeleterTest, AnUnknownIdIsNotFoundNamingIt) {
  Result<DeleteReport> r = Delete("no-such-doc");
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_NE(r.status().message().find("no-such-doc"), std::string::npos);
}

TEST_F(DocumentDeleterTest, ALiveClaimIsAConflictAnExpiredOneIsNot) {
  Registration reg = Processed("a.md", "text", true);
  ControlRecord r = *ws_.real_control().Get(reg.document_id, "000001");
  r.status = DocStatus::kInProgress;
  r.lease_owner = "host:3";
  r.lease_expires_at = clock_.NowMs() + 1000;
  ASSERT_TRUE(ws_.real_control().Update(r).ok());
  Result<DeleteReport> busy = Delete(reg.document_id);
  EXPECT_TRUE(busy.status().IsConflict()) << busy.status().ToString();
  EXPECT_NE(busy.status().message().find("host:3"), std::string::npos) << busy.status().ToString();
  EXPECT_EQ(opened_, 0);
  EXPECT_EQ(Keys().size(), 8u) << "nothing deleted";

  clock_.Advance(1000);  // the worker died: its lease ran out
  EXPECT_TRUE(Delete(reg.document_id).ok());
}

TEST_F(DocumentDeleterTest, ErrorsStopTheDeleteAndKeepTheRecordsForARetry) {
  Registration reg = Processed("a.md", "text", true);
  const std::string& id = reg.document_id;

  ws_.faults().Fail("control.ListVersions", Status::Unavailable("control table down"));
  EXPECT_EQ(Delete(id).status().code(), Status::Code::kUnavailable);
  ws_.faults().Clear();

  open_error_ = Status::InvalidInput("no Pinecone API key");
  EXPECT_EQ(Delete(id).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(IndexedDocuments(), std::set<std::string>{id});
  EXPECT_EQ(Keys().size(), 8u);
  open_error_ = Status::Ok();

  ws_.faults().Fail("store.List", Status::Unavailable("S3 down"));
  EXPECT_EQ(Delete(id).status().code(), Status::Code::kUnavailable);
  ws_.faults().Clear();
  ws_.faults().Fail("store.Delete", Status::Unavailable("S3 down"), 1);
  EXPECT_EQ(Delete(id).status().code(), Status::Code::kUnavailable);
  ws_.faults().Fail("control.Delete", Status::Unavailable("control table down"), 1);
  EXPECT_EQ(Delete(id).status().code(), Status::Code::kUnavailable);
  EXPECT_TRUE(ws_.real_control().Get(id, "000001").ok()) << "the record stays until everything else is gone";
  EXPECT_EQ(ws_.CountAudit(id, "DOCUMENT_DELETED"), 0);

  Result<DeleteReport> done = Delete(id);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->versions, 1);
  EXPECT_TRUE(Keys().empty());
  EXPECT_TRUE(IndexedDocuments().empty());
  EXPECT_EQ(ws_.CountAudit(id, "DOCUMENT_DELETED"), 1);
}

}  // namespace
}  // namespace docpipe
