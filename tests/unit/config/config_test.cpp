#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace docpipe {
namespace {

TEST(ConfigTest, DefaultsAreValid) {
  Result<Config> c = LoadConfig("", {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->workspace, ".docpipe");
  EXPECT_EQ(c->max_retries, 3);
  EXPECT_EQ(c->chunk.target_tokens, 512);
  EXPECT_EQ(c->chunk.min_tokens, 128);
  EXPECT_EQ(c->chunk.max_tokens, 1024);
  EXPECT_TRUE(ValidateConfig(*c).ok());
}

TEST(ConfigTest, TomlThenEnvironmentOverride) {
  Config c;
  ASSERT_TRUE(ApplyToml("workspace = \"/data/ws\"\nworkers = 4\nmax_retries = 5\n"
                        "[pipeline]\nlease_seconds = 30\n[chunk]\ntarget_tokens = 300\nmin_tokens = 50\n",
                        "test.toml", c)
                  .ok());
  EXPECT_EQ(c.workspace, "/data/ws");
  EXPECT_EQ(c.workers, 4);
  EXPECT_EQ(c.lease_ms, 30000);
  EXPECT_EQ(c.chunk.target_tokens, 300);
  ASSERT_TRUE(ApplyEnvironment({{"DOCPIPE_WORKSPACE", "/env/ws"}, {"MAX_RETRIES", "7"}, {"CHUNK_SIZE", "400"}}, c).ok());
  EXPECT_EQ(c.workspace, "/env/ws");
  EXPECT_EQ(c.max_retries, 7);
  EXPECT_EQ(c.chunk.target_tokens, 400);
  EXPECT_EQ(c.workers, 4);  // untouched by the environment
}

TEST(ConfigTest, BadValuesNameTheSourceAndKey) {
  Config c;
  Status s = ApplyToml("workers = \"two\"\n", "my.toml", c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("my.toml"), std::string::npos);
  EXPECT_NE(s.message().find("workers"), std::string::npos);

  // A float is no integer, even a whole one; out of range is said so (toml++
  // converted "1e308" to an integer out of range: undefined behaviour, found
  // by clang's UBSan in fuzz.config_toml).
  for (const char* text : {"workers = 1e308\n", "workers = 2.0\n"}) {
    s = ApplyToml(text, "my.toml", c);
    EXPECT_EQ(s.code(), Status::Code::kInvalidInput) << text;
    EXPECT_NE(s.message().find("'workers' must be an integer"), std::string::npos) << s.message();
  }
  s = ApplyToml("workers = 9999999999\n", "my.toml", c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("'workers' is out of range (9999999999)"), std::string::npos) << s.message();

  s = ApplyToml("workers = [\n", "broken.toml", c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("broken.toml:"), std::string::npos);

  s = ApplyEnvironment({{"DOCPIPE_WORKERS", "lots"}}, c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("DOCPIPE_WORKERS"), std::string::npos);

  Result<Config> missing = LoadConfig("/nonexistent/docpipe.toml", {});
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/docpipe.toml"), std::string::npos);
}

// A table header without a key aborted the sanitizer build inside toml++
// (an assert before its own error path); found by fuzz.config_toml, whose
// corpus keeps the input (corpus/config_toml/regress-empty-table-header.toml).
TEST(ConfigTest, TableHeaderWithoutKeyIsAnError) {
  for (const char* text : {"[ #\n", "[\n", "a = 1\n[\t# comment\nb = 2\n", "[[ #\n"}) {
    Config c;
    Status s = ApplyToml(text, "header.toml", c);
    EXPECT_EQ(s.code(), Status::Code::kInvalidInput) << text;
    EXPECT_NE(s.message().find("header.toml:"), std::string::npos) << s.message();
  }
}

// Non-ASCII text outside strings and comments reached undefined behaviour in
// toml++ (an UBSan abort in the test build); found by fuzz.config_toml
// (corpus/config_toml/regress-non-ascii-key.toml). Inside strings and
// comments it is fine.
TEST(ConfigTest, NonAsciiOutsideStringsIsAnErrorWithItsPlace) {
  for (const char* text : {"\xc3\xa9 = 1\n", "workers = 2 \xc3\xa9\n", "workers = 2\n\xe3\x80\x81",
                           "log_file = \"x\"\n[serve\xc2\xa0]\n", "log_file = 'x\n\xc3\xa9 = 1\n",
                           "workers = 2\"\xc3\xa9 \n"}) {
    Config c;
    Status s = ApplyToml(text, "utf8.toml", c);
    EXPECT_EQ(s.code(), Status::Code::kInvalidInput) << text;
    EXPECT_NE(s.message().find("utf8.toml:"), std::string::npos) << s.message();
  }
  Config c;
  Status s = ApplyToml("workspace = \"caf\xc3\xa9 \\\" \xe6\x9d\xb1\" # \xc3\xa9t\xc3\xa9\n"
                       "log_file = '''\n\xc3\xa9\n'''\nworkers = 3\n",
                       "ok.toml", c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.workspace, "caf\xc3\xa9 \" \xe6\x9d\xb1");
  EXPECT_EQ(c.workers, 3);
  Status where = ApplyToml("workers = 2\n  \xc3\xa9 = 1\n", "where.toml", c);
  EXPECT_NE(where.message().find("where.toml:2:3:"), std::string::npos) << where.message();
}

TEST(ConfigTest, DocumentThreadsFromFileAndEnvironment) {
  Config c;
  EXPECT_EQ(c.document_threads, 0);  // the cores available
  ASSERT_TRUE(ApplyToml("document_threads = 3\n", "t.toml", c).ok());
  EXPECT_EQ(c.document_threads, 3);
  ASSERT_TRUE(ApplyEnvironment({{"DOCPIPE_DOCUMENT_THREADS", "1"}}, c).ok());
  EXPECT_EQ(c.document_threads, 1);
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.document_threads = -1;
  Status s = ValidateConfig(c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("document_threads"), std::string::npos);
}

TEST(ConfigTest, UnknownKeysAreRejected) {
  Config c;
  Status s = ApplyToml("wokers = 2\n", "typo.toml", c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("wokers"), std::string::npos);
  s = ApplyToml("[chunk]\ntarget = 300\n", "typo.toml", c);
  EXPECT_NE(s.message().find("chunk.target"), std::string::npos) << s.message();
}

TEST(ConfigTest, ServeSettingsFromFileThenEnvironment) {
  Config c;
  EXPECT_EQ(c.serve.bind, "127.0.0.1");  // loopback unless asked: safe outside a container
  EXPECT_EQ(c.serve.port, 8265);
  EXPECT_EQ(c.serve.head_interval_ms, 60'000);
  ASSERT_TRUE(ApplyToml("[serve]\nbind = \"0.0.0.0\"\nport = 9000\nhead_interval_seconds = 30\n", "s.toml", c).ok());
  EXPECT_EQ(c.serve.bind, "0.0.0.0");
  EXPECT_EQ(c.serve.port, 9000);
  EXPECT_EQ(c.serve.head_interval_ms, 30'000);
  ASSERT_TRUE(ApplyEnvironment({{"DOCPIPE_API_PORT", "9100"}, {"DOCPIPE_HEAD_INTERVAL_SECONDS", "5"},
                                {"DOCPIPE_API_BIND", "10.0.0.1"}},
                               c)
                  .ok());
  EXPECT_EQ(c.serve.port, 9100);
  EXPECT_EQ(c.serve.head_interval_ms, 5'000);
  EXPECT_EQ(c.serve.bind, "10.0.0.1");
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.serve.port = 70000;
  EXPECT_FALSE(ValidateConfig(c).ok());
  c.serve.port = 8265;
  c.serve.head_interval_ms = 0;
  EXPECT_FALSE(ValidateConfig(c).ok());
  EXPECT_FALSE(ApplyToml("[serve]\ntoken = \"x\"\n", "s.toml", c).ok()) << "the token is never read from the file";
}

TEST(ConfigTest, OcrSettingsFromFileThenEnvironment) {
  Config c;
  EXPECT_TRUE(c.ocr.enabled);
  EXPECT_EQ(c.ocr.languages, "eng");
  EXPECT_EQ(c.ocr.threads, 0);  // one per core
  ASSERT_TRUE(ApplyToml("[ocr]\nlanguages = \"eng+ara\"\nthreads = 3\ntessdata_dir = \"/opt/tess\"\n", "o.toml", c).ok());
  EXPECT_EQ(c.ocr.languages, "eng+ara");
  EXPECT_EQ(c.ocr.threads, 3);
  EXPECT_EQ(c.ocr.tessdata_dir, "/opt/tess");
  ASSERT_TRUE(ApplyEnvironment({{"DOCPIPE_OCR", "false"}, {"DOCPIPE_OCR_LANGUAGES", "deu"},
                                {"DOCPIPE_OCR_THREADS", "1"}, {"DOCPIPE_TESSDATA_DIR", "/t"}},
                               c)
                  .ok());
  EXPECT_FALSE(c.ocr.enabled);
  EXPECT_EQ(c.ocr.languages, "deu");
  EXPECT_EQ(c.ocr.threads, 1);
  EXPECT_EQ(c.ocr.tessdata_dir, "/t");
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.ocr.threads = -1;
  EXPECT_FALSE(ValidateConfig(c).ok());
  c.ocr.threads = 0;
  c.ocr.enabled = true;
  c.ocr.languages = "";
  EXPECT_FALSE(ValidateConfig(c).ok());
  Status bad = ApplyEnvironment({{"DOCPIPE_OCR", "maybe"}}, c);
  EXPECT_NE(bad.message().find("DOCPIPE_OCR"), std::string::npos) << bad.ToString();
  EXPECT_FALSE(ApplyToml("[ocr]\nlanguage = \"eng\"\n", "o.toml", c).ok()) << "misspelt key";
}

// The configuration example in docs/configuration.md must stay loadable.
// Issue 17: documents had no limits at all.
TEST(ConfigTest, DocumentLimitsFromFileThenEnvironmentWithDefaults) {
  Config d;
  EXPECT_EQ(d.limits.max_bytes, 512ll << 20);
  EXPECT_EQ(d.limits.max_pages, 10'000);
  EXPECT_EQ(d.limits.max_chars, 20'000'000);
  EXPECT_EQ(d.limits.max_chunks, 20'000);
  EXPECT_DOUBLE_EQ(d.limits.max_expansion_ratio, 100);
  Config c;
  ASSERT_TRUE(ApplyToml("[limits]\nmax_bytes = 1000\nmax_pages = 20\nmax_chars = 3000\nmax_chunks = 40\n"
                        "max_expansion_ratio = 50\n",
                        "l.toml", c)
                  .ok());
  EXPECT_EQ(c.limits.max_bytes, 1000);
  EXPECT_EQ(c.limits.max_pages, 20);
  EXPECT_EQ(c.limits.max_chars, 3000);
  EXPECT_EQ(c.limits.max_chunks, 40);
  EXPECT_DOUBLE_EQ(c.limits.max_expansion_ratio, 50);
  ASSERT_TRUE(ApplyEnvironment({{"DOCPIPE_MAX_PAGES", "7"}, {"DOCPIPE_MAX_EXPANSION_RATIO", "12.5"}}, c).ok());
  EXPECT_EQ(c.limits.max_pages, 7);
  EXPECT_DOUBLE_EQ(c.limits.max_expansion_ratio, 12.5);
  EXPECT_EQ(c.limits.max_chars, 3000);
  EXPECT_TRUE(ValidateConfig(c).ok());

  Status bad = ApplyEnvironment({{"DOCPIPE_MAX_EXPANSION_RATIO", "lots"}}, c);
  EXPECT_NE(bad.message().find("DOCPIPE_MAX_EXPANSION_RATIO"), std::string::npos) << bad.message();
  Status unknown = ApplyToml("[limits]\nmax_pagez = 3\n", "l.toml", c);
  EXPECT_NE(unknown.message().find("limits.max_pagez"), std::string::npos) << unknown.message();
  c.limits.max_chunks = 0;
  Status zero = ValidateConfig(c);
  EXPECT_NE(zero.message().find("limits.max_chunks or DOCPIPE_MAX_CHUNKS"), std::string::npos) << zero.message();
}

// The HTTP front's limits (docs/api.md): file, then environment, with
// defaults; seconds and KiB as people write them, a value below its minimum
// refused with the setting named.
TEST(ConfigTest, HttpServerLimitsFromFileThenEnvironmentWithDefaults) {
  Config d;
  EXPECT_EQ(d.serve.http_header_timeout_ms, 10'000);
  EXPECT_EQ(d.serve.http_idle_timeout_ms, 10'000);
  EXPECT_EQ(d.serve.http_max_header_bytes, 32 << 10);
  EXPECT_EQ(d.serve.http_max_connections, 1024);
  EXPECT_EQ(d.serve.http_max_connections_per_client, 256);
  EXPECT_EQ(d.serve.http_max_requests_per_connection, 1000);
  EXPECT_EQ(d.serve.http_threads, 4);
  Config c;
  ASSERT_TRUE(ApplyToml("[serve]\nhttp_header_timeout_seconds = 3\nhttp_idle_timeout_seconds = 30\n"
                        "http_max_header_kb = 8\nhttp_max_connections = 64\nhttp_max_connections_per_client = 0\n"
                        "http_max_requests_per_connection = 5\nhttp_threads = 2\n",
                        "s.toml", c)
                  .ok());
  EXPECT_EQ(c.serve.http_header_timeout_ms, 3'000);
  EXPECT_EQ(c.serve.http_idle_timeout_ms, 30'000);
  EXPECT_EQ(c.serve.http_max_header_bytes, 8 << 10);
  EXPECT_EQ(c.serve.http_max_connections, 64);
  EXPECT_EQ(c.serve.http_max_connections_per_client, 0);
  EXPECT_EQ(c.serve.http_max_requests_per_connection, 5);
  EXPECT_EQ(c.serve.http_threads, 2);
  EXPECT_TRUE(ValidateConfig(c).ok());
  ASSERT_TRUE(ApplyEnvironment({{"DOCPIPE_HTTP_HEADER_TIMEOUT_SECONDS", "5"}, {"DOCPIPE_HTTP_MAX_HEADER_KB", "16"},
                                {"DOCPIPE_HTTP_MAX_CONNECTIONS_PER_CLIENT", "8"}},
                               c)
                  .ok());
  EXPECT_EQ(c.serve.http_header_timeout_ms, 5'000);
  EXPECT_EQ(c.serve.http_max_header_bytes, 16 << 10);
  EXPECT_EQ(c.serve.http_max_connections_per_client, 8);
  EXPECT_EQ(c.serve.http_max_connections, 64) << "the file's value stays";

  Status bad = ApplyEnvironment({{"DOCPIPE_HTTP_THREADS", "many"}}, c);
  EXPECT_NE(bad.message().find("DOCPIPE_HTTP_THREADS"), std::string::npos) << bad.message();
  Status unknown = ApplyToml("[serve]\nhttp_treads = 3\n", "s.toml", c);
  EXPECT_NE(unknown.message().find("serve.http_treads"), std::string::npos) << unknown.message();
  c.serve.http_header_timeout_ms = 0;
  Status zero = ValidateConfig(c);
  EXPECT_NE(zero.message().find("serve.http_header_timeout_seconds or DOCPIPE_HTTP_HEADER_TIMEOUT_SECONDS"),
            std::string::npos)
      << zero.message();
  c.serve.http_header_timeout_ms = 1'000;
  c.serve.http_max_connections_per_client = -1;
  EXPECT_FALSE(ValidateConfig(c).ok());
}

TEST(ConfigTest, DocumentedExampleLoads) {
  std::ifstream in(std::string(DOCPIPE_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::string line, toml;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "```toml") { inside = true; continue; }
    if (inside && line == "```") break;
    if (inside) toml += line + "\n";
  }
  ASSERT_FALSE(toml.empty()) << "docs/configuration.md has no ```toml block";
  Config c;
  Status s = ApplyToml(toml, "docs/configuration.md", c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(ValidateConfig(c).ok());
  EXPECT_EQ(c.chunk.target_tokens, Config().chunk.target_tokens);  // the example shows the defaults
  EXPECT_EQ(c.lease_ms, Config().lease_ms);
}

TEST(ConfigTest, ValidationRejectsInconsistentSettings) {
  Config c;
  c.chunk.min_tokens = 600;  // above target
  EXPECT_FALSE(ValidateConfig(c).ok());
  c = Config();
  c.chunk.overlap_tokens = 512;
  EXPECT_FALSE(ValidateConfig(c).ok());
  c = Config();
  c.workers = 0;
  EXPECT_FALSE(ValidateConfig(c).ok());
  c = Config();
  c.heartbeat_ms = c.lease_ms;
  EXPECT_FALSE(ValidateConfig(c).ok());
}

// Adapter choices are parsed once into enums; a bad name is refused where it
// is read, naming the variable or the file and key, the value and the choices.
TEST(ConfigTest, AdapterChoicesParseOnceWithClearErrors) {
  Config c;
  EXPECT_EQ(c.backend, Backend::kEmbedded);
  EXPECT_EQ(c.embedder, EmbedderKind::kLocal);
  ASSERT_TRUE(ApplyEnvironment({{"DOCPIPE_BACKEND", "aws"},
                                {"DOCPIPE_ENRICHER", "comprehend"},
                                {"DOCPIPE_EMBEDDER", "openai"},
                                {"DOCPIPE_VECTOR_STORE", "pinecone"}},
                               c)
                  .ok());
  EXPECT_EQ(c.backend, Backend::kAws);
  EXPECT_EQ(c.enricher, EnricherKind::kComprehend);
  EXPECT_EQ(c.embedder, EmbedderKind::kOpenAi);
  EXPECT_EQ(c.vector_store, VectorStoreKind::kPinecone);
  EXPECT_STREQ(ChoiceName(c.backend), "aws");
  EXPECT_STREQ(ChoiceName(c.vector_store), "pinecone");

  Status s = ApplyEnvironment({{"DOCPIPE_BACKEND", "cluster"}}, c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_EQ(s.message(), "DOCPIPE_BACKEND: 'cluster' is not supported (supported: embedded, aws)");
  s = ApplyEnvironment({{"DOCPIPE_EMBEDDER", "OpenAI"}}, c);
  EXPECT_EQ(s.message(), "DOCPIPE_EMBEDDER: 'OpenAI' is not supported (supported: local, openai)");
  s = ApplyToml("vector_store = \"faiss\"\n", "my.toml", c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_EQ(s.message(), "my.toml: vector_store: 'faiss' is not supported (supported: local, pinecone)");
  s = ApplyToml("enricher = 3\n", "my.toml", c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("enricher"), std::string::npos) << s.message();
  ASSERT_TRUE(ApplyToml("backend = \"embedded\"\nembedder = \"local\"\n", "ok.toml", c).ok());
  EXPECT_EQ(c.backend, Backend::kEmbedded);
  EXPECT_EQ(c.embedder, EmbedderKind::kLocal);
}

}  // namespace
}  // namespace docpipe
