// The embedded VectorIndex: SQLite (rows, FTS5, change log) is the source of
// truth; an in-memory hnswlib graph is a cache of it, persisted to hnsw.bin.
//
// Sync between SQLite and the graph:
//  * Labels are `chunks.label` (INTEGER PRIMARY KEY AUTOINCREMENT): never
//    reused, and because writers serialize on BEGIN IMMEDIATE, label order is
//    commit order. Rows new to a graph are exactly those with label > the
//    graph's largest label.
//  * Every write bumps meta.generation and logs the labels it deleted in
//    deleted_labels(generation, label). A graph at generation G catches up by
//    marking deleted the labels logged after G and adding rows with larger
//    labels. The log keeps the last kLogGenerations generations; an older
//    graph diffs its labels against the table instead.
//  * Catch-up is idempotent, so a graph only needs a generation that is not
//    newer than its content. hnsw.bin is renamed into place before hnsw.gen,
//    which keeps that true across crashes.
//  * Search resolves every label through the SQLite snapshot it reads in, so a
//    label that is gone (an old version) can never be returned.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/posix_error.h"
#include "common/sqlite_db.h"
#include "common/unique_fd.h"
#include "index/dot_product.h"
#include "index/bm25_search.h"
#include "index/hnsw_file.h"
#include "index/local_vector_index.h"
#include "index/rank_fusion.h"

namespace docpipe {
namespace {

// Schema 2 adds chunks.entities (the dashboard's chunk view reads its pages
// from the index); a schema-1 index gains the column, '[]' in old rows.
constexpr int kIndexSchemaVersion = 2;
// The printed page labels of a chunk's first and last pages ("xii"), for the
// chunks that have one: a table of its own (added to indexes made before
// it), since a column after `vector` would make every hit read the blob.
constexpr int kPageLabelsSchemaVersion = 1;
constexpr const char* kPageLabelsSchema = R"sql(
CREATE TABLE IF NOT EXISTS chunk_page_labels (
  label            INTEGER PRIMARY KEY,  -- chunks.label
  page_label_start TEXT NOT NULL,
  page_label_end   TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS chunk_page_labels_delete AFTER DELETE ON chunks BEGIN
  DELETE FROM chunk_page_labels WHERE label = old.label;
END;
)sql";
// `vector` is the last column so that reading metadata never touches the
// blob's overflow pages. chunks_fts is an external-content table over chunks,
// kept in step by triggers, so the text is stored once.
constexpr const char* kIndexSchema = R"sql(
CREATE TABLE IF NOT EXISTS index_meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  label              INTEGER PRIMARY KEY AUTOINCREMENT,
  chunk_id           TEXT    NOT NULL UNIQUE,
  document_id        TEXT    NOT NULL,
  processing_version TEXT    NOT NULL,
  source_key         TEXT    NOT NULL,
  text               TEXT    NOT NULL,
  breadcrumbs        TEXT    NOT NULL,  -- JSON array of strings
  page_start         INTEGER NOT NULL,
  page_end           INTEGER NOT NULL,
  type               TEXT    NOT NULL,
  key_phrases        TEXT    NOT NULL,  -- JSON array of strings
  language           TEXT    NOT NULL,
  pii_types          TEXT    NOT NULL,  -- JSON array of strings
  vector             BLOB    NOT NULL   -- float32, L2-normalised, host byte order
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id);
CREATE TABLE IF NOT EXISTS deleted_labels (
  generation INTEGER NOT NULL,
  label      INTEGER NOT NULL,
  PRIMARY KEY (generation, label)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
  text, breadcrumbs, key_phrases,
  content = 'chunks', content_rowid = 'label',
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, text, breadcrumbs, key_phrases)
  VALUES (new.label, new.text, new.breadcrumbs, new.key_phrases);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, text, breadcrumbs, key_phrases)
  VALUES ('delete', old.label, old.text, old.breadcrumbs, old.key_phrases);
END;
-- Schema 2. After the vector: only ListChunks reads it, never a search.
ALTER TABLE chunks ADD COLUMN entities TEXT NOT NULL DEFAULT '[]';  -- JSON [{"type", "text"}]
)sql";

// Generations of deletions kept in deleted_labels. A graph older than that
// diffs all labels instead (a scan of the document index: milliseconds).
constexpr int64_t kLogGenerations = 4096;
// A filtered vector search over a document this small scans its vectors
// exactly instead of asking the graph (documents are usually far smaller).
constexpr int64_t kExactFilterMaxChunks = 4096;
// hnsw.bin is rewritten after at least this many changes (and a quarter of the
// graph), and on close: rewriting hundreds of MB per document would dominate
// ingestion, and a stale file only costs a catch-up on the next open.
constexpr int64_t kMinSaveChanges = 1024;
// hnswlib 0.6 cannot reuse deleted slots, so the graph is rebuilt from SQLite
// once deleted elements outnumber live ones (and this floor).
constexpr size_t kMinDeletedForRebuild = 1024;
// A chunk's metadata columns (never the vector), as ReadChunkColumns reads them.
// Read FROM kChunkFrom (chunks c, and the page labels of those that have them).
constexpr const char* kChunkColumns =
    "c.chunk_id, c.document_id, c.processing_version, c.source_key, c.text, c.breadcrumbs, c.page_start,"
    " c.page_end, c.type, c.key_phrases, c.language, c.pii_types,"
    " coalesce(l.page_label_start, ''), coalesce(l.page_label_end, '')";
constexpr int kChunkColumnCount = 14;
constexpr const char* kChunkFrom = " FROM chunks c LEFT JOIN chunk_page_labels l ON l.label = c.label";
// Pages a reader connection caches (SQLite's default is 2 MB, some 500).
// A keyword search's BM25 reads the docsize row of every row holding a query
// word, each page once or so: with the default cache every one of those
// pages is a fresh 4 KB malloc (a page fault each, ~550 per search at 250k
// chunks), with 64 the cache recycles its buffers. At 250k chunks the FTS
// query took 13-19 ms of CPU instead of 21-29 for 5 % more page reads (from
// the OS page cache; bench/search/README.md). Interior B-tree pages stay
// cached (LRU).
constexpr int kReaderCachePages = 64;
// Rows inserted (or read) between looks at a load's cancel flag (its
// deadline): 256 rows of text and FTS postings took 0.3 s at 15 % of a core.
constexpr size_t kCancelCheckRows = 32;
// Rows read per batch while catching up, bounding the memory of a rebuild.
constexpr int kCatchUpBatch = 4096;

using Graph = hnswlib::HierarchicalNSW<float>;

// hnswlib's inner-product space (distance = 1 - dot product) with the
// distance computed by the widest vector unit the CPU has (AVX-512F or
// AVX2 with FMA, asked at run time: index/dot_product.h); hnswlib's own SSE
// version where neither is there. Building a graph is mostly distances: on
// the 2,415-page manual's load stage this is most of the HNSW insertion.
class DotProductSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit DotProductSpace(size_t dimension) : fallback_(dimension), dimension_(dimension) {
    distance_ = FastestDotDistance();
    if (distance_ == nullptr) distance_ = fallback_.get_dist_func();
  }
  size_t get_data_size() override { return dimension_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return distance_; }
  void* get_dist_func_param() override { return &dimension_; }

 private:
  hnswlib::InnerProductSpace fallback_;
  size_t dimension_;
  hnswlib::DISTFUNC<float> distance_;
};

std::string JoinPath(const std::string& dir, const char* name) { return dir + "/" + name; }

// A graph loaded from hnsw.bin that stays on disk until something needs it
// in memory: a command that only searches (`docpipe search`) reads the few
// thousand elements its search visits through HnswFile (index/hnsw_file.h)
// instead of the whole file (550 MB at 250,000 chunks of 512 dimensions;
// mapping it instead cost that much RSS: the kernel maps page-cache folios
// whole). Until then only hnswlib's header fields are set, and the graph has
// no level-0 block, link lists or visited pool: Search() goes to the file,
// and everything else that reads the graph first calls IndexLabels() (a
// catch-up) or OwnMemory() (a change), which read the file into hnswlib's own
// memory as its loadIndex would, and give it the per-element locks its
// writers take (a search takes none).
class LoadedGraph final : public Graph {
 public:
  explicit LoadedGraph(hnswlib::SpaceInterface<float>* space) : Graph(space) {
    // The space-only constructor initialises nothing; make the destructor
    // safe should loading stop half way.
    data_level0_memory_ = nullptr;
    linkLists_ = nullptr;
    visited_list_pool_ = nullptr;
    cur_element_count = 0;
    num_deleted_ = 0;
  }
  ~LoadedGraph() override {
    // Nothing of hnswlib's allocated yet: its destructor frees per element.
    if (file_ != nullptr) cur_element_count = 0;
  }
  LoadedGraph(const LoadedGraph&) = delete;
  LoadedGraph& operator=(const LoadedGraph&) = delete;

  // Takes `file` (opened and checked) and hnswlib's header fields from it.
  void UseFile(std::unique_ptr<HnswFile> file, hnswlib::SpaceInterface<float>* space) {
    const HnswFile::Header& h = file->header();
    offsetLevel0_ = h.offset_level0;
    max_elements_ = h.max_elements;
    size_data_per_element_ = h.size_data_per_element;
    label_offset_ = h.label_offset;
    offsetData_ = h.offset_data;
    maxlevel_ = h.max_level;
    enterpoint_node_ = h.enter_point;
    maxM_ = h.max_m;
    maxM0_ = h.max_m0;
    M_ = h.m;
    mult_ = h.mult;
    ef_construction_ = h.ef_construction;
    data_size_ = space->get_data_size();
    fstdistfunc_ = space->get_dist_func();
    dist_func_param_ = space->get_dist_func_param();
    size_links_per_element_ = maxM_ * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
    size_links_level0_ = maxM0_ * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
    revSize_ = 1.0 / mult_;
    ef_ = 10;
    file_ = std::move(file);
    cur_element_count = file_->size();  // the destructor knows nothing is allocated (file_ set)
    labels_read_ = false;
    // Until IndexLabels() the deleted count is unknown: searches through
    // the file check every candidate's flag (right whatever the count).
    num_deleted_ = cur_element_count > 0 ? 1 : 0;
  }

  //! The file a search reads while the graph is not in memory, else null.
  const HnswFile* file() const { return file_.get(); }

  //! Fills label_lookup_ and num_deleted_ and finds the largest label, after
  //! reading the graph into memory; a no-op the second time. Returns the
  //! largest label (0 for an empty graph).
  Result<int64_t> IndexLabels() {
    if (labels_read_) return max_label_;
    DOCPIPE_RETURN_IF_ERROR(ReadIntoMemory());
    label_lookup_.clear();
    label_lookup_.reserve(cur_element_count);
    num_deleted_ = 0;
    max_label_ = 0;
    for (size_t i = 0; i < cur_element_count; ++i) {
      const auto internal = static_cast<hnswlib::tableint>(i);
      const hnswlib::labeltype label = getExternalLabel(internal);
      label_lookup_[label] = internal;
      max_label_ = std::max(max_label_, static_cast<int64_t>(label));
      if (isMarkedDeleted(internal)) num_deleted_ += 1;
    }
    labels_read_ = true;
    return max_label_;
  }
  bool labels_read() const { return labels_read_; }

  //! Readies the graph for a change: in memory, labels indexed, the
  //! writers' locks made. false when that fails (out of memory, unreadable).
  bool OwnMemory() {
    if (owned_) return true;
    if (!IndexLabels().ok()) return false;
    std::vector<std::mutex>(max_elements_).swap(link_list_locks_);
    std::vector<std::mutex>(Graph::max_update_element_locks).swap(link_list_update_locks_);
    owned_ = true;
    return true;
  }

  //! Reads the level-0 block and the upper layers' link lists from the file
  //! into hnswlib's memory (as its loadIndex does) and drops the file; a
  //! no-op once done. On failure the graph stays on the file.
  Status ReadIntoMemory() {
    if (file_ == nullptr) return Status::Ok();
    const size_t count = file_->size();
    const size_t bytes = count * size_data_per_element_;
    auto fail = [&](const std::string& what) {
      return Status::Internal(fmt::format("index: reading {} into memory: {}", file_->path(), what));
    };
    // In 2 MB pages where the kernel has them: a search touches a few
    // thousand elements scattered over the block, and with 4 KB pages each
    // is a TLB miss (vector searches at 250,000 chunks took 4.7 ms of CPU
    // instead of 0.7). hnswlib frees and reallocs the block: aligned_alloc
    // memory allows both.
    constexpr size_t kHugePage = size_t{2} << 20;
    const size_t capacity = (std::max<size_t>(max_elements_ * size_data_per_element_, 1) + kHugePage - 1) /
                            kHugePage * kHugePage;
    char* level0 = static_cast<char*>(std::aligned_alloc(kHugePage, capacity));
    if (level0 == nullptr) return fail("out of memory");
    (void)::madvise(level0, capacity, MADV_HUGEPAGE);  // advice only: 4 KB pages otherwise
    std::unique_ptr<char, decltype(&std::free)> level0_owner(level0, &std::free);
    Status read = file_->ReadLevel0(level0, bytes);
    if (!read.ok()) return read;
    char** lists = static_cast<char**>(std::calloc(std::max<size_t>(max_elements_, 1), sizeof(char*)));
    if (lists == nullptr) return fail("out of memory");
    std::vector<int> levels(max_elements_);
    auto free_lists = [&] {
      for (size_t i = 0; i < count; ++i) std::free(lists[i]);
      std::free(lists);
    };
    std::vector<uint32_t> links;
    for (size_t i = 0; i < count; ++i) {
      if (Status upper = file_->ReadUpperLinks(static_cast<uint32_t>(i), &links); !upper.ok()) {
        free_lists();
        return upper;
      }
      if (links.empty()) continue;
      lists[i] = static_cast<char*>(std::malloc(links.size() * sizeof(uint32_t)));
      if (lists[i] == nullptr) {
        free_lists();
        return fail("out of memory");
      }
      std::memcpy(lists[i], links.data(), links.size() * sizeof(uint32_t));
      levels[i] = static_cast<int>(links.size() * sizeof(uint32_t) / size_links_per_element_);
    }
    // hnswlib's destructor deletes it: the library's ownership, not ours.
    visited_list_pool_ = new hnswlib::VisitedListPool(1, static_cast<int>(max_elements_));
    data_level0_memory_ = level0_owner.release();
    linkLists_ = lists;
    element_levels_ = std::move(levels);
    file_.reset();
    return Status::Ok();
  }

 private:
  std::unique_ptr<HnswFile> file_;
  bool owned_ = false;
  bool labels_read_ = true;
  int64_t max_label_ = 0;
};

// Opens hnsw.bin (hnswlib's saveIndex format) for `g`, whose space is
// `space`, leaving the graph on disk (LoadedGraph). hnswlib's own loadIndex
// reads the whole file, twice, and asks the stream its position twice per
// element. The error names the file and the fault (short or inconsistent).
Status OpenGraphFile(const std::string& file, hnswlib::SpaceInterface<float>* space, LoadedGraph* g) {
  auto opened = HnswFile::Open(file, space->get_data_size());
  if (!opened.ok()) return opened.status();
  const HnswFile::Header& h = opened.value()->header();
  if (h.max_elements > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      h.max_elements > std::numeric_limits<size_t>::max() / 2 / h.size_data_per_element) {
    return Status::InvalidInput(fmt::format("{}: damaged HNSW graph file: capacity {}", file,
                                            h.max_elements));
  }
  g->UseFile(std::move(opened).value(), space);
  return Status::Ok();
}

// hnswlib's searchKnn on `g`, or the same search through the file while a
// loaded graph is still on disk.
Result<std::priority_queue<std::pair<float, hnswlib::labeltype>>> SearchGraph(const Graph& g, const float* q,
                                                                               size_t k) {
  const auto* loaded = dynamic_cast<const LoadedGraph*>(&g);
  if (loaded != nullptr && loaded->file() != nullptr) {
    return loaded->file()->SearchKnn(q, k, g.ef_, g.fstdistfunc_, g.dist_func_param_);
  }
  try {
    return g.searchKnn(q, k);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("index: hnsw search: ") + e.what());
  }
}

// Makes the graph's memory hnswlib's own before a change (LoadedGraph).
bool OwnGraphMemory(Graph& g) {
  auto* loaded = dynamic_cast<LoadedGraph*>(&g);
  return loaded == nullptr || loaded->OwnMemory();
}

// Scales `v` to unit length. Zero vectors stay zero (similar to nothing).
void Normalize(float* v, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
  if (sum <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (size_t i = 0; i < n; ++i) v[i] *= inv;
}

bool AllFinite(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

std::string ToJsonArray(const std::vector<std::string>& items) { return nlohmann::json(items).dump(); }

std::string EntitiesJson(const std::vector<ChunkEntity>& entities) {
  nlohmann::json out = nlohmann::json::array();
  for (const ChunkEntity& e : entities) out.push_back({{"type", e.type}, {"text", e.text}});
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<ChunkEntity> EntitiesFromJson(const std::string& text) {
  std::vector<ChunkEntity> out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const nlohmann::json& e : j) {
    if (e.is_object()) out.push_back({e.value("type", ""), e.value("text", "")});
  }
  return out;
}

std::vector<std::string> FromJsonArray(const std::string& text) {
  std::vector<std::string> out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return out;
  for (const auto& item : j) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

// An flock on a lock file, released when the descriptor closes. flock locks
// belong to the open file description, so two instances in one process
// exclude each other as two processes do.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path, bool exclusive) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus(errno, "open " + path);
    while (::flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
      if (errno == EINTR) continue;
      Status s = ErrnoStatus(errno, "flock " + path);
      ::close(fd);
      return s;
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open " + path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoStatus(errno, "fsync " + path);
  return Status::Ok();
}

// The size of the file hnswlib's saveIndex writes for `g` (hnswalg.h:
// thirteen header fields, level-0 data, then each element's upper-level
// links behind their length).
template <typename Graph>
int64_t SavedGraphBytes(const Graph& g) {
  int64_t bytes = 10 * sizeof(size_t) + sizeof(g.maxlevel_) + sizeof(g.enterpoint_node_) + sizeof(g.mult_);
  bytes += static_cast<int64_t>(g.cur_element_count * g.size_data_per_element_);
  for (size_t i = 0; i < g.cur_element_count; ++i) {
    bytes += sizeof(unsigned int);
    if (g.element_levels_[i] > 0) bytes += static_cast<int64_t>(g.size_links_per_element_ * g.element_levels_[i]);
  }
  return bytes;
}

struct Meta {
  int64_t generation = 0;
  int64_t log_floor = 0;  // deleted_labels holds every deletion after this generation
  int dimension = 0;
};

Result<Meta> ReadMeta(SqliteDb& db) {
  auto stmt = db.Prepare("SELECT key, value FROM index_meta");
  if (!stmt.ok()) return stmt.status();
  Meta meta;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string key = stmt->ColumnText(0);
    int64_t value = stmt->ColumnInt(1);
    if (key == "generation") meta.generation = value;
    if (key == "log_floor") meta.log_floor = value;
    if (key == "dimension") meta.dimension = static_cast<int>(value);
  }
  return meta;
}

// A read transaction on `db`: one snapshot for everything a search or a
// catch-up reads. Rolled back (nothing to undo) when it goes out of scope.
Result<SqliteTransaction> BeginRead(SqliteDb& db) {
  DOCPIPE_RETURN_IF_ERROR(db.Exec("BEGIN DEFERRED"));
  return SqliteTransaction(&db);
}

struct ScoredLabel {
  int64_t label;
  double score;
};

// A graph's nearest neighbours of a query, nearest first, with the graph's
// version and generation when it was searched (LocalVectorIndex::NearestInGraph).
struct GraphNeighbours {
  std::vector<std::pair<float, hnswlib::labeltype>> nearest;
  int64_t graph_version = -1;
  int64_t graph_gen = -1;
};

class LocalVectorIndex;

// A reader connection borrowed from the index's pool.
class ReaderLease {
 public:
  ReaderLease(LocalVectorIndex* owner, std::unique_ptr<SqliteDb> db) : owner_(owner), db_(std::move(db)) {}
  ReaderLease(ReaderLease&& other) noexcept = default;
  ReaderLease& operator=(ReaderLease&&) = delete;
  ~ReaderLease();
  SqliteDb& db() { return *db_; }

 private:
  LocalVectorIndex* owner_;
  std::unique_ptr<SqliteDb> db_;
};

class LocalVectorIndex final : public VectorIndex {
 public:
  LocalVectorIndex(LocalVectorIndexOptions options, std::unique_ptr<SqliteDb> writer)
      : options_(std::move(options)),
        dimension_(static_cast<size_t>(options_.dimension)),
        space_(dimension_),
        writer_(std::move(writer)) {}

  ~LocalVectorIndex() override {
    // A process that wrote waits for a rebuild in progress, so the graph it
    // leaves on disk is whole; a reader (`docpipe search`) does not wait:
    // its rebuild stops, and the next process to need the graph does it.
    if (rebuild_thread_.joinable()) {
      if (!wrote_.load()) cancel_rebuild_ = true;
      rebuild_thread_.join();
    }
    // Best effort: a stale or missing hnsw.bin is only slower to open.
    std::shared_lock lock(graph_mu_);
    if (graph_ != nullptr && graph_gen_ > saved_gen_.load()) (void)SaveLocked();
  }

  // The graph is loaded on first need, not at open: a keyword search, a
  // delete or Stats() reads SQLite alone, so a command that does only those
  // never reads hnsw.bin. Loads hnsw.bin when present and brings the graph
  // up to date with SQLite. Without a usable file the graph is rebuilt from
  // SQLite: at once when the index is small, otherwise in the background,
  // and meanwhile this answers Unavailable (rebuilding_ is set): searches
  // fall back to BM25 and writes go to SQLite alone, which the new graph
  // catches up with when it is swapped in.
  Status EnsureGraph(bool* rebuilding = nullptr) {
    std::lock_guard init_lock(graph_init_mu_);
    if (graph_ready_) return Status::Ok();
    if (rebuilding != nullptr) *rebuilding = rebuilding_;
    if (rebuilding_) return RebuildingStatus();
    bool loaded = LoadPersisted();
    std::lock_guard writer_lock(writer_mu_);
    if (loaded) {
      // A graph from the future means the database was replaced or restored:
      // its labels cannot be trusted.
      auto meta = ReadMeta(*writer_);
      if (!meta.ok()) return meta.status();
      std::unique_lock lock(graph_mu_);
      ++graph_version_;
      if (graph_gen_ > meta->generation) {
        graph_.reset();
        loaded = false;
      }
    }
    if (!loaded) {
      auto count = writer_->Prepare("SELECT COUNT(*) FROM chunks");
      if (!count.ok()) return count.status();
      auto row = count->Step();
      if (!row.ok()) return row.status();
      const int64_t chunks = count->ColumnInt(0);
      if (chunks > options_.sync_rebuild_max_chunks) {
        if (rebuilding != nullptr) *rebuilding = true;
        return StartBackgroundRebuild(chunks);
      }
    }
    graph_ready_ = true;
    Status synced = Sync(*writer_);
    if (!synced.ok()) {
      graph_ready_ = false;
      return synced;
    }
    if (!loaded) {
      std::shared_lock lock(graph_mu_);
      return SaveLocked();
    }
    MaybeSave();
    return Status::Ok();
  }

  // A loaded graph answers options_.graph_file_searches searches from
  // hnsw.bin, then is read into memory (LocalVectorIndexOptions). A failure
  // is logged; searches go on from the file.
  void ReadGraphIntoMemoryAfterFileSearches() {
    {
      std::shared_lock lock(graph_mu_);
      auto* loaded = dynamic_cast<LoadedGraph*>(graph_.get());
      if (loaded == nullptr || loaded->file() == nullptr) return;
      if (file_searches_.fetch_add(1) < options_.graph_file_searches) return;
    }
    std::unique_lock lock(graph_mu_);
    ++graph_version_;
    auto* loaded = dynamic_cast<LoadedGraph*>(graph_.get());
    if (loaded == nullptr || loaded->file() == nullptr) return;
    Status read = loaded->ReadIntoMemory();
    if (!read.ok()) {
      file_searches_ = std::numeric_limits<int64_t>::min() / 2;  // not again soon
      if (options_.logger != nullptr) options_.logger->Warn("index_graph_read_failed", {{"reason", read.message()}});
    }
  }

  std::string DenseDegraded() override {
    if (!rebuilding_) return "";
    return "dense (vector) results are degraded: the vector graph (hnsw.bin) was missing or damaged and is being "
           "rebuilt from index.db in the background; until it is swapped in, results are BM25 keyword matches only";
  }

  Status ReplaceDocument(const std::string& document_id, const std::string& version,
                         const std::vector<IndexedChunk>& chunks, const std::atomic<bool>* cancel) override {
    if (document_id.empty()) return Status::InvalidInput("index: empty document id");
    std::set<std::string> ids;
    std::vector<std::vector<float>> vectors;
    vectors.reserve(chunks.size());
    for (const IndexedChunk& c : chunks) {
      if (c.chunk_id.empty()) return Status::InvalidInput(fmt::format("index: {}: chunk without id", document_id));
      if (!ids.insert(c.chunk_id).second) {
        return Status::InvalidInput(fmt::format("index: {}: duplicate chunk id {}", document_id, c.chunk_id));
      }
      if (!c.document_id.empty() && c.document_id != document_id) {
        return Status::InvalidInput(fmt::format("index: chunk {} belongs to document {}, not {}", c.chunk_id,
                                                c.document_id, document_id));
      }
      if (!c.processing_version.empty() && c.processing_version != version) {
        return Status::InvalidInput(fmt::format("index: chunk {} has version {}, not {}", c.chunk_id,
                                                c.processing_version, version));
      }
      if (c.vector.size() != dimension_) {
        return Status::InvalidInput(fmt::format("index: chunk {} has a vector of dimension {}, the index has dimension {}",
                                                c.chunk_id, c.vector.size(), dimension_));
      }
      if (!AllFinite(c.vector)) {
        return Status::InvalidInput(fmt::format("index: chunk {} has a non-finite vector component", c.chunk_id));
      }
      vectors.push_back(c.vector);
      Normalize(vectors.back().data(), dimension_);
    }
    // A process that loads documents keeps the graph current and saved, so
    // searches find hnsw.bin up to date. While the graph is rebuilt the rows
    // go to SQLite alone: the new graph catches up with them.
    wrote_ = true;
    bool rebuilding = false;
    if (Status graph = EnsureGraph(&rebuilding); !graph.ok() && !rebuilding) return graph;

    std::lock_guard writer_lock(writer_mu_);
    auto txn = writer_->Begin();
    if (!txn.ok()) return txn.status();
    auto meta = ReadMeta(*writer_);
    if (!meta.ok()) return meta.status();
    const int64_t gen = meta->generation + 1;
    DOCPIPE_RETURN_IF_ERROR(DeleteRowsLocked(document_id, gen));
    const int64_t deleted = writer_->Changes();
    auto insert = writer_->Prepare(
        "INSERT INTO chunks (chunk_id, document_id, processing_version, source_key, text, breadcrumbs,"
        " page_start, page_end, type, key_phrases, language, pii_types, vector, entities)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return insert.status();
    auto insert_labels = writer_->Prepare(
        "INSERT INTO chunk_page_labels (label, page_label_start, page_label_end)"
        " SELECT label, ?, ? FROM chunks WHERE chunk_id = ?");
    for (size_t i = 0; i < chunks.size(); ++i) {
      // Uncommitted: a cancel leaves the old version in place.
      if (i % kCancelCheckRows == 0 && cancel != nullptr && cancel->load()) {
        return Status::Cancelled(fmt::format("index: replacing {} cancelled after {} of {} chunks", document_id, i,
                                             chunks.size()));
      }
      const IndexedChunk& c = chunks[i];
      insert->Reset();
      insert->Bind(1, c.chunk_id)
          .Bind(2, document_id)
          .Bind(3, version)
          .Bind(4, c.source_key)
          .Bind(5, c.text)
          .Bind(6, ToJsonArray(c.breadcrumbs))
          .Bind(7, c.page_start)
          .Bind(8, c.page_end)
          .Bind(9, c.type)
          .Bind(10, ToJsonArray(c.key_phrases))
          .Bind(11, c.language)
          .Bind(12, ToJsonArray(c.pii_types))
          .BindBlob(13, vectors[i].data(), vectors[i].size() * sizeof(float))
          .Bind(14, EntitiesJson(c.entities));
      Status s = insert->Run();
      if (s.ok() && (!c.page_label_start.empty() || !c.page_label_end.empty())) {
        if (!insert_labels.ok()) return insert_labels.status();
        insert_labels->Reset();
        s = insert_labels->Bind(1, c.page_label_start).Bind(2, c.page_label_end).Bind(3, c.chunk_id).Run();
      }
      if (!s.ok()) return s.Annotate(fmt::format("index: inserting chunk {}", c.chunk_id));
    }
    // Past the deadline before the commit: rolled back, the old version in
    // place. The commit (and the WAL checkpoint it may run) cannot be cut.
    if (cancel != nullptr && cancel->load()) {
      return Status::Cancelled(fmt::format("index: replacing {} cancelled before its commit", document_id));
    }
    DOCPIPE_RETURN_IF_ERROR(BumpGenerationLocked(*meta, gen));
    DOCPIPE_RETURN_IF_ERROR(CountTermStatisticsChanges(*writer_, deleted + static_cast<int64_t>(chunks.size())));
    DOCPIPE_RETURN_IF_ERROR(txn->Commit());
    // The commit is the point of truth; the graph follows. Past the stage's
    // deadline it stops following: the document is loaded, and whoever needs
    // the graph next catches it up (adding a label again only updates it).
    Status synced = Sync(*writer_, cancel);
    if (synced.code() == Status::Code::kCancelled) return Status::Ok();
    DOCPIPE_RETURN_IF_ERROR(synced);
    MaybeSave();
    MaybeRefreshTermStatisticsLocked(cancel);
    return Status::Ok();
  }

  Status DeleteDocument(const std::string& document_id) override {
    wrote_ = true;
    std::lock_guard writer_lock(writer_mu_);
    auto txn = writer_->Begin();
    if (!txn.ok()) return txn.status();
    auto meta = ReadMeta(*writer_);
    if (!meta.ok()) return meta.status();
    const int64_t gen = meta->generation + 1;
    DOCPIPE_RETURN_IF_ERROR(DeleteRowsLocked(document_id, gen));
    const int64_t deleted = writer_->Changes();
    if (deleted == 0) return Status::Ok();  // nothing to delete; rolls back
    DOCPIPE_RETURN_IF_ERROR(BumpGenerationLocked(*meta, gen));
    DOCPIPE_RETURN_IF_ERROR(CountTermStatisticsChanges(*writer_, deleted));
    DOCPIPE_RETURN_IF_ERROR(txn->Commit());
    DOCPIPE_RETURN_IF_ERROR(Sync(*writer_));
    MaybeSave();
    MaybeRefreshTermStatisticsLocked(nullptr);
    return Status::Ok();
  }

  Result<std::vector<SearchHit>> Search(const SearchQuery& query) override {
    if (query.k <= 0) return Status::InvalidInput(fmt::format("index: k must be positive, got {}", query.k));
    const bool has_vector = !query.vector.empty();
    if (has_vector && query.vector.size() != dimension_) {
      return Status::InvalidInput(fmt::format("index: query vector has dimension {}, the index has dimension {}",
                                              query.vector.size(), dimension_));
    }
    if (has_vector && !AllFinite(query.vector)) {
      return Status::InvalidInput("index: query vector has a non-finite component");
    }
    if (query.mode == SearchMode::kVector && !has_vector) {
      return Status::InvalidInput("index: vector search without a query vector");
    }
    std::vector<float> qvec = query.vector;
    SearchMode mode = query.mode;
    const int k = query.k;
    // Hybrid fuses deeper lists than k: an item ranked modestly in both lists
    // should be able to beat one that tops a single list.
    const int depth = std::max(50, 4 * k);
    if (has_vector) Normalize(qvec.data(), qvec.size());
    // The dense leg: the graph (loaded from hnsw.bin on first need) and, for
    // an unfiltered hybrid search, its neighbours of the query. A hybrid
    // search runs it on a thread of its own while this one runs the keyword
    // leg: in `docpipe search` they cost about the same and are independent
    // until the fusion. The neighbours are the graph's as it was; they are
    // used only if the graph did not change before the snapshot was synced.
    struct DenseLeg {
      Status graph = Status::Ok();
      bool rebuilding = false;
      std::optional<Result<GraphNeighbours>> neighbours;
    };
    const bool speculate = mode == SearchMode::kHybrid && has_vector && query.document_id.empty();
    auto run_dense = [&]() {
      DenseLeg d;
      d.graph = EnsureGraph(&d.rebuilding);  // only vector searches need the graph
      if (!d.graph.ok()) return d;
      ReadGraphIntoMemoryAfterFileSearches();
      if (speculate) d.neighbours = NearestInGraph(qvec.data(), static_cast<size_t>(depth));
      return d;
    };
    std::future<DenseLeg> dense_async;
    std::optional<DenseLeg> dense;
    if (speculate) {
      dense_async = std::async(std::launch::async, run_dense);
    } else if (has_vector) {
      dense = run_dense();
    }
    // Waits for the dense leg (when it runs on its own thread) and falls back
    // to BM25 while the graph is rebuilt.
    auto finish_dense = [&]() -> Status {
      if (dense_async.valid()) dense = dense_async.get();
      if (!dense.has_value() || dense->graph.ok()) return Status::Ok();
      if (!dense->rebuilding) return dense->graph;
      // No graph for minutes: answer from BM25 now rather than wait.
      mode = SearchMode::kKeyword;
      if (!warned_degraded_.exchange(true) && options_.logger != nullptr) {
        options_.logger->Warn("search_dense_degraded", {{"reason", DenseDegraded()}, {"directory", options_.directory}});
      }
      return Status::Ok();
    };
    if (!speculate) DOCPIPE_RETURN_IF_ERROR(finish_dense());

    auto lease = AcquireReader();
    if (!lease.ok()) return lease.status();
    SqliteDb& db = lease->db();
    auto snapshot = BeginRead(db);
    if (!snapshot.ok()) return snapshot.status();
    // The keyword leg of a speculating hybrid search, while the dense one runs;
    // a degraded search keeps its first k (the same rows in the same order
    // as a search for k: the order by score, then label, is total).
    std::optional<Result<std::vector<ScoredLabel>>> keyword_early;
    if (speculate) {
      keyword_early = KeywordCandidates(db, query.text, depth, query.document_id);
      DOCPIPE_RETURN_IF_ERROR(finish_dense());
    }
    int64_t snapshot_gen = -1;
    DOCPIPE_RETURN_IF_ERROR(Sync(db, nullptr, &snapshot_gen));
    const GraphNeighbours* early_neighbours = nullptr;
    if (dense.has_value() && dense->neighbours.has_value()) {
      if (!dense->neighbours->ok()) return dense->neighbours->status();
      early_neighbours = &dense->neighbours->value();
    }
    auto keyword_list = [&](int n) -> Result<std::vector<ScoredLabel>> {
      if (!keyword_early.has_value()) return KeywordCandidates(db, query.text, n, query.document_id);
      if (!keyword_early->ok()) return keyword_early->status();
      std::vector<ScoredLabel> list = std::move(keyword_early->value());
      if (static_cast<int>(list.size()) > n) list.resize(n);
      return list;
    };

    auto lookup = PrepareHitLookup(db);
    std::vector<SearchHit> hits;
    if (mode == SearchMode::kVector) {
      auto list = VectorCandidates(db, qvec, k, query.document_id, snapshot_gen, nullptr);
      if (!list.ok()) return list.status();
      for (size_t i = 0; i < list->size(); ++i) {
        SearchHit h;
        h.score = (*list)[i].score;
        h.vector_rank = static_cast<int>(i + 1);
        DOCPIPE_RETURN_IF_ERROR(AppendHit(lookup, (*list)[i].label, std::move(h), &hits));
      }
    } else if (mode == SearchMode::kKeyword) {
      auto list = keyword_list(k);
      if (!list.ok()) return list.status();
      for (size_t i = 0; i < list->size(); ++i) {
        SearchHit h;
        h.score = (*list)[i].score;
        h.keyword_rank = static_cast<int>(i + 1);
        DOCPIPE_RETURN_IF_ERROR(AppendHit(lookup, (*list)[i].label, std::move(h), &hits));
      }
    } else {
      std::vector<int64_t> vector_labels;
      std::vector<int64_t> keyword_labels;
      if (has_vector) {
        auto list = VectorCandidates(db, qvec, depth, query.document_id, snapshot_gen, early_neighbours);
        if (!list.ok()) return list.status();
        for (const ScoredLabel& s : *list) vector_labels.push_back(s.label);
      }
      auto list = keyword_list(depth);
      if (!list.ok()) return list.status();
      for (const ScoredLabel& s : *list) keyword_labels.push_back(s.label);
      for (const FusedItem& f : FuseReciprocalRank(vector_labels, keyword_labels, options_.rrf_k)) {
        if (static_cast<int>(hits.size()) >= k) break;
        SearchHit h;
        h.score = f.score;
        h.vector_rank = f.vector_rank;
        h.keyword_rank = f.keyword_rank;
        DOCPIPE_RETURN_IF_ERROR(AppendHit(lookup, f.id, std::move(h), &hits));
      }
    }
    if (static_cast<int>(hits.size()) > k) hits.resize(k);
    return hits;
  }

  Result<IndexStats> Stats() override {
    auto lease = AcquireReader();
    if (!lease.ok()) return lease.status();
    auto stmt = lease->db().Prepare("SELECT COUNT(*), COUNT(DISTINCT document_id) FROM chunks");
    if (!stmt.ok()) return stmt.status();
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    IndexStats stats;
    stats.chunks = stmt->ColumnInt(0);
    stats.documents = stmt->ColumnInt(1);
    stats.dimension = static_cast<int>(dimension_);
    return stats;
  }

  // A range of the document's rows by label (insertion order, which is the
  // chunks' order), the page and one more row: SQLite reads only those.
  Result<ChunkPage> ListChunks(const ChunkListQuery& q) override {
    Result<std::string> position = DecodeChunkCursor(q);
    if (!position.ok()) return position.status();
    int64_t after = 0;
    if (!position->empty()) {
      auto [end, ec] = std::from_chars(position->data(), position->data() + position->size(), after);
      if (ec != std::errc() || end != position->data() + position->size() || after < 0) {
        return Status::InvalidInput("cursor: malformed (take next_cursor from the previous page)");
      }
    }
    auto lease = AcquireReader();
    if (!lease.ok()) return lease.status();
    SqliteDb& db = lease->db();
    auto snapshot = BeginRead(db);  // the count and the rows from one snapshot
    if (!snapshot.ok()) return snapshot.status();
    ChunkPage page;
    auto count = db.Prepare("SELECT COUNT(*) FROM chunks WHERE document_id = ?");
    if (!count.ok()) return count.status();
    count->Bind(1, q.document_id);
    auto counted = count->Step();
    if (!counted.ok()) return counted.status();
    page.total = count->ColumnInt(0);
    auto stmt = db.Prepare(std::string("SELECT ") + kChunkColumns + ", c.entities, c.label" + kChunkFrom +
                           " WHERE c.document_id = ? AND c.label > ? ORDER BY c.label LIMIT ?");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, q.document_id).Bind(2, after).Bind(3, q.limit + 1);
    int64_t last_label = 0;
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      if (page.chunks.size() == static_cast<size_t>(q.limit)) {
        page.next_cursor = EncodeChunkCursor(q.document_id, std::to_string(last_label));
        break;
      }
      IndexedChunk c;
      ReadChunkColumns(*stmt, c);
      c.entities = EntitiesFromJson(stmt->ColumnText(kChunkColumnCount));
      last_label = stmt->ColumnInt(kChunkColumnCount + 1);
      page.chunks.push_back(std::move(c));
    }
    return page;
  }

  void ReturnReader(std::unique_ptr<SqliteDb> db) {
    std::lock_guard lock(pool_mu_);
    readers_.push_back(std::move(db));
  }

 private:
  std::string path(const char* name) const { return JoinPath(options_.directory, name); }

  Result<ReaderLease> AcquireReader() {
    {
      std::lock_guard lock(pool_mu_);
      if (!readers_.empty()) {
        std::unique_ptr<SqliteDb> db = std::move(readers_.back());
        readers_.pop_back();
        return ReaderLease(this, std::move(db));
      }
    }
    auto db = SqliteDb::Open(path("index.db"));
    if (!db.ok()) return db.status();
    DOCPIPE_RETURN_IF_ERROR((*db)->Exec(fmt::format("PRAGMA cache_size = {}", kReaderCachePages)));
    DOCPIPE_RETURN_IF_ERROR(RegisterBm25Function(**db));
    return ReaderLease(this, std::move(*db));
  }

  // Logs and deletes every row of `document_id` (all versions); the FTS rows
  // go with them through the delete trigger. Leaves Changes() = rows deleted.
  Status DeleteRowsLocked(const std::string& document_id, int64_t gen) {
    auto log = writer_->Prepare(
        "INSERT INTO deleted_labels (generation, label) SELECT ?, label FROM chunks WHERE document_id = ?");
    if (!log.ok()) return log.status();
    DOCPIPE_RETURN_IF_ERROR(log->Bind(1, gen).Bind(2, document_id).Run());
    auto del = writer_->Prepare("DELETE FROM chunks WHERE document_id = ?");
    if (!del.ok()) return del.status();
    return del->Bind(1, document_id).Run();
  }

  Status BumpGenerationLocked(const Meta& meta, int64_t gen) {
    auto set = writer_->Prepare("UPDATE index_meta SET value = ? WHERE key = ?");
    if (!set.ok()) return set.status();
    DOCPIPE_RETURN_IF_ERROR(set->Bind(1, gen).Bind(2, "generation").Run());
    const int64_t floor = gen - kLogGenerations;
    if (floor > meta.log_floor) {
      auto prune = writer_->Prepare("DELETE FROM deleted_labels WHERE generation <= ?");
      if (!prune.ok()) return prune.status();
      DOCPIPE_RETURN_IF_ERROR(prune->Bind(1, floor).Run());
      set->Reset();
      DOCPIPE_RETURN_IF_ERROR(set->Bind(1, floor).Bind(2, "log_floor").Run());
    }
    return Status::Ok();
  }

  // Recomputes the keyword search's term statistics once they are stale
  // (index/bm25_search.h), after a write's commit. A failure costs only
  // speed (searches ignore stale statistics) and the next write tries again;
  // so does a refresh cut by the write's deadline.
  void MaybeRefreshTermStatisticsLocked(const std::atomic<bool>* cancel) {
    auto due = TermStatisticsDue(*writer_);
    Status s = due.ok() ? (*due ? RefreshTermStatistics(*writer_, cancel) : Status::Ok()) : due.status();
    if (!s.ok() && s.code() != Status::Code::kCancelled && options_.logger != nullptr) {
      options_.logger->Warn("index_term_statistics_failed",
                            {{"directory", options_.directory}, {"error", s.ToString()}});
    }
  }

  // ---- graph maintenance ----------------------------------------------------

  // Brings the graph to the generation `db` sees. Callers that need one
  // snapshot (Search) run it inside their read transaction. Nothing to do
  // while the graph is not loaded: it catches up when it is.
  // `snapshot_gen`, when given, receives the generation `db` sees (-1 while
  // the graph is not loaded).
  Status Sync(SqliteDb& db, const std::atomic<bool>* cancel = nullptr, int64_t* snapshot_gen = nullptr) {
    if (!graph_ready_) return Status::Ok();
    auto meta = ReadMeta(db);
    if (!meta.ok()) return meta.status();
    if (snapshot_gen != nullptr) *snapshot_gen = meta->generation;
    // A graph newer than the snapshot is fine: its extra labels are not in
    // the snapshot and get dropped when resolved.
    {
      std::shared_lock lock(graph_mu_);
      if (graph_ != nullptr && graph_gen_ >= meta->generation) return Status::Ok();
    }
    std::unique_lock lock(graph_mu_);
    ++graph_version_;
    if (graph_ != nullptr && graph_gen_ >= meta->generation) return Status::Ok();
    // Outside a transaction (a writer after COMMIT) the catch-up gets its own
    // snapshot; inside one this nests nothing and reads the caller's.
    std::optional<SqliteTransaction> own;
    if (&db == writer_.get()) {
      auto txn = BeginRead(db);
      if (!txn.ok()) return txn.status();
      own.emplace(std::move(*txn));
      meta = ReadMeta(db);
      if (!meta.ok()) return meta.status();
    }
    return CatchUpLocked(db, *meta, cancel);
  }

  // Cancelled (`cancel` set) leaves graph_gen_ where it was: the next
  // catch-up repeats the work, which is idempotent.
  Status CatchUpLocked(SqliteDb& db, const Meta& meta, const std::atomic<bool>* cancel = nullptr) {
    if (graph_ == nullptr) return RebuildLocked(db, meta);
    // Everything below reads the labels (a loaded graph's are read now).
    if (auto* loaded = dynamic_cast<LoadedGraph*>(graph_.get()); loaded != nullptr && !loaded->labels_read()) {
      auto labels = loaded->IndexLabels();
      if (!labels.ok()) return labels.status();
      max_label_ = *labels;
    }
    int64_t changes = 0;
    if (graph_gen_ >= meta.log_floor) {
      auto stmt = db.Prepare("SELECT label FROM deleted_labels WHERE generation > ?");
      if (!stmt.ok()) return stmt.status();
      stmt->Bind(1, graph_gen_);
      while (true) {
        auto row = stmt->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        changes += MarkDeletedLocked(stmt->ColumnInt(0)) ? 1 : 0;
      }
    } else {
      auto diff = DiffLabelsLocked(db);
      if (!diff.ok()) return diff.status();
      changes += *diff;
    }
    auto added = AddRowsAfter(db, *graph_, max_label_, max_label_, cancel);
    if (!added.ok()) return added.status();
    changes += *added;
    graph_gen_ = meta.generation;
    changes_since_save_ += changes;
    if (graph_->num_deleted_ > std::max(kMinDeletedForRebuild, graph_->cur_element_count - graph_->num_deleted_)) {
      return RebuildLocked(db, meta);
    }
    return Status::Ok();
  }

  // Marks `label` deleted when the graph holds it live; false otherwise
  // (already deleted, or added and removed before this graph saw it).
  bool MarkDeletedLocked(int64_t label) {
    auto it = graph_->label_lookup_.find(static_cast<hnswlib::labeltype>(label));
    if (it == graph_->label_lookup_.end() || graph_->isMarkedDeleted(it->second)) return false;
    if (!OwnGraphMemory(*graph_)) throw std::bad_alloc();
    graph_->markDeletedInternal(it->second);
    return true;
  }

  // Full comparison of the graph's live labels with the table, for a graph
  // older than the deletion log. Returns the number of labels changed.
  Result<int64_t> DiffLabelsLocked(SqliteDb& db) {
    std::unordered_set<int64_t> live;
    auto stmt = db.Prepare("SELECT label FROM chunks");
    if (!stmt.ok()) return stmt.status();
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      live.insert(stmt->ColumnInt(0));
    }
    std::vector<int64_t> gone;
    for (const auto& [label, internal] : graph_->label_lookup_) {
      if (!graph_->isMarkedDeleted(internal) && live.count(static_cast<int64_t>(label)) == 0) {
        gone.push_back(static_cast<int64_t>(label));
      }
    }
    for (int64_t label : gone) MarkDeletedLocked(label);
    return static_cast<int64_t>(gone.size());
  }

  // Adds the rows with labels above `after` in label order, in batches, to
  // `g` (graph_, or a graph being rebuilt aside), raising `max_label`.
  // Cancelled when `cancel` is set.
  Result<int64_t> AddRowsAfter(SqliteDb& db, Graph& g, int64_t& max_label, int64_t after,
                               const std::atomic<bool>* cancel = nullptr) {
    auto stmt = db.Prepare("SELECT label, vector FROM chunks WHERE label > ? ORDER BY label LIMIT ?");
    if (!stmt.ok()) return stmt.status();
    int64_t added = 0;
    std::vector<int64_t> labels;
    std::vector<float> data;
    while (true) {
      labels.clear();
      data.clear();
      stmt->Reset();
      stmt->Bind(1, after).Bind(2, kCatchUpBatch);
      while (true) {
        // Reading a batch's vectors takes a while too on a loaded machine.
        if (labels.size() % kCancelCheckRows == 0 && cancel != nullptr && cancel->load()) {
          return Status::Cancelled("index: reading the vectors to add to the graph cancelled");
        }
        auto row = stmt->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        const int64_t label = stmt->ColumnInt(0);
        std::string_view blob = stmt->ColumnBlob(1);
        if (blob.size() != dimension_ * sizeof(float)) {
          return Status::Internal(fmt::format("index: label {} has a {}-byte vector, expected {}", label,
                                              blob.size(), dimension_ * sizeof(float)));
        }
        labels.push_back(label);
        const size_t at = data.size();
        data.resize(at + dimension_);
        std::memcpy(data.data() + at, blob.data(), blob.size());
        Normalize(data.data() + at, dimension_);
      }
      if (labels.empty()) break;
      DOCPIPE_RETURN_IF_ERROR(AddPoints(g, max_label, labels, data, cancel));
      added += static_cast<int64_t>(labels.size());
      after = labels.back();
      if (static_cast<int>(labels.size()) < kCatchUpBatch) break;
    }
    return added;
  }

  Status AddPoints(Graph& g, int64_t& max_label, const std::vector<int64_t>& labels, const std::vector<float>& data,
                   const std::atomic<bool>* cancel) {
    std::atomic<bool> cancelled{false};
    try {
      if (!OwnGraphMemory(g)) throw std::bad_alloc();
      const size_t need = g.cur_element_count + labels.size();
      if (need > g.max_elements_) g.resizeIndex(std::max(need, g.max_elements_ * 2));
      // hnswlib's addPoint is safe to call concurrently for distinct labels.
      const size_t threads =
          labels.size() < 32 ? 1 : std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
      std::atomic<size_t> next{0};
      std::mutex error_mu;
      std::string error;
      auto work = [&] {
        try {
          for (size_t i = next++; i < labels.size(); i = next++) {
            if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
              cancelled = true;
              break;
            }
            g.addPoint(data.data() + i * dimension_, static_cast<hnswlib::labeltype>(labels[i]));
          }
        } catch (const std::exception& e) {
          std::lock_guard lock(error_mu);
          error = e.what();
          next = labels.size();
        }
      };
      std::vector<std::thread> pool;
      for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
      work();
      for (auto& t : pool) t.join();
      if (!error.empty()) return Status::Internal("index: hnsw add: " + error);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("index: hnsw resize: ") + e.what());
    }
    if (cancelled) return Status::Cancelled("index: graph rebuild cancelled");
    max_label = std::max(max_label, labels.back());
    return Status::Ok();
  }

  // A new graph of every row `db` sees (one snapshot: the caller's read
  // transaction), with its largest label.
  struct BuiltGraph {
    std::unique_ptr<Graph> graph;
    int64_t max_label = 0;
    int64_t added = 0;
  };
  Result<BuiltGraph> BuildGraph(SqliteDb& db, const std::atomic<bool>* cancel) {
    auto count = db.Prepare("SELECT COUNT(*) FROM chunks");
    if (!count.ok()) return count.status();
    auto row = count->Step();
    if (!row.ok()) return row.status();
    const size_t capacity = std::max<size_t>(1024, static_cast<size_t>(count->ColumnInt(0)) * 5 / 4 + 1);
    BuiltGraph built;
    try {
      built.graph = std::make_unique<Graph>(&space_, capacity, options_.hnsw_m, options_.hnsw_ef_construction);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("index: hnsw create: ") + e.what());
    }
    built.graph->setEf(options_.hnsw_ef_search);
    auto added = AddRowsAfter(db, *built.graph, built.max_label, 0, cancel);
    if (!added.ok()) return added.status();
    built.added = *added;
    return built;
  }

  Status RebuildLocked(SqliteDb& db, const Meta& meta) {
    ++graph_version_;
    graph_.reset();
    Result<BuiltGraph> built = BuildGraph(db, nullptr);
    if (!built.ok()) return built.status();
    graph_ = std::move(built->graph);
    max_label_ = built->max_label;
    graph_gen_ = meta.generation;
    changes_since_save_ += built->added + 1;
    return Status::Ok();
  }

  // ---- the background rebuild ------------------------------------------------

  Status RebuildingStatus() const {
    return Status::Unavailable("index: the vector graph is being rebuilt in the background");
  }

  // Called by EnsureGraph (graph_init_mu_ and writer_mu_ held), which then
  // answers RebuildingStatus() until the new graph is in.
  Status StartBackgroundRebuild(int64_t chunks) {
    rebuilding_ = true;
    cancel_rebuild_ = false;
    if (options_.logger != nullptr) {
      options_.logger->Warn("index_graph_rebuilding",
                            {{"directory", options_.directory},
                             {"chunks", chunks},
                             {"reason", "hnsw.bin or hnsw.gen is missing, damaged or stale"},
                             {"meanwhile", "searches answer from BM25 (keyword) alone"}});
    }
    const TimeMs started = options_.clock != nullptr ? options_.clock->NowMs() : 0;
    auto task = [this, chunks, started] { RebuildInBackground(chunks, started); };
    if (options_.run_in_background) {
      options_.run_in_background(task);
    } else {
      if (rebuild_thread_.joinable()) rebuild_thread_.join();  // a cancelled or failed one, finished
      rebuild_thread_ = std::thread(task);
    }
    return RebuildingStatus();
  }

  // Builds a graph aside from its own snapshot of index.db (searches and
  // writes go on meanwhile), swaps it in, lets it catch up with what was
  // written since the snapshot, and saves it (whole, fsync, rename).
  // `started`: when searches began to answer from BM25 alone (the log's
  // duration_ms is how long they did).
  void RebuildInBackground(int64_t chunks, TimeMs started) {
    Status done = [&]() -> Status {
      auto db = SqliteDb::Open(path("index.db"));
      if (!db.ok()) return db.status();
      Result<BuiltGraph> built = Status::Internal("not built");
      Meta meta;
      {
        auto snapshot = BeginRead(**db);
        if (!snapshot.ok()) return snapshot.status();
        auto m = ReadMeta(**db);
        if (!m.ok()) return m.status();
        meta = *m;
        built = BuildGraph(**db, &cancel_rebuild_);
      }
      if (!built.ok()) return built.status();
      std::lock_guard init_lock(graph_init_mu_);
      std::lock_guard writer_lock(writer_mu_);
      {
        std::unique_lock lock(graph_mu_);
        ++graph_version_;
        graph_ = std::move(built->graph);
        max_label_ = built->max_label;
        graph_gen_ = meta.generation;
        changes_since_save_ += built->added + 1;
        graph_ready_ = true;
      }
      Status synced = Sync(*writer_);
      if (!synced.ok()) {
        std::unique_lock lock(graph_mu_);
        ++graph_version_;
        graph_.reset();
        graph_ready_ = false;
        return synced;
      }
      std::shared_lock lock(graph_mu_);
      return SaveLocked();
    }();
    const TimeMs took = options_.clock != nullptr ? options_.clock->NowMs() - started : 0;
    if (options_.logger != nullptr) {
      if (done.ok()) {
        options_.logger->Info("index_graph_rebuilt",
                              {{"directory", options_.directory}, {"chunks", chunks}, {"duration_ms", took}});
      } else {
        // Searches stay on BM25; the next process (or EnsureGraph) tries again.
        options_.logger->Warn("index_graph_rebuild_failed",
                              {{"directory", options_.directory}, {"error", done.ToString()}, {"duration_ms", took}});
      }
    }
    warned_degraded_ = false;
    rebuilding_ = false;
  }

  // Loads hnsw.bin and its generation; false (and no graph) when absent,
  // unreadable or built for another dimension.
  bool LoadPersisted() {
    auto lock = FileLock::Acquire(path("hnsw.lock"), /*exclusive=*/false);
    if (!lock.ok()) return false;
    // hnsw.gen first: it is renamed into place after hnsw.bin, so the bin we
    // then open is at least as new as the generation we read.
    std::ifstream gen_in(path("hnsw.gen"));
    std::string magic;
    int64_t gen = -1;
    size_t dim = 0;
    if (!(gen_in >> magic >> gen >> dim) || magic != "hnsw-gen-v1" || dim != dimension_ || gen < 0) return false;
    if (!std::filesystem::exists(path("hnsw.bin"))) return false;
    auto g = std::make_unique<LoadedGraph>(&space_);
    if (!OpenGraphFile(path("hnsw.bin"), &space_, g.get()).ok()) return false;  // rebuilt, as when missing
    g->setEf(options_.hnsw_ef_search);
    std::unique_lock graph_lock(graph_mu_);
    ++graph_version_;
    graph_ = std::move(g);
    graph_gen_ = gen;
    max_label_ = 0;  // unknown until a catch-up reads the labels (LoadedGraph::IndexLabels)
    saved_gen_ = gen;
    return true;
  }

  void MaybeSave() {
    std::shared_lock lock(graph_mu_);
    if (graph_ == nullptr || graph_gen_ <= saved_gen_.load()) return;
    const int64_t size = static_cast<int64_t>(graph_->cur_element_count);
    if (changes_since_save_.load() < std::max(kMinSaveChanges, size / 4)) return;
    (void)SaveLocked();
  }

  // Writes hnsw.bin (temp + rename) and then hnsw.gen, under the exclusive
  // flock, unless the files already reflect this generation or a newer one.
  // Needs graph_mu_ held (shared suffices: saving only reads the graph).
  Status SaveLocked() {
    // A graph still on disk is unchanged since it was loaded: nothing to save.
    if (auto* loaded = dynamic_cast<LoadedGraph*>(graph_.get()); loaded != nullptr && loaded->file() != nullptr) {
      return Status::Ok();
    }
    std::lock_guard save_lock(save_mu_);
    auto lock = FileLock::Acquire(path("hnsw.lock"), /*exclusive=*/true);
    if (!lock.ok()) return lock.status();
    {
      std::ifstream gen_in(path("hnsw.gen"));
      std::string magic;
      int64_t on_disk = -1;
      size_t dim = 0;
      if (gen_in >> magic >> on_disk >> dim && magic == "hnsw-gen-v1" && dim == dimension_ &&
          on_disk >= graph_gen_ && std::filesystem::exists(path("hnsw.bin"))) {
        saved_gen_ = graph_gen_;
        changes_since_save_ = 0;
        return Status::Ok();
      }
    }
    const std::string suffix = fmt::format(".tmp.{}", ::getpid());
    const std::string bin_tmp = path("hnsw.bin") + suffix;
    const std::string gen_tmp = path("hnsw.gen") + suffix;
    // Until both are renamed, the temporary files are ours to remove.
    auto discard = [&](Status st) {
      std::error_code ec;
      std::filesystem::remove(bin_tmp, ec);
      std::filesystem::remove(gen_tmp, ec);
      return st;
    };
    try {
      graph_->saveIndex(bin_tmp);
    } catch (const std::exception& e) {
      return discard(Status::Internal(std::string("index: hnsw save: ") + e.what()));
    }
    // hnswlib writes through an ofstream whose errors it never looks at: on
    // a full disk it leaves a short (even empty) file and says nothing. So
    // the file must have every byte it should before it may replace a good one.
    const int64_t expected = SavedGraphBytes(*graph_);
    struct stat st {};
    if (::stat(bin_tmp.c_str(), &st) != 0) return discard(ErrnoStatus(errno, "index: stat " + bin_tmp));
    if (st.st_size != expected) {
      // A short write sets errno to what the disk said (ENOSPC, EIO) only by
      // chance: name what is known.
      return discard(Status::Unavailable(
          fmt::format("index: writing {} stopped after {} of {} bytes (disk full or failing?); the previous "
                      "hnsw.bin is kept",
                      bin_tmp, static_cast<int64_t>(st.st_size), expected)));
    }
    {
      const std::string text = fmt::format("hnsw-gen-v1 {} {}\n", graph_gen_, dimension_);
      UniqueFd out(::open(gen_tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (out.get() < 0) return discard(ErrnoStatus(errno, "index: create " + gen_tmp));
      if (::write(out.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        return discard(ErrnoStatus(errno == 0 ? EIO : errno, "index: write " + gen_tmp));
      }
    }
    if (Status synced = FsyncPath(bin_tmp, false); !synced.ok()) return discard(synced);
    if (Status synced = FsyncPath(gen_tmp, false); !synced.ok()) return discard(synced);
    if (::rename(bin_tmp.c_str(), path("hnsw.bin").c_str()) != 0) return ErrnoStatus(errno, "rename " + bin_tmp);
    if (::rename(gen_tmp.c_str(), path("hnsw.gen").c_str()) != 0) return ErrnoStatus(errno, "rename " + gen_tmp);
    DOCPIPE_RETURN_IF_ERROR(FsyncPath(options_.directory, true));
    saved_gen_ = graph_gen_;
    changes_since_save_ = 0;
    return Status::Ok();
  }

  // ---- search ---------------------------------------------------------------

  // The graph's `ask` labels nearest to `q` (at most all of them), nearest
  // first. Unfiltered, a deleted label never comes back (hnswlib skips
  // marked elements).
  Result<GraphNeighbours> NearestInGraph(const float* q, size_t ask) {
    std::shared_lock lock(graph_mu_);
    GraphNeighbours out;
    out.graph_version = graph_version_;
    out.graph_gen = graph_gen_;
    auto searched = SearchGraph(*graph_, q, std::min(ask, static_cast<size_t>(graph_->cur_element_count)));
    if (!searched.ok()) return searched.status();
    std::priority_queue<std::pair<float, hnswlib::labeltype>> found = std::move(searched).value();
    out.nearest.reserve(found.size());
    while (!found.empty()) {
      out.nearest.push_back(found.top());
      found.pop();
    }
    std::reverse(out.nearest.begin(), out.nearest.end());  // the queue pops the farthest first
    return out;
  }

  // Up to `n` live labels nearest to `q`, best first, scored by cosine
  // similarity, restricted to `document_id` when it is not empty.
  // `snapshot_gen` is the generation `db` sees (Sync); `early`, when not
  // null, the unfiltered neighbours of `q` searched before the snapshot was
  // synced (used if the graph has not changed since).
  Result<std::vector<ScoredLabel>> VectorCandidates(SqliteDb& db, const std::vector<float>& q, int n,
                                                    const std::string& document_id, int64_t snapshot_gen,
                                                    const GraphNeighbours* early) {
    std::vector<ScoredLabel> out;
    if (!document_id.empty()) {
      auto count = db.Prepare("SELECT COUNT(*) FROM chunks WHERE document_id = ?");
      if (!count.ok()) return count.status();
      count->Bind(1, document_id);
      auto row = count->Step();
      if (!row.ok()) return row.status();
      const int64_t chunks = count->ColumnInt(0);
      if (chunks == 0) return out;
      if (chunks <= kExactFilterMaxChunks) return ExactDocumentSearch(db, q, n, document_id);
    }
    size_t total = 0;
    {
      std::shared_lock lock(graph_mu_);
      total = graph_->cur_element_count;
      if (early != nullptr && early->graph_version != graph_version_) early = nullptr;
    }
    std::optional<Result<SqliteStatement>> exists;  // prepared when first needed
    // Unfiltered, one pass suffices (a label can only be missing from the
    // snapshot if a newer write already reached this graph). Filtered, the
    // graph is asked for ever more neighbours until n of them match.
    size_t ask = document_id.empty() ? static_cast<size_t>(n) : static_cast<size_t>(n) * 8;
    while (true) {
      out.clear();
      Result<GraphNeighbours> searched = early != nullptr && document_id.empty() ? *early : NearestInGraph(q.data(), ask);
      if (!searched.ok()) return searched.status();
      // A graph at the snapshot's generation holds exactly the snapshot's
      // live labels: an unfiltered search reads no chunk rows for them (a
      // random page of index.db each, from disk when not cached).
      const bool graph_is_snapshot = document_id.empty() && searched->graph_gen == snapshot_gen;
      for (const auto& [dist, label] : searched->nearest) {
        if (!graph_is_snapshot) {
          if (!exists.has_value()) exists.emplace(db.Prepare("SELECT document_id FROM chunks WHERE label = ?"));
          if (!exists->ok()) return exists->status();
          SqliteStatement& stmt = exists->value();
          stmt.Reset();
          stmt.Bind(1, static_cast<int64_t>(label));
          auto row = stmt.Step();
          if (!row.ok()) return row.status();
          if (!*row) continue;
          if (!document_id.empty() && stmt.ColumnText(0) != document_id) continue;
        }
        out.push_back({static_cast<int64_t>(label), 1.0 - static_cast<double>(dist)});
        if (static_cast<int>(out.size()) >= n) break;
      }
      if (document_id.empty() || static_cast<int>(out.size()) >= n || ask >= total) break;
      ask *= 4;
    }
    return out;
  }

  Result<std::vector<ScoredLabel>> ExactDocumentSearch(SqliteDb& db, const std::vector<float>& q, int n,
                                                       const std::string& document_id) {
    auto stmt = db.Prepare("SELECT label, vector FROM chunks WHERE document_id = ?");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, document_id);
    std::vector<ScoredLabel> out;
    std::vector<float> v(dimension_);
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      std::string_view blob = stmt->ColumnBlob(1);
      if (blob.size() != dimension_ * sizeof(float)) continue;
      std::memcpy(v.data(), blob.data(), blob.size());
      Normalize(v.data(), dimension_);
      double dot = 0;
      for (size_t i = 0; i < dimension_; ++i) dot += static_cast<double>(v[i]) * q[i];
      out.push_back({stmt->ColumnInt(0), dot});
    }
    std::sort(out.begin(), out.end(), [](const ScoredLabel& a, const ScoredLabel& b) {
      return a.score != b.score ? a.score > b.score : a.label < b.label;
    });
    if (static_cast<int>(out.size()) > n) out.resize(n);
    return out;
  }

  // Up to `n` labels whose text matches any word of `text`, best BM25 first,
  // scored by BM25 (positive; larger is better): index/bm25_search.h.
  Result<std::vector<ScoredLabel>> KeywordCandidates(SqliteDb& db, const std::string& text, int n,
                                                     const std::string& document_id) {
    auto hits = SearchBm25(db, text, n, document_id);
    if (!hits.ok()) return hits.status();
    std::vector<ScoredLabel> out;
    out.reserve(hits->size());
    for (const KeywordHit& h : *hits) out.push_back({h.label, h.score});
    return out;
  }

  // Resolves `label` through the snapshot and appends the hit; a label with
  // no row (deleted since the graph saw it) is skipped.
  static Result<SqliteStatement> PrepareHitLookup(SqliteDb& db) {
    return db.Prepare(std::string("SELECT ") + kChunkColumns + kChunkFrom + " WHERE c.label = ?");
  }

  // The kChunkColumns of the current row (the first kChunkColumnCount).
  static void ReadChunkColumns(const SqliteStatement& stmt, IndexedChunk& c) {
    c.chunk_id = stmt.ColumnText(0);
    c.document_id = stmt.ColumnText(1);
    c.processing_version = stmt.ColumnText(2);
    c.source_key = stmt.ColumnText(3);
    c.text = stmt.ColumnText(4);
    c.breadcrumbs = FromJsonArray(stmt.ColumnText(5));
    c.page_start = static_cast<int>(stmt.ColumnInt(6));
    c.page_end = static_cast<int>(stmt.ColumnInt(7));
    c.type = stmt.ColumnText(8);
    c.key_phrases = FromJsonArray(stmt.ColumnText(9));
    c.language = stmt.ColumnText(10);
    c.pii_types = FromJsonArray(stmt.ColumnText(11));
    c.page_label_start = stmt.ColumnText(12);
    c.page_label_end = stmt.ColumnText(13);
  }

  static Status AppendHit(Result<SqliteStatement>& stmt, int64_t label, SearchHit hit, std::vector<SearchHit>* hits) {
    if (!stmt.ok()) return stmt.status();
    stmt->Reset();
    stmt->Bind(1, label);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    ReadChunkColumns(*stmt, hit.chunk);
    hits->push_back(std::move(hit));
    return Status::Ok();
  }

  const LocalVectorIndexOptions options_;
  const size_t dimension_;
  DotProductSpace space_;  // distance = 1 - dot product

  std::mutex writer_mu_;  // serializes this instance's writes on writer_
  std::unique_ptr<SqliteDb> writer_;

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<SqliteDb>> readers_;  // idle reader connections

  // Guards the graph and its bookkeeping: searches read under a shared lock,
  // catch-ups and rebuilds write under an exclusive one.
  std::shared_mutex graph_mu_;
  std::mutex graph_init_mu_;              // one EnsureGraph at a time
  std::atomic<bool> graph_ready_{false};  // loaded (or built) and kept in step since
  std::unique_ptr<Graph> graph_;
  int64_t graph_gen_ = -1;  // generation the graph reflects (at least)
  // Bumped (under an exclusive graph_mu_) whenever the graph may change: a
  // search made at one version answers for the graph as long as it holds it.
  int64_t graph_version_ = 0;
  int64_t max_label_ = 0;   // largest label ever added to graph_

  // The background rebuild (EnsureGraph): running, asked to stop, its thread
  // (none when options_.run_in_background runs it).
  std::atomic<bool> rebuilding_{false};
  std::atomic<bool> cancel_rebuild_{false};
  std::atomic<bool> warned_degraded_{false};  // a degraded search was logged since the rebuild began
  std::atomic<bool> wrote_{false};            // this instance changed the index (waits for a rebuild on close)
  std::thread rebuild_thread_;

  std::mutex save_mu_;                        // one save at a time in this process
  std::atomic<int64_t> saved_gen_{-1};        // generation hnsw.bin was last known to hold
  std::atomic<int64_t> changes_since_save_{0};
  std::atomic<int64_t> file_searches_{0};  // searches a loaded graph answered from hnsw.bin
};

ReaderLease::~ReaderLease() {
  if (db_ != nullptr) owner_->ReturnReader(std::move(db_));
}

}  // namespace

Result<VectorIndexPtr> NewLocalVectorIndex(LocalVectorIndexOptions options) {
  if (options.directory.empty()) return Status::InvalidInput("index: empty directory");
  if (options.dimension <= 0 || options.hnsw_m < 2 || options.hnsw_ef_construction <= 0 ||
      options.hnsw_ef_search <= 0 || options.rrf_k < 0) {
    return Status::InvalidInput(fmt::format("index: bad options dimension={} m={} ef_construction={} ef_search={} rrf_k={}",
                                            options.dimension, options.hnsw_m, options.hnsw_ef_construction,
                                            options.hnsw_ef_search, options.rrf_k));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  if (ec) return Status::Internal(fmt::format("index: create {}: {}", options.directory, ec.message()));

  auto db = SqliteDb::Open(JoinPath(options.directory, "index.db"));
  if (!db.ok()) return db.status();
  DOCPIPE_RETURN_IF_ERROR((*db)->EnsureSchema("vector_index", kIndexSchemaVersion, kIndexSchema));
  DOCPIPE_RETURN_IF_ERROR(
      (*db)->EnsureSchema("vector_index_page_labels", kPageLabelsSchemaVersion, kPageLabelsSchema));
  DOCPIPE_RETURN_IF_ERROR(
      (*db)->EnsureSchema("vector_index_term_statistics", kTermStatisticsSchemaVersion, kTermStatisticsSchema));
  auto meta = ReadMeta(**db);
  if (!meta.ok()) return meta.status();
  if (meta->dimension == 0) {  // a new index (a read first: opening an existing one writes nothing)
    auto txn = (*db)->Begin();
    if (!txn.ok()) return txn.status();
    auto init = (*db)->Prepare(
        "INSERT OR IGNORE INTO index_meta (key, value) VALUES ('dimension', ?), ('generation', 0),"
        " ('log_floor', 0)");
    if (!init.ok()) return init.status();
    DOCPIPE_RETURN_IF_ERROR(init->Bind(1, options.dimension).Run());
    DOCPIPE_RETURN_IF_ERROR(txn->Commit());
    meta = ReadMeta(**db);
    if (!meta.ok()) return meta.status();
  }
  if (meta->dimension != options.dimension) {
    return Status::InvalidInput(fmt::format("index: {} holds vectors of dimension {}, options ask for {}",
                                            options.directory, meta->dimension, options.dimension));
  }
  return VectorIndexPtr(std::make_unique<LocalVectorIndex>(std::move(options), std::move(*db)));
}

}  // namespace docpipe
