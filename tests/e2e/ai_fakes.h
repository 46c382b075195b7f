#pragma once

// Local fakes of the AI services for the end-to-end tests: OpenAI's
// embeddings (bag-of-words vectors, so search results can be judged) and
// Amazon Comprehend's JSON API, each a loopback HTTP server on its own thread
// that checks every request against the documented limits. Pinecone's fake
// is tests/unit/index/fake_pinecone.h. Internal linkage (an anonymous
// namespace), so test files in one unity batch cannot clash.

#include <httplib.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "embed/embedder.h"
#include "support/process.h"

namespace docpipe::testing {
namespace {

using json = nlohmann::json;

// docpipe's embedder on an OpenAI-compatible server and its vector store on a
// Pinecone controller at these addresses (fakes, or proxies in front of them),
// 256 dimensions, index "docs".
EnvOverrides OpenAiAndPineconeEnv(const std::string& openai_url, const std::string& pinecone_url) {
  return {{"DOCPIPE_EMBEDDER", "openai"},         {"OPENAI_BASE_URL", openai_url + "/v1"},
          {"OPENAI_API_KEY", "sk-e2e-test"},      {"OPENAI_DIMENSIONS", "256"},
          {"DOCPIPE_VECTOR_STORE", "pinecone"},   {"PINECONE_API_KEY", "pk-e2e-test"},
          {"PINECONE_INDEX", "docs"},             {"PINECONE_CONTROLLER_HOST", pinecone_url}};
}

// Code-point offset of byte offset `b` in UTF-8 `s` (Comprehend counts characters).
int64_t AiFakeCodePoints(const std::string& s, size_t b) {
  int64_t n = 0;
  for (size_t i = 0; i < b && i < s.size(); ++i) n += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> AiFakeWords(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!w.empty()) {
      out.push_back(w);
      w.clear();
    }
  }
  return out;
}

// A loopback HTTP server run on its own thread.
class LoopbackServer {
 public:
  LoopbackServer() = default;
  ~LoopbackServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Server& server() { return server_; }
  void Violation(const std::string& v) {
    std::lock_guard lock(mu_);
    violations_.push_back(v);
  }
  std::vector<std::string> violations() {
    std::lock_guard lock(mu_);
    return violations_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> violations_;
};

// OpenAI's /v1/embeddings with bag-of-words vectors, so that similar texts
// get similar vectors and search results can be judged.
class FakeOpenAi : public LoopbackServer {
 public:
  FakeOpenAi() {
    server().Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
      requests_.fetch_add(1);
      if (req.get_header_value("Authorization") != "Bearer sk-e2e-test") Violation("bad Authorization");
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body["input"].is_array()) {
        Violation("body is not {input: [...]}");
        res.status = 400;
        return;
      }
      if (body.value("encoding_format", "") != "base64") Violation("encoding_format is not base64");
      const int dim = body.value("dimensions", 1536);
      const json& input = body["input"];
      if (input.size() > 2048) Violation("more than 2048 inputs");
      json data = json::array();
      int64_t tokens = 0;
      for (size_t i = 0; i < input.size(); ++i) {
        const std::string text = input[i].get<std::string>();
        if (text.empty()) Violation("empty input");
        std::vector<float> v(static_cast<size_t>(dim), 0.0f);
        for (const std::string& w : AiFakeWords(text)) {
          size_t h = std::hash<std::string>{}(w);
          v[h % v.size()] += (h >> 40) & 1 ? 1.0f : -1.0f;
          ++tokens;
        }
        v[0] += 0.01f;  // never all zero
        double norm = 0;
        for (float x : v) norm += double(x) * x;
        for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
        data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", EncodeVectorBase64(v)}});
      }
      res.set_content(json{{"object", "list"},
                           {"data", data},
                           {"model", body.value("model", "")},
                           {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}}
                          .dump(),
                      "application/json");
    });
    Start();
  }
  int requests() const { return requests_.load(); }

 private:
  std::atomic<int> requests_{0};
};

// Amazon Comprehend's JSON 1.1 API: language, entities (GLPK as an
// ORGANIZATION), key phrases (long words), PII (e-mail addresses), and the
// batch calls.
class FakeComprehend : public LoopbackServer {
 public:
  FakeComprehend() {
    server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string target = req.get_header_value("X-Amz-Target");
      const std::string op = target.substr(target.find('.') + 1);
      {
        std::lock_guard lock(mu_);
        ++calls_[op];
      }
      if (req.get_header_value("Authorization").find("/comprehend/aws4_request") == std::string::npos) {
        Violation("not signed for comprehend");
      }
      json body = json::parse(req.body, nullptr, false);
      json out;
      if (op.rfind("Batch", 0) == 0) {
        const json& list = body["TextList"];
        if (list.size() > 25) Violation("batch over 25 documents");
        json results = json::array();
        for (size_t i = 0; i < list.size(); ++i) {
          const std::string text = list[i].get<std::string>();
          if (text.size() >= 5000) Violation("batch document over 5,000 bytes");
          json r = Answer(op.substr(5), text);
          r["Index"] = i;
          results.push_back(r);
        }
        out = {{"ResultList", results}, {"ErrorList", json::array()}};
      } else {
        const std::string text = body.value("Text", "");
        if (text.size() > 100'000) Violation("text over 100 KB");
        out = Answer(op, text);
      }
      res.set_content(out.dump(), "application/x-amz-json-1.1");
    });
    Start();
  }
  int calls(const std::string& op) {
    std::lock_guard lock(mu_);
    return calls_[op];
  }

 private:
  static json Span(const std::string& text, size_t b, size_t len, json extra) {
    extra["BeginOffset"] = AiFakeCodePoints(text, b);
    extra["EndOffset"] = AiFakeCodePoints(text, b + len);
    return extra;
  }
  static json Answer(const std::string& op, const std::string& text) {
    if (op == "DetectDominantLanguage") return {{"Languages", {{{"LanguageCode", "en"}, {"Score", 0.99}}}}};
    json found = json::array();
    if (op == "DetectEntities") {
      for (size_t p = text.find("GLPK"); p != std::string::npos; p = text.find("GLPK", p + 4)) {
        found.push_back(Span(text, p, 4, {{"Type", "ORGANIZATION"}, {"Text", "GLPK"}, {"Score", 0.95}}));
      }
      return {{"Entities", found}};
    }
    if (op == "DetectKeyPhrases") {
      static const std::regex word("[A-Za-z]{10,}");
      for (auto it = std::sregex_iterator(text.begin(), text.end(), word); it != std::sregex_iterator() && found.size() < 3;
           ++it) {
        found.push_back(Span(text, it->position(), it->length(), {{"Text", it->str()}, {"Score", 0.9}}));
      }
      return {{"KeyPhrases", found}};
    }
    if (op == "DetectPiiEntities") {
      static const std::regex email("[A-Za-z0-9._-]+@[A-Za-z0-9.-]+\\.[a-z]{2,}");
      for (auto it = std::sregex_iterator(text.begin(), text.end(), email); it != std::sregex_iterator(); ++it) {
        found.push_back(Span(text, it->position(), it->length(), {{"Type", "EMAIL"}, {"Score", 0.99}}));
      }
      return {{"Entities", found}};
    }
    return json::object();
  }
  std::mutex mu_;
  std::map<std::string, int> calls_;
};

}  // namespace
}  // namespace docpipe::testing
