// A small stand-in for libFuzzer's main, so `make test` runs the fuzz targets
// (tests/fuzz/*_fuzzer.cpp) from the g++ ASan+UBSan build without a second,
// clang-instrumented build of src/ (bench/fuzz/run.sh does that, for long
// coverage-guided campaigns). It has no coverage feedback: it replays every
// seed input, then mutates the inputs it holds for a bounded time (bit flips,
// byte sets, inserts, deletes, duplicated ranges, splices of two inputs,
// dictionary tokens), keeping some of the mutants as parents so the inputs
// drift away from the seeds. The seed is printed and the run is reproducible
// from it.
//
// A crash, sanitizer report or timeout saves the input that caused it under
// the crash folder and prints its path and the command that replays it:
//   TARGET [--seconds=S] [--seed=N] [--dict=FILE] [--crashes=DIR]
//          [--max-len=BYTES] [--timeout=S] PATH...
// PATH: seed files, or folders of them (read in name order). Without
// --seconds (or with 0) the inputs are only replayed: `TARGET crash-file`.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));
extern "C" int __lsan_do_recoverable_leak_check() __attribute__((weak));
extern char** environ;

// UBSan ends the process by itself (-fno-sanitize-recover) without calling
// the death callback of ASan's runtime; aborting instead lets the SIGABRT
// handler save the input. UBSAN_OPTIONS still overrides the other flags.
extern "C" const char* __ubsan_default_options() { return "abort_on_error=1:print_stacktrace=1"; }

namespace {

using Bytes = std::vector<uint8_t>;

struct DriverOptions {
  double seconds = 0;
  uint64_t seed = 1;
  std::string dict;
  std::string crashes = ".";
  size_t max_len = 64 * 1024;
  int timeout_s = 20;
  std::vector<std::string> paths;
};

// What the death callback and the signal handlers save: the input being run.
// Plain globals, because a signal handler can reach nothing else.
const uint8_t* g_current = nullptr;
size_t g_current_size = 0;
char g_crash_path[4096];
char g_self[1024];
std::atomic<int64_t> g_input_started_ms{0};
std::atomic<bool> g_saved{false};

void WriteStderr(const char* s) {
  ssize_t ignored = write(2, s, strlen(s));
  (void)ignored;
}

// Async-signal-safe: open, write, close, and a hand-made name.
void SaveCurrentInput(const char* why) {
  if (g_saved.exchange(true) || g_current == nullptr) return;
  uint64_t h = 1469598103934665603ull;  // FNV-1a names the file after its bytes
  for (size_t i = 0; i < g_current_size; ++i) h = (h ^ g_current[i]) * 1099511628211ull;
  char name[32] = "crash-";
  for (int i = 0; i < 16; ++i) name[6 + i] = "0123456789abcdef"[(h >> (60 - 4 * i)) & 15];
  name[22] = '\0';
  size_t n = strlen(g_crash_path);
  if (n + 24 >= sizeof(g_crash_path)) return;
  g_crash_path[n] = '/';
  memcpy(g_crash_path + n + 1, name, 23);
  int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    size_t off = 0;
    while (off < g_current_size) {
      ssize_t w = write(fd, g_current + off, g_current_size - off);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    close(fd);
  }
  WriteStderr("\n== fuzz driver: ");
  WriteStderr(why);
  WriteStderr("; the input is saved as ");
  WriteStderr(g_crash_path);
  WriteStderr("\n== replay it: ");
  WriteStderr(g_self);
  WriteStderr(" ");
  WriteStderr(g_crash_path);
  WriteStderr("\n");
}

void OnSanitizerDeath() { SaveCurrentInput("a sanitizer report (above)"); }

void OnSignal(int sig) {
  SaveCurrentInput(sig == SIGABRT ? "abort (an uncaught exception or a failed check, above)" : "a fatal signal");
  signal(sig, SIG_DFL);
  raise(sig);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool ReadFile(const std::string& path, Bytes& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// libFuzzer's dictionary format: one token a line, `name="value"` or
// `"value"`, with \\, \" and \xNN escapes; # starts a comment.
bool ReadDictionary(const std::string& path, std::vector<Bytes>& tokens) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    size_t q = line.find('"');
    size_t end = line.rfind('"');
    if (line.empty() || line[0] == '#' || q == std::string::npos || end <= q) continue;
    Bytes token;
    for (size_t i = q + 1; i < end; ++i) {
      if (line[i] == '\\' && i + 1 < end) {
        char c = line[++i];
        if (c == 'x' && i + 2 < end) {
          token.push_back(static_cast<uint8_t>(std::stoi(line.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else {
          token.push_back(static_cast<uint8_t>(c));
        }
      } else {
        token.push_back(static_cast<uint8_t>(line[i]));
      }
    }
    if (!token.empty()) tokens.push_back(std::move(token));
  }
  return true;
}

class Mutator {
 public:
  Mutator(uint64_t seed, size_t max_len, const std::vector<Bytes>& dict) : rng_(seed), max_len_(max_len), dict_(dict) {}

  // 1 to 5 stacked mutations of `parent`; `other` is the splice partner.
  Bytes Mutate(const Bytes& parent, const Bytes& other) {
    Bytes b = parent;
    const int rounds = 1 + static_cast<int>(Below(5));
    for (int i = 0; i < rounds; ++i) MutateOnce(b, other);
    if (b.size() > max_len_) b.resize(max_len_);
    return b;
  }

  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

 private:
  void MutateOnce(Bytes& b, const Bytes& other) {
    static const uint8_t kInteresting[] = {0, 1, 0x7f, 0x80, 0xff, '\n', '"', '<', '{', '%', '\\', ' ', '0', '9'};
    switch (Below(dict_.empty() ? 9 : 11)) {
      case 0:  // flip a bit
        if (!b.empty()) b[Below(b.size())] ^= static_cast<uint8_t>(1u << Below(8));
        break;
      case 1:  // set a byte to something random
        if (!b.empty()) b[Below(b.size())] = static_cast<uint8_t>(Below(256));
        break;
      case 2:  // set a byte to a value parsers care about
        if (!b.empty()) b[Below(b.size())] = kInteresting[Below(sizeof(kInteresting))];
        break;
      case 3: {  // insert 1-8 random or interesting bytes
        size_t at = Below(b.size() + 1), n = 1 + Below(8);
        Bytes ins(n);
        for (uint8_t& c : ins) c = Below(2) ? static_cast<uint8_t>(Below(256)) : kInteresting[Below(sizeof(kInteresting))];
        b.insert(b.begin() + at, ins.begin(), ins.end());
        break;
      }
      case 4: {  // delete a range
        if (b.empty()) break;
        size_t at = Below(b.size()), n = 1 + Below(std::min<size_t>(b.size() - at, 64));
        b.erase(b.begin() + at, b.begin() + at + n);
        break;
      }
      case 5: {  // duplicate a range (repetition, nesting)
        if (b.empty()) break;
        size_t at = Below(b.size()), n = 1 + Below(std::min<size_t>(b.size() - at, 128));
        Bytes range(b.begin() + at, b.begin() + at + n);
        size_t to = Below(b.size() + 1);
        b.insert(b.begin() + to, range.begin(), range.end());
        break;
      }
      case 6: {  // splice: this input's head with the other's tail
        if (other.empty()) break;
        size_t cut = Below(b.size() + 1), from = Below(other.size());
        b.resize(cut);
        b.insert(b.end(), other.begin() + from, other.end());
        break;
      }
      case 7: {  // insert a range of the other input
        if (other.empty()) break;
        size_t from = Below(other.size()), n = 1 + Below(std::min<size_t>(other.size() - from, 256));
        size_t to = Below(b.size() + 1);
        b.insert(b.begin() + to, other.begin() + from, other.begin() + from + n);
        break;
      }
      case 8: {  // an ASCII number made big, negative or empty
        std::vector<size_t> digits;
        for (size_t i = 0; i < b.size(); ++i) if (b[i] >= '0' && b[i] <= '9') digits.push_back(i);
        if (digits.empty()) break;
        static const char* kNumbers[] = {"0", "-1", "4294967296", "99999999999999999999", "2147483647", "-9223372036854775808", "1e308", ""};
        const char* num = kNumbers[Below(8)];
        size_t at = digits[Below(digits.size())];
        b.erase(b.begin() + at);
        b.insert(b.begin() + at, num, num + strlen(num));
        break;
      }
      case 9: {  // insert a dictionary token
        const Bytes& t = dict_[Below(dict_.size())];
        size_t to = Below(b.size() + 1);
        b.insert(b.begin() + to, t.begin(), t.end());
        break;
      }
      default: {  // overwrite with a dictionary token
        const Bytes& t = dict_[Below(dict_.size())];
        size_t to = Below(b.size() + 1);
        for (size_t i = 0; i < t.size(); ++i) {
          if (to + i < b.size()) b[to + i] = t[i]; else b.push_back(t[i]);
        }
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  size_t max_len_;
  const std::vector<Bytes>& dict_;
};

// Runs one input from a heap buffer of exactly its size, so a read past its
// end is an AddressSanitizer report.
void RunOne(const Bytes& input) {
  auto* copy = static_cast<uint8_t*>(malloc(input.empty() ? 1 : input.size()));
  if (!input.empty()) memcpy(copy, input.data(), input.size());
  g_current = copy;
  g_current_size = input.size();
  g_input_started_ms.store(NowMs());
  LLVMFuzzerTestOneInput(copy, input.size());
  g_input_started_ms.store(0);
  g_current = nullptr;
  free(copy);
}

// Leaks: LeakSanitizer looks at the end of the process, when the input that
// leaked is long gone. So the driver checks every second or so (mutated
// inputs only: the seeds are replayed first) and, on a leak, finds the input
// among those run since the last check by bisection, replaying groups of them
// in child processes of its own (a child exits non-zero when its inputs leak).
bool GroupLeaks(const std::vector<std::string>& files, size_t lo, size_t hi) {
  std::vector<std::string> args = {g_self, "--crashes=/dev/null"};
  args.insert(args.end(), files.begin() + static_cast<std::ptrdiff_t>(lo), files.begin() + static_cast<std::ptrdiff_t>(hi));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, g_self, nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  waitpid(pid, &status, 0);
  return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// Writes `inputs` to the crash folder, finds the one that leaks, keeps it as
// leak-<n>, removes the others, and returns its path ("" when no single
// input leaks on its own).
std::string FindLeakingInput(const std::vector<Bytes>& inputs, const std::string& crashes) {
  std::vector<std::string> files;
  for (size_t i = 0; i < inputs.size(); ++i) {
    files.push_back(crashes + "/leak-candidate-" + std::to_string(i));
    std::ofstream(files.back(), std::ios::binary)
        .write(reinterpret_cast<const char*>(inputs[i].data()), static_cast<std::streamsize>(inputs[i].size()));
  }
  size_t lo = 0, hi = files.size();
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (GroupLeaks(files, lo, mid)) hi = mid;
    else lo = mid;
  }
  std::string found;
  if (lo < files.size() && GroupLeaks(files, lo, lo + 1)) {
    found = crashes + "/leak-" + std::to_string(std::hash<std::string>{}(std::string(inputs[lo].begin(), inputs[lo].end())));
    std::rename(files[lo].c_str(), found.c_str());
  }
  for (const std::string& f : files) std::remove(f.c_str());
  return found;
}

bool ParseArgs(int argc, char** argv, DriverOptions& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      size_t n = strlen(name);
      return a.compare(0, n, name) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = value("--seconds=")) o.seconds = std::atof(v);
    else if (const char* v = value("--seed=")) o.seed = std::strtoull(v, nullptr, 10);
    else if (const char* v = value("--dict=")) o.dict = v;
    else if (const char* v = value("--crashes=")) o.crashes = v;
    else if (const char* v = value("--max-len=")) o.max_len = std::strtoull(v, nullptr, 10);
    else if (const char* v = value("--timeout=")) o.timeout_s = std::atoi(v);
    else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "fuzz driver: unknown option %s\n", a.c_str());
      return false;
    } else {
      o.paths.push_back(a);
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  DriverOptions o;
  if (!ParseArgs(argc, argv, o) || o.paths.empty()) {
    std::fprintf(stderr,
                 "usage: %s [--seconds=S] [--seed=N] [--dict=FILE] [--crashes=DIR] [--max-len=BYTES] [--timeout=S] "
                 "PATH...\n",
                 argv[0]);
    return 2;
  }
  snprintf(g_self, sizeof(g_self), "%s", argv[0]);
  std::error_code ec;
  std::filesystem::create_directories(o.crashes, ec);
  snprintf(g_crash_path, sizeof(g_crash_path), "%s", o.crashes.c_str());
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(OnSanitizerDeath);
  signal(SIGABRT, OnSignal);
  signal(SIGSEGV, OnSignal);
  signal(SIGBUS, OnSignal);
  signal(SIGFPE, OnSignal);
  signal(SIGILL, OnSignal);

  // Seeds, in a fixed order.
  std::vector<Bytes> pool;
  for (const std::string& p : o.paths) {
    std::vector<std::string> files;
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path().string());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(p);
    }
    for (const std::string& f : files) {
      Bytes b;
      if (!ReadFile(f, b)) {
        std::fprintf(stderr, "fuzz driver: cannot read %s\n", f.c_str());
        return 2;
      }
      pool.push_back(std::move(b));
    }
  }
  std::vector<Bytes> dict;
  if (!o.dict.empty() && !ReadDictionary(o.dict, dict)) {
    std::fprintf(stderr, "fuzz driver: cannot read the dictionary %s\n", o.dict.c_str());
    return 2;
  }
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);

  // A hung input is a finding too: saved, then the process ends.
  std::thread([timeout_ms = int64_t{o.timeout_s} * 1000] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      int64_t started = g_input_started_ms.load();
      if (started != 0 && NowMs() - started > timeout_ms) {
        SaveCurrentInput("a timeout (one input ran longer than --timeout)");
        _exit(3);
      }
    }
  }).detach();

  const int64_t start = NowMs();
  for (size_t i = 0; i < pool.size(); ++i) RunOne(pool[i]);
  std::fprintf(stderr, "== fuzz driver: replayed %zu seed input(s) in %lld ms\n", pool.size(),
               static_cast<long long>(NowMs() - start));
  if (o.seconds <= 0) return 0;

  if (pool.empty()) pool.push_back({});
  std::fprintf(stderr, "== fuzz driver: mutating for %.1f s, seed %llu (rerun: --seed=%llu), %zu dictionary tokens\n",
               o.seconds, static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.seed),
               dict.size());
  Mutator mutator(o.seed, o.max_len, dict);
  const size_t seeds = pool.size();
  const size_t cap = 2 * seeds + 64;
  const int64_t until = NowMs() + static_cast<int64_t>(o.seconds * 1000);
  uint64_t runs = 0;
  // The seeds' own leaks (if any) are reported at exit; from here on, each
  // check covers the inputs run since the last one.
  const bool check_leaks = __lsan_do_recoverable_leak_check != nullptr && __lsan_do_recoverable_leak_check() == 0;
  std::vector<Bytes> since_check;
  int64_t next_check = NowMs() + 1000;
  auto check = [&] {
    if (!check_leaks || since_check.empty()) return;
    if (__lsan_do_recoverable_leak_check() != 0) {
      std::fprintf(stderr, "== fuzz driver: a leak (above) in one of the last %zu inputs; finding it\n", since_check.size());
      const std::string found = FindLeakingInput(since_check, o.crashes);
      if (found.empty()) {
        std::fprintf(stderr, "== fuzz driver: no single input leaks on its own (state shared between inputs)\n");
      } else {
        std::fprintf(stderr, "== fuzz driver: the leaking input is saved as %s\n== replay it: %s %s\n", found.c_str(),
                     g_self, found.c_str());
      }
      _exit(1);
    }
    since_check.clear();
    next_check = NowMs() + 1000;
  };
  while (NowMs() < until) {
    const Bytes& parent = pool[mutator.Below(pool.size())];
    const Bytes& other = pool[mutator.Below(pool.size())];
    Bytes child = mutator.Mutate(parent, other);
    RunOne(child);
    ++runs;
    if (check_leaks) since_check.push_back(child);
    if (since_check.size() >= 20000 || NowMs() >= next_check) check();
    // Some mutants become parents (replacing older mutants, never seeds), so
    // the inputs drift away from the seeds over several generations.
    if (mutator.Below(8) == 0) {
      if (pool.size() < cap) pool.push_back(std::move(child));
      else pool[seeds + mutator.Below(pool.size() - seeds)] = std::move(child);
    }
  }
  check();
  const double secs = static_cast<double>(NowMs() - start) / 1000.0;
  std::fprintf(stderr, "== fuzz driver: %llu mutated inputs in %.1f s (%.0f/s), no crash\n",
               static_cast<unsigned long long>(runs), secs, static_cast<double>(runs) / secs);
  return 0;
}
