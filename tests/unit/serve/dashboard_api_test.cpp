// The dashboard's side of the head's API: login, the session cookie, CSRF,
// security headers, the embedded pages, and every endpoint the pages call
// (overview, throughput, documents list, pages, chunks, search snippets,
// uploads). In-process over the embedded adapters; tests/e2e/serve_test.cpp
// and tests/browser/ drive the real server.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "pipeline/document_id.h"
#include "pipeline/metrics.h"
#include "pipeline/object_keys.h"
#include "pipeline/worker_heartbeat.h"
#include "serve/http_api.h"
#include "serve/web_assets.h"
#include "serve_fixture.h"

namespace docpipe {
namespace {

constexpr const char* kDashboardToken = "dashboard-t0ken-9d2e";

#define ASSERT_RESULT_OK(expr)                                  \
  do {                                                          \
    Status st_ = (expr);                                        \
    EXPECT_TRUE(st_.ok()) << #expr << ": " << st_.ToString(); \
  } while (0)

class DashboardApiTest : public ServeFixture {
 protected:
  void SetUp() override {
    ServeFixture::SetUp();
    registrar_ = std::make_unique<Registrar>(*services_, *events_, 3);
    Make(DashboardOptions{});
  }

  void Make(DashboardOptions options, const std::string& token = kDashboardToken) {
    options.scratch_dir = dir_.Join("scratch");
    api_ = std::make_unique<HttpApi>(
        ApiContext{*services_, *events_, *embedder_, *index_, *head_, registrar_.get(), options}, token);
  }

  ApiResponse Send(ApiRequest r) { return api_->Handle(r); }

  static ApiRequest Req(const std::string& method, const std::string& path,
                        std::map<std::string, std::string> headers = {}, std::string body = "",
                        std::map<std::string, std::string> params = {}) {
    ApiRequest r;
    r.method = method;
    r.path = path;
    r.headers = std::move(headers);
    r.body = std::move(body);
    r.params = std::move(params);
    r.remote_addr = "127.0.0.1";
    return r;
  }

  // Logs in; the cookie ("name=value") and the CSRF token.
  std::pair<std::string, std::string> Login(const std::string& token = kDashboardToken) {
    ApiResponse r = Send(Req("POST", "/api/session", {{"content-type", "application/json"}},
                             nlohmann::json{{"token", token}}.dump()));
    EXPECT_EQ(r.status, 200) << r.body;
    std::string cookie = Header(r, "Set-Cookie");
    return {cookie.substr(0, cookie.find(';')), Body(r).value("csrf_token", "")};
  }

  // A GET as the logged-in dashboard.
  ApiResponse Get(const std::string& path, std::map<std::string, std::string> params = {}) {
    if (cookie_.empty()) std::tie(cookie_, csrf_) = Login();
    return Send(Req("GET", path, {{"cookie", cookie_}}, "", std::move(params)));
  }
  ApiResponse Post(const std::string& path, std::string body = "", std::map<std::string, std::string> params = {},
                   std::string content_type = "application/octet-stream") {
    if (cookie_.empty()) std::tie(cookie_, csrf_) = Login();
    return Send(Req("POST", path, {{"cookie", cookie_}, {"x-csrf-token", csrf_}, {"content-type", content_type}},
                    std::move(body), std::move(params)));
  }

  static nlohmann::json Body(const ApiResponse& r) { return nlohmann::json::parse(r.body); }
  static std::string Header(const ApiResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  // A COMPLETED document with pages, chunks and an enrichment, as the stages leave them.
  Registration Completed(const std::string& name, int pages) {
    Registration reg = Register(name);
    const std::string& id = reg.document_id;
    for (int p = 1; p <= pages; ++p) {
      ASSERT_RESULT_OK(store_->Put(ExtractedPageKey(id, p), fmt::format("# Page {}\n\nText of page {}.", p, p)));
    }
    // The load stage's output: the chunk view pages through the index.
    std::vector<IndexedChunk> chunks;
    for (int c = 0; c < 30; ++c) {
      IndexedChunk ic;
      ic.chunk_id = fmt::format("{}:{}:{}", id, reg.processing_version, c);
      ic.document_id = id;
      ic.processing_version = reg.processing_version;
      ic.source_key = "input/" + name;
      ic.text = fmt::format("Chunk {} about pumps.", c);
      ic.breadcrumbs = {"Manual", fmt::format("Section {}", c / 10)};
      ic.page_start = ic.page_end = 1 + c % pages;
      ic.page_label_start = ic.page_label_end = fmt::format("A-{}", 1 + c % pages);
      ic.type = "text";
      ic.key_phrases = {"pumps"};
      ic.language = "en";
      ic.pii_types = {"EMAIL"};
      ic.entities = {{"ORGANIZATION", "Acme"}};
      ic.vector = embedder_->Embed({ic.text})->vectors.front();
      chunks.push_back(std::move(ic));
    }
    ASSERT_RESULT_OK(index_->ReplaceDocument(id, reg.processing_version, chunks));
    Change(reg, [&](ControlRecord& r) {
      r.status = DocStatus::kCompleted;
      r.page_count = pages;
      r.chunk_count = 30;
    });
    return reg;
  }

  std::unique_ptr<Registrar> registrar_;
  std::unique_ptr<HttpApi> api_;
  std::string cookie_, csrf_;
};

TEST_F(DashboardApiTest, OnlyHealthzAndTheLoginPageWithoutASession) {
  EXPECT_EQ(Send(Req("GET", "/healthz")).status, 200);
  ApiResponse login = Send(Req("GET", "/login"));
  ASSERT_EQ(login.status, 200);
  EXPECT_EQ(login.content_type, "text/html; charset=utf-8");
  // The login page's own script and stylesheet load; the app's do not.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(login.body, m, std::regex(R"re(src="(/assets/login-[0-9a-f]+\.js)")re")));
  EXPECT_EQ(Send(Req("GET", m[1])).status, 200);
  ASSERT_TRUE(std::regex_search(login.body, m, std::regex(R"re(href="(/assets/style-[0-9a-f]+\.css)")re")));
  EXPECT_EQ(Send(Req("GET", m[1])).status, 200);
  int private_assets = 0;
  for (const WebAsset& a : WebAssets()) {
    if (a.public_asset) continue;
    ++private_assets;
    // A page sends the visitor to sign in; anything else is refused.
    const bool page = a.content_type.rfind("text/html", 0) == 0;
    ApiResponse r = Send(Req("GET", std::string(a.path)));
    EXPECT_EQ(r.status, page ? 303 : 401) << a.path;
    EXPECT_EQ(r.body.find(std::string(a.data.substr(0, 64))), std::string::npos) << a.path << " leaked";
  }
  EXPECT_GE(private_assets, 1);
  // The dashboard itself sends a visitor to the login page.
  ApiResponse index = Send(Req("GET", "/"));
  EXPECT_EQ(index.status, 303);
  EXPECT_EQ(Header(index, "Location"), "/login");
  for (const std::string path : {"/api/overview", "/api/throughput", "/api/documents", "/api/session",
                                 "/api/search", "/metrics", "/api/documents/x-1/pages", "/api/uploads/presign"}) {
    EXPECT_EQ(Send(Req("GET", path)).status, 401) << path;
  }
  EXPECT_EQ(Send(Req("POST", "/api/uploads", {}, "bytes", {{"name", "a.txt"}})).status, 401);
  EXPECT_EQ(Send(Req("GET", "/api/overview", {{"cookie", "docpipe_session=v1.99999999999999.abc.forged"}})).status,
            401);
}

TEST_F(DashboardApiTest, LoginSetsAStrictHttpOnlyCookieAndAWrongTokenIsRefused) {
  ApiResponse wrong = Send(Req("POST", "/api/session", {{"content-type", "application/json"}},
                               R"({"token":"not-it"})"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Header(wrong, "Set-Cookie"), "");
  EXPECT_EQ(Send(Req("POST", "/api/session", {{"content-type", "text/plain"}}, R"({"token":"x"})")).status, 415);
  EXPECT_EQ(Send(Req("POST", "/api/session", {{"content-type", "application/json"}}, "{")).status, 400);

  ApiResponse ok = Send(Req("POST", "/api/session", {{"content-type", "application/json; charset=utf-8"}},
                            nlohmann::json{{"token", kDashboardToken}}.dump()));
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string cookie = Header(ok, "Set-Cookie");
  EXPECT_EQ(cookie.rfind("docpipe_session=v1.", 0), 0u) << cookie;
  for (const char* attr : {"; Path=/", "; HttpOnly", "; SameSite=Strict", "; Max-Age=43200"}) {
    EXPECT_NE(cookie.find(attr), std::string::npos) << attr << " in " << cookie;
  }
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // plain HTTP here
  EXPECT_EQ(cookie.find(kDashboardToken), std::string::npos);
  const std::string pair = cookie.substr(0, cookie.find(';'));
  ApiResponse info = Send(Req("GET", "/api/session", {{"cookie", "other=1; " + pair}}));
  ASSERT_EQ(info.status, 200);
  EXPECT_EQ(Body(info)["csrf_token"], Body(ok)["csrf_token"]);
  EXPECT_EQ(Body(info)["upload_mode"], "direct");
  EXPECT_EQ(Send(Req("GET", "/", {{"cookie", pair}})).status, 200);
  // The cookie ends with its session: after 12 hours, or at logout.
  clock_.Advance(12 * 3600 * 1000 + 1);
  EXPECT_EQ(Send(Req("GET", "/api/overview", {{"cookie", pair}})).status, 401);
  for (const std::string& line : logger_.lines()) {
    EXPECT_EQ(line.find(kDashboardToken), std::string::npos) << "the token reached the log: " << line;
    EXPECT_EQ(line.find(pair.substr(pair.find('=') + 1)), std::string::npos) << "the cookie reached the log";
  }
}

TEST_F(DashboardApiTest, LogoutEndsTheSession) {
  auto [cookie, csrf] = Login();
  EXPECT_EQ(Send(Req("DELETE", "/api/session", {{"cookie", cookie}})).status, 403);  // no CSRF token
  ApiResponse out = Send(Req("DELETE", "/api/session", {{"cookie", cookie}, {"x-csrf-token", csrf}}));
  ASSERT_EQ(out.status, 200);
  EXPECT_NE(Header(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Send(Req("GET", "/api/overview", {{"cookie", cookie}})).status, 401);
}

TEST_F(DashboardApiTest, EveryStateChangeNeedsTheCsrfTokenOfItsSession) {
  Registration a = Register("a.md");
  Change(a, [](ControlRecord& r) { r.status = DocStatus::kFailed; r.error_stage = "chunk"; });
  auto [cookie, csrf] = Login();
  auto [other_cookie, other_csrf] = Login();
  ASSERT_NE(csrf, other_csrf);
  const std::string retry = "/api/documents/" + a.document_id + "/retry";
  EXPECT_EQ(Send(Req("POST", retry, {{"cookie", cookie}})).status, 403);
  EXPECT_EQ(Send(Req("POST", retry, {{"cookie", cookie}, {"x-csrf-token", other_csrf}})).status, 403);
  EXPECT_EQ(Send(Req("POST", retry, {{"cookie", cookie}, {"x-csrf-token", csrf + "x"}})).status, 403);
  EXPECT_EQ(Send(Req("POST", "/api/uploads", {{"cookie", cookie}}, "x", {{"name", "b.txt"}})).status, 403);
  EXPECT_EQ(Record(a).status, DocStatus::kFailed);
  EXPECT_EQ(Send(Req("POST", retry, {{"cookie", cookie}, {"x-csrf-token", csrf}})).status, 202);
  // API clients with the bearer token carry no cookie, so no CSRF token either.
  Change(a, [](ControlRecord& r) { r.status = DocStatus::kFailed; });
  EXPECT_EQ(Send(Req("POST", retry, {{"authorization", std::string("Bearer ") + kDashboardToken}})).status, 202);
}

TEST_F(DashboardApiTest, SecurityHeadersOnEveryAnswer) {
  for (const ApiResponse& r : {Send(Req("GET", "/login")), Send(Req("GET", "/healthz")), Get("/api/overview"),
                               Get("/"), Send(Req("GET", "/api/nothing"))}) {
    const std::string csp = Header(r, "Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;  // no 'unsafe-inline'
    EXPECT_NE(csp.find("style-src 'self';"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
    EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(Header(r, "Referrer-Policy"), "no-referrer");
    EXPECT_EQ(Header(r, "X-Frame-Options"), "DENY");
    EXPECT_EQ(Header(r, "Strict-Transport-Security"), "");  // plain HTTP
  }
  EXPECT_EQ(Header(Get("/api/overview"), "Cache-Control"), "no-store");
  // The pages hold no inline script or style for the policy to forbid.
  for (const WebAsset& a : WebAssets()) {
    if (a.content_type.rfind("text/html", 0) != 0) continue;
    const std::string html(a.data);
    EXPECT_EQ(std::regex_search(html, std::regex("<script(?![^>]*\\ssrc=)[^>]*>")), false) << a.path;
    EXPECT_EQ(html.find("<style"), std::string::npos) << a.path;
    EXPECT_EQ(html.find("style=\""), std::string::npos) << a.path;
    EXPECT_EQ(std::regex_search(html, std::regex("\\son[a-z]+=")), false) << a.path;
    EXPECT_EQ(html.find("http://"), std::string::npos) << a.path << ": no CDN, nothing remote";
    EXPECT_EQ(html.find("https://"), std::string::npos) << a.path;
  }
}

TEST_F(DashboardApiTest, SecureCookiesBehindTlsOnly) {
  DashboardOptions behind_proxy;
  behind_proxy.trusted_proxies = {"10.0.0.7"};
  Make(behind_proxy);
  ApiRequest login = Req("POST", "/api/session", {{"content-type", "application/json"}, {"x-forwarded-proto", "https"}},
                         nlohmann::json{{"token", kDashboardToken}}.dump());
  // From an untrusted peer the header means nothing.
  ApiResponse plain = Send(login);
  EXPECT_EQ(Header(plain, "Set-Cookie").find("Secure"), std::string::npos);
  login.remote_addr = "10.0.0.7";
  ApiResponse tls = Send(login);
  const std::string cookie = Header(tls, "Set-Cookie");
  EXPECT_EQ(cookie.rfind("__Host-docpipe_session=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; Secure"), std::string::npos);
  EXPECT_NE(Header(tls, "Strict-Transport-Security"), "");
  ApiRequest use = Req("GET", "/api/overview", {{"cookie", cookie.substr(0, cookie.find(';'))}, {"x-forwarded-proto", "https"}});
  use.remote_addr = "10.0.0.7";
  EXPECT_EQ(Send(use).status, 200);

  DashboardOptions always;
  always.secure_cookies = true;
  Make(always);
  ApiResponse r = Send(Req("POST", "/api/session", {{"content-type", "application/json"}},
                           nlohmann::json{{"token", kDashboardToken}}.dump()));
  EXPECT_NE(Header(r, "Set-Cookie").find("; Secure"), std::string::npos);
}

TEST_F(DashboardApiTest, OverviewFromTheTables) {
  Registration done = Completed("done.md", 4);
  Registration failed = Register("failed.md");
  Change(failed, [](ControlRecord& r) {
    r.status = DocStatus::kFailed;
    r.error_stage = "embed";
    r.last_error = "429";
  });
  Register("waiting.md");
  const std::string today = FormatDate(clock_.NowMs());
  ASSERT_RESULT_OK(metrics_->Add(today, StageDurationBucketMetric("extract", 100), 3));
  ASSERT_RESULT_OK(metrics_->Add(today, kMetricTokens, 1200));
  ASSERT_RESULT_OK(metrics_->Add(today, "cost_usd", 0.25));
  ASSERT_RESULT_OK(metrics_->Add(FormatDate(clock_.NowMs() - 3 * 86'400'000), "cost_usd", 0.5));
  ASSERT_RESULT_OK(metrics_->Add(today, "comprehend_calls", 7));
  events_->Audit(Record(failed), "STAGE_FAILED", "embed", 10, "429");
  {
    WorkerHeartbeat beat(*services_, "host-a:42", 60'000, [] { return WorkerBeat{1, 4, 17}; });
  }
  clock_.Advance(5'000);
  ApiResponse r = Get("/api/overview");
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json o = Body(r);
  EXPECT_EQ(o["documents"]["COMPLETED"], 1);
  EXPECT_EQ(o["documents"]["FAILED"], 1);
  EXPECT_EQ(o["documents"]["PENDING"], 1);
  EXPECT_EQ(o["total_documents"], 3);
  EXPECT_EQ(o["backlog"]["visible"], 3);  // every registration's message
  EXPECT_EQ(o["backlog"]["oldest_age_ms"], 5'000);
  EXPECT_EQ(o["stages"]["extract"]["count"], 3);
  EXPECT_EQ(o["stage_order"], nlohmann::json::array({"extract"}));
  EXPECT_EQ(o["errors"]["failed_by_stage"]["embed"], 1);
  EXPECT_EQ(o["errors"]["stage_failures_last_day"]["embed"], 1);
  EXPECT_EQ(o["cost"]["tokens"], 1200);
  EXPECT_DOUBLE_EQ(o["cost"]["cost_usd"].get<double>(), 0.75);  // every day, so far
  EXPECT_EQ(o["cost"]["comprehend_calls"], 7);
  EXPECT_EQ(o["cost"]["pages"], 4);
  ASSERT_EQ(o["workers"].size(), 1u);
  EXPECT_EQ(o["workers"][0]["worker_id"], "host-a:42");
  EXPECT_EQ(o["workers"][0]["threads"], 4);
  EXPECT_EQ(o["workers"][0]["processed"], 17);
  EXPECT_EQ(o["workers"][0]["age_ms"], 5'000);
  EXPECT_EQ(o["workers"][0]["alive"], true);
  clock_.Advance(kWorkerAliveMs);
  EXPECT_EQ(Body(Get("/api/overview"))["workers"][0]["alive"], false);
  // `docpipe metrics` does not see the heartbeats.
  EXPECT_EQ(SummarizeDay(today, *metrics_->GetDay(today)).counters.count("worker#host-a:42#seen_ms"), 0u);
  (void)done;
}

TEST_F(DashboardApiTest, ThroughputPerMinuteFromTheAudit) {
  Registration a = Completed("a.md", 4);
  const TimeMs now = clock_.NowMs();
  ControlRecord rec = Record(a);
  for (int i = 0; i < 3; ++i) {
    AuditEvent e;
    e.document_id = a.document_id;
    e.processing_version = rec.processing_version;
    e.event_type = "DOCUMENT_COMPLETED";
    e.time = now - 5 * 60'000 + i;  // 5 minutes ago
    e.details = {{"pages", 4}};
    ASSERT_RESULT_OK(audit_->Append(e));
  }
  ApiResponse hour = Get("/api/throughput", {{"window", "hour"}});
  ASSERT_EQ(hour.status, 200) << hour.body;
  nlohmann::json h = Body(hour);
  ASSERT_EQ(h["buckets"].size(), 60u);
  EXPECT_EQ(h["bucket_minutes"], 1);
  EXPECT_EQ(h["documents"], 3);
  EXPECT_EQ(h["pages"], 12);
  int non_empty = 0;
  for (const auto& b : h["buckets"]) {
    if (b["documents"] == 0) continue;
    ++non_empty;
    EXPECT_EQ(b["documents_per_minute"], 3.0);
    EXPECT_EQ(b["pages_per_minute"], 12.0);
  }
  EXPECT_EQ(non_empty, 1);
  nlohmann::json d = Body(Get("/api/throughput", {{"window", "day"}}));
  EXPECT_EQ(d["buckets"].size(), 96u);
  EXPECT_EQ(d["bucket_minutes"], 15);
  EXPECT_EQ(d["documents"], 3);
  EXPECT_EQ(Get("/api/throughput", {{"window", "week"}}).status, 400);
}

TEST_F(DashboardApiTest, DocumentsListIsPagedFilteredAndSorted) {
  for (int i = 0; i < 12; ++i) {
    Registration r = Register(fmt::format("{}doc-{:02}.md", i % 2 ? "odd/" : "", i));
    clock_.Advance(10);
    if (i % 3 == 0) Change(r, [](ControlRecord& c) { c.status = DocStatus::kFailed; c.error_stage = "chunk"; });
  }
  ApiResponse first = Get("/api/documents", {{"limit", "5"}, {"sort", "source_key"}, {"order", "asc"}});
  ASSERT_EQ(first.status, 200) << first.body;
  nlohmann::json p1 = Body(first);
  EXPECT_EQ(p1["total"], 12);
  ASSERT_EQ(p1["documents"].size(), 5u);
  ASSERT_TRUE(p1["next_cursor"].is_string());
  std::vector<std::string> keys;
  nlohmann::json page = p1;
  while (true) {
    for (const auto& d : page["documents"]) keys.push_back(d["source_key"]);
    if (page["next_cursor"].is_null()) break;
    page = Body(Get("/api/documents", {{"limit", "5"}, {"sort", "source_key"}, {"order", "asc"},
                                       {"cursor", page["next_cursor"]}}));
  }
  ASSERT_EQ(keys.size(), 12u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  nlohmann::json failed = Body(Get("/api/documents", {{"status", "FAILED"}, {"stage", "chunk"}}));
  EXPECT_EQ(failed["total"], 4);
  nlohmann::json odd = Body(Get("/api/documents", {{"q", "ODD/"}}));
  EXPECT_EQ(odd["total"], 6);
  const std::string id = DocumentIdForKey("input/doc-04.md");
  nlohmann::json ids = Body(Get("/api/documents", {{"ids", id + ",nope-000000000000"}}));
  ASSERT_EQ(ids["total"], 1);
  EXPECT_EQ(ids["documents"][0]["document_id"], id);
}

TEST_F(DashboardApiTest, PagesAndChunksOfADocument) {
  Registration a = Completed("manual.md", 3);
  ApiResponse p2 = Get("/api/documents/" + a.document_id + "/pages", {{"page", "2"}});
  ASSERT_EQ(p2.status, 200) << p2.body;
  EXPECT_EQ(Body(p2)["markdown"], "# Page 2\n\nText of page 2.");
  EXPECT_EQ(Body(p2)["page_count"], 3);
  EXPECT_EQ(Get("/api/documents/" + a.document_id + "/pages", {{"page", "4"}}).status, 400);
  EXPECT_EQ(Get("/api/documents/" + a.document_id + "/pages", {{"page", "x"}}).status, 400);
  EXPECT_EQ(Get("/api/documents/nope-000000000000/pages").status, 404);

  // Paged through to the end by cursor: every chunk once, in order.
  std::vector<std::string> texts;
  std::string cursor;
  int pages_read = 0;
  do {
    std::map<std::string, std::string> params = {{"limit", "7"}};
    if (!cursor.empty()) params["cursor"] = cursor;
    ApiResponse c = Get("/api/documents/" + a.document_id + "/chunks", params);
    ASSERT_EQ(c.status, 200) << c.body;
    nlohmann::json j = Body(c);
    EXPECT_EQ(j["total"], 30);
    EXPECT_EQ(j["enriched"], true);
    EXPECT_EQ(j["language"], "en");
    EXPECT_LE(j["chunks"].size(), 7u);
    for (const nlohmann::json& ch : j["chunks"]) texts.push_back(ch["text"]);
    if (pages_read == 2) {
      const nlohmann::json& first = j["chunks"][0];
      EXPECT_EQ(first["text"], "Chunk 14 about pumps.");
      EXPECT_EQ(first["breadcrumbs"], nlohmann::json::array({"Manual", "Section 1"}));
      EXPECT_EQ(first["entities"][0], nlohmann::json({{"type", "ORGANIZATION"}, {"text", "Acme"}}));
      EXPECT_EQ(first["key_phrases"][0], "pumps");
      EXPECT_EQ(first["pii"][0], "EMAIL");
      const int page = first["page_start"].get<int>();
      EXPECT_EQ(first["page_label_start"], fmt::format("A-{}", page));
      EXPECT_EQ(first["citation"], fmt::format("p. A-{0} ({0})", page));
    }
    cursor = j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>();
    ++pages_read;
  } while (!cursor.empty() && pages_read < 20);
  EXPECT_EQ(pages_read, 5);
  ASSERT_EQ(texts.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(texts[i], fmt::format("Chunk {} about pumps.", i));

  EXPECT_EQ(Get("/api/documents/" + a.document_id + "/chunks", {{"limit", "201"}}).status, 400);
  ApiResponse offset = Get("/api/documents/" + a.document_id + "/chunks", {{"offset", "20"}});
  EXPECT_EQ(offset.status, 400);
  EXPECT_NE(Body(offset)["error"].get<std::string>().find("offset"), std::string::npos);
  ApiResponse bad = Get("/api/documents/" + a.document_id + "/chunks", {{"cursor", "garbage!"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad)["error"].get<std::string>().rfind("cursor", 0), 0u) << bad.body;
  Registration fresh = Register("fresh.md");
  EXPECT_EQ(Get("/api/documents/" + fresh.document_id + "/chunks").status, 404);
  ApiResponse foreign = Get("/api/documents/" + fresh.document_id + "/chunks", {{"cursor", cursor.empty() ? "x" : cursor}});
  EXPECT_EQ(foreign.status, 400);
}

// The audit trail a page at a time: paged through to the end, every event
// once and in order, as the table holds them; a bad cursor is a 400 naming it.
TEST_F(DashboardApiTest, AuditIsPagedByCursor) {
  Registration a = Register("audited.md");
  for (int i = 0; i < 23; ++i) {
    clock_.Advance(1);
    events_->Audit(Record(a), fmt::format("EVENT_{:02}", i), "extract", i, "");
  }
  std::vector<std::string> want;
  for (const AuditEvent& e : *audit_->List(a.document_id)) want.push_back(e.event_id);
  ASSERT_GE(want.size(), 24u);  // the registration's own event too
  std::vector<std::string> walked;
  std::string cursor;
  int pages_read = 0;
  do {
    std::map<std::string, std::string> params = {{"limit", "5"}};
    if (!cursor.empty()) params["cursor"] = cursor;
    ApiResponse r = Get("/api/documents/" + a.document_id + "/audit", params);
    ASSERT_EQ(r.status, 200) << r.body;
    nlohmann::json j = Body(r);
    EXPECT_LE(j["events"].size(), 5u);
    for (const nlohmann::json& e : j["events"]) walked.push_back(e["event_id"]);
    cursor = j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>();
    ++pages_read;
  } while (!cursor.empty() && pages_read < 50);
  EXPECT_EQ(walked, want);
  EXPECT_EQ(pages_read, static_cast<int>((want.size() + 4) / 5));

  EXPECT_EQ(Get("/api/documents/" + a.document_id + "/audit", {{"limit", "0"}}).status, 400);
  EXPECT_EQ(Get("/api/documents/" + a.document_id + "/audit", {{"limit", "1001"}}).status, 400);
  ApiResponse bad = Get("/api/documents/" + a.document_id + "/audit", {{"cursor", "bm9wZQ"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad)["error"].get<std::string>().rfind("cursor", 0), 0u) << bad.body;
  EXPECT_EQ(Get("/api/documents/nope-000000000000/audit").status, 404);
}

TEST_F(DashboardApiTest, SearchSnippetsAreSegmentsNotMarkup) {
  Registration a = Register("a.md");
  IndexedChunk c;
  c.document_id = a.document_id;
  c.processing_version = a.processing_version;
  c.chunk_id = a.document_id + ":000001:0";
  c.source_key = "input/a.md";
  c.text = "Calibrate the <b>valve</b> sensor weekly; the valve drifts.";
  c.breadcrumbs = {"Valve", "Care"};
  c.page_start = c.page_end = 2;
  c.type = "text";
  c.vector = embedder_->Embed({c.text})->vectors.at(0);
  ASSERT_RESULT_OK(index_->ReplaceDocument(a.document_id, a.processing_version, {c}));
  ApiResponse r = Get("/api/search", {{"q", "valve sensor"}, {"snippets", "true"}, {"mode", "keyword"}});
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json hit = Body(r).at(0);
  std::string joined, marked;
  for (const auto& s : hit["snippet"]) {
    joined += s["text"].get<std::string>();
    if (s["hit"] == true) marked += "[" + s["text"].get<std::string>() + "]";
  }
  EXPECT_EQ(joined, c.text);
  EXPECT_EQ(marked, "[valve][sensor][valve]");
  EXPECT_FALSE(Body(Get("/api/search", {{"q", "valve"}, {"mode", "keyword"}})).at(0).contains("snippet"));
  EXPECT_EQ(Get("/api/search", {{"q", "valve"}, {"snippets", "perhaps"}}).status, 400);
}

TEST_F(DashboardApiTest, DirectUploadsAreRegisteredAndQueued) {
  const int64_t sends = queue_->sends;
  ApiResponse r = Post("/api/uploads", "# Pump\n\nText.\n", {{"name", "pump manual.md"}});
  ASSERT_EQ(r.status, 201) << r.body;
  nlohmann::json j = Body(r);
  EXPECT_EQ(j["source_key"], "input/pump manual.md");
  EXPECT_EQ(j["registration"], "new");
  EXPECT_EQ(j["document_id"], DocumentIdForKey("input/pump manual.md"));
  EXPECT_EQ(*store_->Get("input/pump manual.md"), "# Pump\n\nText.\n");
  EXPECT_EQ(queue_->sends, sends + 1);
  EXPECT_EQ(Body(Post("/api/uploads", "# Pump\n\nText.\n", {{"name", "pump manual.md"}}))["registration"],
            "duplicate");
  for (const std::string& bad : std::vector<std::string>{"", "../x.md", "a/b.md", ".hidden.md", "virus.exe", std::string("a\nb.md")}) {
    ApiResponse refused = Post("/api/uploads", "x", {{"name", bad}});
    EXPECT_EQ(refused.status, 400) << "'" << bad << "': " << refused.body;
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir_.Join("scratch")));  // nothing left behind
  DashboardOptions small;
  small.max_upload_bytes = 4;
  Make(small);
  cookie_.clear();
  EXPECT_EQ(Post("/api/uploads", "12345", {{"name", "big.md"}}).status, 413);
  // Presigned uploads are the AWS shape's; a local store has none.
  EXPECT_EQ(Post("/api/uploads/presign", R"({"name":"a.pdf","size":3})", {}, "application/json").status, 409);
  DashboardOptions presigned;
  presigned.presigned_uploads = true;
  Make(presigned);
  cookie_.clear();
  EXPECT_EQ(Post("/api/uploads", "x", {{"name", "a.md"}}).status, 409);
  ApiResponse none = Post("/api/uploads/presign", R"({"name":"a.pdf","size":3})", {}, "application/json");
  EXPECT_EQ(none.status, 503) << none.body;  // the local store presigns nothing
}

TEST(SessionKeeperTest, CookiesAreSignedAndExpire) {
  testing::FakeClock clock;
  SessionKeeper keeper("the-token", clock, 1000);
  auto [cookie, session] = keeper.Issue();
  ASSERT_TRUE(keeper.Verify(cookie).has_value());
  EXPECT_EQ(keeper.Verify(cookie)->csrf_token, session.csrf_token);
  SessionKeeper other_token("another-token", clock, 1000);
  EXPECT_FALSE(other_token.Verify(cookie).has_value());  // a new token ends every session
  std::string tampered = cookie;
  tampered[3] = tampered[3] == '9' ? '8' : '9';  // the expiry
  EXPECT_FALSE(keeper.Verify(tampered).has_value());
  EXPECT_FALSE(keeper.Verify("").has_value());
  EXPECT_FALSE(keeper.Verify("v1...").has_value());
  EXPECT_FALSE(keeper.Verify(cookie + "x").has_value());
  clock.Advance(1000);
  EXPECT_FALSE(keeper.Verify(cookie).has_value());
  EXPECT_EQ(CookieValue("a=1; docpipe_session=xyz; b=2", "docpipe_session"), "xyz");
  EXPECT_EQ(CookieValue("xdocpipe_session=1", "docpipe_session"), "");
}

}  // namespace
}  // namespace docpipe
