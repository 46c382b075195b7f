#include "serve/http_api.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "app/document_queries.h"
#include "pipeline/metrics.h"
#include "serve_fixture.h"

namespace docpipe {
namespace {

constexpr const char* kApiToken = "s3cr3t-t0ken-value";

// Whether `text` is Prometheus text exposition format 0.0.4 as /metrics
// writes it: `# HELP name text` / `# TYPE name kind` comments and
// `name{label="value",...} number` samples, each sample's family declared
// by a TYPE line before it, no family declared twice.
bool IsPrometheusText(const std::string& text, std::string* error) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf))");
  if (text.empty() || text.back() != '\n') {
    *error = "empty or not ending with a newline";
    return false;
  }
  std::set<std::string> typed;
  size_t pos = 0;
  int n = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++n;
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) continue;
    if (std::regex_match(line, m, kType)) {
      if (!typed.insert(m[1]).second) {
        *error = "line " + std::to_string(n) + ": family declared twice: " + line;
        return false;
      }
      continue;
    }
    if (!std::regex_match(line, m, kSample)) {
      *error = "line " + std::to_string(n) + ": not a sample: " + line;
      return false;
    }
    if (!typed.count(m[1])) {
      *error = "line " + std::to_string(n) + ": sample before its TYPE line: " + line;
      return false;
    }
  }
  return true;
}

class HttpApiTest : public ServeFixture {
 protected:
  void SetUp() override {
    ServeFixture::SetUp();
    api_ = std::make_unique<HttpApi>(ApiContext{*services_, *events_, *embedder_, *index_, *head_}, kApiToken);
  }

  ApiResponse Call(const std::string& method, const std::string& path, std::map<std::string, std::string> params = {},
                   const std::string& authorization = std::string("Bearer ") + kApiToken) {
    ApiRequest r;
    r.method = method;
    r.path = path;
    r.params = std::move(params);
    if (!authorization.empty()) r.headers["authorization"] = authorization;
    return api_->Handle(r);
  }
  ApiResponse Get(const std::string& path, std::map<std::string, std::string> params = {}) {
    return Call("GET", path, std::move(params));
  }
  static nlohmann::json Body(const ApiResponse& r) { return nlohmann::json::parse(r.body); }
  static std::string Header(const ApiResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  std::unique_ptr<HttpApi> api_;
};

TEST(PrometheusFormatTest, CheckerRejectsMalformedText) {
  std::string error;
  EXPECT_TRUE(IsPrometheusText("# HELP a_b x.\n# TYPE a_b gauge\na_b{s=\"X\"} 1\na_b 2.5\n", &error)) << error;
  EXPECT_FALSE(IsPrometheusText("a_b 1\n", &error));                                  // no TYPE
  EXPECT_FALSE(IsPrometheusText("# TYPE a gauge\na{s=X} 1\n", &error));               // unquoted label
  EXPECT_FALSE(IsPrometheusText("# TYPE a gauge\na 1 2 3\n", &error));                // junk
  EXPECT_FALSE(IsPrometheusText("# TYPE a gauge\n# TYPE a gauge\na 1\n", &error));    // twice
  EXPECT_FALSE(IsPrometheusText("# TYPE a gauge\na 1", &error));                      // no final newline
}

TEST_F(HttpApiTest, HealthzIsOpenAndChecksTheControlTable) {
  ApiResponse r = Call("GET", "/healthz", {}, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), nlohmann::json({{"status", "ok"}}));
  control_->fail = true;
  r = Call("GET", "/healthz", {}, "");
  EXPECT_EQ(r.status, 503);
}

TEST_F(HttpApiTest, EverythingElseNeedsTheBearerToken) {
  for (const std::string path : {"/api/documents", "/api/documents/x-1", "/api/search", "/metrics", "/nowhere"}) {
    for (const std::string& auth : std::vector<std::string>{"", "Bearer wrong", std::string("Basic ") + kApiToken,
                                                            std::string("Bearer ") + kApiToken + "x",
                                                            std::string("Bearer  ") + kApiToken, kApiToken}) {
      ApiResponse r = Call("GET", path, {{"q", "x"}}, auth);
      EXPECT_EQ(r.status, 401) << path << " with '" << auth << "'";
      EXPECT_EQ(Header(r, "WWW-Authenticate"), "Bearer");
      EXPECT_TRUE(Body(r).contains("error"));
    }
  }
  EXPECT_EQ(Call("GET", "/api/documents").status, 200);
  EXPECT_EQ(Call("GET", "/api/documents", {}, std::string("bearer ") + kApiToken).status, 200);  // scheme is case-insensitive
  for (const std::string& line : logger_.lines()) {
    EXPECT_EQ(line.find(kApiToken), std::string::npos) << "the token reached the log: " << line;
  }
}

TEST_F(HttpApiTest, NoTokenMeansNoAuth) {
  HttpApi open({*services_, *events_, *embedder_, *index_, *head_}, "");
  ApiRequest r;
  r.method = "GET";
  r.path = "/api/documents";
  EXPECT_EQ(open.Handle(r).status, 200);
}

TEST_F(HttpApiTest, RoutingAnswers404And405) {
  EXPECT_EQ(Get("/api").status, 404);
  EXPECT_EQ(Get("/api/documents/x-1/unknown").status, 404);
  EXPECT_EQ(Get("/api/documents/x-1/audit/more").status, 404);
  EXPECT_EQ(Get("/api/documents/").status, 404);
  ApiResponse r = Call("POST", "/api/documents");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "GET");
  EXPECT_EQ(Header(Call("PUT", "/api/session"), "Allow"), "GET, POST, DELETE");
  r = Get("/api/documents/x-1/retry");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "POST");
  EXPECT_EQ(Call("DELETE", "/api/documents/x-1").status, 405);
  EXPECT_EQ(Call("POST", "/metrics").status, 405);
  EXPECT_EQ(Get("/api/documents/bad%20id").status, 400);
  EXPECT_EQ(Get("/api/documents/bad id").status, 400);
}

TEST_F(HttpApiTest, DocumentsMatchTheStatusQuery) {
  Registration a = Register("a.md");
  Registration b = Register("b.md");
  Change(b, [](ControlRecord& r) {
    r.status = DocStatus::kFailed;
    r.last_error = "boom";
    r.error_stage = "chunk";
  });
  // The list is `status`'s records, paged: sorted by source_key, one page holds both.
  ApiResponse all = Get("/api/documents", {{"sort", "source_key"}, {"order", "asc"}});
  ASSERT_EQ(all.status, 200);
  nlohmann::json expected = nlohmann::json::array();
  for (const ControlRecord& r : *QueryStatus(*control_, {})) expected.push_back(ToJson(r));
  std::sort(expected.begin(), expected.end(),
            [](const nlohmann::json& x, const nlohmann::json& y) { return x["source_key"] < y["source_key"]; });
  EXPECT_EQ(Body(all)["documents"], expected);
  EXPECT_EQ(Body(all)["total"], 2);
  EXPECT_TRUE(Body(all)["next_cursor"].is_null());

  ApiResponse failed = Get("/api/documents", {{"status", "FAILED"}});
  ASSERT_EQ(failed.status, 200);
  ASSERT_EQ(Body(failed)["documents"].size(), 1u);
  EXPECT_EQ(Body(failed)["documents"][0]["document_id"], b.document_id);
  EXPECT_EQ(Get("/api/documents", {{"status", "DONE"}}).status, 400);
  EXPECT_EQ(Get("/api/documents", {{"sort", "colour"}}).status, 400);
  EXPECT_EQ(Get("/api/documents", {{"limit", "0"}}).status, 400);
  EXPECT_EQ(Get("/api/documents", {{"cursor", "not-a-cursor"}}).status, 400);

  ApiResponse one = Get("/api/documents/" + a.document_id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(Body(one), ToJson(Record(a)));
  ApiResponse versions = Get("/api/documents/" + a.document_id, {{"all_versions", "true"}});
  ASSERT_EQ(versions.status, 200);
  EXPECT_EQ(Body(versions), nlohmann::json::array({ToJson(Record(a))}));
  ApiResponse missing = Get("/api/documents/no-such-doc-000000000000");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(Body(missing)["error"].get<std::string>().find("no-such-doc"), std::string::npos);

  ApiResponse audit = Get("/api/documents/" + a.document_id + "/audit");
  ASSERT_EQ(audit.status, 200);
  nlohmann::json events = nlohmann::json::array();
  for (const AuditEvent& e : *audit_->List(a.document_id)) events.push_back(ToJson(e));
  EXPECT_EQ(Body(audit)["events"], events);
  EXPECT_TRUE(Body(audit)["next_cursor"].is_null());
  EXPECT_EQ(Get("/api/documents/no-such-doc-000000000000/audit").status, 404);

  control_->fail = true;
  ApiResponse down = Get("/api/documents");
  EXPECT_EQ(down.status, 503);
  EXPECT_TRUE(Body(down).contains("error"));
}

TEST_F(HttpApiTest, RetryRequeuesOnlyFailedDocuments) {
  Registration a = Register("a.md");
  ASSERT_TRUE(sqlite_queue_->Receive(1, kLeaseMs, 0).ok());  // the registration message, taken
  Change(a, [](ControlRecord& r) {
    r.status = DocStatus::kFailed;
    r.retry_count = 3;
    r.error_stage = "embed";
    r.stage_status["embed"].status = StageState::kFailed;
  });
  const int64_t before = queue_->sends;
  ApiResponse r = Call("POST", "/api/documents/" + a.document_id + "/retry");
  ASSERT_EQ(r.status, 202) << r.body;
  nlohmann::json body = Body(r);
  EXPECT_EQ(body["total"], 1);
  EXPECT_EQ(body["unfinished"], 1);
  EXPECT_EQ(body["documents"][0]["document_id"], a.document_id);
  EXPECT_EQ(body["documents"][0]["registration"], "retry");
  EXPECT_EQ(body["documents"][0]["status"], "PENDING");
  ControlRecord rec = Record(a);
  EXPECT_EQ(rec.status, DocStatus::kPending);
  EXPECT_EQ(rec.retry_count, 0);
  EXPECT_EQ(rec.stage_status["embed"].status, StageState::kPending);
  EXPECT_EQ(CountAudit(a.document_id, audit_event::kRetryScheduled), 1);
  EXPECT_EQ(queue_->sends, before + 1);

  ApiResponse again = Call("POST", "/api/documents/" + a.document_id + "/retry");  // now PENDING
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(Body(again)["error"].get<std::string>().find("PENDING"), std::string::npos);
  EXPECT_EQ(Call("POST", "/api/documents/no-such-doc-000000000000/retry").status, 404);
  EXPECT_EQ(queue_->sends, before + 1);
}

TEST_F(HttpApiTest, SearchChecksItsParametersAndAnswersLikeTheCli) {
  Registration a = Register("a.md");
  IndexedChunk c;
  c.document_id = a.document_id;
  c.processing_version = a.processing_version;
  c.chunk_id = a.document_id + ":" + a.processing_version + ":0";
  c.source_key = "input/a.md";
  c.text = "The solver converges after ten iterations.";
  c.breadcrumbs = {"Title"};
  c.page_start = c.page_end = 1;
  c.page_label_start = c.page_label_end = "xii";
  c.type = "text";
  c.vector = embedder_->Embed({c.text})->vectors.at(0);
  ASSERT_TRUE(index_->ReplaceDocument(a.document_id, a.processing_version, {c}).ok());

  EXPECT_EQ(Get("/api/search").status, 400);
  EXPECT_EQ(Get("/api/search", {{"q", "  "}}).status, 400);
  for (const std::string k : {"0", "1001", "-1", "abc", "5x", "99999999999"}) {
    ApiResponse r = Get("/api/search", {{"q", "solver"}, {"k", k}});
    EXPECT_EQ(r.status, 400) << "k=" << k;
    EXPECT_NE(Body(r)["error"].get<std::string>().find("k must be"), std::string::npos);
  }
  EXPECT_EQ(Get("/api/search", {{"q", "solver"}, {"mode", "psychic"}}).status, 400);

  ApiResponse r = Get("/api/search", {{"q", "solver iterations"}, {"k", "3"}});
  ASSERT_EQ(r.status, 200) << r.body;
  SearchRequest sr{"solver iterations", 3, "", SearchMode::kHybrid};
  EXPECT_EQ(Body(r), SearchResultsJson(*RunSearch(embedder_.get(), *index_, sr)));
  ASSERT_EQ(Body(r).size(), 1u);
  EXPECT_EQ(Body(r)[0]["document_id"], a.document_id);
  // The printed page label beside the physical page, and how a client cites it.
  EXPECT_EQ(Body(r)[0]["page_label_start"], "xii");
  EXPECT_EQ(Body(r)[0]["page_label_end"], "xii");
  EXPECT_EQ(Body(r)[0]["citation"], "p. xii (1)");
  ApiResponse keyword = Get("/api/search", {{"q", "solver"}, {"mode", "keyword"}, {"doc", "other-doc"}});
  ASSERT_EQ(keyword.status, 200);
  EXPECT_TRUE(Body(keyword).empty());
}

TEST_F(HttpApiTest, MetricsAreValidPrometheusText) {
  Register("a.md");
  Registration b = Register("b.md");
  Change(b, [](ControlRecord& r) { r.status = DocStatus::kFailed; });
  ASSERT_TRUE(metrics_->Add(FormatDate(clock_.NowMs()), "pages", 7).ok());
  ASSERT_TRUE(metrics_->Add(FormatDate(clock_.NowMs()), StageDurationBucketMetric("extract", 120), 1).ok());
  ASSERT_TRUE(head_->RunOnce());
  Get("/api/documents");
  Call("GET", "/api/documents", {}, "");  // a 401

  ApiResponse r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  std::string error;
  EXPECT_TRUE(IsPrometheusText(r.body, &error)) << error << "\n" << r.body;
  for (const std::string expected : {
           "docpipe_documents{status=\"PENDING\"} 1\n",
           "docpipe_documents{status=\"FAILED\"} 1\n",
           "docpipe_documents{status=\"COMPLETED\"} 0\n",
           "docpipe_queue_messages{state=\"visible\"} 2\n",
           "docpipe_queue_messages{state=\"in_flight\"} 0\n",
           "docpipe_dead_letter_messages 0\n",
           "docpipe_today_pages 7\n",
           "docpipe_today_documents_received 2\n",
           "docpipe_today_stage_runs{stage=\"extract\"} 1\n",
           "docpipe_http_requests_total{method=\"GET\",route=\"/api/documents\",code=\"200\"} 1\n",
           "docpipe_http_requests_total{method=\"GET\",route=\"/api/documents\",code=\"401\"} 1\n",
           "docpipe_head_runs_total 1\n",
           "# TYPE docpipe_http_requests_total counter\n",
       }) {
    EXPECT_NE(r.body.find(expected), std::string::npos) << "missing: " << expected << "\n" << r.body;
  }
  control_->fail = true;  // the metrics table is another adapter: still fine
  EXPECT_EQ(Get("/metrics").status, 200);
}

TEST_F(HttpApiTest, EveryRequestIsLoggedOnce) {
  Registration a = Register("a.md");
  const size_t before = logger_.lines().size();
  Get("/api/documents/" + a.document_id, {{"q", "private words"}});
  std::vector<std::string> lines = logger_.lines();
  ASSERT_EQ(lines.size(), before + 1);
  nlohmann::json line = nlohmann::json::parse(lines.back());
  EXPECT_EQ(line["event"], "http_request");
  EXPECT_EQ(line["method"], "GET");
  EXPECT_EQ(line["path"], "/api/documents/" + a.document_id);
  EXPECT_EQ(line["route"], "/api/documents/{id}");
  EXPECT_EQ(line["status"], 200);
  EXPECT_EQ(line["document_id"], a.document_id);
  EXPECT_TRUE(line.contains("duration_ms"));
  EXPECT_EQ(lines.back().find("private words"), std::string::npos);
}

}  // namespace
}  // namespace docpipe
