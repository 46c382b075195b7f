#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace docpipe {

// A read-only HNSW search over hnsw.bin as hnswlib 0.6's saveIndex writes it
// (a header, the level-0 block of one fixed-size record per element: its
// bottom-layer links, vector and label; then per element its upper layers'
// link lists), read with pread rather than mapped or loaded. A search visits
// a few thousand of the file's elements; reading just those keeps a
// `docpipe search` at 250,000 chunks (a 549 MB file) to a few MB of memory,
// where a mapping of the file was charged with nearly all of it (the kernel
// maps page-cache folios whole) and loading it reads it all.
//
// Open() keeps the upper layers' link lists (a few % of the file) in memory;
// SearchKnn() reads each element it computes a distance to, once. It follows
// hnswlib's searchKnn step for step, so it returns the same neighbours and
// distances in the same order (hnswlib/hnswalg.h: searchKnn, and
// searchBaseLayerST as it runs on a graph with deletions; without any the two
// variants visit the same elements). The reader is immutable: concurrent
// searches are safe.
class HnswFile {
 public:
  using DistanceFn = float (*)(const void*, const void*, const void*);  // hnswlib::DISTFUNC<float>
  // As hnswlib's searchKnn: (distance, label), the farthest on top.
  using Neighbours = std::priority_queue<std::pair<float, size_t>>;

  // Opens `file`, whose vectors are `data_size` bytes. Every size in the
  // header and the link lists is checked against the file (read to its end
  // exactly); InvalidInput naming the file and the fault when it is short or
  // inconsistent, an errno Status when it cannot be read.
  static Result<std::unique_ptr<HnswFile>> Open(const std::string& file, size_t data_size);
  ~HnswFile();
  HnswFile(const HnswFile&) = delete;
  HnswFile& operator=(const HnswFile&) = delete;

  // The `k` nearest live elements to `query` with hnswlib's search list
  // size `ef` (max(ef, k) is used, as hnswlib does). A link to no element or
  // a read that fails is an error naming the file, never a crash.
  Result<Neighbours> SearchKnn(const void* query, size_t k, size_t ef, DistanceFn distance,
                               const void* distance_param) const;

  size_t size() const { return count_; }
  // Reads the level-0 block (`bytes`: size() records) into `out`.
  Status ReadLevel0(char* out, size_t bytes) const;

  // hnswlib's header fields, for a graph built from this file.
  struct Header {
    size_t offset_level0 = 0;
    size_t max_elements = 0;
    size_t count = 0;
    size_t size_data_per_element = 0;
    size_t label_offset = 0;
    size_t offset_data = 0;
    int max_level = 0;
    uint32_t enter_point = 0;
    size_t max_m = 0;
    size_t max_m0 = 0;
    size_t m = 0;
    double mult = 0;
    size_t ef_construction = 0;
  };
  const Header& header() const { return header_; }
  // Byte offset of the level-0 block in the file.
  size_t level0_offset() const { return level0_; }
  // Element `id`'s upper layers' link lists as saved (level 1 first, each
  // 1 + maxM words: the count, then the links) into `out`; empty for an
  // element of level 0.
  Status ReadUpperLinks(uint32_t id, std::vector<uint32_t>* out) const;
  const std::string& path() const { return path_; }

 private:
  // The elements of level > 0, in id order, and where their lists start.
  struct Upper {
    uint32_t id;
    uint32_t levels;
    size_t at;  // file offset of its level-1 list
  };

  HnswFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  Status ReadHeaderAndLinks(size_t data_size, size_t file_size);
  Status ReadRecord(uint32_t id, char* out) const;
  Status Damaged(const std::string& what) const;
  const Upper* FindUpper(uint32_t id) const;
  // Element `id`'s list at `level` (> 0) into `out` (1 + maxM words), its
  // count and links checked.
  Status ReadUpperList(uint32_t id, int level, uint32_t* out) const;

  std::string path_;
  int fd_ = -1;
  Header header_;
  size_t count_ = 0;
  size_t level0_ = 0;  // file offset of element 0's record
  size_t links0_words_ = 0;  // 1 + maxM0: the level-0 link list, in 32-bit words
  size_t links_words_ = 0;   // 1 + maxM: one upper layer's link list
  std::vector<Upper> upper_;
};

}  // namespace docpipe
