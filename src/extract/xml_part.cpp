#include "extract/xml_part.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

namespace docpipe {
namespace {

// pugixml takes allocation hooks for the whole process only; they charge the
// budget of the parse running on the calling thread (none: unlimited).
thread_local MemoryBudget* tls_budget = nullptr;
constexpr size_t kHeader = alignof(std::max_align_t);

void* BudgetAlloc(size_t size) {
  MemoryBudget* b = tls_budget;
  if (b && !b->Take(size + kHeader)) return nullptr;
  void* raw = std::malloc(size + kHeader);
  if (!raw) {
    if (b) b->Give(size + kHeader);
    return nullptr;
  }
  std::memcpy(raw, &size, sizeof size);
  // A block remembers whether it was charged, since it may be freed on
  // another thread or after the budget is gone.
  static_cast<char*>(raw)[sizeof size] = b ? 1 : 0;
  return static_cast<char*>(raw) + kHeader;
}

void BudgetFree(void* p) {
  if (!p) return;
  char* raw = static_cast<char*>(p) - kHeader;
  size_t size;
  std::memcpy(&size, raw, sizeof size);
  if (raw[sizeof size] && tls_budget) tls_budget->Give(size + kHeader);
  std::free(raw);
}

void InstallHooks() {
  static std::once_flag once;
  std::call_once(once, [] { pugi::set_memory_management_functions(BudgetAlloc, BudgetFree); });
}

class BudgetScope {
 public:
  explicit BudgetScope(MemoryBudget* b) : previous_(tls_budget) { tls_budget = b; }
  ~BudgetScope() { tls_budget = previous_; }

 private:
  MemoryBudget* previous_;
};

// Owns the tree and charges its release back to the budget it was parsed under.
struct BudgetedDocument : pugi::xml_document {
  explicit BudgetedDocument(MemoryBudget* b) : budget(b) {}
  ~BudgetedDocument() {
    BudgetScope scope(budget);
    reset();
  }
  MemoryBudget* budget;
};

}  // namespace

Result<XmlDocumentPtr> ParseXmlPart(std::string xml, const std::string& name,
                                                          MemoryBudget& budget) {
  InstallHooks();
  auto doc = std::make_unique<BudgetedDocument>(&budget);
  pugi::xml_parse_result result;
  {
    BudgetScope scope(&budget);
    // parse_default minus parse_doctype handling beyond skipping: entities are
    // never declared, so none can be expanded. Whitespace-only text is kept
    // (w:t xml:space="preserve" " ").
    result = doc->load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                              pugi::encoding_auto);
  }
  if (result.status == pugi::status_out_of_memory) return budget.ExceededError(name);
  if (!result) {
    return Status::InvalidInput(
        fmt::format("{}: malformed XML at byte {}: {}", name, result.offset, result.description()));
  }
  return XmlDocumentPtr(doc.release());
}

void XmlDocumentDeleter::operator()(pugi::xml_document* doc) const {
  delete static_cast<BudgetedDocument*>(doc);  // ParseXmlPart makes every one
}

const char* LocalName(const pugi::xml_node& node) {
  const char* n = node.name();
  const char* colon = std::strchr(n, ':');
  return colon ? colon + 1 : n;
}

bool IsElement(const pugi::xml_node& node, const char* local_name) {
  return node.type() == pugi::node_element && std::strcmp(LocalName(node), local_name) == 0;
}

pugi::xml_node Child(const pugi::xml_node& node, const char* local_name) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling())
    if (IsElement(c, local_name)) return c;
  return {};
}

pugi::xml_attribute Attr(const pugi::xml_node& node, const char* local_name) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    const char* n = a.name();
    const char* colon = std::strchr(n, ':');
    if (std::strcmp(colon ? colon + 1 : n, local_name) == 0) return a;
  }
  return {};
}

std::string AttrValue(const pugi::xml_node& node, const char* local_name) {
  pugi::xml_attribute a = Attr(node, local_name);
  return a ? a.value() : "";
}

std::string RelId(const pugi::xml_node& node) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    const char* colon = std::strchr(a.name(), ':');
    if (colon && std::strcmp(colon + 1, "id") == 0 && std::strncmp(a.name(), "xmlns", 5) != 0) return a.value();
  }
  return "";
}

}  // namespace docpipe
