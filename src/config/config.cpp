#include "config/config.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>

#include <fmt/format.h>
// toml++ 3.3 asserts what its parser then checks anyway: a table header with
// no key ("[ #") fails `assert` in parse_key() and aborts a build without
// NDEBUG (make test's), where a Release build reports the parse error
// (found by tests/fuzz/config_toml_fuzzer.cpp). Its own error path is the
// answer in every build.
#define TOML_ASSERT(expr) static_assert(true)
#include <toml++/toml.h>

#include "common/utf8.h"

namespace docpipe {
namespace {

Result<int64_t> ParseInt(const std::string& name, const std::string& value) {
  try {
    size_t pos = 0;
    long long v = std::stoll(value, &pos);
    if (pos != value.size()) throw std::invalid_argument("trailing");
    return static_cast<int64_t>(v);
  } catch (const std::exception&) {
    return Status::InvalidInput(fmt::format("{}: expected an integer, got '{}'", name, value));
  }
}

Result<double> ParseDouble(const std::string& name, const std::string& value) {
  try {
    size_t pos = 0;
    double v = std::stod(value, &pos);
    if (pos != value.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    return Status::InvalidInput(fmt::format("{}: expected a number, got '{}'", name, value));
  }
}

Result<bool> ParseBool(const std::string& name, const std::string& value) {
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  return Status::InvalidInput(fmt::format("{}: expected true or false, got '{}'", name, value));
}

// Reads an integer setting from a TOML table; absent keeps the default.
template <typename T>
Status TomlInt(const toml::table& t, const char* key, const std::string& where, T& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  // An integer only: toml++'s value<int64_t>() would convert a float, and
  // one out of range ("1e308") is undefined behaviour.
  const toml::value<int64_t>* v = n->as_integer();
  if (v == nullptr) return Status::InvalidInput(fmt::format("{}: '{}' must be an integer", where, key));
  if (!std::in_range<T>(v->get()))
    return Status::InvalidInput(fmt::format("{}: '{}' is out of range ({})", where, key, v->get()));
  out = static_cast<T>(v->get());
  return Status::Ok();
}

Status TomlString(const toml::table& t, const char* key, const std::string& where, std::string& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  auto v = n->value<std::string>();
  if (!v) return Status::InvalidInput(fmt::format("{}: '{}' must be a string", where, key));
  out = *v;
  return Status::Ok();
}

Status TomlBool(const toml::table& t, const char* key, const std::string& where, bool& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  auto v = n->value<bool>();
  if (!v) return Status::InvalidInput(fmt::format("{}: '{}' must be true or false", where, key));
  out = *v;
  return Status::Ok();
}

// Parses an adapter choice by name. InvalidInput naming where it came from
// (a variable, or "<file>: <key>"), the bad value and the names allowed.
template <typename Kind, size_t N>
Status ParseChoice(const std::string& where, const std::string& value, const std::pair<const char*, Kind> (&names)[N],
                   Kind& out) {
  std::string allowed;
  for (const auto& [name, kind] : names) {
    if (value == name) {
      out = kind;
      return Status::Ok();
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  }
  return Status::InvalidInput(fmt::format("{}: '{}' is not supported (supported: {})", where, value, allowed));
}

constexpr std::pair<const char*, Backend> kBackends[] = {{"embedded", Backend::kEmbedded}, {"aws", Backend::kAws}};
constexpr std::pair<const char*, EnricherKind> kEnrichers[] = {{"local", EnricherKind::kLocal},
                                                               {"comprehend", EnricherKind::kComprehend}};
constexpr std::pair<const char*, EmbedderKind> kEmbedders[] = {{"local", EmbedderKind::kLocal},
                                                               {"openai", EmbedderKind::kOpenAi}};
constexpr std::pair<const char*, VectorStoreKind> kVectorStores[] = {{"local", VectorStoreKind::kLocal},
                                                                     {"pinecone", VectorStoreKind::kPinecone}};

template <typename Kind, size_t N>
const char* NameOf(Kind kind, const std::pair<const char*, Kind> (&names)[N]) {
  for (const auto& [name, k] : names) {
    if (k == kind) return name;
  }
  return "?";
}

// A choice from the TOML file; absent keeps the default.
template <typename Kind, size_t N>
Status TomlChoice(const toml::table& t, const char* key, const std::string& where,
                  const std::pair<const char*, Kind> (&names)[N], Kind& out) {
  std::string value;
  if (t.get(key) == nullptr) return Status::Ok();
  DOCPIPE_RETURN_IF_ERROR(TomlString(t, key, where, value));
  return ParseChoice(fmt::format("{}: {}", where, key), value, names, out);
}

}  // namespace

const char* ChoiceName(Backend b) { return NameOf(b, kBackends); }
const char* ChoiceName(EnricherKind e) { return NameOf(e, kEnrichers); }
const char* ChoiceName(EmbedderKind e) { return NameOf(e, kEmbedders); }
const char* ChoiceName(VectorStoreKind v) { return NameOf(v, kVectorStores); }

namespace {

// toml++ 3.3 (Debian's) must only ever see ASCII: it tests a non-ASCII
// character outside a string for Unicode whitespace through a generated table
// that reaches __builtin_unreachable for most code points ("é = 1",
// "a = 1 é", "a = 2\"é": undefined behaviour, an abort under UBSan; found by
// tests/fuzz/config_toml_fuzzer.cpp). So the text is rewritten first, lines
// kept: inside basic strings a non-ASCII character becomes its \u escape, a
// literal string holding one becomes the equal basic string, comments lose
// theirs, and anywhere else it is refused with its line and column. Where
// this scan reads a malformed file differently from toml++, toml++ still gets
// ASCII only, and its error.
Result<std::string> AsciiToml(std::string_view text, const std::string& source_name) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(text);
  }
  if (!IsValidUtf8(text)) return Status::InvalidInput(fmt::format("{}: not valid UTF-8", source_name));
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  size_t line = 1, line_start = 0;
  auto escape = [&](size_t& i) {  // the UTF-8 character at i as \uXXXX or \UXXXXXXXX
    size_t len = 1;
    const char32_t cp = DecodeUtf8(text, i, &len);
    out += cp > 0xFFFF ? fmt::format("\\U{:08X}", static_cast<uint32_t>(cp)) : fmt::format("\\u{:04X}", static_cast<uint32_t>(cp));
    i += len;
  };
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '#') {  // a comment runs to the end of the line
      for (; i < text.size() && text[i] != '\n'; ++i) {
        if (static_cast<unsigned char>(text[i]) < 0x80) out += text[i];
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      const std::string fence(3, c);
      const bool multiline = text.substr(i, 3) == fence;
      const size_t open = multiline ? 3 : 1;
      size_t end = i + open;  // the closing quote(s), or where the string stops unclosed
      bool non_ascii = false;
      while (end < text.size()) {
        if (c == '"' && text[end] == '\\' && end + 1 < text.size()) {
          end += 2;
          continue;
        }
        if (text[end] == '\n' && !multiline) break;
        if (text.substr(end, open) == fence.substr(0, open)) break;
        non_ascii |= static_cast<unsigned char>(text[end]) >= 0x80;
        ++end;
      }
      const bool literal = c == '\'' && non_ascii;
      out += literal ? std::string(open, '"') : std::string(text.substr(i, open));
      for (i += open; i < end;) {
        if (c == '"' && text[i] == '\\' && i + 1 < end) {  // an escape pair stays as it is
          if (static_cast<unsigned char>(text[i + 1]) >= 0x80) {
            return Status::InvalidInput(fmt::format("{}:{}:{}: an invalid escape sequence", source_name, line,
                                                    i - line_start + 1));
          }
          if (text[i + 1] == '\n') ++line, line_start = i + 2;
          out += text.substr(i, 2);
          i += 2;
          continue;
        }
        if (static_cast<unsigned char>(text[i]) >= 0x80) {
          escape(i);
          continue;
        }
        if (text[i] == '\n') ++line, line_start = i + 1;
        if (literal && (text[i] == '\\' || text[i] == '"')) out += '\\';
        out += text[i++];
      }
      if (i < text.size() && text[i] != '\n') {
        out += literal ? std::string(open, '"') : std::string(text.substr(i, open));
        i += open;
      }
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      return Status::InvalidInput(fmt::format("{}:{}:{}: a non-ASCII character outside a string or comment",
                                              source_name, line, i - line_start + 1));
    }
    if (c == '\n') ++line, line_start = i + 1;
    out += c;
    ++i;
  }
  return out;
}

}  // namespace

Status ApplyToml(const std::string& toml_text, const std::string& source_name, Config& c) {
  Result<std::string> ascii = AsciiToml(toml_text, source_name);
  if (!ascii.ok()) return ascii.status();
  toml::table root;
  try {
    root = toml::parse(*ascii, source_name);
  } catch (const toml::parse_error& err) {
    return Status::InvalidInput(fmt::format("{}:{}:{}: {}", source_name, err.source().begin.line,
                                            err.source().begin.column, err.description()));
  }
  const std::string& w = source_name;
  // A misspelt key would otherwise be ignored silently.
  static const std::map<std::string, std::set<std::string>> kKnown = {
      {"", {"workspace", "backend", "workers", "document_threads", "max_retries", "ttl_days", "log_level", "log_file", "log_stderr",
            "redact_pii", "pipeline", "chunk", "enrich", "embedding", "aws", "enricher", "embedder", "vector_store",
            "openai", "pinecone", "comprehend", "serve", "extract", "ocr", "limits"}},
      {"limits", {"max_bytes", "max_pages", "max_chars", "max_chunks", "max_expansion_ratio"}},
      {"extract", {"docx_comments", "pptx_speaker_notes", "sheet_rows_per_table"}},
      {"ocr", {"enabled", "languages", "threads", "tessdata_dir"}},
      {"serve", {"bind", "port", "head_interval_seconds", "secure_cookies", "trusted_proxies", "max_upload_mb",
                 "process", "http_header_timeout_seconds", "http_idle_timeout_seconds", "http_max_header_kb",
                 "http_max_connections", "http_max_connections_per_client", "http_max_requests_per_connection",
                 "http_threads"}},
      {"openai", {"base_url", "dimensions", "requests_per_minute", "tokens_per_minute", "concurrency"}},
      {"pinecone", {"index", "namespace", "index_host", "controller_host", "cloud", "region"}},
      {"comprehend", {"requests_per_second"}},
      {"aws", {"region", "endpoint_url", "bucket", "s3_force_path_style", "control_table", "audit_table",
               "metrics_table", "queue_name", "dlq_name", "queue_url", "dlq_url", "cloudwatch_metrics",
               "cloudwatch_namespace", "max_attempts"}},
      {"pipeline", {"lease_seconds", "heartbeat_seconds", "stage_timeout_seconds", "document_timeout_seconds",
                    "retry_base_ms", "retry_max_ms", "max_receive_count", "poll_wait_seconds"}},
      {"chunk", {"target_tokens", "min_tokens", "max_tokens", "overlap_tokens"}},
      {"enrich", {"min_score"}},
      {"embedding", {"model", "dimension", "batch_size"}},
  };
  for (const auto& [key, node] : root) {
    const std::string k(key.str());
    if (!kKnown.at("").count(k)) return Status::InvalidInput(fmt::format("{}: unknown setting '{}'", w, k));
    if (const toml::table* sub = node.as_table()) {
      auto known = kKnown.find(k);
      if (known == kKnown.end()) return Status::InvalidInput(fmt::format("{}: '{}' is not a table", w, k));
      for (const auto& [subkey, unused] : *sub) {
        if (!known->second.count(std::string(subkey.str()))) {
          return Status::InvalidInput(fmt::format("{}: unknown setting '{}.{}'", w, k, subkey.str()));
        }
      }
    }
  }
  DOCPIPE_RETURN_IF_ERROR(TomlString(root, "workspace", w, c.workspace));
  DOCPIPE_RETURN_IF_ERROR(TomlChoice(root, "backend", w, kBackends, c.backend));
  DOCPIPE_RETURN_IF_ERROR(TomlInt(root, "workers", w, c.workers));
  DOCPIPE_RETURN_IF_ERROR(TomlInt(root, "document_threads", w, c.document_threads));
  DOCPIPE_RETURN_IF_ERROR(TomlInt(root, "max_retries", w, c.max_retries));
  DOCPIPE_RETURN_IF_ERROR(TomlInt(root, "ttl_days", w, c.ttl_days));
  DOCPIPE_RETURN_IF_ERROR(TomlString(root, "log_level", w, c.log_level));
  DOCPIPE_RETURN_IF_ERROR(TomlString(root, "log_file", w, c.log_file));
  DOCPIPE_RETURN_IF_ERROR(TomlBool(root, "log_stderr", w, c.log_stderr));
  DOCPIPE_RETURN_IF_ERROR(TomlBool(root, "redact_pii", w, c.redact_pii));
  if (const toml::table* e = root["enrich"].as_table()) {
    if (const toml::node* n = e->get("min_score")) {
      auto v = n->value<double>();
      if (!v) return Status::InvalidInput(w + " [enrich]: 'min_score' must be a number");
      c.enrich_min_score = *v;
    }
  }
  if (const toml::table* e = root["extract"].as_table()) {
    std::string xw = w + " [extract]";
    DOCPIPE_RETURN_IF_ERROR(TomlBool(*e, "docx_comments", xw, c.extract.docx_comments));
    DOCPIPE_RETURN_IF_ERROR(TomlBool(*e, "pptx_speaker_notes", xw, c.extract.pptx_speaker_notes));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*e, "sheet_rows_per_table", xw, c.extract.sheet_rows_per_table));
  }
  if (const toml::table* e = root["embedding"].as_table()) {
    std::string ew = w + " [embedding]";
    DOCPIPE_RETURN_IF_ERROR(TomlString(*e, "model", ew, c.embedding_model));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*e, "dimension", ew, c.embed_dimension));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*e, "batch_size", ew, c.embed_batch_size));
  }

  DOCPIPE_RETURN_IF_ERROR(TomlChoice(root, "enricher", w, kEnrichers, c.enricher));
  DOCPIPE_RETURN_IF_ERROR(TomlChoice(root, "embedder", w, kEmbedders, c.embedder));
  DOCPIPE_RETURN_IF_ERROR(TomlChoice(root, "vector_store", w, kVectorStores, c.vector_store));
  if (const toml::table* o = root["openai"].as_table()) {
    std::string ow = w + " [openai]";
    DOCPIPE_RETURN_IF_ERROR(TomlString(*o, "base_url", ow, c.openai.base_url));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*o, "dimensions", ow, c.openai.dimensions));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*o, "requests_per_minute", ow, c.openai.requests_per_minute));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*o, "tokens_per_minute", ow, c.openai.tokens_per_minute));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*o, "concurrency", ow, c.openai.concurrency));
  }
  if (const toml::table* pc = root["pinecone"].as_table()) {
    std::string pw = w + " [pinecone]";
    DOCPIPE_RETURN_IF_ERROR(TomlString(*pc, "index", pw, c.pinecone.index));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*pc, "namespace", pw, c.pinecone.name_space));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*pc, "index_host", pw, c.pinecone.index_host));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*pc, "controller_host", pw, c.pinecone.controller_host));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*pc, "cloud", pw, c.pinecone.cloud));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*pc, "region", pw, c.pinecone.region));
  }
  if (const toml::table* cm = root["comprehend"].as_table()) {
    DOCPIPE_RETURN_IF_ERROR(
        TomlInt(*cm, "requests_per_second", w + " [comprehend]", c.comprehend.requests_per_second));
  }
  if (const toml::table* sv = root["serve"].as_table()) {
    std::string sw = w + " [serve]";
    DOCPIPE_RETURN_IF_ERROR(TomlString(*sv, "bind", sw, c.serve.bind));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*sv, "port", sw, c.serve.port));
    int64_t interval_s = -1;
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*sv, "head_interval_seconds", sw, interval_s));
    if (interval_s >= 0) c.serve.head_interval_ms = interval_s * 1000;
    DOCPIPE_RETURN_IF_ERROR(TomlBool(*sv, "secure_cookies", sw, c.serve.secure_cookies));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*sv, "max_upload_mb", sw, c.serve.max_upload_mb));
    DOCPIPE_RETURN_IF_ERROR(TomlBool(*sv, "process", sw, c.serve.process));
    int64_t seconds = -1;
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*sv, "http_header_timeout_seconds", sw, seconds));
    if (seconds != -1) c.serve.http_header_timeout_ms = seconds * 1000;
    seconds = -1;
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*sv, "http_idle_timeout_seconds", sw, seconds));
    if (seconds != -1) c.serve.http_idle_timeout_ms = seconds * 1000;
    int64_t header_kb = -1;
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*sv, "http_max_header_kb", sw, header_kb));
    if (header_kb != -1) c.serve.http_max_header_bytes = header_kb << 10;
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*sv, "http_max_connections", sw, c.serve.http_max_connections));
    DOCPIPE_RETURN_IF_ERROR(
        TomlInt(*sv, "http_max_connections_per_client", sw, c.serve.http_max_connections_per_client));
    DOCPIPE_RETURN_IF_ERROR(
        TomlInt(*sv, "http_max_requests_per_connection", sw, c.serve.http_max_requests_per_connection));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*sv, "http_threads", sw, c.serve.http_threads));
    if (const toml::node* proxies = sv->get("trusted_proxies")) {
      const toml::array* arr = proxies->as_array();
      if (arr == nullptr) return Status::InvalidInput(sw + ": trusted_proxies must be an array of IP addresses");
      c.serve.trusted_proxies.clear();
      for (const toml::node& p : *arr) {
        if (!p.is_string()) return Status::InvalidInput(sw + ": trusted_proxies must hold strings");
        c.serve.trusted_proxies.push_back(*p.value<std::string>());
      }
    }
  }
  if (const toml::table* o = root["ocr"].as_table()) {
    std::string ow = w + " [ocr]";
    DOCPIPE_RETURN_IF_ERROR(TomlBool(*o, "enabled", ow, c.ocr.enabled));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*o, "languages", ow, c.ocr.languages));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*o, "threads", ow, c.ocr.threads));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*o, "tessdata_dir", ow, c.ocr.tessdata_dir));
  }
  if (const toml::table* a = root["aws"].as_table()) {
    std::string aw = w + " [aws]";
    AwsSettings& x = c.aws;
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "region", aw, x.region));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "endpoint_url", aw, x.endpoint_url));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "bucket", aw, x.bucket));
    DOCPIPE_RETURN_IF_ERROR(TomlBool(*a, "s3_force_path_style", aw, x.s3_force_path_style));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "control_table", aw, x.control_table));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "audit_table", aw, x.audit_table));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "metrics_table", aw, x.metrics_table));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "queue_name", aw, x.queue_name));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "dlq_name", aw, x.dlq_name));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "queue_url", aw, x.queue_url));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "dlq_url", aw, x.dlq_url));
    DOCPIPE_RETURN_IF_ERROR(TomlBool(*a, "cloudwatch_metrics", aw, x.cloudwatch_metrics));
    DOCPIPE_RETURN_IF_ERROR(TomlString(*a, "cloudwatch_namespace", aw, x.cloudwatch_namespace));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*a, "max_attempts", aw, x.max_attempts));
  }
  if (const toml::table* p = root["pipeline"].as_table()) {
    std::string pw = w + " [pipeline]";
    int64_t lease_s = -1, hb_s = -1, stage_s = -1, doc_s = -1, poll_s = -1;
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*p, "poll_wait_seconds", pw, poll_s));
    if (poll_s >= 0) c.poll_wait_ms = poll_s * 1000;
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*p, "lease_seconds", pw, lease_s));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*p, "heartbeat_seconds", pw, hb_s));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*p, "stage_timeout_seconds", pw, stage_s));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*p, "document_timeout_seconds", pw, doc_s));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*p, "retry_base_ms", pw, c.retry_base_ms));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*p, "retry_max_ms", pw, c.retry_max_ms));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*p, "max_receive_count", pw, c.max_receive_count));
    if (lease_s >= 0) c.lease_ms = lease_s * 1000;
    if (hb_s >= 0) c.heartbeat_ms = hb_s * 1000;
    if (stage_s >= 0) c.stage_timeout_ms = stage_s * 1000;
    if (doc_s >= 0) c.document_timeout_ms = doc_s * 1000;
  }
  if (const toml::table* l = root["limits"].as_table()) {
    std::string lw = w + " [limits]";
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*l, "max_bytes", lw, c.limits.max_bytes));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*l, "max_pages", lw, c.limits.max_pages));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*l, "max_chars", lw, c.limits.max_chars));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*l, "max_chunks", lw, c.limits.max_chunks));
    if (const toml::node* n = l->get("max_expansion_ratio")) {
      auto v = n->value<double>();  // an integer reads as a double too
      if (!v) return Status::InvalidInput(lw + ": 'max_expansion_ratio' must be a number");
      c.limits.max_expansion_ratio = *v;
    }
  }
  if (const toml::table* ch = root["chunk"].as_table()) {
    std::string cw = w + " [chunk]";
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*ch, "target_tokens", cw, c.chunk.target_tokens));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*ch, "min_tokens", cw, c.chunk.min_tokens));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*ch, "max_tokens", cw, c.chunk.max_tokens));
    DOCPIPE_RETURN_IF_ERROR(TomlInt(*ch, "overlap_tokens", cw, c.chunk.overlap_tokens));
  }
  return Status::Ok();
}

Status ApplyEnvironment(const Environment& env, Config& c) {
  auto get = [&](const char* name) { return EnvLookup(env, name); };
  auto set_int = [&](const char* name, auto& out, int64_t scale) -> Status {
    if (const std::string* v = get(name)) {
      Result<int64_t> n = ParseInt(name, *v);
      if (!n.ok()) return n.status();
      out = static_cast<std::remove_reference_t<decltype(out)>>(*n * scale);
    }
    return Status::Ok();
  };
  if (const std::string* v = get("DOCPIPE_WORKSPACE")) c.workspace = *v;
  if (const std::string* v = get("DOCPIPE_BACKEND")) {
    DOCPIPE_RETURN_IF_ERROR(ParseChoice("DOCPIPE_BACKEND", *v, kBackends, c.backend));
  }
  if (const std::string* v = get("DOCPIPE_LOG_LEVEL")) c.log_level = *v;
  if (const std::string* v = get("DOCPIPE_LOG_FILE")) c.log_file = *v;
  if (const std::string* v = get("DOCPIPE_REDACT_PII")) {
    Result<bool> b = ParseBool("DOCPIPE_REDACT_PII", *v);
    if (!b.ok()) return b.status();
    c.redact_pii = *b;
  }
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_EMBED_DIMENSION", c.embed_dimension, 1));
  for (auto [name, flag] : {std::pair<const char*, bool*>{"DOCPIPE_EXTRACT_DOCX_COMMENTS", &c.extract.docx_comments},
                            {"DOCPIPE_EXTRACT_PPTX_SPEAKER_NOTES", &c.extract.pptx_speaker_notes}}) {
    if (const std::string* v = get(name)) {
      Result<bool> b = ParseBool(name, *v);
      if (!b.ok()) return b.status();
      *flag = *b;
    }
  }
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_EXTRACT_SHEET_ROWS_PER_TABLE", c.extract.sheet_rows_per_table, 1));
  if (const std::string* v = get("OPENAI_MODEL")) c.embedding_model = *v;  // the original pipeline's name
  if (const std::string* v = get("DOCPIPE_LOG_STDERR")) {
    Result<bool> b = ParseBool("DOCPIPE_LOG_STDERR", *v);
    if (!b.ok()) return b.status();
    c.log_stderr = *b;
  }
  // AWS: the SDKs' names, and the original pipeline's resource names.
  AwsSettings& aws = c.aws;
  if (const std::string* v = get("AWS_DEFAULT_REGION")) aws.region = *v;
  if (const std::string* v = get("AWS_REGION")) aws.region = *v;  // wins over AWS_DEFAULT_REGION, as in the SDKs
  if (const std::string* v = get("S3_BUCKET")) aws.bucket = *v;
  if (const std::string* v = get("DYNAMODB_CONTROL_TABLE")) aws.control_table = *v;
  if (const std::string* v = get("DYNAMODB_AUDIT_TABLE")) aws.audit_table = *v;
  if (const std::string* v = get("DYNAMODB_METRICS_TABLE")) aws.metrics_table = *v;
  if (const std::string* v = get("SQS_QUEUE_NAME")) aws.queue_name = *v;
  if (const std::string* v = get("SQS_DLQ_NAME")) aws.dlq_name = *v;
  if (const std::string* v = get("SQS_QUEUE_URL")) aws.queue_url = *v;
  if (const std::string* v = get("SQS_DLQ_URL")) aws.dlq_url = *v;
  if (const std::string* v = get("DOCPIPE_CLOUDWATCH_NAMESPACE")) aws.cloudwatch_namespace = *v;
  for (auto [name, out] : {std::pair{"DOCPIPE_S3_FORCE_PATH_STYLE", &aws.s3_force_path_style},
                           std::pair{"DOCPIPE_CLOUDWATCH_METRICS", &aws.cloudwatch_metrics}}) {
    if (const std::string* v = get(name)) {
      Result<bool> b = ParseBool(name, *v);
      if (!b.ok()) return b.status();
      *out = *b;
    }
  }
  DOCPIPE_RETURN_IF_ERROR(set_int("AWS_MAX_ATTEMPTS", aws.max_attempts, 1));
  // Cloud adapters (the original pipeline's OPENAI_* / PINECONE_* names).
  if (const std::string* v = get("DOCPIPE_ENRICHER")) {
    DOCPIPE_RETURN_IF_ERROR(ParseChoice("DOCPIPE_ENRICHER", *v, kEnrichers, c.enricher));
  }
  if (const std::string* v = get("DOCPIPE_EMBEDDER")) {
    DOCPIPE_RETURN_IF_ERROR(ParseChoice("DOCPIPE_EMBEDDER", *v, kEmbedders, c.embedder));
  }
  if (const std::string* v = get("DOCPIPE_VECTOR_STORE")) {
    DOCPIPE_RETURN_IF_ERROR(ParseChoice("DOCPIPE_VECTOR_STORE", *v, kVectorStores, c.vector_store));
  }
  if (const std::string* v = get("OPENAI_BASE_URL")) c.openai.base_url = *v;
  DOCPIPE_RETURN_IF_ERROR(set_int("OPENAI_DIMENSIONS", c.openai.dimensions, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("OPENAI_REQUESTS_PER_MINUTE", c.openai.requests_per_minute, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("OPENAI_TOKENS_PER_MINUTE", c.openai.tokens_per_minute, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("OPENAI_CONCURRENCY", c.openai.concurrency, 1));
  if (const std::string* v = get("PINECONE_INDEX")) c.pinecone.index = *v;
  if (const std::string* v = get("PINECONE_NAMESPACE")) c.pinecone.name_space = *v;
  if (const std::string* v = get("PINECONE_INDEX_HOST")) c.pinecone.index_host = *v;
  if (const std::string* v = get("PINECONE_CONTROLLER_HOST")) c.pinecone.controller_host = *v;
  if (const std::string* v = get("PINECONE_CLOUD")) c.pinecone.cloud = *v;
  if (const std::string* v = get("PINECONE_REGION")) c.pinecone.region = *v;
  DOCPIPE_RETURN_IF_ERROR(
      set_int("DOCPIPE_COMPREHEND_REQUESTS_PER_SECOND", c.comprehend.requests_per_second, 1));
  if (const std::string* v = get("DOCPIPE_OCR")) {
    Result<bool> b = ParseBool("DOCPIPE_OCR", *v);
    if (!b.ok()) return b.status();
    c.ocr.enabled = *b;
  }
  if (const std::string* v = get("DOCPIPE_OCR_LANGUAGES")) c.ocr.languages = *v;
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_OCR_THREADS", c.ocr.threads, 1));
  if (const std::string* v = get("DOCPIPE_TESSDATA_DIR")) c.ocr.tessdata_dir = *v;
  if (const std::string* v = get("DOCPIPE_API_BIND")) c.serve.bind = *v;
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_API_PORT", c.serve.port, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_HEAD_INTERVAL_SECONDS", c.serve.head_interval_ms, 1000));
  if (const std::string* v = get("DOCPIPE_SECURE_COOKIES")) {
    Result<bool> b = ParseBool("DOCPIPE_SECURE_COOKIES", *v);
    if (!b.ok()) return b.status();
    c.serve.secure_cookies = *b;
  }
  if (const std::string* v = get("DOCPIPE_TRUSTED_PROXIES")) {
    c.serve.trusted_proxies.clear();
    size_t pos = 0;
    while (pos <= v->size()) {
      size_t comma = v->find(',', pos);
      if (comma == std::string::npos) comma = v->size();
      std::string one = v->substr(pos, comma - pos);
      one.erase(0, one.find_first_not_of(' '));
      one.erase(one.find_last_not_of(' ') + 1);
      if (!one.empty()) c.serve.trusted_proxies.push_back(one);
      pos = comma + 1;
    }
  }
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_MAX_UPLOAD_MB", c.serve.max_upload_mb, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_HTTP_HEADER_TIMEOUT_SECONDS", c.serve.http_header_timeout_ms, 1000));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_HTTP_IDLE_TIMEOUT_SECONDS", c.serve.http_idle_timeout_ms, 1000));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_HTTP_MAX_HEADER_KB", c.serve.http_max_header_bytes, 1024));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_HTTP_MAX_CONNECTIONS", c.serve.http_max_connections, 1));
  DOCPIPE_RETURN_IF_ERROR(
      set_int("DOCPIPE_HTTP_MAX_CONNECTIONS_PER_CLIENT", c.serve.http_max_connections_per_client, 1));
  DOCPIPE_RETURN_IF_ERROR(
      set_int("DOCPIPE_HTTP_MAX_REQUESTS_PER_CONNECTION", c.serve.http_max_requests_per_connection, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_HTTP_THREADS", c.serve.http_threads, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_WORKERS", c.workers, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_DOCUMENT_THREADS", c.document_threads, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("MAX_RETRIES", c.max_retries, 1));  // name used by the original pipeline
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_MAX_RETRIES", c.max_retries, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_LEASE_SECONDS", c.lease_ms, 1000));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_HEARTBEAT_SECONDS", c.heartbeat_ms, 1000));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_STAGE_TIMEOUT_SECONDS", c.stage_timeout_ms, 1000));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_DOCUMENT_TIMEOUT_SECONDS", c.document_timeout_ms, 1000));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_RETRY_BASE_MS", c.retry_base_ms, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_POLL_WAIT_SECONDS", c.poll_wait_ms, 1000));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_MAX_RECEIVE_COUNT", c.max_receive_count, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_TTL_DAYS", c.ttl_days, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_MAX_BYTES", c.limits.max_bytes, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_MAX_PAGES", c.limits.max_pages, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_MAX_CHARS", c.limits.max_chars, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_MAX_CHUNKS", c.limits.max_chunks, 1));
  if (const std::string* v = get("DOCPIPE_MAX_EXPANSION_RATIO")) {
    Result<double> r = ParseDouble("DOCPIPE_MAX_EXPANSION_RATIO", *v);
    if (!r.ok()) return r.status();
    c.limits.max_expansion_ratio = *r;
  }
  DOCPIPE_RETURN_IF_ERROR(set_int("CHUNK_SIZE", c.chunk.target_tokens, 1));  // original pipeline's name
  DOCPIPE_RETURN_IF_ERROR(set_int("CHUNK_OVERLAP", c.chunk.overlap_tokens, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_CHUNK_TARGET_TOKENS", c.chunk.target_tokens, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_CHUNK_MIN_TOKENS", c.chunk.min_tokens, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_CHUNK_MAX_TOKENS", c.chunk.max_tokens, 1));
  DOCPIPE_RETURN_IF_ERROR(set_int("DOCPIPE_CHUNK_OVERLAP_TOKENS", c.chunk.overlap_tokens, 1));
  return Status::Ok();
}

Status ValidateConfig(const Config& c) {
  if (c.backend == Backend::kAws) {
    const AwsSettings& a = c.aws;
    if (a.bucket.empty()) return Status::InvalidInput("backend aws needs a bucket: set S3_BUCKET or [aws] bucket");
    if (a.region.empty()) return Status::InvalidInput("backend aws needs a region: set AWS_REGION or [aws] region");
    for (auto [what, v] : {std::pair{"DYNAMODB_CONTROL_TABLE", &a.control_table},
                           std::pair{"DYNAMODB_AUDIT_TABLE", &a.audit_table},
                           std::pair{"DYNAMODB_METRICS_TABLE", &a.metrics_table}}) {
      if (v->empty()) return Status::InvalidInput(fmt::format("{} must not be empty", what));
    }
    if (a.queue_url.empty() && a.queue_name.empty()) {
      return Status::InvalidInput("backend aws needs a queue: set SQS_QUEUE_NAME or SQS_QUEUE_URL");
    }
    if (a.max_attempts < 1 || a.max_attempts > 20) {
      return Status::InvalidInput(fmt::format("AWS_MAX_ATTEMPTS must be between 1 and 20, got {}", a.max_attempts));
    }
    // SQS hides a message for at most 12 hours; the lease is its visibility timeout.
    if (c.lease_ms > 43'200'000) return Status::InvalidInput("lease must be at most 12 hours with the aws backend");
  }
  if (c.workspace.empty()) return Status::InvalidInput("workspace must not be empty");
  if (c.ocr.threads < 0 || c.ocr.threads > 256) {
    return Status::InvalidInput(fmt::format("ocr.threads (DOCPIPE_OCR_THREADS) must be 0-256, got {}", c.ocr.threads));
  }
  if (c.ocr.enabled && c.ocr.languages.empty()) {
    return Status::InvalidInput("ocr.languages (DOCPIPE_OCR_LANGUAGES) must name a language, e.g. \"eng\"");
  }
  if (c.vector_store == VectorStoreKind::kPinecone && c.pinecone.index.empty()) {
    return Status::InvalidInput("DOCPIPE_VECTOR_STORE=pinecone needs PINECONE_INDEX");
  }
  if (c.openai.dimensions < 0 || c.openai.requests_per_minute < 1 || c.openai.tokens_per_minute < 1 ||
      c.openai.concurrency < 1 || c.openai.concurrency > 64) {
    return Status::InvalidInput(
        "OpenAI settings: dimensions >= 0, requests/tokens per minute >= 1, concurrency 1..64");
  }
  if (c.comprehend.requests_per_second < 1) {
    return Status::InvalidInput("DOCPIPE_COMPREHEND_REQUESTS_PER_SECOND must be at least 1");
  }
  if (c.workers < 1 || c.workers > 256) {
    return Status::InvalidInput(fmt::format("workers must be between 1 and 256, got {}", c.workers));
  }
  if (c.document_threads < 0 || c.document_threads > 256) {
    return Status::InvalidInput(
        fmt::format("document_threads must be between 0 (the cores available) and 256, got {}", c.document_threads));
  }
  if (c.max_retries < 0 || c.max_retries > 100) {
    return Status::InvalidInput(fmt::format("max_retries must be between 0 and 100, got {}", c.max_retries));
  }
  if (c.lease_ms < 1000) return Status::InvalidInput("lease must be at least 1 second");
  if (c.EffectiveHeartbeatMs() >= c.lease_ms) {
    return Status::InvalidInput("heartbeat interval must be shorter than the lease");
  }
  if (c.stage_timeout_ms <= 0 || c.document_timeout_ms <= 0) {
    return Status::InvalidInput("timeouts must be positive");
  }
  if (c.retry_base_ms < 0 || c.retry_max_ms < c.retry_base_ms) {
    return Status::InvalidInput("retry delays: need 0 <= retry_base_ms <= retry_max_ms");
  }
  if (c.poll_wait_ms < 0 || c.poll_wait_ms > 20'000) {
    return Status::InvalidInput("poll wait must be between 0 and 20 seconds (SQS's long-poll maximum)");
  }
  if (c.max_receive_count < 1) return Status::InvalidInput("max_receive_count must be at least 1");
  if (c.serve.port < 0 || c.serve.port > 65535) {
    return Status::InvalidInput(fmt::format("API port must be between 0 and 65535, got {}", c.serve.port));
  }
  if (c.serve.bind.empty()) return Status::InvalidInput("API bind address must not be empty");
  if (c.serve.head_interval_ms < 1000) return Status::InvalidInput("head interval must be at least 1 second");
  if (c.serve.max_upload_mb < 1 || c.serve.max_upload_mb > 16384) {
    return Status::InvalidInput(fmt::format("max upload must be 1 to 16384 MB, got {}", c.serve.max_upload_mb));
  }
  if (c.ttl_days < 0) return Status::InvalidInput("ttl_days must not be negative");
  if (c.embed_dimension < 8 || c.embed_dimension > 8192) {
    return Status::InvalidInput(fmt::format("embedding dimension must be between 8 and 8192, got {}", c.embed_dimension));
  }
  if (c.embed_batch_size < 1) return Status::InvalidInput("embedding batch_size must be at least 1");
  if (c.extract.sheet_rows_per_table < 1) {
    return Status::InvalidInput("extract.sheet_rows_per_table must be at least 1");
  }
  if (c.enrich_min_score < 0 || c.enrich_min_score > 1) {
    return Status::InvalidInput("enrich min_score must be between 0 and 1");
  }
  const ServeSettings& sv = c.serve;
  for (auto [name, value, least] :
       {std::tuple{"serve.http_header_timeout_seconds or DOCPIPE_HTTP_HEADER_TIMEOUT_SECONDS",
                   sv.http_header_timeout_ms / 1000, int64_t{1}},
        std::tuple{"serve.http_idle_timeout_seconds or DOCPIPE_HTTP_IDLE_TIMEOUT_SECONDS", sv.http_idle_timeout_ms / 1000,
                   int64_t{1}},
        std::tuple{"serve.http_max_header_kb or DOCPIPE_HTTP_MAX_HEADER_KB", sv.http_max_header_bytes >> 10, int64_t{1}},
        std::tuple{"serve.http_max_connections or DOCPIPE_HTTP_MAX_CONNECTIONS", int64_t{sv.http_max_connections},
                   int64_t{1}},
        std::tuple{"serve.http_max_connections_per_client or DOCPIPE_HTTP_MAX_CONNECTIONS_PER_CLIENT",
                   int64_t{sv.http_max_connections_per_client}, int64_t{0}},
        std::tuple{"serve.http_max_requests_per_connection or DOCPIPE_HTTP_MAX_REQUESTS_PER_CONNECTION",
                   int64_t{sv.http_max_requests_per_connection}, int64_t{1}},
        std::tuple{"serve.http_threads or DOCPIPE_HTTP_THREADS", int64_t{sv.http_threads}, int64_t{1}}}) {
    if (value < least) return Status::InvalidInput(fmt::format("{} must be at least {}, got {}", name, least, value));
  }
  const DocumentLimits& l = c.limits;
  for (auto [name, value] : {std::pair{"max_bytes", l.max_bytes}, std::pair{"max_pages", l.max_pages},
                             std::pair{"max_chars", l.max_chars}, std::pair{"max_chunks", l.max_chunks}}) {
    if (value < 1) {
      return Status::InvalidInput(fmt::format("{} must be at least 1, got {}", LimitSettingNames(name), value));
    }
  }
  if (!(l.max_expansion_ratio >= 1)) {
    return Status::InvalidInput(fmt::format("{} must be at least 1, got {}",
                                            LimitSettingNames("max_expansion_ratio"), l.max_expansion_ratio));
  }
  const ChunkOptions& o = c.chunk;
  if (!(0 < o.min_tokens && o.min_tokens <= o.target_tokens && o.target_tokens <= o.max_tokens)) {
    return Status::InvalidInput(fmt::format("chunk sizes need 0 < min ({}) <= target ({}) <= max ({})",
                                            o.min_tokens, o.target_tokens, o.max_tokens));
  }
  if (o.overlap_tokens < 0 || o.overlap_tokens >= o.target_tokens) {
    return Status::InvalidInput(fmt::format("chunk overlap ({}) must be >= 0 and below the target ({})",
                                            o.overlap_tokens, o.target_tokens));
  }
  return Status::Ok();
}

Result<Config> LoadConfig(const std::string& config_file, const Environment& env) {
  Config c;
  std::string file = config_file;
  if (file.empty()) {
    file = EnvValue(env, "DOCPIPE_CONFIG");
  }
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::InvalidInput(fmt::format("config file {}: cannot be read", file));
    std::ostringstream ss;
    ss << in.rdbuf();
    DOCPIPE_RETURN_IF_ERROR(ApplyToml(ss.str(), file, c));
    c.config_file = file;
  }
  DOCPIPE_RETURN_IF_ERROR(ApplyEnvironment(env, c));
  return c;
}

}  // namespace docpipe
