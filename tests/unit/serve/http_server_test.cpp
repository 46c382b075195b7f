// The head's HTTP server module (serve/http_server.h) and libcurl are loaded
// when first needed; both load from the build tree, serve a real exchange,
// and match the list the packaging reads (deploy/on-demand-libraries.txt).
#include "extract/mime_message.h"
#include "extract/zip_archive.h"
#include "ocr/tesseract_ocr_engine.h"
#include "serve/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "http/curl_http_client.h"

namespace docpipe {
namespace {

TEST(HttpServerTest, LoadsTheModuleAndServesThroughIt) {
  Result<std::unique_ptr<HttpServer>> server =
      LoadHttpServer("127.0.0.1", 0, [](const ApiRequest& request) {
        ApiResponse response;
        response.status = request.path == "/hello" ? 200 : 404;
        response.content_type = "text/plain";
        response.body = request.method + " " + request.path + " " + request.Header("authorization");
        response.headers.push_back({"X-Served-By", "module"});
        return response;
      });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  HttpServer& http = **server;
  ASSERT_GT(http.port(), 0);
  std::thread run([&] { EXPECT_TRUE(http.Run()); });
  HttpClientPtr client = NewCurlHttpClient();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(http.port()) + "/hello";
  request.headers.push_back({"Authorization", "Bearer t"});
  Result<HttpResponse> response = Status::Unavailable("not sent");
  for (int attempt = 0; attempt < 100; ++attempt) {  // Run() starts listening on its thread
    response = client->Send(request);
    if (response.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  client.reset();  // closes the kept-alive connection, so Stop() need not wait for it
  http.Stop();
  run.join();
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /hello Bearer t");
  ASSERT_NE(response->FindHeader("x-served-by"), nullptr);
  EXPECT_EQ(*response->FindHeader("x-served-by"), "module");
}

// Through the module: a request's body reaches the handler whole, and a body
// over the limit is refused with 413 before the handler sees it.
TEST(HttpServerTest, BodiesReachTheHandlerUpToTheLimit) {
  std::atomic<int> handled{0};
  HttpServerLimits limits;
  limits.max_body_bytes = 1000;
  Result<std::unique_ptr<HttpServer>> server = LoadHttpServer(
      "127.0.0.1", 0,
      [&handled](const ApiRequest& request) {
        ++handled;
        ApiResponse response;
        response.content_type = "text/plain";
        response.body = request.method + " " + std::to_string(request.body.size()) + " " +
                        request.Header("content-type") + " " + request.body.substr(0, 5);
        return response;
      },
      limits);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  HttpServer& http = **server;
  std::thread run([&] { EXPECT_TRUE(http.Run()); });
  HttpClientPtr client = NewCurlHttpClient();
  auto post = [&](std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(http.port()) + "/api/x";
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = std::move(body);
    Result<HttpResponse> response = Status::Unavailable("not sent");
    for (int attempt = 0; attempt < 100; ++attempt) {
      response = client->Send(request);
      if (response.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return response;
  };
  Result<HttpResponse> small = post(std::string(1000, 'x'));
  Result<HttpResponse> large = post(std::string(1001, 'y'));
  client.reset();
  http.Stop();
  run.join();
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(small->status, 200);
  EXPECT_EQ(small->body, "POST 1000 application/json xxxxx");
  ASSERT_TRUE(large.ok()) << large.status().ToString();
  EXPECT_EQ(large->status, 413);
  EXPECT_EQ(handled.load(), 1);
}

// A client that accepts brotli gets gzip (brotli at its default quality 11
// costs hundreds of ms for a page of the documents list); one that accepts
// neither gets the body as it is.
TEST(HttpServerTest, AnswersCompressWithGzipNotBrotli) {
  const std::string json = "[" + std::string(50'000, '1') + "]";
  Result<std::unique_ptr<HttpServer>> server = LoadHttpServer("127.0.0.1", 0, [&json](const ApiRequest&) {
    ApiResponse response;
    response.body = json;
    return response;
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  HttpServer& http = **server;
  std::thread run([&] { EXPECT_TRUE(http.Run()); });
  HttpClientPtr client = NewCurlHttpClient();
  auto get = [&](const std::string& accept) {
    HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(http.port()) + "/api/documents";
    if (!accept.empty()) request.headers.push_back({"Accept-Encoding", accept});
    Result<HttpResponse> response = Status::Unavailable("not sent");
    for (int attempt = 0; attempt < 100; ++attempt) {
      response = client->Send(request);
      if (response.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return response;
  };
  Result<HttpResponse> browser = get("gzip, deflate, br");
  Result<HttpResponse> brotli_only = get("br");
  Result<HttpResponse> plain = get("");
  client.reset();
  http.Stop();
  run.join();
  ASSERT_TRUE(browser.ok()) << browser.status().ToString();
  ASSERT_NE(browser->FindHeader("content-encoding"), nullptr);
  EXPECT_EQ(*browser->FindHeader("content-encoding"), "gzip");
  EXPECT_LT(browser->body.size(), json.size() / 10);
  ASSERT_TRUE(brotli_only.ok());
  EXPECT_EQ(brotli_only->FindHeader("content-encoding"), nullptr);
  EXPECT_EQ(brotli_only->body, json);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->body, json);
}

// The packaging (deploy/package-lambda.sh, deploy/Dockerfile) ships what this
// list names; it must name what the code loads.
TEST(HttpServerTest, OnDemandLibrariesListMatchesTheCode) {
  std::ifstream in(std::string(DOCPIPE_SOURCE_DIR) + "/deploy/on-demand-libraries.txt");
  ASSERT_TRUE(in.good());
  std::map<std::string, std::string> listed;  // name -> kind
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name, kind;
    if (!(fields >> name >> kind) || name[0] == '#') continue;
    listed[name] = kind;
  }
  EXPECT_EQ(listed, (std::map<std::string, std::string>{{kCurlLibrary, "system"},
                                                        {kZipLibrary, "system"},
                                                        {kHttpServerModuleFile, "module"},
                                                        {kTesseractModuleFile, "module"},
                                                        {kMimeModuleFile, "module"}}));
}

}  // namespace
}  // namespace docpipe
