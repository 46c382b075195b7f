// The port's shared helpers: JSON in Comprehend's shapes and redaction.
#include "enrich/enricher.h"

#include <string_view>

#include "enrich/text_span.h"

namespace docpipe {

namespace {

using nlohmann::json;

// Readers that name the offending field instead of throwing.
Status ReadString(const json& j, const char* key, const std::string& path, bool required, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) return required ? Status::InvalidInput(path + key + ": missing") : Status::Ok();
  if (!it->is_string()) return Status::InvalidInput(path + key + ": expected a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status ReadDouble(const json& j, const char* key, const std::string& path, double* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::InvalidInput(path + key + ": missing");
  if (!it->is_number()) return Status::InvalidInput(path + key + ": expected a number");
  *out = it->get<double>();
  return Status::Ok();
}

Status ReadInt(const json& j, const char* key, const std::string& path, bool required, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) return required ? Status::InvalidInput(path + key + ": missing") : Status::Ok();
  if (!it->is_number_integer()) return Status::InvalidInput(path + key + ": expected an integer");
  *out = it->get<int64_t>();
  return Status::Ok();
}

Status ReadEntity(const json& j, const std::string& path, Entity* e) {
  if (!j.is_object()) return Status::InvalidInput(path + ": expected an object");
  const std::string p = path + ".";
  DOCPIPE_RETURN_IF_ERROR(ReadString(j, "Type", p, true, &e->type));
  // Optional: Comprehend's DetectPiiEntities reports PII by offsets only.
  DOCPIPE_RETURN_IF_ERROR(ReadString(j, "Text", p, false, &e->text));
  DOCPIPE_RETURN_IF_ERROR(ReadDouble(j, "Score", p, &e->score));
  DOCPIPE_RETURN_IF_ERROR(ReadInt(j, "BeginOffset", p, true, &e->begin_offset));
  DOCPIPE_RETURN_IF_ERROR(ReadInt(j, "EndOffset", p, true, &e->end_offset));
  // Comprehend gives no byte offsets; ours are optional on the way in.
  DOCPIPE_RETURN_IF_ERROR(ReadInt(j, "BeginByte", p, false, &e->begin_byte));
  DOCPIPE_RETURN_IF_ERROR(ReadInt(j, "EndByte", p, false, &e->end_byte));
  return Status::Ok();
}

Status ReadKeyPhrase(const json& j, const std::string& path, KeyPhrase* k) {
  if (!j.is_object()) return Status::InvalidInput(path + ": expected an object");
  const std::string p = path + ".";
  DOCPIPE_RETURN_IF_ERROR(ReadString(j, "Text", p, true, &k->text));
  DOCPIPE_RETURN_IF_ERROR(ReadDouble(j, "Score", p, &k->score));
  DOCPIPE_RETURN_IF_ERROR(ReadInt(j, "BeginOffset", p, true, &k->begin_offset));
  DOCPIPE_RETURN_IF_ERROR(ReadInt(j, "EndOffset", p, true, &k->end_offset));
  return Status::Ok();
}

Status ReadLanguage(const json& j, const std::string& path, LanguageScore* l) {
  if (!j.is_object()) return Status::InvalidInput(path + ": expected an object");
  const std::string p = path + ".";
  DOCPIPE_RETURN_IF_ERROR(ReadString(j, "LanguageCode", p, true, &l->language_code));
  return ReadDouble(j, "Score", p, &l->score);
}

// Reads the optional array `key` of `j` with `read` for each element.
template <typename T, typename ReadFn>
Status ReadArray(const json& j, const char* key, ReadFn read, std::vector<T>* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_array()) return Status::InvalidInput(std::string(key) + ": expected an array");
  out->clear();
  for (size_t i = 0; i < it->size(); ++i) {
    T value;
    DOCPIPE_RETURN_IF_ERROR(read((*it)[i], std::string(key) + "[" + std::to_string(i) + "]", &value));
    out->push_back(std::move(value));
  }
  return Status::Ok();
}

// The byte range of `e` in `text`: its byte offsets when they slice out its
// text, else its code point offsets (entities from Comprehend have only those).
bool ByteRange(std::string_view text, const Entity& e, size_t* begin, size_t* end) {
  auto fits = [&](int64_t b, int64_t en) {
    return b >= 0 && en > b && static_cast<size_t>(en) <= text.size() &&
           (e.text.empty() || text.substr(static_cast<size_t>(b), static_cast<size_t>(en - b)) == e.text);
  };
  if (fits(e.begin_byte, e.end_byte)) {
    *begin = static_cast<size_t>(e.begin_byte);
    *end = static_cast<size_t>(e.end_byte);
    return true;
  }
  if (e.end_offset <= e.begin_offset || e.begin_offset < 0) return false;
  int64_t b = static_cast<int64_t>(ByteOfCodePoint(text, e.begin_offset));
  int64_t en = static_cast<int64_t>(ByteOfCodePoint(text, e.end_offset));
  if (!fits(b, en)) return false;
  *begin = static_cast<size_t>(b);
  *end = static_cast<size_t>(en);
  return true;
}

}  // namespace

nlohmann::json ToJson(const Entity& e) {
  return json{{"Type", e.type},
              {"Text", e.text},
              {"Score", e.score},
              {"BeginOffset", e.begin_offset},
              {"EndOffset", e.end_offset},
              {"BeginByte", e.begin_byte},
              {"EndByte", e.end_byte}};
}

nlohmann::json ToJson(const KeyPhrase& k) {
  return json{
      {"Text", k.text}, {"Score", k.score}, {"BeginOffset", k.begin_offset}, {"EndOffset", k.end_offset}};
}

nlohmann::json ToJson(const ChunkEnrichment& c) {
  json languages = json::array(), entities = json::array(), phrases = json::array(), pii = json::array();
  for (const LanguageScore& l : c.languages)
    languages.push_back({{"LanguageCode", l.language_code}, {"Score", l.score}});
  for (const Entity& e : c.entities) entities.push_back(ToJson(e));
  for (const KeyPhrase& k : c.key_phrases) phrases.push_back(ToJson(k));
  for (const Entity& e : c.pii_entities) pii.push_back(ToJson(e));
  json j{{"chunk_id", c.chunk_id},
         {"Languages", std::move(languages)},
         {"Entities", std::move(entities)},
         {"KeyPhrases", std::move(phrases)},
         {"PiiEntities", std::move(pii)}};
  if (!c.redacted_text.empty()) j["RedactedText"] = c.redacted_text;
  return j;
}

Result<ChunkEnrichment> ChunkEnrichmentFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidInput("chunk enrichment: expected an object");
  ChunkEnrichment c;
  DOCPIPE_RETURN_IF_ERROR(ReadString(j, "chunk_id", "", true, &c.chunk_id));
  DOCPIPE_RETURN_IF_ERROR(ReadArray(j, "Languages", ReadLanguage, &c.languages));
  DOCPIPE_RETURN_IF_ERROR(ReadArray(j, "Entities", ReadEntity, &c.entities));
  DOCPIPE_RETURN_IF_ERROR(ReadArray(j, "KeyPhrases", ReadKeyPhrase, &c.key_phrases));
  DOCPIPE_RETURN_IF_ERROR(ReadArray(j, "PiiEntities", ReadEntity, &c.pii_entities));
  DOCPIPE_RETURN_IF_ERROR(ReadString(j, "RedactedText", "", false, &c.redacted_text));
  return c;
}

std::string RedactPii(const std::string& text, const std::vector<Entity>& pii) {
  std::vector<Span> spans;
  for (const Entity& e : pii) {
    size_t begin = 0, end = 0;
    if (ByteRange(text, e, &begin, &end)) spans.push_back({begin, end, e.score, e.type});
  }
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const Span& s : ResolveOverlaps(std::move(spans))) {
    out.append(text, pos, s.begin - pos);
    out.append("[").append(s.type).append("]");
    pos = s.end;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

}  // namespace docpipe
