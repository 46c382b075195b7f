#include "pipeline/stage_contracts.h"

#include <gtest/gtest.h>

#include "object_store/local_object_store.h"
#include "pipeline/object_keys.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

ControlRecord Version(const std::string& id, const std::string& version) {
  ControlRecord r;
  r.document_id = id;
  r.processing_version = version;
  r.source_key = "input/a/" + id + ".pdf";
  return r;
}

Chunk MakeChunk(const std::string& id, int index, const std::string& text) {
  Chunk c;
  c.chunk_id = id + ":000001:" + std::to_string(index);
  c.index = index;
  c.text = text;
  c.breadcrumbs = {"Guide", "Install"};
  c.context_prefix = "Guide > Install";
  c.page_start = 1;
  c.page_end = 2;
  c.page_label_start = "iv";
  c.page_label_end = "v";
  c.token_count = 3;
  c.char_count = static_cast<int>(text.size());
  c.type = "text";
  return c;
}

class StageArtifactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ObjectStorePtr> store = NewLocalObjectStore(dir_.Join("store"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  ChunkSet Chunks(const ControlRecord& r) {
    ChunkSet c;
    c.document_id = r.document_id;
    c.processing_version = r.processing_version;
    c.source_key = r.source_key;
    c.tokenizer = "cl100k_base";
    c.chunks = {MakeChunk(r.document_id, 0, "call Ann at 555-0100"), MakeChunk(r.document_id, 1, "plain text")};
    return c;
  }
  EnrichmentSet Enrichment(const ControlRecord& r, bool redact) {
    EnrichmentSet e;
    e.document_id = r.document_id;
    e.processing_version = r.processing_version;
    e.enricher = "local";
    e.redact_pii = redact;
    e.dominant_language = "en";
    e.pii_counts = {{"PHONE", 1}};
    for (const Chunk& c : Chunks(r).chunks) {
      ChunkEnrichment ce;
      ce.chunk_id = c.chunk_id;
      e.chunks.push_back(ce);
    }
    return e;
  }

  // Redacted, with every kind of span, PII text and a double that is not
  // exactly its written digits.
  EnrichmentSet EnrichmentWithPii(const ControlRecord& r) {
    EnrichmentSet e = Enrichment(r, true);
    e.entity_counts = {{"DATE", 1}};
    e.cost_usd = 0.1 + 0.2;
    ChunkEnrichment& ce = e.chunks.at(0);
    ce.languages = {{"en", 0.987654321}};
    ce.entities = {{"DATE", "1 May", 0.75, 0, 5, 0, 5}};
    ce.key_phrases = {{"call Ann", 0.5, 0, 8}};
    ce.pii_entities = {{"PHONE", "555-0100", 0.99, 12, 20, 12, 20}};
    ce.redacted_text = "call Ann at [PHONE]";
    return e;
  }

  testing::TempDir dir_;
  ObjectStorePtr store_;
};

TEST_F(StageArtifactsTest, EveryOutputRoundTrips) {
  StageArtifacts a(*store_);
  const ControlRecord r = Version("d1", "000001");

  ExtractedDocument d;
  d.document_id = r.document_id;
  d.processing_version = r.processing_version;
  d.source_key = r.source_key;
  d.format = "pdf";
  d.title = "Guide";
  d.page_count = 2;
  d.outline = {{1, "Install", 1}};
  d.chars_per_page = {10, 0};
  d.page_labels = {"iv", "v"};
  d.pages_without_text = {2};
  d.ocr_pages = {{2, "no_text_layer", 91.5, "Latin", 90}};
  d.unmapped_chars = 4;
  d.extraction_ms = 12;
  ASSERT_TRUE(a.Write(d).ok());
  Result<ExtractedDocument> d2 = a.ReadExtracted(r);
  ASSERT_TRUE(d2.ok()) << d2.status().ToString();
  EXPECT_EQ(ToJson(*d2), ToJson(d));
  EXPECT_EQ(d2->ocr_pages.at(0).rotation, 90);
  EXPECT_EQ(d2->page_labels.at(1), "v");

  ASSERT_TRUE(a.Write(Chunks(r)).ok());
  Result<ChunkSet> c2 = a.ReadChunks(r);
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  EXPECT_EQ(ToJson(*c2), ToJson(Chunks(r)));
  EXPECT_EQ(c2->chunks.at(0).page_label_start, "iv");

  ASSERT_TRUE(a.Write(Enrichment(r, false)).ok());
  Result<EnrichmentSet> e2 = a.ReadEnrichment(r);
  ASSERT_TRUE(e2.ok()) << e2.status().ToString();
  EXPECT_EQ(ToJson(*e2), ToJson(Enrichment(r, false)));

  EmbeddingSet v;
  v.document_id = r.document_id;
  v.processing_version = r.processing_version;
  v.model = "local-hash";
  v.dimension = 3;
  v.tokens = 6;
  v.requests = 1;
  v.vectors = {{"d1:000001:0", {0.5f, -1.0f, 0.25f}}, {"d1:000001:1", {0, 1, 0}}};
  ASSERT_TRUE(a.Write(v).ok());
  Result<EmbeddingSet> v2 = a.ReadEmbeddings(r);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(v2->vectors, v.vectors);
  EXPECT_EQ(v2->model, "local-hash");
}

TEST_F(StageArtifactsTest, AnotherVersionsOutputIsRefused) {
  StageArtifacts a(*store_);
  ASSERT_TRUE(a.Write(Chunks(Version("d1", "000001"))).ok());
  Result<ChunkSet> c = a.ReadChunks(Version("d1", "000002"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInternal) << c.status().ToString();
  EXPECT_NE(c.status().message().find("000001"), std::string::npos) << c.status().message();
  EXPECT_TRUE(a.ReadEnrichment(Version("d1", "000001")).status().code() == Status::Code::kNotFound);
}

TEST_F(StageArtifactsTest, AMissingFieldIsNamed) {
  ASSERT_TRUE(store_->Put(ChunksKey("d1"), R"({"document_id":"d1","processing_version":"000001"})").ok());
  StageArtifacts a(*store_);
  Result<ChunkSet> c = a.ReadChunks(Version("d1", "000001"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("source_key"), std::string::npos) << c.status().message();
}

TEST_F(StageArtifactsTest, RedactedTextsReplaceTheChunkTextsAndLeaveStage2Alone) {
  StageArtifacts a(*store_);
  const ControlRecord r = Version("d1", "000001");
  ASSERT_TRUE(a.Write(Chunks(r)).ok());
  ASSERT_TRUE(a.Write(Enrichment(r, true)).ok());
  RedactedTexts t;
  t.document_id = r.document_id;
  t.processing_version = r.processing_version;
  t.texts = {{"d1:000001:0", "call [NAME] at [PHONE]"}, {"d1:000001:1", "plain text"}};
  ASSERT_TRUE(a.Write(t).ok());

  Result<ChunksToIndex> in = a.ReadChunksToIndex(r);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->chunks.chunks.at(0).text, "call [NAME] at [PHONE]");
  // Stage 2's output still holds its own texts.
  EXPECT_EQ(a.ReadChunks(r)->chunks.at(0).text, "call Ann at 555-0100");
}

TEST_F(StageArtifactsTest, RedactionWithoutItsTextsAsksToReingest) {
  StageArtifacts a(*store_);
  const ControlRecord r = Version("d1", "000001");
  ASSERT_TRUE(a.Write(Chunks(r)).ok());
  ASSERT_TRUE(a.Write(Enrichment(r, true)).ok());
  Result<ChunksToIndex> in = a.ReadChunksToIndex(r);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), Status::Code::kInvalidInput) << in.status().ToString();
  EXPECT_NE(in.status().message().find("re-ingest"), std::string::npos) << in.status().message();
}

// A workspace written before issue 13: chunks redacted in place by the enrich
// stage ("redacted": true), no redacted/ output, metadata without the fields
// issue 14 added. It keeps working.
TEST_F(StageArtifactsTest, OutputsOfOlderWorkspacesStillRead) {
  const ControlRecord r = Version("d1", "000001");
  ASSERT_TRUE(store_
                  ->Put(ExtractedMetadataKey("d1"),
                        R"({"document_id":"d1","processing_version":"000001","source_key":"input/a/d1.pdf",
                            "format":"pdf","title":"T","page_count":1,"outline":[],"chars_per_page":[5],
                            "pages_without_text":[],"extraction_ms":3})")
                  .ok());
  nlohmann::json chunk = ToJson(MakeChunk("d1", 0, "call [NAME] at [PHONE]"));
  nlohmann::json chunks = {{"document_id", "d1"},
                           {"processing_version", "000001"},
                           {"source_key", "input/a/d1.pdf"},
                           {"tokenizer", "cl100k_base"},
                           {"options", {{"target_tokens", 512}, {"min_tokens", 64}, {"max_tokens", 800},
                                        {"overlap_tokens", 0}}},
                           {"chunk_count", 1},
                           {"redacted", true},
                           {"chunks", {chunk}}};
  ASSERT_TRUE(store_->Put(ChunksKey("d1"), chunks.dump()).ok());
  nlohmann::json enriched = {{"document_id", "d1"},   {"processing_version", "000001"},
                             {"enricher", "local"},   {"redact_pii", true},
                             {"dominant_language", "en"}, {"pii_counts", {{"PHONE", 1}}},
                             {"entity_counts", nlohmann::json::object()}, {"comprehend_calls", 0},
                             {"cost_usd", 0.0},       {"chunks", {{{"chunk_id", "d1:000001:0"}}}}};
  ASSERT_TRUE(store_->Put(EnrichedKey("d1"), enriched.dump()).ok());

  StageArtifacts a(*store_);
  Result<ExtractedDocument> d = a.ReadExtracted(r);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->page_labels.empty());
  Result<ChunksToIndex> in = a.ReadChunksToIndex(r);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_TRUE(in->chunks.redacted_in_place);
  EXPECT_EQ(in->chunks.chunks.at(0).text, "call [NAME] at [PHONE]");
}

// ---- Outputs handed on through a StageOutputMemo --------------------------------

// enriched/ holds PII by type and offsets, and no chunk text: not the PII,
// and not the redacted text either (redacted/<id>.json has it). Before the
// fix the redacted texts were written here too, under "RedactedText".
TEST_F(StageArtifactsTest, TheEnrichmentHoldsNeitherThePiiNorTheRedactedText) {
  StageArtifacts a(*store_);
  const ControlRecord r = Version("d1", "000001");
  ASSERT_TRUE(a.Write(EnrichmentWithPii(r)).ok());
  Result<std::string> stored = store_->Get(EnrichedKey("d1"));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->find("555-0100"), std::string::npos) << *stored;
  EXPECT_EQ(stored->find("RedactedText"), std::string::npos) << *stored;
  EXPECT_EQ(stored->find("call Ann at [PHONE]"), std::string::npos) << *stored;
  EXPECT_NE(stored->find("\"PHONE\""), std::string::npos) << *stored;
  Result<EnrichmentSet> e = a.ReadEnrichment(r);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->chunks.at(0).pii_entities.at(0).end_offset, 20);
}

TEST_F(StageArtifactsTest, MemoizedReadsAreTheReadsOfTheStoredBytes) {
  StageOutputMemo memo;
  StageArtifacts writer(*store_, &memo);
  StageArtifacts plain(*store_);  // parses what is stored
  const ControlRecord r = Version("d1", "000001");
  ASSERT_TRUE(writer.Write(Chunks(r)).ok());
  ASSERT_TRUE(writer.Write(EnrichmentWithPii(r)).ok());
  RedactedTexts t;
  t.document_id = r.document_id;
  t.processing_version = r.processing_version;
  t.texts = {{"d1:000001:0", "call Ann at [PHONE]"}, {"d1:000001:1", "plain text"}};
  ASSERT_TRUE(writer.Write(t).ok());
  EmbeddingSet v;
  v.document_id = r.document_id;
  v.processing_version = r.processing_version;
  v.model = "local-hash";
  v.dimension = 2;
  v.vectors = {{"d1:000001:0", {0.1f, -3.5e-12f}}, {"d1:000001:1", {1, 0}}};
  ASSERT_TRUE(writer.Write(v).ok());

  Result<ChunkSet> c = writer.ReadChunks(r);
  Result<EnrichmentSet> e = writer.ReadEnrichment(r);
  Result<RedactedTexts> rt = writer.ReadRedacted(r);
  Result<EmbeddingSet> ev = writer.ReadEmbeddings(r);
  ASSERT_TRUE(c.ok() && e.ok() && rt.ok() && ev.ok());
  EXPECT_EQ(memo.hits(), 4);
  EXPECT_EQ(ToJson(*c).dump(), ToJson(*plain.ReadChunks(r)).dump());
  EXPECT_EQ(ToJson(*e).dump(), ToJson(*plain.ReadEnrichment(r)).dump());
  EXPECT_EQ(ToJson(*rt).dump(), ToJson(*plain.ReadRedacted(r)).dump());
  EXPECT_EQ(ev->vectors, plain.ReadEmbeddings(r)->vectors);
  // What the output leaves out is left out of a memoized read too: the PII
  // itself and the redacted text never come back from enriched/.
  ASSERT_EQ(e->chunks.at(0).pii_entities.size(), 1u);
  EXPECT_EQ(e->chunks.at(0).pii_entities[0].text, "");
  EXPECT_EQ(e->chunks.at(0).redacted_text, "");
  EXPECT_EQ(e->cost_usd, 0.1 + 0.2);
  EXPECT_EQ(e->chunks.at(0).languages.at(0).score, 0.987654321);

  Result<ChunksToIndex> in = writer.ReadChunksToIndex(r);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->chunks.chunks.at(0).text, "call Ann at [PHONE]");
  EXPECT_EQ(writer.ReadChunks(r)->chunks.at(0).text, "call Ann at 555-0100");  // the memo's copy is untouched
}

TEST_F(StageArtifactsTest, AnOutputRewrittenElsewhereIsReadFromTheStore) {
  StageOutputMemo memo;
  StageArtifacts a(*store_, &memo);
  const ControlRecord r = Version("d1", "000001");
  ASSERT_TRUE(a.Write(Chunks(r)).ok());
  // Another process writes the same key: the memo's value is not what is stored.
  ChunkSet other = Chunks(r);
  other.chunks.at(1).text = "rewritten";
  ASSERT_TRUE(store_->Put(ChunksKey("d1"), ToJson(other).dump(1)).ok());
  Result<ChunkSet> c = a.ReadChunks(r);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->chunks.at(1).text, "rewritten");
  EXPECT_EQ(memo.hits(), 0);
  // Removed: NotFound as without the memo.
  ASSERT_TRUE(a.Write(Chunks(r)).ok());
  ASSERT_TRUE(store_->Delete(ChunksKey("d1")).ok());
  EXPECT_EQ(a.ReadChunks(r).status().code(), Status::Code::kNotFound);
}

TEST_F(StageArtifactsTest, AMemoizedOutputOfAnotherVersionIsRefused) {
  StageOutputMemo memo;
  StageArtifacts a(*store_, &memo);
  ASSERT_TRUE(a.Write(Chunks(Version("d1", "000001"))).ok());
  Result<ChunkSet> c = a.ReadChunks(Version("d1", "000002"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInternal) << c.status().ToString();
  EXPECT_NE(c.status().message().find("belongs to version 000001, not 000002"), std::string::npos)
      << c.status().message();
}

TEST_F(StageArtifactsTest, TheMemoHoldsItsCapacityAndForgetsADocumentsOutputs) {
  StageOutputMemo memo(2);
  StageArtifacts a(*store_, &memo);
  const ControlRecord r1 = Version("d1", "000001"), r2 = Version("d2", "000001"), r3 = Version("d3", "000001");
  ASSERT_TRUE(a.Write(Chunks(r1)).ok());
  ASSERT_TRUE(a.Write(Chunks(r2)).ok());
  ASSERT_TRUE(a.Write(Chunks(r3)).ok());  // d1's chunks dropped: the oldest
  ASSERT_TRUE(a.ReadChunks(r1).ok());
  EXPECT_EQ(memo.hits(), 0);
  ASSERT_TRUE(a.ReadChunks(r3).ok());
  EXPECT_EQ(memo.hits(), 1);
  a.ForgetOutputs("d3");
  ASSERT_TRUE(a.ReadChunks(r3).ok());  // parsed again
  EXPECT_EQ(memo.hits(), 1);
  ASSERT_TRUE(a.ReadChunks(r2).ok());
  EXPECT_EQ(memo.hits(), 2);
}

}  // namespace
}  // namespace docpipe
