#include "index/hnsw_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "common/posix_error.h"

namespace docpipe {
namespace {

// hnswlib's saveIndex header: 6 size_t, an int, a uint32, 3 size_t, a
// double, a size_t.
constexpr size_t kHnswHeaderBytes = 6 * 8 + 4 + 4 + 3 * 8 + 8 + 8;
constexpr uint32_t kHnswDeleteMark = 0x01;
constexpr size_t kHnswSizeWordsPerRead = 16 * 1024;  // 64 KB at a time  // hnswlib's DELETE_MARK, in byte 2 of the level-0 count word

// Reads exactly `n` bytes at `offset`; false with errno (0: end of file).
bool PreadFully(int fd, void* out, size_t n, size_t offset) {
  char* p = static_cast<char*>(out);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (got == 0) errno = 0;
      return false;
    }
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<size_t>(got);
  }
  return true;
}

// The element count of a link list (hnswlib's getListCount: the low 16 bits).
uint32_t LinkCount(uint32_t word) { return word & 0xffffu; }

}  // namespace

HnswFile::~HnswFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status HnswFile::Damaged(const std::string& what) const {
  return Status::InvalidInput(fmt::format("{}: damaged HNSW graph file: {}", path_, what));
}

Result<std::unique_ptr<HnswFile>> HnswFile::Open(const std::string& file, size_t data_size) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open " + file);
  std::unique_ptr<HnswFile> f(new HnswFile(file, fd));
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, "stat " + file);
  // A search reads a few thousand records scattered over the file: from a
  // cold cache, reading ahead around each would read far more than it uses.
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
  DOCPIPE_RETURN_IF_ERROR(f->ReadHeaderAndLinks(data_size, static_cast<size_t>(st.st_size)));
  return f;
}

Status HnswFile::ReadHeaderAndLinks(size_t data_size, size_t file_size) {
  if (file_size < kHnswHeaderBytes) {
    return Damaged(fmt::format("{} bytes, shorter than the {}-byte header", file_size, kHnswHeaderBytes));
  }
  char head[kHnswHeaderBytes];
  if (!PreadFully(fd_, head, sizeof head, 0)) return ErrnoStatus(errno == 0 ? EIO : errno, "read " + path_);
  size_t pos = 0;
  auto pod = [&](auto& v) {
    std::memcpy(&v, head + pos, sizeof v);
    pos += sizeof v;
  };
  Header& h = header_;
  pod(h.offset_level0);
  pod(h.max_elements);
  pod(h.count);
  pod(h.size_data_per_element);
  pod(h.label_offset);
  pod(h.offset_data);
  pod(h.max_level);
  pod(h.enter_point);
  pod(h.max_m);
  pod(h.max_m0);
  pod(h.m);
  pod(h.mult);
  pod(h.ef_construction);

  constexpr size_t kMaxLinks = 0xffff;  // a link list's count is 16 bits
  if (h.max_m0 == 0 || h.max_m0 > kMaxLinks || h.max_m == 0 || h.max_m > kMaxLinks || !(h.mult > 0) ||
      h.max_level < -1 || h.max_level > 64) {  // -1: an empty graph's
    return Damaged(fmt::format("bad header (maxM0 {}, maxM {}, mult {}, max level {})", h.max_m0, h.max_m, h.mult,
                               h.max_level));
  }
  links0_words_ = 1 + h.max_m0;
  links_words_ = 1 + h.max_m;
  const size_t rest = file_size - kHnswHeaderBytes;
  // The record: level-0 links, then the vector, then the 8-byte label.
  if (h.size_data_per_element == 0 ||
      h.offset_level0 > h.size_data_per_element || h.offset_level0 % 4 != 0 ||
      links0_words_ * 4 > h.size_data_per_element - h.offset_level0 || h.offset_data % 4 != 0 ||
      h.offset_data < h.offset_level0 + links0_words_ * 4 ||
      h.offset_data > h.size_data_per_element || data_size > h.size_data_per_element - h.offset_data ||
      h.label_offset != h.offset_data + data_size || h.label_offset + 8 > h.size_data_per_element) {
    return Damaged(fmt::format("record layout (size {}, links at {}, vector at {}, label at {}) does not fit "
                               "vectors of {} bytes",
                               h.size_data_per_element, h.offset_level0, h.offset_data, h.label_offset, data_size));
  }
  if (h.count > h.max_elements || h.count > std::numeric_limits<uint32_t>::max() ||
      h.count > rest / h.size_data_per_element || (h.count > 0 && h.enter_point >= h.count)) {
    return Damaged(fmt::format("{} elements (capacity {}, entry point {}) in a file of {} bytes", h.count,
                               h.max_elements, h.enter_point, file_size));
  }
  count_ = h.count;
  level0_ = kHnswHeaderBytes;

  // The upper layers: per element a 4-byte size, then that many bytes of
  // link lists (whole 4-byte words); the file ends with the last of them.
  // Only where each element's lists start is kept: a search reads the few
  // it follows (a copy of them all cost a few ms per `docpipe search`).
  const size_t list_bytes = links_words_ * 4;
  size_t at = level0_ + count_ * h.size_data_per_element;
  std::vector<uint32_t> buffer(kHnswSizeWordsPerRead);
  size_t buffer_at = at, buffer_end = at;  // the file range buffer holds
  int enter_level = 0;
  for (size_t i = 0; i < count_; ++i) {
    if (at + 4 > buffer_end) {
      if (at >= file_size) return Damaged(fmt::format("upper layers' link lists end early, at element {}", i));
      const size_t n = std::min(buffer.size() * 4, (file_size - at) & ~size_t{3});
      if (n == 0) return Damaged(fmt::format("upper layers' link lists end inside a word, at element {}", i));
      if (!PreadFully(fd_, buffer.data(), n, at)) return ErrnoStatus(errno == 0 ? EIO : errno, "read " + path_);
      buffer_at = at;
      buffer_end = at + n;
    }
    const uint32_t n = buffer[(at - buffer_at) / 4];
    at += 4;
    if (n == 0) continue;
    const size_t level = n / list_bytes;
    if (n % list_bytes != 0 || level > static_cast<size_t>(h.max_level) || n > file_size - at) {
      return Damaged(fmt::format("element {}: upper link lists of {} bytes at {} (lists of {} bytes, max level {})",
                                 i, n, at - 4, list_bytes, h.max_level));
    }
    upper_.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(level), at});
    at += n;
    if (i == h.enter_point) enter_level = static_cast<int>(level);
  }
  if (at != file_size) return Damaged(fmt::format("{} bytes after the last link list", file_size - at));
  if (count_ > 0 && enter_level != h.max_level) {
    return Damaged(fmt::format("entry point {} has level {}, the graph {}", h.enter_point, enter_level, h.max_level));
  }
  return Status::Ok();
}

const HnswFile::Upper* HnswFile::FindUpper(uint32_t id) const {
  auto it = std::lower_bound(upper_.begin(), upper_.end(), id,
                             [](const Upper& u, uint32_t wanted) { return u.id < wanted; });
  return it == upper_.end() || it->id != id ? nullptr : &*it;
}

Status HnswFile::ReadUpperLinks(uint32_t id, std::vector<uint32_t>* out) const {
  out->clear();
  const Upper* u = FindUpper(id);
  if (u == nullptr) return Status::Ok();
  out->resize(u->levels * links_words_);
  if (!PreadFully(fd_, out->data(), out->size() * 4, u->at)) {
    if (errno == 0) return Damaged(fmt::format("element {}'s upper link lists are past the end", id));
    return ErrnoStatus(errno, "read " + path_);
  }
  return Status::Ok();
}

Status HnswFile::ReadUpperList(uint32_t id, int level, uint32_t* out) const {
  const Upper* u = FindUpper(id);
  if (u == nullptr || u->levels < static_cast<uint32_t>(level)) {
    return Damaged(fmt::format("element {} is linked at level {} but has fewer levels", id, level));
  }
  if (!PreadFully(fd_, out, links_words_ * 4, u->at + static_cast<size_t>(level - 1) * links_words_ * 4)) {
    if (errno == 0) return Damaged(fmt::format("element {}'s upper link lists are past the end", id));
    return ErrnoStatus(errno, "read " + path_);
  }
  const uint32_t links = LinkCount(out[0]);
  if (links > header_.max_m) return Damaged(fmt::format("element {}: {} links at level {}", id, links, level));
  for (uint32_t j = 1; j <= links; ++j) {
    if (out[j] >= count_) return Damaged(fmt::format("element {}: a link to element {} of {}", id, out[j], count_));
  }
  return Status::Ok();
}

Status HnswFile::ReadRecord(uint32_t id, char* out) const {
  const size_t size = header_.size_data_per_element;
  if (!PreadFully(fd_, out, size, level0_ + static_cast<size_t>(id) * size)) {
    if (errno == 0) return Damaged(fmt::format("element {} is past the end", id));
    return ErrnoStatus(errno, "read " + path_);
  }
  return Status::Ok();
}

Status HnswFile::ReadLevel0(char* out, size_t bytes) const {
  if (bytes > count_ * header_.size_data_per_element) return Status::Internal("hnsw: level-0 read past the block");
  if (!PreadFully(fd_, out, bytes, level0_)) {
    if (errno == 0) return Damaged("the level-0 block is past the end");
    return ErrnoStatus(errno, "read " + path_);
  }
  return Status::Ok();
}

Result<HnswFile::Neighbours> HnswFile::SearchKnn(const void* query, size_t k, size_t ef, DistanceFn distance,
                                                 const void* distance_param) const {
  Neighbours result;
  if (count_ == 0) return result;
  const Header& h = header_;
  // One record at a time, 4-byte aligned (the vector starts at a multiple of 4).
  std::vector<uint32_t> record((h.size_data_per_element + 3) / 4);
  char* const rec = reinterpret_cast<char*>(record.data());
  const char* const vec = rec + h.offset_data;

  // The upper layers: greedy, as hnswlib's searchKnn.
  uint32_t current = h.enter_point;
  DOCPIPE_RETURN_IF_ERROR(ReadRecord(current, rec));
  float current_distance = distance(query, vec, distance_param);
  std::vector<uint32_t> list(links_words_);
  for (int level = h.max_level; level > 0; --level) {
    bool changed = true;
    while (changed) {
      changed = false;
      DOCPIPE_RETURN_IF_ERROR(ReadUpperList(current, level, list.data()));
      const uint32_t size = LinkCount(list[0]);
      for (uint32_t i = 1; i <= size; ++i) {
        const uint32_t candidate = list[i];
        DOCPIPE_RETURN_IF_ERROR(ReadRecord(candidate, rec));
        const float d = distance(query, vec, distance_param);
        if (d < current_distance) {
          current_distance = d;
          current = candidate;
          changed = true;
        }
      }
    }
  }

  // The bottom layer: hnswlib's searchBaseLayerST<has_deletions = true>,
  // with the same queues so that ties fall the same way.
  using Pair = std::pair<float, uint32_t>;
  struct ByFirst {
    bool operator()(const Pair& a, const Pair& b) const noexcept { return a.first < b.first; }
  };
  std::priority_queue<Pair, std::vector<Pair>, ByFirst> top;
  std::priority_queue<Pair, std::vector<Pair>, ByFirst> candidates;
  const size_t width = std::max(ef, k);
  std::vector<bool> visited(count_);
  // What the search keeps of an element it queued: its level-0 links and label.
  struct Kept {
    size_t links;  // offset in kept_links
    uint64_t label;
  };
  std::unordered_map<uint32_t, Kept> kept;
  std::vector<uint32_t> kept_links;
  auto keep = [&](uint32_t id) {
    Kept k{kept_links.size(), 0};
    const uint32_t* links = reinterpret_cast<const uint32_t*>(rec + h.offset_level0);
    kept_links.insert(kept_links.end(), links, links + links0_words_);
    std::memcpy(&k.label, rec + h.label_offset, sizeof k.label);
    kept.emplace(id, k);
  };
  auto deleted = [&]() {
    uint32_t word = 0;
    std::memcpy(&word, rec + h.offset_level0, 4);
    return ((word >> 16) & kHnswDeleteMark) != 0;
  };

  DOCPIPE_RETURN_IF_ERROR(ReadRecord(current, rec));
  float lower_bound;
  if (!deleted()) {
    const float d = distance(query, vec, distance_param);
    lower_bound = d;
    top.emplace(d, current);
    candidates.emplace(-d, current);
  } else {
    lower_bound = std::numeric_limits<float>::max();
    candidates.emplace(-lower_bound, current);
  }
  keep(current);
  visited[current] = true;

  while (!candidates.empty()) {
    const Pair node = candidates.top();
    if (-node.first > lower_bound && top.size() == width) break;
    candidates.pop();
    const Kept& at = kept.at(node.second);
    const size_t links_at = at.links;
    const uint32_t size = LinkCount(kept_links[links_at]);
    if (size > h.max_m0) return Damaged(fmt::format("element {}: {} links at level 0", node.second, size));
    for (uint32_t j = 1; j <= size; ++j) {
      const uint32_t candidate = kept_links[links_at + j];  // kept_links may grow below: index, no pointer
      if (candidate >= count_) {
        return Damaged(fmt::format("element {}: a link to element {} of {}", node.second, candidate, count_));
      }
      if (visited[candidate]) continue;
      visited[candidate] = true;
      DOCPIPE_RETURN_IF_ERROR(ReadRecord(candidate, rec));
      const float d = distance(query, vec, distance_param);
      if (top.size() < width || lower_bound > d) {
        candidates.emplace(-d, candidate);
        keep(candidate);
        if (!deleted()) top.emplace(d, candidate);
        if (top.size() > width) top.pop();
        if (!top.empty()) lower_bound = top.top().first;
      }
    }
  }

  while (top.size() > k) top.pop();
  while (!top.empty()) {
    result.emplace(top.top().first, static_cast<size_t>(kept.at(top.top().second).label));
    top.pop();
  }
  return result;
}

}  // namespace docpipe
