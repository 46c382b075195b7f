// How to read one PDF's pages on several threads with MuPDF, measured:
//   own:    one fz_context and one open document per thread (what the PDF
//           extractor does);
//   cloned: contexts cloned from one made with lock functions (fz_clone_context),
//           so the threads share one resource store, each with its own document.
// Each thread takes pages from a shared counter and builds their structured
// text. Prints wall time per mode and thread count, and peak RSS per process.
// Usage: mupdf_contexts own|cloned THREADS FILE.pdf
#include <mupdf/fitz.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::mutex g_locks[FZ_LOCK_MAX];
void Lock(void*, int lock) { g_locks[lock].lock(); }
void Unlock(void*, int lock) { g_locks[lock].unlock(); }

constexpr size_t kStore = 64u << 20;

int PageCount(fz_context* ctx, const char* path) {
  fz_document* doc = fz_open_document(ctx, path);
  const int n = fz_count_pages(ctx, doc);
  fz_drop_document(ctx, doc);
  return n;
}

void ReadPages(fz_context* ctx, const char* path, std::atomic<int>* next, int pages, size_t* chars) {
  fz_document* doc = fz_open_document(ctx, path);
  for (int i; (i = next->fetch_add(1)) < pages;) {
    fz_stext_options opts = {0, 1.0f};
    fz_stext_page* text = nullptr;
    fz_var(text);
    fz_try(ctx) text = fz_new_stext_page_from_page_number(ctx, doc, i, &opts);
    fz_catch(ctx) continue;
    for (fz_stext_block* b = text->first_block; b; b = b->next)
      if (b->type == FZ_STEXT_BLOCK_TEXT)
        for (fz_stext_line* l = b->u.t.first_line; l; l = l->next)
          for (fz_stext_char* c = l->first_char; c; c = c->next) ++*chars;
    fz_drop_stext_page(ctx, text);
  }
  fz_drop_document(ctx, doc);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || (std::strcmp(argv[1], "own") != 0 && std::strcmp(argv[1], "cloned") != 0)) {
    std::fprintf(stderr, "usage: mupdf_contexts own|cloned THREADS FILE.pdf\n");
    return 2;
  }
  const bool cloned = std::strcmp(argv[1], "cloned") == 0;
  const int threads = std::max(1, std::atoi(argv[2]));
  const char* path = argv[3];
  fz_locks_context locks = {nullptr, Lock, Unlock};
  fz_context* base = fz_new_context(nullptr, cloned ? &locks : nullptr, kStore);
  fz_register_document_handlers(base);
  const int pages = PageCount(base, path);
  std::atomic<int> next{0};
  std::vector<size_t> chars(static_cast<size_t>(threads), 0);
  std::vector<fz_context*> contexts;
  for (int t = 0; t < threads; ++t) {
    fz_context* ctx = cloned ? fz_clone_context(base) : fz_new_context(nullptr, nullptr, kStore / threads);
    if (!cloned) fz_register_document_handlers(ctx);
    contexts.push_back(ctx);
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(ReadPages, contexts[t], path, &next, pages, &chars[t]);
  for (std::thread& t : pool) t.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t total = 0;
  for (size_t c : chars) total += c;
  for (fz_context* ctx : contexts) fz_drop_context(ctx);
  fz_drop_context(base);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  std::printf("%-6s threads=%d pages=%d chars=%zu  %.3f s  %.0f pages/s  cpu=%.2f s  peak_rss_mb=%.1f\n", argv[1],
              threads, pages, total, s, pages / s, cpu, ru.ru_maxrss / 1024.0);
  return 0;
}
