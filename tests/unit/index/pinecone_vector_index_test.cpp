// The Pinecone adapter against an in-process fake Pinecone (fake_pinecone.h)
// that checks every request against Pinecone's limits, plus a conformance
// test comparing docpipe's requests with the official TypeScript client's
// (tests/unit/index/pinecone_capture.mjs, run through node).
#include "index/pinecone_vector_index.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/curl_http_client.h"
#include "unit/index/fake_pinecone.h"
#include "support/test_util.h"
#include "support/fake_clock.h"
#include "support/process.h"
#include "common/utf8.h"

namespace docpipe {
namespace {

using json = nlohmann::json;
using testing::FakePinecone;
using testing::FakePineconeOptions;
using testing::PineconeFault;

// Deterministic, never all zero, different for each seed.
std::vector<float> Vec(int seed, int dim) {
  std::vector<float> v(dim);
  for (int j = 0; j < dim; ++j) v[j] = static_cast<float>(std::sin(seed * 12.9898 + j * 78.233 + 1.0));
  return v;
}

IndexedChunk MakePineconeChunk(const std::string& doc, const std::string& version, int i, int dim, std::string text = "") {
  IndexedChunk c;
  c.chunk_id = fmt::format("{}:{}:{}", doc, version, i);
  c.document_id = doc;
  c.processing_version = version;
  c.source_key = "input/manuals/" + doc + ".pdf";
  c.text = text.empty() ? fmt::format("Chunk {} of {} version {}: the simplex method.", i, doc, version) : text;
  c.breadcrumbs = {"GLPK Reference Manual", fmt::format("Chapter {}", i)};
  c.page_start = i + 1;
  c.page_end = i + 2;
  c.type = "text";
  c.key_phrases = {"simplex method", "basis"};
  c.language = "en";
  c.pii_types = {"EMAIL"};
  c.vector = Vec(i * 31 + static_cast<int>(std::hash<std::string>{}(doc + version) % 1000), dim);
  return c;
}

std::vector<IndexedChunk> MakeChunks(const std::string& doc, const std::string& version, int n, int dim) {
  std::vector<IndexedChunk> out;
  for (int i = 0; i < n; ++i) out.push_back(MakePineconeChunk(doc, version, i, dim));
  return out;
}

template <typename F>
FakePineconeOptions Fake(F set) {
  FakePineconeOptions o;
  set(o);
  return o;
}

// The fake answers `status` with `body` (instead of serving the request).
PineconeFault Answer(int status, std::string body, std::string content_type = "application/json") {
  PineconeFault f;
  f.status = status;
  f.body = std::move(body);
  f.content_type = std::move(content_type);
  return f;
}

// The fake serves the request normally, `ms` late.
PineconeFault Delay(int ms) {
  PineconeFault f;
  f.delay_ms = ms;
  return f;
}

SearchQuery Query(std::vector<float> vector, int k = 5, std::string document_id = "",
                  SearchMode mode = SearchMode::kVector, std::string text = "") {
  SearchQuery q;
  q.text = std::move(text);
  q.vector = std::move(vector);
  q.mode = mode;
  q.k = k;
  q.document_id = std::move(document_id);
  return q;
}

// Replaces document d-1 with `chunks` (their version) while its deadline
// passes 300 ms after the fake has received `count` requests `key` ("GET
// /vectors/list"), one of them hanging: the status, and how many ms after
// the deadline the call returned.
std::pair<Status, int64_t> ReplaceWithDeadlineDuring(VectorIndex& index, const FakePinecone& fake,
                                                     const std::string& key, size_t count,
                                                     const std::vector<IndexedChunk>& chunks) {
  std::atomic<bool> cancel{false};
  std::chrono::steady_clock::time_point cancelled_at;
  std::thread deadline([&] {
    while (fake.requests(key).size() < count) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancelled_at = std::chrono::steady_clock::now();
    cancel = true;
  });
  Status s = index.ReplaceDocument("d-1", chunks.front().processing_version, chunks, &cancel);
  const auto returned_at = std::chrono::steady_clock::now();
  deadline.join();
  return {s, std::chrono::duration_cast<std::chrono::milliseconds>(returned_at - cancelled_at).count()};
}

// A search near `vector` finds `n` chunks, all of version `version`.
void ExpectSearchFindsOnly(VectorIndex& index, const std::vector<float>& vector, size_t n, const std::string& version) {
  auto hits = index.Search(Query(vector, 10));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), n);
  for (const auto& h : *hits) EXPECT_EQ(h.chunk.processing_version, version);
}

class PineconeVectorIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { http_ = NewCurlHttpClient(); }

  PineconeOptions Options(const FakePinecone& fake) {
    PineconeOptions o;
    o.api_key = fake.options().api_key;
    o.index_name = fake.options().index_name;
    o.controller_host = fake.url();
    o.dimension = fake.options().dimension;
    o.timeout_ms = 5000;
    return o;
  }

  VectorIndexPtr Open(PineconeOptions o) {
    auto index = NewPineconeVectorIndex(*http_, clock_, std::move(o));
    EXPECT_TRUE(index.ok()) << index.status().ToString();
    return index.ok() ? std::move(*index) : nullptr;
  }
  VectorIndexPtr Open(const FakePinecone& fake) { return Open(Options(fake)); }

  static void ExpectNoViolations(const FakePinecone& fake) {
    for (const auto& v : fake.violations()) ADD_FAILURE() << "request broke Pinecone's rules: " << v;
  }

  static std::vector<std::string> IdsWithPrefix(const FakePinecone& fake, const std::string& prefix,
                                                const std::string& ns = "") {
    std::vector<std::string> out;
    for (const auto& id : fake.Ids(ns)) {
      if (id.rfind(prefix, 0) == 0) out.push_back(id);
    }
    return out;
  }

  HttpClientPtr http_;
  testing::FakeClock clock_;
};

// --- control plane ---------------------------------------------------------

TEST_F(PineconeVectorIndexTest, CreatesAMissingIndexAndWaitsUntilItIsReady) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.exists = false; o.not_ready_describes = 3; }));
  auto o = Options(fake);
  o.ready_poll_ms = 2000;
  VectorIndexPtr index = Open(o);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(fake.creates(), 1);
  auto create = fake.requests("POST /indexes");
  ASSERT_EQ(create.size(), 1u);
  EXPECT_EQ(json::parse(create[0].body),
            json::parse(R"({"name":"docs","dimension":8,"metric":"cosine",
                            "spec":{"serverless":{"cloud":"aws","region":"us-east-1"}}})"));
  // 404, then three "not ready" and one ready description.
  EXPECT_EQ(fake.requests("GET /indexes/docs").size(), 5u);
  EXPECT_GE(clock_.slept_ms(), 3 * 2000);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 2, 8)).ok());
  EXPECT_EQ(fake.Ids().size(), 2u);
  ExpectNoViolations(fake);
}

TEST_F(PineconeVectorIndexTest, AMissingIndexIsAnErrorWhenCreationIsOff) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.exists = false; }));
  auto o = Options(fake);
  o.create_if_missing = false;
  auto index = NewPineconeVectorIndex(*http_, clock_, o);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(index.status().message().find("does not exist"), std::string::npos) << index.status().message();
  EXPECT_TRUE(fake.requests("POST /indexes").empty());
}

TEST_F(PineconeVectorIndexTest, AnIndexCreatedMeanwhileByAnotherWorkerIsUsed) {
  FakePinecone fake;  // exists; the first describe says 404, as in a race
  fake.Fault("/indexes/docs", Answer(404, R"({"error":{"code":"NOT_FOUND","message":"Resource docs not found"},"status":404})"));
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(fake.requests("POST /indexes").size(), 1u);  // answered 409, not repeated
  EXPECT_EQ(fake.creates(), 0);
}

TEST_F(PineconeVectorIndexTest, DimensionMismatchAtStartupIsAClearError) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.dimension = 1536; }));
  auto o = Options(fake);
  o.dimension = 512;
  auto index = NewPineconeVectorIndex(*http_, clock_, o);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(index.status().message(), "Pinecone index docs has dimension 1536, the embedder makes 512");
}

TEST_F(PineconeVectorIndexTest, MetricMismatchAtStartupIsAClearError) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.metric = "dotproduct"; }));
  auto index = NewPineconeVectorIndex(*http_, clock_, Options(fake));
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(index.status().message().find("uses metric dotproduct"), std::string::npos) << index.status().message();
}

TEST_F(PineconeVectorIndexTest, AGivenIndexHostWinsOverTheDescribedOne) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.described_host = "http://127.0.0.1:1"; }));  // nothing listens there
  auto o = Options(fake);
  o.index_host = fake.url() + "/";
  VectorIndexPtr index = Open(o);
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 1, 8)).ok());
  EXPECT_EQ(fake.Ids().size(), 1u);
}

TEST_F(PineconeVectorIndexTest, AWrongApiKeyIsInvalidInputAndTheKeyIsNeverInTheError) {
  FakePinecone fake;
  auto o = Options(fake);
  o.api_key = "pk-wrong-secret-4242";
  auto index = NewPineconeVectorIndex(*http_, clock_, o);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(index.status().message().find("Invalid API Key"), std::string::npos) << index.status().message();
  EXPECT_EQ(index.status().ToString().find("pk-wrong-secret"), std::string::npos);
  EXPECT_EQ(fake.requests().size(), 1u);  // 401 is not retried
}

TEST_F(PineconeVectorIndexTest, EveryRequestCarriesTheHeadersPineconeExpects) {
  FakePinecone fake;
  auto o = Options(fake);
  o.source_tag = "  My App!! v2 ";
  VectorIndexPtr index = Open(o);
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 2, 8)).ok());
  ASSERT_TRUE(index->Search(Query(Vec(1, 8))).ok());
  ASSERT_TRUE(index->Stats().ok());
  for (const auto& r : fake.requests()) {
    EXPECT_EQ(r.headers.at("api-key"), o.api_key) << r.Key();
    EXPECT_EQ(r.headers.at("x-pinecone-api-version"), "2026-04") << r.Key();
    EXPECT_EQ(r.headers.at("user-agent"), "docpipe v" DOCPIPE_VERSION "; lang=cpp; source_tag=my_app_v2") << r.Key();
    if (r.method == "POST") {
      EXPECT_EQ(r.headers.at("content-type"), "application/json") << r.Key();
    }
  }
  ExpectNoViolations(fake);
}

// --- load ------------------------------------------------------------------

TEST_F(PineconeVectorIndexTest, ReplacingADocumentRemovesTheOlderVersionsChunks) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  // "d-0000000000aa" is a prefix of the other id: "<doc>:" keeps them apart.
  ASSERT_TRUE(index->ReplaceDocument("d-0000000000aa", "000001", MakeChunks("d-0000000000aa", "000001", 5, 8)).ok());
  ASSERT_TRUE(index->ReplaceDocument("d-0000000000aa2", "000001", MakeChunks("d-0000000000aa2", "000001", 4, 8)).ok());
  ASSERT_TRUE(index->ReplaceDocument("d-0000000000aa", "000002", MakeChunks("d-0000000000aa", "000002", 3, 8)).ok());
  EXPECT_EQ(IdsWithPrefix(fake, "d-0000000000aa:"),
            (std::vector<std::string>{"d-0000000000aa:000002:0", "d-0000000000aa:000002:1", "d-0000000000aa:000002:2"}));
  EXPECT_EQ(IdsWithPrefix(fake, "d-0000000000aa2:").size(), 4u);
  json m = fake.Metadata("d-0000000000aa:000002:1");
  EXPECT_EQ(m["processing_version"], "000002");
  EXPECT_EQ(m["document_id"], "d-0000000000aa");
  EXPECT_EQ(m["source_key"], "input/manuals/d-0000000000aa.pdf");
  EXPECT_EQ(m["breadcrumbs"], json({"GLPK Reference Manual", "Chapter 1"}));
  EXPECT_EQ(m["page_start"], 2);
  EXPECT_EQ(m["page_end"], 3);
  EXPECT_EQ(m["pii_types"], json({"EMAIL"}));
  EXPECT_FALSE(m.contains("text_truncated"));
  // Upserts come first, the stale ids are deleted after.
  auto reqs = fake.requests();
  size_t last_upsert = 0, first_delete = reqs.size();
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (reqs[i].path == "/vectors/upsert") last_upsert = i;
    if (reqs[i].path == "/vectors/delete" && first_delete == reqs.size()) first_delete = i;
  }
  EXPECT_LT(last_upsert, first_delete);
  auto deletes = fake.requests("POST /vectors/delete");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(json::parse(deletes[0].body)["ids"].size(), 5u);
  ExpectNoViolations(fake);
}

TEST_F(PineconeVectorIndexTest, ReplacingWithTheSameVersionDeletesNothing) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 3, 8)).ok());
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 3, 8)).ok());
  EXPECT_EQ(fake.Ids().size(), 3u);
  EXPECT_TRUE(fake.requests("POST /vectors/delete").empty());
}

TEST_F(PineconeVectorIndexTest, StaleIdsAreFoundAcrossListPagesAndDeletedInBatchesOf1000) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.dimension = 4; }));
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->ReplaceDocument("big", "000001", MakeChunks("big", "000001", 2500, 4)).ok());
  ASSERT_TRUE(index->ReplaceDocument("other", "000001", MakeChunks("other", "000001", 3, 4)).ok());
  fake.ClearRequests();
  ASSERT_TRUE(index->ReplaceDocument("big", "000002", MakeChunks("big", "000002", 1, 4)).ok());
  EXPECT_EQ(IdsWithPrefix(fake, "big:"), std::vector<std::string>{"big:000002:0"});
  EXPECT_EQ(IdsWithPrefix(fake, "other:").size(), 3u);
  auto lists = fake.requests("GET /vectors/list");
  EXPECT_EQ(lists.size(), 26u);  // 2501 ids, 100 a page
  std::vector<size_t> batch;
  for (const auto& d : fake.requests("POST /vectors/delete")) batch.push_back(json::parse(d.body)["ids"].size());
  EXPECT_EQ(batch, (std::vector<size_t>{1000, 1000, 500}));
  ExpectNoViolations(fake);
}

TEST_F(PineconeVectorIndexTest, DeleteDocumentRemovesEveryVersion) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.list_page_size = 3; }));
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 7, 8)).ok());
  ASSERT_TRUE(index->ReplaceDocument("d-2", "000001", MakeChunks("d-2", "000001", 2, 8)).ok());
  ASSERT_TRUE(index->DeleteDocument("d-1").ok());
  EXPECT_TRUE(IdsWithPrefix(fake, "d-1:").empty());
  EXPECT_EQ(IdsWithPrefix(fake, "d-2:").size(), 2u);
  fake.ClearRequests();
  EXPECT_TRUE(index->DeleteDocument("d-1").ok());  // nothing left: OK, no delete request
  EXPECT_TRUE(fake.requests("POST /vectors/delete").empty());
  // An empty id would list (and delete) the whole namespace.
  EXPECT_EQ(index->DeleteDocument("").code(), Status::Code::kInvalidInput);
  EXPECT_EQ(index->DeleteDocument("a:b").code(), Status::Code::kInvalidInput);
  EXPECT_EQ(fake.requests("GET /vectors/list").size(), 1u);
  ExpectNoViolations(fake);
}

TEST_F(PineconeVectorIndexTest, ALargeDocumentIsSplitIntoUpsertsOfAtMost1000Vectors) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.dimension = 4; }));
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->ReplaceDocument("big", "000001", MakeChunks("big", "000001", 2345, 4)).ok());
  std::vector<size_t> counts;
  for (const auto& s : fake.upsert_sizes()) counts.push_back(s.vectors);
  EXPECT_EQ(counts, (std::vector<size_t>{1000, 1000, 345}));
  EXPECT_EQ(fake.Ids().size(), 2345u);
  ExpectNoViolations(fake);
}

TEST_F(PineconeVectorIndexTest, ALargeDocumentIsSplitIntoUpsertsOfAtMost2MB) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.dimension = 1536; o.store_values = false; }));
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  std::vector<IndexedChunk> chunks;
  for (int i = 0; i < 300; ++i) {
    chunks.push_back(MakePineconeChunk("big", "000001", i, 1536, std::string(3000 + (i * 37) % 900, 'a' + i % 26)));
  }
  ASSERT_TRUE(index->ReplaceDocument("big", "000001", chunks).ok());
  auto sizes = fake.upsert_sizes();
  size_t total = 0, vectors = 0;
  for (const auto& s : sizes) {
    EXPECT_LE(s.bytes, 2u * 1024 * 1024);
    total += s.bytes;
    vectors += s.vectors;
  }
  EXPECT_EQ(vectors, 300u);
  ASSERT_GE(sizes.size(), 3u);  // about 6 MB
  // Greedy packing: the fewest requests the byte budget allows, every request
  // but the last nearly full (less than one ~24 KB record left over).
  EXPECT_LE(sizes.size(), (total + 2 * 1024 * 1024 - 1) / (2 * 1024 * 1024) + 1);
  for (size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_GT(sizes[i].bytes, 2u * 1024 * 1024 - 30'000) << i;
  ExpectNoViolations(fake);
}

TEST_F(PineconeVectorIndexTest, EachRequestIsAsFullAsTheByteLimitAllows) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.max_request_bytes = 20'000; }));
  auto o = Options(fake);
  o.max_request_bytes = 20'000;
  VectorIndexPtr index = Open(o);
  ASSERT_NE(index, nullptr);
  // Records of one size R: ids of equal length, same vector, same metadata size.
  std::vector<IndexedChunk> chunks;
  for (int i = 100; i < 400; ++i) {
    IndexedChunk c = MakePineconeChunk("eq", "000001", i, 8, std::string(300, 'x'));
    c.vector = Vec(7, 8);
    c.page_start = c.page_end = 5;
    c.breadcrumbs = {"Same"};
    chunks.push_back(std::move(c));
  }
  ASSERT_TRUE(index->ReplaceDocument("eq", "000001", chunks).ok());
  auto upserts = fake.requests("POST /vectors/upsert");
  ASSERT_GE(upserts.size(), 2u);
  const std::string envelope = R"({"vectors":[],"namespace":""})";
  const size_t n0 = json::parse(upserts[0].body)["vectors"].size();
  const size_t record = (upserts[0].body.size() - envelope.size() - (n0 - 1)) / n0;
  const size_t per_request = (20'000 - envelope.size() + 1) / (record + 1);
  size_t total = 0;
  for (size_t i = 0; i < upserts.size(); ++i) {
    const size_t n = json::parse(upserts[i].body)["vectors"].size();
    EXPECT_LE(upserts[i].body.size(), 20'000u);
    EXPECT_EQ(upserts[i].body.size(), envelope.size() + n * record + (n - 1)) << "records of one size";
    if (i + 1 < upserts.size()) {
      EXPECT_EQ(n, per_request) << i;
    }
    total += n;
  }
  EXPECT_EQ(total, 300u);
  EXPECT_EQ(upserts.size(), (300 + per_request - 1) / per_request);
  ExpectNoViolations(fake);
}

TEST_F(PineconeVectorIndexTest, AHugeChunksTextIsTrimmedToFitPineconesMetadataLimit) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  std::string text;
  while (text.size() < 120'000) text += "Ωmega \"quoted\"\n日本語 😀 tab\there\x01 ";
  auto chunks = MakeChunks("huge", "000001", 2, 8);
  chunks[0].text = text;
  ASSERT_TRUE(index->ReplaceDocument("huge", "000001", chunks).ok());
  json m = fake.Metadata("huge:000001:0");
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m["text_truncated"], true);
  const size_t bytes = FakePinecone::MetadataBytes(m);
  EXPECT_LE(bytes, 40u * 1024);
  EXPECT_GT(bytes, 40u * 1024 - 8);  // cut at the last code point that fits
  const std::string stored = m["text"].get<std::string>();
  EXPECT_TRUE(IsValidUtf8(stored));
  EXPECT_EQ(text.compare(0, stored.size(), stored), 0);
  EXPECT_FALSE(fake.Metadata("huge:000001:1").contains("text_truncated"));
  ExpectNoViolations(fake);
}

TEST(PineconeMetadataTest, TrimsAtACodePointBoundaryCountingJsonEscapes) {
  IndexedChunk c = MakePineconeChunk("d", "000001", 0, 4);
  std::string text;
  for (int i = 0; i < 5; ++i) text += "a\"\n😀é\x02z";  // escapes of 2 and 6 bytes, 2- and 4-byte code points
  c.text = "";
  auto empty = PineconeMetadataJson(c, 40 * 1024);
  ASSERT_TRUE(empty.ok());
  const size_t base = empty->size() + std::string(",\"text_truncated\":true").size();
  c.text = text;
  const size_t full = PineconeMetadataJson(c, 40 * 1024)->size();
  ASSERT_GT(full, base);
  // Every limit from "no text fits" to "all fits": never over the limit,
  // valid JSON and UTF-8, and the longest prefix of code points that fits.
  for (size_t limit = base; limit <= full + 1; ++limit) {
    auto out = PineconeMetadataJson(c, static_cast<int64_t>(limit));
    ASSERT_TRUE(out.ok()) << limit;
    EXPECT_LE(out->size(), limit);
    json m = json::parse(*out);
    const std::string kept = m["text"];
    EXPECT_TRUE(IsValidUtf8(kept));
    ASSERT_EQ(text.compare(0, kept.size(), kept), 0);
    if (limit >= full) {
      EXPECT_EQ(kept, text);
      EXPECT_FALSE(m.contains("text_truncated"));
      continue;
    }
    EXPECT_EQ(m["text_truncated"], true) << limit;
    ASSERT_LT(kept.size(), text.size());
    size_t next = kept.size() + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    const size_t next_escaped = json(text.substr(kept.size(), next - kept.size())).dump().size() - 2;
    EXPECT_GT(out->size() + next_escaped, limit) << "one more code point would have fitted at " << limit;
  }
  auto too_small = PineconeMetadataJson(c, static_cast<int64_t>(base) - 1);
  EXPECT_EQ(too_small.status().code(), Status::Code::kInvalidInput);
}

TEST_F(PineconeVectorIndexTest, InvalidChunksAreRejectedBeforeAnyRequest) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  fake.ClearRequests();
  auto wrong_dim = MakeChunks("d-1", "000001", 2, 8);
  wrong_dim[1].vector.resize(7);
  EXPECT_EQ(index->ReplaceDocument("d-1", "000001", wrong_dim).code(), Status::Code::kInvalidInput);
  auto zero = MakeChunks("d-1", "000001", 2, 8);
  zero[0].vector.assign(8, 0.0f);
  EXPECT_EQ(index->ReplaceDocument("d-1", "000001", zero).code(), Status::Code::kInvalidInput);
  auto nan = MakeChunks("d-1", "000001", 2, 8);
  nan[0].vector[3] = std::nanf("");
  EXPECT_EQ(index->ReplaceDocument("d-1", "000001", nan).code(), Status::Code::kInvalidInput);
  auto foreign = MakeChunks("d-1", "000001", 2, 8);
  foreign[1].chunk_id = "d-2:000001:1";
  EXPECT_EQ(index->ReplaceDocument("d-1", "000001", foreign).code(), Status::Code::kInvalidInput);
  auto dup = MakeChunks("d-1", "000001", 2, 8);
  dup[1].chunk_id = dup[0].chunk_id;
  EXPECT_EQ(index->ReplaceDocument("d-1", "000001", dup).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(index->ReplaceDocument("d-1", "000002", MakeChunks("d-1", "000001", 1, 8)).code(),
            Status::Code::kInvalidInput);
  EXPECT_TRUE(fake.requests().empty());

  // A record that no request can hold, after a good one: nothing is sent.
  auto o = Options(fake);
  o.max_request_bytes = 4000;
  VectorIndexPtr small = Open(o);
  ASSERT_NE(small, nullptr);
  fake.ClearRequests();
  auto big = MakeChunks("d-1", "000001", 2, 8);
  big[1].text = std::string(5000, 'y');
  Status s = small->ReplaceDocument("d-1", "000001", big);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("more than an upsert request may (4000)"), std::string::npos) << s.message();
  EXPECT_TRUE(fake.requests().empty());
}

// --- search ----------------------------------------------------------------

TEST_F(PineconeVectorIndexTest, SearchReturnsChunksWithTheirMetadataWithAndWithoutADocumentFilter) {
  FakePinecone fake(Fake([](FakePineconeOptions& o) { o.list_page_size = 100; }));
  auto o = Options(fake);
  o.namespace_ = "prod";
  VectorIndexPtr index = Open(o);
  ASSERT_NE(index, nullptr);
  auto a = MakeChunks("doc-a", "000001", 6, 8);
  auto b = MakeChunks("doc-b", "000003", 6, 8);
  ASSERT_TRUE(index->ReplaceDocument("doc-a", "000001", a).ok());
  ASSERT_TRUE(index->ReplaceDocument("doc-b", "000003", b).ok());
  EXPECT_EQ(fake.Ids("prod").size(), 12u);

  auto hits = index->Search(Query(b[2].vector, 4));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 4u);
  const SearchHit& top = (*hits)[0];
  EXPECT_EQ(top.chunk.chunk_id, "doc-b:000003:2");
  EXPECT_NEAR(top.score, 1.0, 1e-5);
  EXPECT_EQ(top.vector_rank, 1);
  EXPECT_EQ(top.keyword_rank, 0);
  EXPECT_EQ(top.chunk.document_id, "doc-b");
  EXPECT_EQ(top.chunk.processing_version, "000003");
  EXPECT_EQ(top.chunk.source_key, "input/manuals/doc-b.pdf");
  EXPECT_EQ(top.chunk.text, b[2].text);
  EXPECT_EQ(top.chunk.breadcrumbs, b[2].breadcrumbs);
  EXPECT_EQ(top.chunk.page_start, 3);
  EXPECT_EQ(top.chunk.page_end, 4);
  EXPECT_EQ(top.chunk.type, "text");
  EXPECT_EQ(top.chunk.key_phrases, b[2].key_phrases);
  EXPECT_EQ(top.chunk.language, "en");
  EXPECT_EQ(top.chunk.pii_types, b[2].pii_types);
  EXPECT_TRUE(top.chunk.vector.empty());
  for (size_t i = 1; i < hits->size(); ++i) {
    EXPECT_LE((*hits)[i].score, (*hits)[i - 1].score);
    EXPECT_EQ((*hits)[i].vector_rank, static_cast<int>(i + 1));
  }

  auto only_a = index->Search(Query(b[2].vector, 10, "doc-a"));
  ASSERT_TRUE(only_a.ok());
  ASSERT_EQ(only_a->size(), 6u);
  for (const auto& h : *only_a) EXPECT_EQ(h.chunk.document_id, "doc-a");
  auto queries = fake.requests("POST /query");
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_FALSE(json::parse(queries[0].body).contains("filter"));
  EXPECT_EQ(json::parse(queries[1].body)["filter"], json::parse(R"({"document_id":{"$eq":"doc-a"}})"));
  EXPECT_EQ(json::parse(queries[1].body)["namespace"], "prod");

  // Hybrid: the vector results (a dense index has no BM25 side).
  auto hybrid = index->Search(Query(b[2].vector, 4, "", SearchMode::kHybrid, "simplex"));
  ASSERT_TRUE(hybrid.ok());
  ASSERT_EQ(hybrid->size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ((*hybrid)[i].chunk.chunk_id, (*hits)[i].chunk.chunk_id);
  auto keyword = index->Search(Query({}, 5, "", SearchMode::kKeyword, "simplex"));
  ASSERT_FALSE(keyword.ok());
  EXPECT_EQ(keyword.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(keyword.status().message().find("keyword search needs the local index"), std::string::npos);
  EXPECT_EQ(index->Search(Query(Vec(1, 7))).status().code(),
            Status::Code::kInvalidInput);

  auto stats = index->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->chunks, 12);
  EXPECT_EQ(stats->dimension, 8);
  ExpectNoViolations(fake);
}

TEST_F(PineconeVectorIndexTest, StatsOfTheDefaultNamespace) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  auto empty = index->Stats();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->chunks, 0);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 5, 8)).ok());
  auto stats = index->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->chunks, 5);  // listed as "__default__"
}

TEST_F(PineconeVectorIndexTest, ANamespaceNotFoundIsEmptyButAnyOther404IsAnError) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  const std::string missing = R"({"code":5,"message":"Namespace not found","details":[]})";
  fake.Fault("/query", Answer(404, missing));
  auto none = index->Search(Query(Vec(1, 8)));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  fake.Fault("/vectors/list", Answer(404, missing));
  EXPECT_TRUE(index->DeleteDocument("d-1").ok());
  // A wrong host answers 404 too: that must not look like an empty index.
  fake.Fault("/query", Answer(404, "404 page not found", "text/plain"));
  EXPECT_EQ(index->Search(Query(Vec(1, 8))).status().code(), Status::Code::kNotFound);
  fake.Fault("/vectors/list", Answer(404, "404 page not found", "text/plain"));
  EXPECT_EQ(index->DeleteDocument("d-1").code(), Status::Code::kNotFound);
}

TEST_F(PineconeVectorIndexTest, SearchShowsOnlyTheNewestVersionWhileStaleChunksAreStillThere) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  auto v1 = MakeChunks("d-1", "000001", 3, 8);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", v1).ok());
  // The stale ids cannot be deleted: the replacement fails, both versions stay.
  fake.Fault("/vectors/delete", Answer(503, R"({"code":14,"message":"unavailable"})"), 6);
  auto v2 = MakeChunks("d-1", "000002", 3, 8);
  for (int i = 0; i < 3; ++i) v2[i].vector = v1[i].vector;
  Status s = index->ReplaceDocument("d-1", "000002", v2);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_EQ(fake.Ids().size(), 6u);
  auto hits = index->Search(Query(v1[0].vector, 10));
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 3u);
  for (const auto& h : *hits) EXPECT_EQ(h.chunk.processing_version, "000002");
  // The load stage retries the replacement: now the stale ids go.
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000002", v2).ok());
  EXPECT_EQ(fake.Ids().size(), 3u);
}

// Issue 17: the step from upsert to stale-delete honours the load stage's
// deadline too. Here the list of stale ids hangs (3 s) and the deadline
// passes 0.3 s into it: the replacement stops at once. What is left: the new
// version whole (searches show only the newest version of a document), the
// old one's vectors still stored until the retry lists and deletes them.
TEST_F(PineconeVectorIndexTest, ADeadlineBetweenUpsertAndStaleDeleteStopsTheReplacement) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  auto v1 = MakeChunks("d-1", "000001", 3, 8);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", v1).ok());
  auto v2 = MakeChunks("d-1", "000002", 3, 8);
  for (int i = 0; i < 3; ++i) v2[i].vector = v1[i].vector;
  fake.Fault("/vectors/list", Delay(3'000));
  auto [s, late_ms] = ReplaceWithDeadlineDuring(*index, fake, "GET /vectors/list", 2, v2);
  EXPECT_EQ(s.code(), Status::Code::kCancelled) << s.ToString();
  EXPECT_LT(late_ms, 500);
  EXPECT_TRUE(fake.requests("POST /vectors/delete").empty());
  EXPECT_EQ(fake.Ids().size(), 6u);  // both versions stored
  ExpectSearchFindsOnly(*index, v1[0].vector, 3, "000002");
  // The retry (a deadline gets one) finishes the replacement.
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000002", v2).ok());
  EXPECT_EQ(fake.Ids().size(), 3u);
}

// Issue 17: a deadline between two of a version's upserts. The first batch
// is stored, the second hangs on the wire (and is never applied: the fake
// answers 503 once it wakes). Left as it was, searches showed the stored
// part of the new version alone (they keep a document's newest version);
// the replacement deletes what it sent, and the old version stays whole.
TEST_F(PineconeVectorIndexTest, ADeadlineBetweenUpsertsLeavesTheOldVersionWhole) {
  FakePinecone fake;
  auto o = Options(fake);
  o.max_vectors_per_upsert = 2;
  VectorIndexPtr index = Open(o);
  ASSERT_NE(index, nullptr);
  auto v1 = MakeChunks("d-1", "000001", 3, 8);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", v1).ok());
  auto v2 = MakeChunks("d-1", "000002", 5, 8);  // three upserts of 2, 2 and 1
  for (int i = 0; i < 3; ++i) v2[i].vector = v1[i].vector;
  PineconeFault hang = Answer(503, R"({"code":14,"message":"unavailable"})");
  hang.delay_ms = 3'000;
  const size_t upserts_before = fake.requests("POST /vectors/upsert").size();
  fake.Fault("/vectors/upsert", PineconeFault{});  // the first batch is stored
  fake.Fault("/vectors/upsert", hang);
  auto [s, late_ms] = ReplaceWithDeadlineDuring(*index, fake, "POST /vectors/upsert", upserts_before + 2, v2);
  EXPECT_EQ(s.code(), Status::Code::kCancelled) << s.ToString();
  EXPECT_LT(late_ms, 1'000);  // the undoing has 500 ms of its own
  std::vector<std::string> stored = fake.Ids();
  std::sort(stored.begin(), stored.end());
  EXPECT_EQ(stored, (std::vector<std::string>{"d-1:000001:0", "d-1:000001:1", "d-1:000001:2"}));
  ExpectSearchFindsOnly(*index, v1[0].vector, 3, "000001");
  // The retry (a deadline gets one) replaces the version whole.
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000002", v2).ok());
  EXPECT_EQ(fake.Ids().size(), 5u);
}

// --- failures --------------------------------------------------------------

TEST_F(PineconeVectorIndexTest, A429StormIsRiddenOutHonouringRetryAfter) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  PineconeFault throttled = Answer(429, R"({"code":8,"message":"Request was rate-limited. Retry later."})");
  throttled.headers = {{"Retry-After", "3"}};
  fake.Fault("/vectors/upsert", throttled, 4);
  const int64_t slept = clock_.slept_ms();
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 3, 8)).ok());
  EXPECT_EQ(fake.requests("POST /vectors/upsert").size(), 5u);
  EXPECT_GE(clock_.slept_ms() - slept, 4 * 3000);
  EXPECT_EQ(fake.Ids().size(), 3u);

  // A storm longer than the attempts: Throttled (transient), Pinecone's message.
  fake.Fault("/query", throttled, 10);
  auto hits = index->Search(Query(Vec(1, 8)));
  ASSERT_FALSE(hits.ok());
  EXPECT_EQ(hits.status().code(), Status::Code::kThrottled);
  EXPECT_TRUE(hits.status().IsRetryable());
  EXPECT_NE(hits.status().message().find("rate-limited"), std::string::npos) << hits.status().message();
  EXPECT_EQ(fake.requests("POST /query").size(), 6u);
}

TEST_F(PineconeVectorIndexTest, ServerErrorsAreRetried) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  fake.Fault("/vectors/upsert", Answer(500, R"({"code":13,"message":"internal error"})"), 2);
  fake.Fault("/vectors/list", Answer(502, "<html>Bad Gateway</html>", "text/html"));
  fake.Fault("/query", Answer(503, ""), 3);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 3, 8)).ok());
  EXPECT_EQ(fake.requests("POST /vectors/upsert").size(), 3u);
  EXPECT_EQ(fake.requests("GET /vectors/list").size(), 2u);
  auto hits = index->Search(Query(Vec(1, 8)));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(hits->size(), 3u);
}

TEST_F(PineconeVectorIndexTest, ASlowAnswerTimesOutAndTheRequestIsRepeated) {
  FakePinecone fake;
  auto o = Options(fake);
  o.timeout_ms = 200;
  VectorIndexPtr index = Open(o);
  ASSERT_NE(index, nullptr);
  fake.Fault("/vectors/upsert", Delay(700));
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 3, 8)).ok());
  // At least one timeout, then an answer (more on a machine too loaded to
  // answer loopback requests within 200 ms).
  EXPECT_GE(fake.requests("POST /vectors/upsert").size(), 2u);
  EXPECT_EQ(fake.Ids().size(), 3u);
}

TEST_F(PineconeVectorIndexTest, MalformedJsonAnswersAreTransientErrors) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 3, 8)).ok());
  fake.Fault("/query", Answer(200, R"({"matches":[{"id":"d-1:000001:0","sco)"));
  auto hits = index->Search(Query(Vec(1, 8)));
  ASSERT_FALSE(hits.ok());
  EXPECT_EQ(hits.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(hits.status().message().find("malformed JSON"), std::string::npos) << hits.status().message();
  fake.Fault("/query", Answer(200, R"({"matches":"none"})"));
  EXPECT_EQ(index->Search(Query(Vec(1, 8))).status().code(),
            Status::Code::kUnavailable);
  fake.Fault("/describe_index_stats", Answer(200, "[1,2]"));  // JSON, but not an object
  EXPECT_EQ(index->Stats().status().code(), Status::Code::kUnavailable);
  fake.Fault("/describe_index_stats", Answer(200, R"({"namespaces":{"__default__":{"vectorCount":"3"}}})"));
  EXPECT_TRUE(index->Stats().ok());  // odd field types are ignored, not thrown on
  // Numbers beyond an int, as floats: ignored, never converted (undefined
  // behaviour, found by clang's UBSan in the aws_answers fuzz target).
  fake.Fault("/describe_index_stats", Answer(200, R"({"dimension":1e20,"namespaces":{}})"));
  Result<IndexStats> huge = index->Stats();
  ASSERT_TRUE(huge.ok()) << huge.status().ToString();
  EXPECT_EQ(huge->dimension, 8);
  fake.Fault("/query", Answer(200, R"({"matches":[{"id":"d-1:000001:0","score":0.5,"metadata":{"document_id":"d-1",)"
                                   R"("processing_version":"000001","text":"t","page_start":1e20,)"
                                   R"("page_end":2.0}}]})"));
  Result<std::vector<SearchHit>> odd = index->Search(Query(Vec(1, 8)));
  ASSERT_TRUE(odd.ok()) << odd.status().ToString();
  ASSERT_EQ(odd->size(), 1u);
  EXPECT_EQ((*odd)[0].chunk.page_start, 0);
  EXPECT_EQ((*odd)[0].chunk.page_end, 2);
  fake.Fault("/vectors/list", Answer(200, "not json"));
  EXPECT_EQ(index->ReplaceDocument("d-1", "000002", MakeChunks("d-1", "000002", 1, 8)).code(),
            Status::Code::kUnavailable);

  FakePinecone broken;
  broken.Fault("/indexes/docs", Answer(200, "<html>proxy</html>", "text/html"));
  auto opened = NewPineconeVectorIndex(*http_, clock_, Options(broken));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kUnavailable);
}

TEST_F(PineconeVectorIndexTest, ClientErrorsAreInvalidInputWithPineconesMessage) {
  FakePinecone fake;
  VectorIndexPtr index = Open(fake);
  ASSERT_NE(index, nullptr);
  fake.Fault("/vectors/upsert",
             Answer(400, R"({"code":3,"message":"Metadata value must be a string, number, boolean or list of strings, got 'null' for field 'x'","details":[]})"));
  Status s = index->ReplaceDocument("d-1", "000001", MakeChunks("d-1", "000001", 3, 8));
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("Metadata value must be a string"), std::string::npos) << s.message();
  EXPECT_EQ(fake.requests("POST /vectors/upsert").size(), 1u);
  EXPECT_TRUE(fake.requests("POST /vectors/delete").empty());
}

// --- conformance with the official client ------------------------------------

// Every path in a JSON value with its type: "vectors[].values[]" -> "number".
void Shape(const json& j, const std::string& path, std::map<std::string, std::string>* out) {
  if (j.is_object()) {
    (*out)[path] = "object";
    for (const auto& [k, v] : j.items()) Shape(v, path + "." + k, out);
  } else if (j.is_array()) {
    (*out)[path] = "array";
    for (const auto& v : j) Shape(v, path + "[]", out);
  } else {
    (*out)[path] = j.is_number() ? "number" : j.type_name();
  }
}

// Requests keyed by what they do: the two query and list variants apart.
std::map<std::string, testing::PineconeRequest> ByOperation(const std::vector<testing::PineconeRequest>& reqs) {
  std::map<std::string, testing::PineconeRequest> out;
  for (const auto& r : reqs) {
    std::string key = r.Key();
    if (r.path == "/query" && json::parse(r.body).contains("filter")) key += " +filter";
    for (const auto& [k, v] : r.query) {
      if (k == "paginationToken") key += " +paginationToken";
    }
    out.emplace(key, r);  // the first of each kind
  }
  return out;
}

TEST_F(PineconeVectorIndexTest, RequestsMatchTheOfficialTypeScriptClients) {
  if (!testing::OnPath("node")) FAIL() << "node is not installed; it runs @pinecone-database/pinecone as the reference: " << testing::kInstallTestPeers;
  // The client declares engines.node >= 20 (Debian 12's own nodejs is 18).
  const auto version = testing::RunProcess({"node", "--version"}, {}, 30);
  if (version.exit_code == 0 && version.out.size() > 1 && std::atoi(version.out.c_str() + 1) < 20) {
    FAIL() << "node " << version.out << " is older than the 20 @pinecone-database/pinecone 8 needs";
  }
  const FakePineconeOptions fo = Fake([](FakePineconeOptions& o) {
    o.api_key = "pk-conformance-1";
    o.dimension = 4;
    o.exists = false;
    o.list_page_size = 2;
  });
  FakePinecone reference(fo);
  const auto run = testing::RunProcess(
      {"node", std::string(DOCPIPE_SOURCE_DIR) + "/tests/unit/index/pinecone_capture.mjs", "--controller",
       reference.url(), "--api-key", fo.api_key, "--index", fo.index_name, "--namespace", "ns", "--dimension", "4"},
      {}, 120);
  ASSERT_EQ(run.exit_code, 0) << "node pinecone_capture.mjs failed (is node_modules installed? the build runs npm ci): "
                              << run.out << run.err;
  ExpectNoViolations(reference);

  FakePinecone ours(fo);
  auto o = Options(ours);
  o.namespace_ = "ns";
  VectorIndexPtr index = Open(o);
  ASSERT_NE(index, nullptr);
  const std::string doc = "glpk-0123456789ab";
  ASSERT_TRUE(index->ReplaceDocument(doc, "000001", MakeChunks(doc, "000001", 3, 4)).ok());
  ASSERT_TRUE(index->ReplaceDocument(doc, "000002", MakeChunks(doc, "000002", 1, 4)).ok());
  ASSERT_TRUE(index->Search(Query(Vec(1, 4), 3)).ok());
  ASSERT_TRUE(index->Search(Query(Vec(1, 4), 3, doc)).ok());
  ASSERT_TRUE(index->DeleteDocument(doc).ok());
  ASSERT_TRUE(index->Stats().ok());
  ExpectNoViolations(ours);

  auto theirs = ByOperation(reference.requests());
  auto mine = ByOperation(ours.requests());
  std::set<std::string> their_ops, my_ops;
  for (const auto& [k, _] : theirs) their_ops.insert(k);
  for (const auto& [k, _] : mine) my_ops.insert(k);
  EXPECT_EQ(my_ops, their_ops);
  EXPECT_EQ(my_ops.size(), 9u);  // describe, create, upsert, 2 queries, 2 lists, delete, stats

  for (const auto& [op, t] : theirs) {
    auto it = mine.find(op);
    if (it == mine.end()) continue;
    const testing::PineconeRequest& m = it->second;
    SCOPED_TRACE(op);
    std::vector<std::string> their_params, my_params;
    for (const auto& [k, _] : t.query) their_params.push_back(k);
    for (const auto& [k, _] : m.query) my_params.push_back(k);
    EXPECT_EQ(my_params, their_params);
    for (const char* h : {"api-key", "x-pinecone-api-version", "content-type"}) {
      EXPECT_EQ(m.headers.count(h), t.headers.count(h)) << h;
      if (t.headers.count(h) && m.headers.count(h)) {
        EXPECT_EQ(m.headers.at(h), t.headers.at(h)) << h;
      }
    }
    // "<name> v<version>; lang=<language>[; …]", as the client's own.
    for (const auto* r : {&t, &m}) {
      const std::string ua = r->headers.at("user-agent");
      const size_t v = ua.find(" v"), lang = ua.find("; lang=");
      EXPECT_TRUE(v != std::string::npos && lang != std::string::npos && v < lang) << ua;
    }
    if (t.body.empty()) {
      EXPECT_TRUE(m.body.empty()) << m.body;
      continue;
    }
    std::map<std::string, std::string> their_shape, my_shape;
    Shape(json::parse(t.body), "", &their_shape);
    Shape(json::parse(m.body), "", &my_shape);
    // Everything docpipe sends, the client sends with the same type; and
    // docpipe sends every field the client does outside the metadata
    // (whose fields are docpipe's to choose; text_truncated only when cut).
    for (const auto& [path, type] : my_shape) {
      auto tp = their_shape.find(path);
      if (tp == their_shape.end()) {
        ADD_FAILURE() << "docpipe sends " << path << ", the client does not";
      } else {
        EXPECT_EQ(type, tp->second) << path;
      }
    }
    for (const auto& [path, type] : their_shape) {
      if (path.find(".metadata.") != std::string::npos) continue;
      EXPECT_TRUE(my_shape.count(path)) << "the client sends " << path << ", docpipe does not";
    }
  }
}

}  // namespace
}  // namespace docpipe
