// The five stages run one after another on one document version, each with
// only what it needs (the local adapters), checking what each writes.
#include "pipeline/stages.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "embed/local_embedder.h"
#include "enrich/local_enricher.h"
#include "extract/extractor_registry.h"
#include "index/local_vector_index.h"
#include "object_store/local_object_store.h"
#include "pipeline/object_keys.h"
#include "pipeline/stage_contracts.h"
#include "support/fake_clock.h"
#include "support/test_util.h"
#include "tables/sqlite_tables.h"
#include "tokenize/bpe_tokenizer.h"

namespace docpipe {
namespace {

constexpr const char* kEmail = "jane.doe@example.com";

SearchQuery Keyword(const std::string& text, int k) {
  SearchQuery q;
  q.text = text;
  q.mode = SearchMode::kKeyword;
  q.k = k;
  return q;
}

// Forwards to a store, counting reads and calling `after_get` after each
// (a stage's deadline passing while it reads its inputs).
class ReadWatchingStore final : public ObjectStore {
 public:
  ReadWatchingStore(ObjectStore& inner, std::function<void(const std::string&)> after_get)
      : inner_(inner), after_get_(std::move(after_get)) {}
  Status Put(const std::string& key, std::string_view data) override { return inner_.Put(key, data); }
  Status PutFile(const std::string& key, const std::string& path) override { return inner_.PutFile(key, path); }
  Result<std::string> Get(const std::string& key) override {
    Result<std::string> r = inner_.Get(key);
    {
      std::lock_guard lock(mu_);
      read_.push_back(key);
    }
    after_get_(key);
    return r;
  }
  Result<std::string> GetRange(const std::string& key, int64_t offset, int64_t length) override {
    return inner_.GetRange(key, offset, length);
  }
  Result<ObjectInfo> Head(const std::string& key) override { return inner_.Head(key); }
  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override { return inner_.List(prefix); }
  Status Delete(const std::string& key) override { return inner_.Delete(key); }
  Result<LocalFile> Fetch(const std::string& key) override { return inner_.Fetch(key); }
  std::vector<std::string> read() const {
    std::lock_guard lock(mu_);
    return read_;
  }

 private:
  ObjectStore& inner_;
  std::function<void(const std::string&)> after_get_;
  mutable std::mutex mu_;  // the load stage reads its inputs on two threads
  std::vector<std::string> read_;
};

class StagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ObjectStorePtr> store = NewLocalObjectStore(dir_.Join("store"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    Result<ControlTablePtr> control = NewSqliteControlTable(dir_.Join("docpipe.db"));
    ASSERT_TRUE(control.ok()) << control.status().ToString();
    control_ = std::move(*control);
    Result<VectorIndexPtr> index = NewLocalVectorIndex({.directory = dir_.Join("index"), .dimension = 64});
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    index_ = std::move(*index);
    embedder_ = NewLocalEmbedder({.dimension = 64, .threads = 1});
    extractors_ = NewDefaultExtractors();

    record_.document_id = "guide-0123456789ab";
    record_.processing_version = "000001";
    record_.source_key = "input/docs/guide.md";
    record_.status = DocStatus::kInProgress;
    ASSERT_TRUE(control_->Create(record_).ok());
    const std::string text =
        "# Installation guide\n\nRun the installer and follow the steps on the screen.\n\n"
        "## Support\n\nWrite to " + std::string(kEmail) + " when the installer stops with an error.\n";
    ASSERT_TRUE(store_->Put(record_.source_key, text).ok());
  }

  Result<StageResult> Run(Stage& stage) {
    StageContext ctx{record_, clock_.NowMs() + 60'000, nullptr};
    return stage.Run(ctx);
  }

  void RunAll(bool redact, StageOutputMemo* memo = nullptr) {
    StagePtr extract = NewExtractStage(
        *store_, clock_,
        [this](const std::string& key, std::string_view head) { return SelectExtractor(extractors_, key, head); },
        [](std::string_view s) { return std::string(s); });
    Result<TokenizerPtr> tokenizer = NewBpeTokenizer("cl100k_base");
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
    StagePtr chunk = NewChunkStage(*store_, std::move(*tokenizer), ChunkOptions{}, DocumentLimits{}.max_chunks, 1, memo);
    EnrichOptions enrich;
    enrich.redact_pii = redact;
    StagePtr enrich_stage = NewEnrichStage(*store_, NewLocalEnricher(), enrich, memo);
    StagePtr embed = NewEmbedStage(*store_, clock_, *embedder_, 16, memo);
    StagePtr load = NewLoadStage(*store_, *control_, *index_, memo);
    for (Stage* s : {extract.get(), chunk.get(), enrich_stage.get(), embed.get(), load.get()}) {
      Result<StageResult> r = Run(*s);
      ASSERT_TRUE(r.ok()) << s->Name() << ": " << r.status().ToString();
      results_[s->Name()] = *r;
    }
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  ObjectStorePtr store_;
  ControlTablePtr control_;
  VectorIndexPtr index_;
  EmbedderPtr embedder_;
  std::vector<ExtractorPtr> extractors_;
  ControlRecord record_;
  std::map<std::string, StageResult> results_;
};

TEST_F(StagesTest, EachStageWritesItsOwnTypedOutput) {
  ASSERT_NO_FATAL_FAILURE(RunAll(false));
  StageArtifacts a(*store_);
  Result<ExtractedDocument> doc = a.ReadExtracted(record_);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->format, "markdown");
  EXPECT_EQ(doc->page_count, 1);
  EXPECT_EQ(results_[kExtractStage].pages, 1);
  EXPECT_EQ(results_[kExtractStage].output_key, ExtractedPrefix(record_.document_id));

  Result<ChunkSet> chunks = a.ReadChunks(record_);
  ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
  ASSERT_FALSE(chunks->chunks.empty());
  EXPECT_EQ(chunks->tokenizer, "cl100k_base");
  EXPECT_EQ(results_[kChunkStage].chunks, static_cast<int64_t>(chunks->chunks.size()));

  Result<EnrichmentSet> enrichment = a.ReadEnrichment(record_);
  ASSERT_TRUE(enrichment.ok()) << enrichment.status().ToString();
  EXPECT_EQ(enrichment->chunks.size(), chunks->chunks.size());
  EXPECT_FALSE(enrichment->redact_pii);
  EXPECT_TRUE(a.ReadRedacted(record_).status().IsNotFound()) << "no redacted texts without redaction";

  Result<EmbeddingSet> vectors = a.ReadEmbeddings(record_);
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  ASSERT_EQ(vectors->vectors.size(), chunks->chunks.size());
  EXPECT_EQ(vectors->dimension, 64);

  Result<std::vector<SearchHit>> hits = index_->Search(Keyword("installer", 5));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().chunk.document_id, record_.document_id);
}

// With redaction, the enrich stage writes the redacted texts as its own
// output; stage 2's chunks keep their texts, and neither the embeddings'
// input nor the index sees the address.
TEST_F(StagesTest, RedactionIsItsOwnArtifactAndReachesTheIndex) {
  ASSERT_NO_FATAL_FAILURE(RunAll(true));
  StageArtifacts a(*store_);
  Result<ChunkSet> chunks = a.ReadChunks(record_);
  ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
  std::string all;
  for (const Chunk& c : chunks->chunks) all += c.text;
  EXPECT_NE(all.find(kEmail), std::string::npos) << "stage 2's output was rewritten";

  Result<RedactedTexts> redacted = a.ReadRedacted(record_);
  ASSERT_TRUE(redacted.ok()) << redacted.status().ToString();
  ASSERT_EQ(redacted->texts.size(), chunks->chunks.size());
  std::string red;
  for (const auto& [id, text] : redacted->texts) red += text;
  EXPECT_EQ(red.find(kEmail), std::string::npos) << red;

  Result<std::vector<SearchHit>> hits = index_->Search(Keyword("installer", 10));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_FALSE(hits->empty());
  for (const SearchHit& h : *hits) EXPECT_EQ(h.chunk.text.find(kEmail), std::string::npos) << h.chunk.text;
}

// Stages sharing a memo take their inputs from it (enrich: the chunks; embed:
// chunks, enrichment, redacted texts; load: those and the embeddings) and
// store the same outputs as stages without one; the load stage, their last
// reader, lets the memo drop them.
TEST_F(StagesTest, StagesSharingAMemoStoreTheSameOutputs) {
  ASSERT_NO_FATAL_FAILURE(RunAll(true));
  std::map<std::string, std::string> stored;
  for (const std::string& key : {ChunksKey(record_.document_id), EnrichedKey(record_.document_id),
                                 RedactedKey(record_.document_id), EmbeddingsKey(record_.document_id)}) {
    Result<std::string> bytes = store_->Get(key);
    ASSERT_TRUE(bytes.ok()) << key << ": " << bytes.status().ToString();
    stored[key] = *bytes;
  }
  StageOutputMemo memo;
  ASSERT_NO_FATAL_FAILURE(RunAll(true, &memo));
  EXPECT_EQ(memo.hits(), 1 + 3 + 4);
  for (const auto& [key, bytes] : stored) EXPECT_EQ(*store_->Get(key), bytes) << key;
  Result<std::vector<SearchHit>> hits = index_->Search(Keyword("installer", 10));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_FALSE(hits->empty());
  for (const SearchHit& h : *hits) EXPECT_EQ(h.chunk.text.find(kEmail), std::string::npos) << h.chunk.text;
  StageArtifacts a(*store_, &memo);
  ASSERT_TRUE(a.ReadChunks(record_).ok());
  EXPECT_EQ(memo.hits(), 1 + 3 + 4) << "the load stage left the document's outputs in the memo";
}

TEST_F(StagesTest, AStageWithoutItsInputFailsNamingIt) {
  Result<TokenizerPtr> tokenizer = NewBpeTokenizer("cl100k_base");
  ASSERT_TRUE(tokenizer.ok());
  StagePtr chunk = NewChunkStage(*store_, std::move(*tokenizer), ChunkOptions{});
  Result<StageResult> r = Run(*chunk);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("chunk needs the extract output"), std::string::npos) << r.status().ToString();
}

// Issue 17: the load stage's deadline holds while it reads its inputs (the
// chunks, enrichment and embeddings JSON: seconds for a large document on a
// loaded machine). Passing during the first read, it stops there.
TEST_F(StagesTest, ALoadWhoseDeadlinePassesWhileReadingReadsNoFurther) {
  ASSERT_NO_FATAL_FAILURE(RunAll(false));
  std::atomic<bool> cancel{false};
  ReadWatchingStore watched(*store_, [&](const std::string&) { cancel = true; });
  StagePtr load = NewLoadStage(watched, *control_, *index_);
  StageContext ctx{record_, clock_.NowMs() + 60'000, &cancel};
  Result<StageResult> r = load->Run(ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCancelled) << r.status().ToString();
  // The chunks and the embeddings are read at once; the enrichment, read
  // after the chunks, must not be.
  const std::vector<std::string> read = watched.read();
  EXPECT_LE(read.size(), 2u) << "the load read on past its deadline";
  EXPECT_EQ(std::count(read.begin(), read.end(), EnrichedKey(record_.document_id)), 0)
      << "the load read on past its deadline";
}

// ...and inside one large input: the parse itself stops.
TEST_F(StagesTest, ReadingALargeOutputStopsWhenItsDeadlinePasses) {
  std::string values;
  for (int i = 0; i < 20'000; ++i) values += fmt::format("{}{}", i == 0 ? "" : ",", i);
  const std::string key = ChunksKey(record_.document_id);
  ASSERT_TRUE(store_->Put(key, fmt::format(R"({{"document_id":"{}","processing_version":"{}","padding":[{}]}})",
                                           record_.document_id, record_.processing_version, values))
                  .ok());
  std::atomic<bool> cancel{false};
  ReadWatchingStore watched(*store_, [&](const std::string&) { cancel = true; });
  Result<ChunkSet> chunks = StageArtifacts(watched).ReadChunks(record_, &cancel);
  ASSERT_FALSE(chunks.ok());
  EXPECT_EQ(chunks.status().code(), Status::Code::kCancelled) << chunks.status().ToString();
  EXPECT_NE(chunks.status().message().find(key), std::string::npos) << chunks.status().ToString();
  // Not cancelled: read whole (and refused: it holds no chunks).
  Result<ChunkSet> whole = StageArtifacts(*store_).ReadChunks(record_);
  EXPECT_NE(whole.status().code(), Status::Code::kCancelled) << whole.status().ToString();
}

// Issue 17: an extraction that fails (a limit here; a deadline the same way)
// writes none of the pages it had queued: a batch ends in a sync of the file
// system, which took seconds past the deadline while other work wrote.
TEST_F(StagesTest, AFileWithoutTextFailsSayingWhatItIs) {
  // A text or HTML file has no "text layer" to lack: it is empty, or markup.
  StagePtr extract = NewExtractStage(
      *store_, clock_,
      [this](const std::string& key, std::string_view head) { return SelectExtractor(extractors_, key, head); },
      [](std::string_view s) { return std::string(s); });
  const std::pair<std::string, std::string> files[] = {
      {"input/docs/dependency_links.txt", "\n"},
      {"input/docs/blank.html", "<html><head><title>T</title><style>p{}</style></head><body> </body></html>"}};
  for (const auto& [key, content] : files) {
    ControlRecord empty = record_;
    empty.document_id = "empty-" + std::to_string(key.size()) + "0123456789";
    empty.source_key = key;
    ASSERT_TRUE(control_->Create(empty).ok());
    ASSERT_TRUE(store_->Put(key, content).ok());
    StageContext ctx{empty, clock_.NowMs() + 60'000, nullptr};
    Result<StageResult> r = extract->Run(ctx);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
    const std::string format = key.ends_with(".txt") ? "text" : "html";
    EXPECT_EQ(r.status().message(),
              key + ": no text found: the file is empty, or only whitespace and markup (read as " + format + ")");
  }
}

TEST_F(StagesTest, AFailedExtractionWritesNoneOfItsQueuedPages) {
  ControlRecord paged = record_;
  paged.document_id = "paged-0123456789ab";
  paged.source_key = "input/docs/paged.txt";
  ASSERT_TRUE(control_->Create(paged).ok());
  ASSERT_TRUE(store_->Put(paged.source_key, "The first page.\n\fThe second page.\n\fThe third page.\n").ok());
  DocumentLimits limits;
  limits.max_pages = 1;
  StagePtr extract = NewExtractStage(
      *store_, clock_,
      [this](const std::string& key, std::string_view head) { return SelectExtractor(extractors_, key, head); },
      [](std::string_view s) { return std::string(s); }, nullptr, limits);
  StageContext ctx{paged, clock_.NowMs() + 60'000, nullptr};
  Result<StageResult> r = extract->Run(ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("max_pages"), std::string::npos) << r.status().ToString();
  Result<std::vector<ObjectInfo>> written = store_->List(ExtractedPrefix(paged.document_id));
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_TRUE(written->empty()) << written->size() << " pages written, first " << written->front().key;
}

}  // namespace
}  // namespace docpipe
