#include "enrich/comprehend_enricher.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <set>
#include <string_view>

#include "common/strings.h"
#include "common/utf8.h"

namespace docpipe {

std::map<std::string, double> DefaultComprehendPrices() {
  // aws.amazon.com/comprehend/pricing: NLP requests (entities, key phrases,
  // language...) and Detect PII alike cost $0.0001 per 100-character unit
  // in the first tier, with a 3-unit minimum per request.
  return {{"DetectDominantLanguage", 0.0001},
          {"DetectEntities", 0.0001},
          {"DetectKeyPhrases", 0.0001},
          {"DetectPiiEntities", 0.0001}};
}

namespace {

using nlohmann::json;

// Batch documents must be under 5,000 bytes of UTF-8 ("fewer than 5,000
// bytes" in the API reference), at most 25 per request.
constexpr size_t kMaxBatchDocumentBytes = 4'999;
constexpr size_t kMaxBatchDocuments = 25;
// Single calls take "100 KB"; read as 100,000 bytes to stay inside either meaning.
constexpr size_t kMaxSingleBytes = 100'000;

// DetectEntities / DetectKeyPhrases: Comprehend's primary languages.
const std::set<std::string>& PrimaryLanguages() {
  static const std::set<std::string> langs = {"en", "es", "fr", "de", "it", "pt",
                                              "ar", "hi", "ja", "ko", "zh", "zh-TW"};
  return langs;
}

// DetectPiiEntities: "Enter the language code for English (en) or Spanish (es)".
const std::set<std::string>& PiiLanguages() {
  static const std::set<std::string> langs = {"en", "es"};
  return langs;
}

enum class Op { kLanguage, kEntities, kKeyPhrases, kPii };

struct OpInfo {
  const char* single;
  const char* batch;  // nullptr: no batch call
  const char* list;   // the result array's key
};

const OpInfo& Info(Op op) {
  static const OpInfo infos[] = {
      {"DetectDominantLanguage", "BatchDetectDominantLanguage", "Languages"},
      {"DetectEntities", "BatchDetectEntities", "Entities"},
      {"DetectKeyPhrases", "BatchDetectKeyPhrases", "KeyPhrases"},
      {"DetectPiiEntities", nullptr, "Entities"},
  };
  return infos[static_cast<int>(op)];
}

// A token bucket over a Clock: `rate` tokens a second, holding at most one
// second's worth. A caller takes its token at once, or reserves the next one
// (the balance goes negative) and sleeps until it is due, so concurrent
// callers are spaced in arrival order. Thread-safe.
class TokenBucket {
 public:
  TokenBucket(Clock& clock, int rate) : clock_(clock), rate_(rate), tokens_(rate) {}

  void Acquire() {
    if (rate_ <= 0) return;
    int64_t wait_ms = 0;
    {
      std::lock_guard lock(mu_);
      const TimeMs now = clock_.NowMs();
      if (last_ == 0) last_ = now;
      const double elapsed_s = static_cast<double>(std::max<int64_t>(0, now - last_)) / 1000.0;
      last_ = std::max(last_, now);
      tokens_ = std::min<double>(rate_, tokens_ + elapsed_s * rate_);
      tokens_ -= 1;
      if (tokens_ < 0) wait_ms = static_cast<int64_t>(std::ceil(-tokens_ * 1000.0 / rate_ - 1e-9));
    }
    if (wait_ms > 0) clock_.SleepMs(wait_ms);
  }

 private:
  Clock& clock_;
  const int rate_;
  std::mutex mu_;
  double tokens_;
  TimeMs last_ = 0;
};


// Whether the whitespace run text[run_begin, run_end) ends a sentence: it
// follows ".", "!" or "?" (closing quotes or brackets may come between) or
// holds a blank line.
bool RunEndsSentence(std::string_view text, size_t run_begin, size_t run_end) {
  if (text.substr(run_begin, run_end - run_begin).find("\n\n") != std::string_view::npos) return true;
  size_t i = run_begin;
  while (i > 0 && (text[i - 1] == '"' || text[i - 1] == '\'' || text[i - 1] == ')' || text[i - 1] == ']'))
    --i;
  return i > 0 && (text[i - 1] == '.' || text[i - 1] == '!' || text[i - 1] == '?');
}

bool AfterCjkStop(std::string_view text, size_t pos) {
  if (pos < 3) return false;
  std::string_view s = text.substr(pos - 3, 3);
  return s == "\xE3\x80\x82" /* 。 */ || s == "\xEF\xBC\x81" /* ！ */ || s == "\xEF\xBC\x9F" /* ？ */;
}

// Where the piece starting at `start` ends: at most `max_bytes` on, after the
// last sentence end, else after the last whitespace, else on a UTF-8
// boundary. A cut in the window's first half is taken only when nothing
// better exists, so pieces stay near the limit.
size_t CutPoint(std::string_view text, size_t start, size_t max_bytes) {
  const size_t limit = start + max_bytes;
  if (limit >= text.size()) return text.size();
  size_t sentence = 0, space = 0;
  for (size_t pos = limit; pos > start && (sentence == 0 || space == 0); --pos) {
    if (sentence == 0 && AfterCjkStop(text, pos)) sentence = pos;
    if (!IsAsciiSpace(text[pos - 1])) continue;
    if (space == 0) space = pos;
    if (IsAsciiSpace(text[pos])) continue;  // pos < limit < size here; cut after the whole run
    size_t run_begin = pos - 1;
    while (run_begin > start && IsAsciiSpace(text[run_begin - 1])) --run_begin;
    if (sentence == 0 && run_begin > start && RunEndsSentence(text, run_begin, pos)) sentence = pos;
    pos = run_begin + 1;  // the loop's --pos continues before the run
  }
  const size_t half = start + max_bytes / 2;
  if (sentence > half) return sentence;
  if (space > half) return space;
  if (sentence > start) return sentence;
  if (space > start) return space;
  size_t cut = limit;
  while (cut > start + 1 && IsUtf8Continuation(text[cut])) --cut;
  return cut;
}

// A part of a chunk's text sent in one request, with a map from its code
// points to its bytes (Comprehend answers in code points).
struct Piece {
  size_t byte_begin = 0;
  size_t byte_end = 0;
  int64_t cp_begin = 0;
  std::vector<size_t> byte_of_cp;  // local; size = code points + 1

  int64_t cps() const { return static_cast<int64_t>(byte_of_cp.size()) - 1; }
};

std::vector<Piece> SplitIntoPieces(std::string_view text, size_t max_bytes) {
  std::vector<Piece> pieces;
  size_t start = 0;
  int64_t cp = 0;
  while (start < text.size()) {
    Piece p;
    p.byte_begin = start;
    p.byte_end = CutPoint(text, start, max_bytes);
    p.cp_begin = cp;
    for (size_t i = p.byte_begin; i < p.byte_end; ++i) {
      if (!IsUtf8Continuation(text[i])) p.byte_of_cp.push_back(i - p.byte_begin);
    }
    p.byte_of_cp.push_back(p.byte_end - p.byte_begin);
    cp += p.cps();
    start = p.byte_end;
    pieces.push_back(std::move(p));
  }
  return pieces;
}

// One chunk on its way through the calls.
struct Work {
  size_t index = 0;
  const EnrichInput* in = nullptr;
  std::vector<Piece> pieces;
  std::string language;                   // the calls' LanguageCode
  std::map<std::string, double> weights;  // language -> score x code points, over pieces
  ChunkEnrichment out;

  bool Batchable() const { return pieces.size() == 1 && in->text.size() <= kMaxBatchDocumentBytes; }
  std::string_view PieceText(size_t p) const {
    return std::string_view(in->text).substr(pieces[p].byte_begin, pieces[p].byte_end - pieces[p].byte_begin);
  }
};

// The error code of an AWS JSON error body ("...#UnsupportedLanguageException").
std::string ErrorCodeOf(const json& body) {
  std::string code;
  for (const char* k : {"__type", "code", "Code"}) {
    if (body.is_object() && body.contains(k) && body[k].is_string()) {
      code = body[k].get<std::string>();
      break;
    }
  }
  if (size_t hash = code.rfind('#'); hash != std::string::npos) code = code.substr(hash + 1);
  if (size_t colon = code.find(':'); colon != std::string::npos) code = code.substr(0, colon);
  return code;
}

bool IsUnsupportedLanguage(std::string code) {
  std::transform(code.begin(), code.end(), code.begin(), [](unsigned char c) { return std::tolower(c); });
  code.erase(std::remove(code.begin(), code.end(), '_'), code.end());
  return code.find("unsupportedlanguage") != std::string::npos;
}

// A batch item's "Index" (json::value would throw on a non-integer); -1 when unusable.
int64_t IndexOf(const json& item) {
  if (!item.is_object()) return -1;
  auto it = item.find("Index");
  return it != item.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}

class ComprehendEnricher final : public Enricher {
 public:
  ComprehendEnricher(AwsClient& client, Clock& clock, ComprehendOptions options)
      : bound_(client.ForAdapter(ComprehendOperations())),
        client_(*bound_),
        options_(std::move(options)),
        bucket_(clock, options_.max_requests_per_second) {}

  std::string Name() const override { return "comprehend"; }
  using Enricher::Enrich;

  Result<std::vector<ChunkEnrichment>> Enrich(const std::vector<EnrichInput>& chunks,
                                              const EnrichOptions& options, EnrichUsage* usage_out) override {
    if (options.min_score < 0 || options.min_score > 1) {
      return Status::InvalidInput("min_score must be within [0, 1]");
    }
    if (options.max_key_phrases < 0) return Status::InvalidInput("max_key_phrases must not be negative");
    EnrichUsage usage;
    Call call{*this, options, usage};
    std::vector<Work> works(chunks.size());
    std::vector<Work*> live;
    for (size_t i = 0; i < chunks.size(); ++i) {
      Work& w = works[i];
      w.index = i;
      w.in = &chunks[i];
      w.out.chunk_id = chunks[i].chunk_id;
      // nlohmann::json refuses to serialise invalid UTF-8, and Comprehend takes UTF-8 only.
      if (!IsValidUtf8(w.in->text))
        return Status::InvalidInput("chunk " + w.in->chunk_id + ": text is not UTF-8");
      if (std::all_of(w.in->text.begin(), w.in->text.end(), IsAsciiSpace)) {
        ++usage.skipped["all calls: empty text"];  // Comprehend rejects empty texts
        continue;
      }
      w.pieces = SplitIntoPieces(w.in->text, kMaxSingleBytes);
      live.push_back(&w);
    }

    DOCPIPE_RETURN_IF_ERROR(call.Run(Op::kLanguage, live));
    std::vector<Work*> general, pii;
    for (Work* w : live) {
      FinishLanguages(*w);
      if (PrimaryLanguages().count(w->language)) {
        general.push_back(w);
      } else {
        ++usage.skipped[fmt::format("DetectEntities: unsupported language {}", w->language)];
        ++usage.skipped[fmt::format("DetectKeyPhrases: unsupported language {}", w->language)];
      }
      if (PiiLanguages().count(w->language)) {
        pii.push_back(w);
      } else {
        ++usage.skipped[fmt::format("DetectPiiEntities: unsupported language {}", w->language)];
      }
    }
    DOCPIPE_RETURN_IF_ERROR(call.Run(Op::kEntities, general));
    if (options.max_key_phrases > 0) {
      DOCPIPE_RETURN_IF_ERROR(call.Run(Op::kKeyPhrases, general));
    } else if (!general.empty()) {
      usage.skipped["DetectKeyPhrases: max_key_phrases is 0"] += static_cast<int64_t>(general.size());
    }
    DOCPIPE_RETURN_IF_ERROR(call.Run(Op::kPii, pii));

    std::vector<ChunkEnrichment> out;
    out.reserve(works.size());
    for (Work& w : works) {
      Finish(w, options);
      out.push_back(std::move(w.out));
    }
    if (usage_out != nullptr) *usage_out = std::move(usage);
    return out;
  }

 private:
  // The requests of one Enrich call for one operation at a time.
  struct Call {
    ComprehendEnricher& self;
    const EnrichOptions& options;
    EnrichUsage& usage;

    struct Outcome {
      Status status;
      std::string code;  // the service's error code
      json body;
    };

    Outcome Send(const std::string& operation, const json& request) {
      self.bucket_.Acquire();
      ++usage.calls;
      ++usage.calls_by_operation[operation];
      json error_body;
      // Detect* calls change nothing, so every failure may be retried.
      // The stage's deadline ends a call on the wire or between its retries.
      Result<json> r = self.client_.CallJson("Comprehend_20171127." + operation, "1.1", request, true, 0,
                                             &error_body, [this] { return Cancelled(); });
      if (!r.ok()) return {r.status(), ErrorCodeOf(error_body), {}};
      if (!r->is_object()) return {Status::Unavailable(operation + ": answer is not a JSON object"), "", {}};
      return {Status::Ok(), "", std::move(r).value()};
    }

    void Charge(Op op, const Work& w, size_t piece) {
      const ComprehendOptions& o = self.options_;
      auto price = o.price_per_unit_usd.find(Info(op).single);
      if (price == o.price_per_unit_usd.end() || o.chars_per_unit <= 0) return;
      const int64_t cps = w.pieces[piece].cps();
      const int64_t units =
          std::max(o.min_units_per_request, (cps + o.chars_per_unit - 1) / o.chars_per_unit);
      usage.cost_usd += static_cast<double>(units) * price->second;
    }

    void Skip(Op op, const Work& w, const std::string& why) {
      ++usage.skipped[fmt::format("{}: {} {}", Info(op).single, why, w.language.empty() ? "?" : w.language)];
    }

    Status Run(Op op, const std::vector<Work*>& works) {
      std::vector<Work*> singles;
      std::map<std::string, std::vector<Work*>> groups;  // one language per batch
      for (Work* w : works) {
        if (self.options_.use_batch && Info(op).batch != nullptr && w->Batchable()) {
          groups[op == Op::kLanguage ? "" : w->language].push_back(w);
        } else {
          singles.push_back(w);
        }
      }
      for (auto& [lang, group] : groups) {
        for (size_t b = 0; b < group.size(); b += kMaxBatchDocuments) {
          std::vector<Work*> batch(group.begin() + b,
                                   group.begin() + std::min(group.size(), b + kMaxBatchDocuments));
          if (batch.size() == 1) {
            singles.push_back(batch[0]);  // a batch of one saves nothing
            continue;
          }
          if (Cancelled()) return Status::Cancelled("enrichment cancelled");
          DOCPIPE_RETURN_IF_ERROR(RunBatch(op, lang, batch));
        }
      }
      for (Work* w : singles) {
        if (Cancelled()) return Status::Cancelled("enrichment cancelled");
        DOCPIPE_RETURN_IF_ERROR(RunSingle(op, *w));
      }
      return Status::Ok();
    }

    bool Cancelled() const { return options.cancel != nullptr && options.cancel->load(); }

    Status RunSingle(Op op, Work& w) {
      for (size_t p = 0; p < w.pieces.size(); ++p) {
        json request = {{"Text", std::string(w.PieceText(p))}};
        if (op != Op::kLanguage) request["LanguageCode"] = w.language;
        Outcome got = Send(Info(op).single, request);
        if (!got.status.ok()) {
          if (IsUnsupportedLanguage(got.code)) {
            Skip(op, w, "service rejected language");
            return Status::Ok();  // the other pieces share the language
          }
          return ChunkError(got.status, w.in->chunk_id);
        }
        auto list = got.body.find(Info(op).list);
        if (list == got.body.end() || !list->is_array()) {
          return Status::Unavailable(fmt::format("{} for chunk {}: answer lacks {}", Info(op).single,
                                                 w.in->chunk_id, Info(op).list));
        }
        Charge(op, w, p);
        DOCPIPE_RETURN_IF_ERROR(self.Absorb(op, w, p, *list, options));
      }
      return Status::Ok();
    }

    Status RunBatch(Op op, const std::string& lang, const std::vector<Work*>& batch) {
      json texts = json::array();
      for (Work* w : batch) texts.push_back(w->in->text);
      json request = {{"TextList", std::move(texts)}};
      if (op != Op::kLanguage) request["LanguageCode"] = lang;
      Outcome got = Send(Info(op).batch, request);
      if (!got.status.ok()) {
        if (IsUnsupportedLanguage(got.code)) {
          for (Work* w : batch) Skip(op, *w, "service rejected language");
          return Status::Ok();
        }
        if (got.status.code() == Status::Code::kInvalidInput) {
          // One bad document fails the whole batch: single calls find which.
          for (Work* w : batch) DOCPIPE_RETURN_IF_ERROR(RunSingle(op, *w));
          return Status::Ok();
        }
        return ChunkError(got.status, batch.front()->in->chunk_id + " (and the rest of its batch)");
      }
      std::vector<bool> answered(batch.size(), false);
      if (auto results = got.body.find("ResultList"); results != got.body.end() && results->is_array()) {
        for (const json& item : *results) {
          const int64_t i = IndexOf(item);
          auto list = item.is_object() ? item.find(Info(op).list) : item.end();
          if (i < 0 || i >= static_cast<int64_t>(batch.size()) || answered[i] || list == item.end() ||
              !list->is_array()) {
            continue;  // unusable: that document is asked again below
          }
          answered[i] = true;
          Charge(op, *batch[i], 0);
          DOCPIPE_RETURN_IF_ERROR(self.Absorb(op, *batch[i], 0, *list, options));
        }
      }
      if (auto errors = got.body.find("ErrorList"); errors != got.body.end() && errors->is_array()) {
        for (const json& item : *errors) {
          const int64_t i = IndexOf(item);
          if (i < 0 || i >= static_cast<int64_t>(batch.size()) || answered[i]) continue;
          auto code = item.find("ErrorCode");
          if (code != item.end() && code->is_string() && IsUnsupportedLanguage(code->get<std::string>())) {
            answered[i] = true;
            Skip(op, *batch[i], "service rejected language");
          }
        }
      }
      // Failed or missing documents: a single call retries each and reports
      // its error by chunk.
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!answered[i]) DOCPIPE_RETURN_IF_ERROR(RunSingle(op, *batch[i]));
      }
      return Status::Ok();
    }

    static Status ChunkError(const Status& st, const std::string& chunk_id) {
      // TextSizeLimitExceeded, InvalidRequest, validation errors: this text
      // will never be accepted, so the document fails without retries.
      if (st.code() == Status::Code::kInvalidInput)
        return Status::InvalidInput("chunk " + chunk_id + ": " + st.message());
      return st.Annotate("chunk " + chunk_id);
    }
  };

  struct Span {
    int64_t begin_cp = 0, end_cp = 0;  // whole text
    int64_t begin_byte = 0, end_byte = 0;
    std::string text;
  };

  // Maps [begin, end) in code points of piece `p` to the whole text, clamped
  // to the piece (moto's canned answers point past short texts); false when
  // nothing is left or the service's Text is not what the span holds.
  static bool MapSpan(const Work& w, size_t p, int64_t begin, int64_t end, const std::string* expected,
                      Span* out) {
    const Piece& piece = w.pieces[p];
    begin = std::clamp<int64_t>(begin, 0, piece.cps());
    end = std::clamp<int64_t>(end, 0, piece.cps());
    if (end <= begin) return false;
    const size_t b = piece.byte_begin + piece.byte_of_cp[begin];
    const size_t e = piece.byte_begin + piece.byte_of_cp[end];
    out->text = w.in->text.substr(b, e - b);
    if (expected != nullptr && *expected != out->text) return false;
    out->begin_cp = piece.cp_begin + begin;
    out->end_cp = piece.cp_begin + end;
    out->begin_byte = static_cast<int64_t>(b);
    out->end_byte = static_cast<int64_t>(e);
    return true;
  }

  // Adds one answer's items for piece `p` of `w`.
  Status Absorb(Op op, Work& w, size_t p, const json& items, const EnrichOptions& options) {
    auto malformed = [&](const std::string& what) {
      return Status::Unavailable(
          fmt::format("{} for chunk {}: malformed answer: {}", Info(op).single, w.in->chunk_id, what));
    };
    for (const json& item : items) {
      if (!item.is_object()) return malformed("item is not an object");
      auto score_it = item.find("Score");
      const double score = score_it != item.end() && score_it->is_number() ? score_it->get<double>() : 0.0;
      if (op == Op::kLanguage) {
        auto code = item.find("LanguageCode");
        if (code == item.end() || !code->is_string()) return malformed("LanguageCode");
        w.weights[code->get<std::string>()] += score * static_cast<double>(w.pieces[p].cps());
        continue;
      }
      auto begin = item.find("BeginOffset"), end = item.find("EndOffset");
      if (begin == item.end() || end == item.end() || !begin->is_number_integer() ||
          !end->is_number_integer()) {
        return malformed("BeginOffset/EndOffset");
      }
      std::string type;
      if (op != Op::kKeyPhrases) {
        auto t = item.find("Type");
        if (t == item.end() || !t->is_string()) return malformed("Type");
        type = t->get<std::string>();
      }
      // PII answers carry no Text; moto's key phrases neither: the span then
      // gives it. A Text that disagrees with the span means the offsets are
      // not ours to trust, so the item goes.
      std::string given;
      auto text = item.find("Text");
      const bool has_text = text != item.end() && text->is_string();
      if (has_text) given = text->get<std::string>();
      Span s;
      if (!MapSpan(w, p, begin->get<int64_t>(), end->get<int64_t>(), has_text ? &given : nullptr, &s))
        continue;
      if (op == Op::kKeyPhrases) {
        w.out.key_phrases.push_back({s.text, score, s.begin_cp, s.end_cp});
        continue;
      }
      if (score < options.min_score) continue;  // as the local enricher: entities and PII only
      Entity e{type, s.text, score, s.begin_cp, s.end_cp, s.begin_byte, s.end_byte};
      (op == Op::kPii ? w.out.pii_entities : w.out.entities).push_back(std::move(e));
    }
    return Status::Ok();
  }

  // Languages over all pieces, weighted by their length, best first; the
  // calls' language is the best one, else the configured fallback.
  void FinishLanguages(Work& w) const {
    const double total = static_cast<double>(w.pieces.back().cp_begin + w.pieces.back().cps());
    for (const auto& [code, weight] : w.weights)
      w.out.languages.push_back({code, total > 0 ? weight / total : 0});
    std::stable_sort(w.out.languages.begin(), w.out.languages.end(),
                     [](const LanguageScore& a, const LanguageScore& b) { return a.score > b.score; });
    w.language = w.out.languages.empty() ? options_.language_fallback : w.out.languages.front().language_code;
  }

  // The embedded enricher's conventions: entities and PII in text order, key
  // phrases distinct (case-insensitively, best occurrence kept) and best
  // first, at most max_key_phrases; redaction when asked.
  static void Finish(Work& w, const EnrichOptions& options) {
    auto by_position = [](const Entity& a, const Entity& b) {
      return a.begin_offset != b.begin_offset ? a.begin_offset < b.begin_offset : a.end_offset < b.end_offset;
    };
    std::stable_sort(w.out.entities.begin(), w.out.entities.end(), by_position);
    std::stable_sort(w.out.pii_entities.begin(), w.out.pii_entities.end(), by_position);
    std::vector<KeyPhrase>& kp = w.out.key_phrases;
    std::stable_sort(kp.begin(), kp.end(),
                     [](const KeyPhrase& a, const KeyPhrase& b) { return a.score > b.score; });
    std::set<std::string> seen;
    std::erase_if(kp, [&](const KeyPhrase& k) { return !seen.insert(AsciiLower(k.text)).second; });
    if (kp.size() > static_cast<size_t>(options.max_key_phrases)) kp.resize(options.max_key_phrases);
    if (options.redact_pii) w.out.redacted_text = RedactPii(w.in->text, w.out.pii_entities);
  }

  std::unique_ptr<AwsClient> bound_;  // bound to ComprehendOperations()
  AwsClient& client_;
  const ComprehendOptions options_;
  TokenBucket bucket_;
};

}  // namespace

const AwsOperationSet& ComprehendOperations() {
  // The built-in models' Detect* calls have no resource ARN (only custom
  // endpoints have one), so their IAM resource is "*".
  static const AwsOperationSet ops = [] {
    AwsOperationSet set{"comprehend", "comprehend", {}};
    for (Op op : {Op::kLanguage, Op::kEntities, Op::kKeyPhrases, Op::kPii}) {
      for (const char* name : {Info(op).single, Info(op).batch}) {
        if (name != nullptr) set.operations.push_back({name, {{std::string("comprehend:") + name, AwsResourceKind::kNone, ""}}});
      }
    }
    return set;
  }();
  return ops;
}

EnricherPtr NewComprehendEnricher(AwsClient& comprehend, Clock& clock, ComprehendOptions options) {
  return std::make_unique<ComprehendEnricher>(comprehend, clock, std::move(options));
}

}  // namespace docpipe
