#include "pipeline/stage_contracts.h"

#include <functional>
#include <future>

#include <fmt/format.h>

#include "embed/embedder.h"
#include "pipeline/object_keys.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

// Reads fields of one JSON object, remembering the first problem.
class Fields {
 public:
  //! `cancel` (may be null) stops Array between elements with Cancelled.
  Fields(const json& j, std::string what, const std::atomic<bool>* cancel = nullptr)
      : j_(j), what_(std::move(what)), cancel_(cancel) {
    if (!j_.is_object()) status_ = Status::InvalidInput(what_ + ": expected a JSON object");
  }
  template <typename T>
  void Get(const char* key, T& out) {
    if (!status_.ok()) return;
    auto it = j_.find(key);
    if (it == j_.end()) {
      status_ = Status::InvalidInput(fmt::format("{}: missing field '{}'", what_, key));
      return;
    }
    try {
      out = it->get<T>();
    } catch (const json::exception&) {
      status_ = Status::InvalidInput(fmt::format("{}: field '{}' has the wrong type", what_, key));
    }
  }
  //! An array field, each element read by `each` (which may fail).
  template <typename Each>
  void Array(const char* key, Each each) {
    if (!status_.ok()) return;
    auto it = j_.find(key);
    if (it == j_.end() || !it->is_array()) {
      status_ = Status::InvalidInput(fmt::format("{}: missing array '{}'", what_, key));
      return;
    }
    for (const json& item : *it) {
      if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
        status_ = Status::Cancelled(fmt::format("{}: cancelled while reading '{}'", what_, key));
        return;
      }
      Status st = each(item);
      if (!st.ok()) {
        status_ = st.Annotate(fmt::format("{}: {}", what_, key));
        return;
      }
    }
  }
  const Status& status() const { return status_; }

 private:
  const json& j_;
  std::string what_;
  const std::atomic<bool>* cancel_;
  Status status_;
};

// The fields every output starts with.
json Header(const std::string& document_id, const std::string& version) {
  return {{"document_id", document_id}, {"processing_version", version}};
}

}  // namespace

std::string EmbeddingInput(const Chunk& chunk) {
  if (chunk.context_prefix.empty()) return chunk.text;
  return chunk.context_prefix + "\n\n" + chunk.text;
}

// ---- JSON ------------------------------------------------------------------------

json ToJson(const ExtractedDocument& d) {
  json outline = json::array();
  for (const HeadingEntry& h : d.outline) outline.push_back({{"level", h.level}, {"text", h.text}, {"page", h.page}});
  json j = Header(d.document_id, d.processing_version);
  j["source_key"] = d.source_key;
  j["format"] = d.format;
  j["title"] = d.title;
  j["page_count"] = d.page_count;
  j["outline"] = std::move(outline);
  j["chars_per_page"] = d.chars_per_page;
  j["page_labels"] = d.page_labels;
  j["pages_without_text"] = d.pages_without_text;
  json ocr = json::array();
  for (const OcrPageNote& o : d.ocr_pages) {
    ocr.push_back({{"page", o.page}, {"reason", o.reason}, {"confidence", o.confidence}, {"script", o.script},
                   {"rotation", o.rotation}});
  }
  j["ocr_pages"] = std::move(ocr);
  j["unmapped_chars"] = d.unmapped_chars;
  j["extraction_ms"] = d.extraction_ms;
  // Written only when present (issue 15's formats).
  if (!d.properties.empty()) j["properties"] = d.properties;
  if (!d.attachments.empty()) {
    json list = json::array();
    for (const AttachmentNote& a : d.attachments) {
      json entry = {{"name", a.name}, {"content_type", a.content_type}, {"size", a.size}, {"source_key", a.source_key}};
      if (!a.skipped.empty()) entry["skipped"] = a.skipped;
      if (!a.document_id.empty()) {
        entry["document_id"] = a.document_id;
        entry["processing_version"] = a.processing_version;
      }
      list.push_back(std::move(entry));
    }
    j["attachments"] = std::move(list);
  }
  if (!d.parent_source_key.empty())
    j["parent"] = {{"source_key", d.parent_source_key}, {"document_id", d.parent_document_id}};
  if (!d.warnings.empty()) j["warnings"] = d.warnings;
  return j;
}

Result<ExtractedDocument> ExtractedDocumentFromJson(const json& j) {
  ExtractedDocument d;
  Fields f(j, "extracted metadata");
  f.Get("document_id", d.document_id);
  f.Get("processing_version", d.processing_version);
  f.Get("source_key", d.source_key);
  f.Get("format", d.format);
  f.Get("title", d.title);
  f.Get("page_count", d.page_count);
  f.Array("outline", [&](const json& h) {
    HeadingEntry e;
    Fields hf(h, "heading");
    hf.Get("level", e.level);
    hf.Get("text", e.text);
    hf.Get("page", e.page);
    d.outline.push_back(std::move(e));
    return hf.status();
  });
  f.Get("chars_per_page", d.chars_per_page);
  f.Get("pages_without_text", d.pages_without_text);
  f.Get("extraction_ms", d.extraction_ms);
  // Written since issue 14; absent in older workspaces' metadata.
  if (j.is_object() && j.contains("page_labels")) f.Get("page_labels", d.page_labels);
  if (j.is_object() && j.contains("unmapped_chars")) f.Get("unmapped_chars", d.unmapped_chars);
  if (j.is_object() && j.contains("ocr_pages")) {
    f.Array("ocr_pages", [&](const json& o) {
      OcrPageNote n;
      Fields of(o, "OCR page");
      of.Get("page", n.page);
      of.Get("reason", n.reason);
      of.Get("confidence", n.confidence);
      of.Get("script", n.script);
      of.Get("rotation", n.rotation);
      d.ocr_pages.push_back(std::move(n));
      return of.status();
    });
  }
  if (j.is_object() && j.contains("properties")) f.Get("properties", d.properties);
  if (j.is_object() && j.contains("warnings")) f.Get("warnings", d.warnings);
  if (j.is_object() && j.contains("parent")) {
    Fields pf(j["parent"], "parent");
    pf.Get("source_key", d.parent_source_key);
    pf.Get("document_id", d.parent_document_id);
    if (!pf.status().ok()) return pf.status();
  }
  if (j.is_object() && j.contains("attachments")) {
    f.Array("attachments", [&](const json& a) {
      AttachmentNote n;
      Fields af(a, "attachment");
      af.Get("name", n.name);
      af.Get("content_type", n.content_type);
      af.Get("size", n.size);
      af.Get("source_key", n.source_key);
      if (a.is_object() && a.contains("skipped")) af.Get("skipped", n.skipped);
      if (a.is_object() && a.contains("document_id")) {
        af.Get("document_id", n.document_id);
        af.Get("processing_version", n.processing_version);
      }
      d.attachments.push_back(std::move(n));
      return af.status();
    });
  }
  if (!f.status().ok()) return f.status();
  return d;
}

json ToJson(const ChunkSet& c) {
  json items = json::array();
  for (const Chunk& chunk : c.chunks) items.push_back(ToJson(chunk));
  json j = Header(c.document_id, c.processing_version);
  j["source_key"] = c.source_key;
  j["tokenizer"] = c.tokenizer;
  j["options"] = {{"target_tokens", c.options.target_tokens},
                  {"min_tokens", c.options.min_tokens},
                  {"max_tokens", c.options.max_tokens},
                  {"overlap_tokens", c.options.overlap_tokens}};
  j["chunk_count"] = c.chunks.size();
  j["chunks"] = std::move(items);
  return j;
}

Result<ChunkSet> ChunkSetFromJson(const json& j, const std::atomic<bool>* cancel) {
  ChunkSet c;
  Fields f(j, "chunks", cancel);
  f.Get("document_id", c.document_id);
  f.Get("processing_version", c.processing_version);
  f.Get("source_key", c.source_key);
  f.Get("tokenizer", c.tokenizer);
  if (f.status().ok() && j.contains("options")) {
    Fields o(j["options"], "chunks: options");
    o.Get("target_tokens", c.options.target_tokens);
    o.Get("min_tokens", c.options.min_tokens);
    o.Get("max_tokens", c.options.max_tokens);
    o.Get("overlap_tokens", c.options.overlap_tokens);
    if (!o.status().ok()) return o.status();
  }
  f.Array("chunks", [&](const json& item) -> Status {
    Result<Chunk> chunk = ChunkFromJson(item);
    if (!chunk.ok()) return chunk.status();
    c.chunks.push_back(std::move(*chunk));
    return Status::Ok();
  });
  if (!f.status().ok()) return f.status();
  c.redacted_in_place = j.value("redacted", false);
  return c;
}

json ToJson(const EnrichmentSet& e) {
  json items = json::array();
  for (const ChunkEnrichment& c : e.chunks) {
    json item = ToJson(c);
    // PII by type and offsets only: the output never repeats the PII itself.
    if (item.contains("PiiEntities")) {
      for (auto& p : item["PiiEntities"]) p.erase("Text");
    }
    // Its redacted text is redacted/<id>.json's alone (the key is enricher.cpp's).
    item.erase("RedactedText");
    items.push_back(std::move(item));
  }
  json j = Header(e.document_id, e.processing_version);
  j["enricher"] = e.enricher;
  j["redact_pii"] = e.redact_pii;
  j["dominant_language"] = e.dominant_language;
  j["pii_counts"] = e.pii_counts;
  j["entity_counts"] = e.entity_counts;
  j["comprehend_calls"] = e.comprehend_calls;
  j["cost_usd"] = e.cost_usd;
  j["chunks"] = std::move(items);
  if (!e.skipped.empty()) j["skipped"] = e.skipped;
  return j;
}

Result<EnrichmentSet> EnrichmentSetFromJson(const json& j, const std::atomic<bool>* cancel) {
  EnrichmentSet e;
  Fields f(j, "enrichment", cancel);
  f.Get("document_id", e.document_id);
  f.Get("processing_version", e.processing_version);
  f.Get("enricher", e.enricher);
  f.Get("redact_pii", e.redact_pii);
  f.Get("dominant_language", e.dominant_language);
  f.Get("pii_counts", e.pii_counts);
  f.Get("entity_counts", e.entity_counts);
  f.Get("comprehend_calls", e.comprehend_calls);
  f.Get("cost_usd", e.cost_usd);
  f.Array("chunks", [&](const json& item) -> Status {
    Result<ChunkEnrichment> c = ChunkEnrichmentFromJson(item);
    if (!c.ok()) return c.status();
    e.chunks.push_back(std::move(*c));
    return Status::Ok();
  });
  if (f.status().ok() && j.contains("skipped")) f.Get("skipped", e.skipped);
  if (!f.status().ok()) return f.status();
  return e;
}

json ToJson(const RedactedTexts& r) {
  json items = json::array();
  for (const auto& [id, text] : r.texts) items.push_back({{"chunk_id", id}, {"text", text}});
  json j = Header(r.document_id, r.processing_version);
  j["chunks"] = std::move(items);
  return j;
}

Result<RedactedTexts> RedactedTextsFromJson(const json& j, const std::atomic<bool>* cancel) {
  RedactedTexts r;
  Fields f(j, "redacted texts", cancel);
  f.Get("document_id", r.document_id);
  f.Get("processing_version", r.processing_version);
  f.Array("chunks", [&](const json& item) {
    std::pair<std::string, std::string> t;
    Fields cf(item, "redacted chunk");
    cf.Get("chunk_id", t.first);
    cf.Get("text", t.second);
    r.texts.push_back(std::move(t));
    return cf.status();
  });
  if (!f.status().ok()) return f.status();
  return r;
}

json ToJson(const EmbeddingSet& e) {
  json vectors = json::array();
  for (const auto& [id, v] : e.vectors) vectors.push_back({{"chunk_id", id}, {"vector", EncodeVectorBase64(v)}});
  json j = Header(e.document_id, e.processing_version);
  j["model"] = e.model;
  j["dimension"] = e.dimension;
  j["encoding"] = "base64-float32le";
  j["tokens"] = e.tokens;
  j["cost_usd"] = e.cost_usd;
  j["requests"] = e.requests;
  j["vectors"] = std::move(vectors);
  return j;
}

Result<EmbeddingSet> EmbeddingSetFromJson(const json& j, const std::atomic<bool>* cancel) {
  EmbeddingSet e;
  Fields f(j, "embeddings", cancel);
  f.Get("document_id", e.document_id);
  f.Get("processing_version", e.processing_version);
  f.Get("model", e.model);
  f.Get("dimension", e.dimension);
  std::string encoding;
  f.Get("encoding", encoding);
  if (f.status().ok() && encoding != "base64-float32le") {
    return Status::InvalidInput("embeddings: unknown vector encoding '" + encoding + "'");
  }
  f.Get("tokens", e.tokens);
  f.Get("cost_usd", e.cost_usd);
  f.Get("requests", e.requests);
  f.Array("vectors", [&](const json& item) -> Status {
    std::string id, base64;
    Fields vf(item, "vector");
    vf.Get("chunk_id", id);
    vf.Get("vector", base64);
    if (!vf.status().ok()) return vf.status();
    Result<std::vector<float>> v = DecodeVectorBase64(base64, e.dimension);
    if (!v.ok()) return v.status().Annotate("chunk " + id);
    e.vectors.emplace_back(std::move(id), std::move(*v));
    return Status::Ok();
  });
  if (!f.status().ok()) return f.status();
  return e;
}

// ---- The store ----------------------------------------------------------------------

// Builds the value as json::parse does, but stops once `cancel` is set,
// looked at every value (one relaxed load: an embeddings file holds a few
// values a chunk, each a kilobyte of base64).
class CancellableJsonBuilder {
 public:
  CancellableJsonBuilder(json& out, const std::atomic<bool>* cancel) : dom_(out, false), cancel_(cancel) {}
  bool null() { return Go() && dom_.null(); }
  bool boolean(bool v) { return Go() && dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return Go() && dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Go() && dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return Go() && dom_.number_float(v, s); }
  bool string(json::string_t& v) { return Go() && dom_.string(v); }
  bool binary(json::binary_t& v) { return Go() && dom_.binary(v); }
  bool start_object(std::size_t n) { return Go() && dom_.start_object(n); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return Go() && dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  template <typename Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
    return dom_.parse_error(position, token, e);
  }
  bool cancelled() const { return cancelled_; }

 private:
  bool Go() {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) cancelled_ = true;
    return !cancelled_;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  const std::atomic<bool>* cancel_;
  bool cancelled_ = false;
};

namespace {

Status CheckOutputVersion(const std::string& key, const std::string& version, const ControlRecord& record) {
  if (version == record.processing_version) return Status::Ok();
  return Status::Internal(
      fmt::format("{} belongs to version {}, not {}", key, version.empty() ? "?" : version, record.processing_version));
}

// An output's stored text as JSON of the record's version.
Result<json> ParseOutput(const std::string& key, const std::string& text, const ControlRecord& record,
                         const std::atomic<bool>* cancel) {
  json j;
  CancellableJsonBuilder builder(j, cancel);
  const bool parsed = json::sax_parse(text, &builder);
  if (builder.cancelled()) return Status::Cancelled("cancelled while reading " + key);
  if (!parsed || !j.is_object()) return Status::Internal(key + " is not valid JSON");
  DOCPIPE_RETURN_IF_ERROR(CheckOutputVersion(key, j.value("processing_version", ""), record));
  return j;
}

size_t HashOfOutput(std::string_view bytes) { return std::hash<std::string_view>{}(bytes); }

}  // namespace

// ---- The memo -----------------------------------------------------------------------

void StageOutputMemo::Put(const std::string& key, std::string_view bytes, std::shared_ptr<const Value> value) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&key](const Entry& e) { return e.key == key; });
  entries_.push_front(Entry{key, bytes.size(), HashOfOutput(bytes), std::move(value)});
  while (entries_.size() > capacity_) entries_.pop_back();
}

std::shared_ptr<const StageOutputMemo::Value> StageOutputMemo::Get(const std::string& key, std::string_view bytes) {
  std::lock_guard lock(mu_);
  for (const Entry& e : entries_) {
    if (e.key != key) continue;
    if (e.size != bytes.size() || e.hash != HashOfOutput(bytes)) return nullptr;
    ++hits_;
    return e.value;
  }
  return nullptr;
}

void StageOutputMemo::Drop(const std::string& key) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&key](const Entry& e) { return e.key == key; });
}

int64_t StageOutputMemo::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

// ---- Outputs through the memo ---------------------------------------------------------

template <typename T, typename FromJson>
Status StageArtifacts::WriteOutput(const std::string& key, const json& j, int indent, FromJson from_json) {
  if (memo_ == nullptr) return WriteJson(key, j, indent);
  // The value a reader would parse from these bytes, built from the same
  // JSON on a second thread while the text is written.
  std::future<Result<T>> value =
      std::async(std::launch::async, [&j, &from_json] { return from_json(j, nullptr); });
  const std::string text = indent < 0 ? j.dump() : j.dump(indent);
  Status put = store_.Put(key, text);
  Result<T> v = value.get();
  if (put.ok() && v.ok()) {
    memo_->Put(key, text, std::make_shared<const StageOutputMemo::Value>(std::move(*v)));
  } else {
    memo_->Drop(key);
  }
  return put;
}

template <typename T, typename FromJson>
Result<T> StageArtifacts::ReadOutput(const std::string& key, const ControlRecord& record,
                                     const std::atomic<bool>* cancel, FromJson from_json) {
  if (cancel != nullptr && cancel->load()) return Status::Cancelled("cancelled before reading " + key);
  Result<std::string> text = store_.Get(key);
  if (!text.ok()) return text.status().Annotate("reading " + key);
  if (memo_ != nullptr) {
    if (std::shared_ptr<const StageOutputMemo::Value> hit = memo_->Get(key, *text)) {
      if (const T* memoized = std::get_if<T>(hit.get())) {
        DOCPIPE_RETURN_IF_ERROR(CheckOutputVersion(key, memoized->processing_version, record));
        return *memoized;
      }
    }
  }
  Result<json> j = ParseOutput(key, *text, record, cancel);
  if (!j.ok()) return j.status();
  std::string().swap(*text);  // the parsed JSON is all that is needed now
  Result<T> v = from_json(*j, cancel);
  if (v.status().code() == Status::Code::kCancelled) return v.status().Annotate(key);
  if (!v.ok()) return Status::Internal(v.status().message()).Annotate(key);
  return v;
}

void StageArtifacts::ForgetOutputs(const std::string& document_id) {
  if (memo_ == nullptr) return;
  for (const std::string& key :
       {ChunksKey(document_id), EnrichedKey(document_id), RedactedKey(document_id), EmbeddingsKey(document_id)}) {
    memo_->Drop(key);
  }
}

Status StageArtifacts::WriteJson(const std::string& key, const json& j, int indent) {
  return store_.Put(key, indent < 0 ? j.dump() : j.dump(indent));
}

Status StageArtifacts::WritePages(const std::string& document_id, const std::vector<StagePage>& pages) {
  std::vector<ObjectToPut> objects;
  objects.reserve(pages.size());
  for (const StagePage& p : pages) objects.push_back(ObjectToPut{ExtractedPageKey(document_id, p.number), p.markdown});
  return store_.PutMany(objects);
}

Result<std::string> StageArtifacts::ReadPage(const std::string& document_id, int page) {
  Result<std::string> md = store_.Get(ExtractedPageKey(document_id, page));
  if (!md.ok()) return md.status().Annotate("reading page " + std::to_string(page));
  return md;
}

Status StageArtifacts::RemovePagesAfter(const std::string& document_id, int page_count) {
  Result<std::vector<ObjectInfo>> objects = store_.List(ExtractedPrefix(document_id));
  if (!objects.ok()) return objects.status();
  for (const ObjectInfo& o : *objects) {
    if (ExtractedPageNumber(document_id, o.key) > page_count) DOCPIPE_RETURN_IF_ERROR(store_.Delete(o.key));
  }
  return Status::Ok();
}

Status StageArtifacts::Write(const ExtractedDocument& d) {
  return WriteJson(ExtractedMetadataKey(d.document_id), ToJson(d), 2);
}
Status StageArtifacts::Write(const ChunkSet& c) {
  return WriteOutput<ChunkSet>(ChunksKey(c.document_id), ToJson(c), 1, ChunkSetFromJson);
}
Status StageArtifacts::Write(const EnrichmentSet& e) {
  return WriteOutput<EnrichmentSet>(EnrichedKey(e.document_id), ToJson(e), 1, EnrichmentSetFromJson);
}
Status StageArtifacts::Write(const RedactedTexts& r) {
  return WriteOutput<RedactedTexts>(RedactedKey(r.document_id), ToJson(r), 1, RedactedTextsFromJson);
}
Status StageArtifacts::Write(const EmbeddingSet& e) {
  return WriteOutput<EmbeddingSet>(EmbeddingsKey(e.document_id), ToJson(e), -1, EmbeddingSetFromJson);
}

Result<ExtractedDocument> StageArtifacts::ReadExtracted(const ControlRecord& record) {
  const std::string key = ExtractedMetadataKey(record.document_id);
  Result<std::string> text = store_.Get(key);
  if (!text.ok()) return text.status().Annotate("reading " + key);
  Result<json> j = ParseOutput(key, *text, record, nullptr);
  if (!j.ok()) return j.status();
  Result<ExtractedDocument> d = ExtractedDocumentFromJson(*j);
  if (!d.ok()) return Status::Internal(d.status().message()).Annotate(key);
  return d;
}

Result<ChunkSet> StageArtifacts::ReadChunks(const ControlRecord& record, const std::atomic<bool>* cancel) {
  return ReadOutput<ChunkSet>(ChunksKey(record.document_id), record, cancel, ChunkSetFromJson);
}

Result<EnrichmentSet> StageArtifacts::ReadEnrichment(const ControlRecord& record, const std::atomic<bool>* cancel) {
  return ReadOutput<EnrichmentSet>(EnrichedKey(record.document_id), record, cancel, EnrichmentSetFromJson);
}

Result<RedactedTexts> StageArtifacts::ReadRedacted(const ControlRecord& record, const std::atomic<bool>* cancel) {
  return ReadOutput<RedactedTexts>(RedactedKey(record.document_id), record, cancel, RedactedTextsFromJson);
}

Result<EmbeddingSet> StageArtifacts::ReadEmbeddings(const ControlRecord& record, const std::atomic<bool>* cancel) {
  return ReadOutput<EmbeddingSet>(EmbeddingsKey(record.document_id), record, cancel, EmbeddingSetFromJson);
}

Result<ChunksToIndex> StageArtifacts::ReadChunksToIndex(const ControlRecord& record,
                                                       const std::atomic<bool>* cancel) {
  Result<ChunkSet> chunks = ReadChunks(record, cancel);
  if (!chunks.ok()) return chunks.status();
  Result<EnrichmentSet> enrichment = ReadEnrichment(record, cancel);
  if (!enrichment.ok()) return enrichment.status();
  ChunksToIndex out{std::move(*chunks), std::move(*enrichment)};
  if (!out.enrichment.redact_pii) return out;
  Result<RedactedTexts> redacted = ReadRedacted(record, cancel);
  if (redacted.status().IsNotFound()) {
    if (out.chunks.redacted_in_place) return out;  // written before redacted/ existed
    return Status::InvalidInput(fmt::format(
        "{}: PII was redacted but the redacted texts ({}) are missing; re-ingest the document "
        "(docpipe delete {}, then ingest it again)",
        record.source_key, RedactedKey(record.document_id), record.document_id));
  }
  if (!redacted.ok()) return redacted.status();
  std::map<std::string, std::string> texts(redacted->texts.begin(), redacted->texts.end());
  for (Chunk& c : out.chunks.chunks) {
    auto it = texts.find(c.chunk_id);
    if (it == texts.end()) {
      return Status::Internal(fmt::format("{} has no text for chunk {}", RedactedKey(record.document_id), c.chunk_id));
    }
    c.text = std::move(it->second);
  }
  return out;
}

}  // namespace docpipe
