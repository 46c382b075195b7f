// Issue 17: hostile documents, full disks and single bad files, against the
// real binary. Full disks are real: a small tmpfs mounted for the test (root
// is needed to mount one; the test fails, never skips, without it).
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>

#include "e2e/cli_fixture.h"
#include "support/pdf_maker.h"

namespace docpipe::testing {
namespace {

class HardeningTest : public CliTest {
 protected:
  void TearDown() override {
    if (mounted_) ::umount2(Workspace().c_str(), MNT_DETACH);
  }

  // Mounts a tmpfs of `megabytes` as the workspace.
  void MountSmallDisk(int megabytes) {
    ASSERT_EQ(::geteuid(), 0u) << "this test fills a disk for real: it mounts a " << megabytes
                               << " MB tmpfs, which needs root (run the e2e tests as root)";
    std::filesystem::create_directories(Workspace());
    const std::string options = "size=" + std::to_string(megabytes) + "m";
    ASSERT_EQ(::mount("tmpfs", Workspace().c_str(), "tmpfs", 0, options.c_str()), 0)
        << "mount tmpfs on " << Workspace() << ": " << std::strerror(errno);
    mounted_ = true;
  }

  // Fills the workspace's disk but for `keep_kb`.
  void FillDiskBut(int64_t keep_kb) {
    std::string filler = Workspace() + "/filler";
    const std::string cmd = "avail=$(df --output=avail -k '" + Workspace() + "' | tail -1); dd if=/dev/zero of='" +
                            filler + "' bs=1k count=$((avail-" + std::to_string(keep_kb) + ")) 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  // `n` bytes of text that does not compress (so it takes its size on disk).
  static std::string Noise(size_t n) {
    std::mt19937 rng(7);
    std::string out;
    out.reserve(n);
    while (out.size() < n) {
      for (int i = 0; i < 76 && out.size() < n; ++i) out += static_cast<char>('a' + rng() % 26);
      out += '\n';
    }
    return out;
  }

  std::map<std::string, nlohmann::json> ByFile(const nlohmann::json& summary) {
    std::map<std::string, nlohmann::json> by_file;
    for (const auto& d : summary["documents"]) {
      std::string key = d["source_key"];
      by_file[key.substr(key.rfind('/') + 1)] = d;
    }
    return by_file;
  }

  bool mounted_ = false;
};

// Before: ENOSPC while copying one file into the store aborted the batch;
// earlier files stayed PENDING and later ones were never registered.
TEST_F(HardeningTest, AFileThatDoesNotFitFailsAloneAndTheBatchGoesOn) {
  MountSmallDisk(3);
  WriteDoc("a.md", "# Alpha\n\nRivers and stones.\n");
  WriteDoc("big.txt", Noise(5 << 20));
  WriteDoc("c.md", "# Gamma\n\nValleys and clouds.\n");
  ProcessResult r = Docpipe({"ingest", "--json", Docs() + "/a.md", Docs() + "/big.txt", Docs() + "/c.md"}, {}, 120);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out << r.err;
  auto by_file = ByFile(summary);
  EXPECT_EQ(by_file["a.md"]["status"], "COMPLETED") << summary.dump(2);
  EXPECT_EQ(by_file["c.md"]["status"], "COMPLETED") << summary.dump(2);
  ASSERT_EQ(by_file["big.txt"]["status"], "FAILED") << summary.dump(2);
  const std::string error = by_file["big.txt"]["error"];
  EXPECT_NE(error.find("big.txt"), std::string::npos) << error;
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  // It is on record: `status --status FAILED` lists it, so `retry --failed` finds it.
  nlohmann::json failed = DocpipeJson({"status", "--status", "FAILED", "--json"});
  ASSERT_EQ(failed.size(), 1u) << failed.dump(2);
  EXPECT_EQ(failed[0]["last_error"], error);
  EXPECT_FALSE(std::filesystem::exists(StorePath("input/big.txt")));
}

// Before: with the disk full during processing, ingest hung with no message
// and log lines were lost.
TEST_F(HardeningTest, ADiskThatFillsDuringProcessingEndsTheRunWithAClearMessage) {
  MountSmallDisk(3);
  WriteDoc("first.md", "# First\n\nFits.\n");
  ASSERT_EQ(Docpipe({"ingest", Docs() + "/first.md"}).exit_code, 0);
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "River stone granite valley number " + std::to_string(i) + ".\n\n";
  WriteDoc("second.txt", text);  // about 90 KB: its copy fits, its stage outputs do not
  FillDiskBut(300);
  // A short lease, so that the claim a full disk leaves behind expires soon.
  const EnvOverrides env = {{"DOCPIPE_LEASE_SECONDS", "3"}, {"DOCPIPE_RETRY_BASE_MS", "100"}};
  ProcessResult r = Docpipe({"ingest", Docs() + "/second.txt"}, env, 120);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // ended (the harness kills it at 120 s), and said why:
  // either the stage's write failed and the document FAILED naming the disk,
  // or the tables could not be written either and ingest gave up, saying so.
  const bool failed_clearly = r.out.find("No space left on device") != std::string::npos;
  const bool gave_up_clearly = r.err.find("cannot take work from the queue") != std::string::npos &&
                               r.err.find("giving up") != std::string::npos &&
                               r.err.find("disk is full") != std::string::npos;
  EXPECT_TRUE(failed_clearly || gave_up_clearly) << r.out << r.err;
  // Space again: the same command finishes the document.
  std::filesystem::remove(Workspace() + "/filler");
  ProcessResult again = Docpipe({"ingest", "--json", Docs() + "/second.txt"}, env, 120);
  if (failed_clearly) {
    ProcessResult retried = Docpipe({"retry", "--failed", "--json"}, env, 120);
    EXPECT_EQ(retried.exit_code, 0) << retried.out << retried.err;
  } else {
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  }
  EXPECT_EQ(RecordFor("second.txt")["status"], "COMPLETED");
}

// Before: a file named with the store's reserved prefix aborted the batch.
TEST_F(HardeningTest, AFileWithTheReservedTemporaryPrefixFailsAlone) {
  WriteDoc("one.md", "# One\n\nFine.\n");
  WriteDoc(".docpipe-tmp-evil.md", "# Evil\n\nA name the store keeps for itself.\n");
  WriteDoc("two.md", "# Two\n\nFine too.\n");
  ProcessResult r = Docpipe(
      {"ingest", "--json", Docs() + "/one.md", Docs() + "/.docpipe-tmp-evil.md", Docs() + "/two.md"}, {}, 120);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out << r.err;
  auto by_file = ByFile(summary);
  EXPECT_EQ(by_file["one.md"]["status"], "COMPLETED");
  EXPECT_EQ(by_file["two.md"]["status"], "COMPLETED");
  ASSERT_EQ(by_file[".docpipe-tmp-evil.md"]["status"], "FAILED") << summary.dump(2);
  EXPECT_NE(by_file[".docpipe-tmp-evil.md"]["error"].get<std::string>().find("reserved prefix"), std::string::npos);
}

// Before: no limits at all (a 104 KB PDF made 34,800 chunks and 822 MB RSS).
TEST_F(HardeningTest, EachDocumentLimitFailsItsDocumentAtOnceNamingTheLimit) {
  std::filesystem::create_directories(Docs());
  PdfSpec five;
  for (int p = 1; p <= 5; ++p) five.pages.push_back(PdfPageBuilder().Line("Page " + std::to_string(p)).Build());
  ASSERT_TRUE(MakePdf(five, Docs() + "/five-pages.pdf").ok());
  WriteDoc("large.txt", std::string(30'000, 'x') + "\n");
  std::string sections;
  for (int s = 1; s <= 12; ++s) {
    sections += "# Section " + std::to_string(s) + "\n\n";
    for (int w = 0; w < 150; ++w) sections += "word" + std::to_string(s * 1000 + w) + " ";
    sections += "\n\n";
  }
  WriteDoc("chunky.md", sections);
  WriteDoc("fine.md", "# Fine\n\nSmall and well within every limit.\n");
  ProcessResult r = Docpipe({"ingest", "--json", "--max-pages", "3", "--max-bytes", "20000", "--max-chunks", "5",
                             Docs()},
                            {}, 120);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out << r.err;
  auto by_file = ByFile(summary);
  EXPECT_EQ(by_file["fine.md"]["status"], "COMPLETED");
  for (const auto& [file, limit] : std::map<std::string, std::string>{
           {"five-pages.pdf", "max_pages"}, {"large.txt", "max_bytes"}, {"chunky.md", "max_chunks"}}) {
    const nlohmann::json& d = by_file[file];
    ASSERT_EQ(d.value("status", ""), "FAILED") << file << ": " << d.dump();
    const std::string error = d["error"];
    EXPECT_NE(error.find(file), std::string::npos) << error;
    EXPECT_NE(error.find("over the document limit " + limit), std::string::npos) << error;
    EXPECT_EQ(d["retry_count"], 0) << file << ": over a limit is not transient";
  }
  // The same limits from the environment, and characters.
  WriteDoc("more/wordy.md", "# Wordy\n\n" + std::string(5'000, 'y') + "\n");
  nlohmann::json env_run = nlohmann::json::parse(
      Docpipe({"ingest", "--json", Docs() + "/more"}, {{"DOCPIPE_MAX_CHARS", "1000"}}).out, nullptr, false);
  ASSERT_FALSE(env_run.is_discarded());
  EXPECT_NE(env_run["documents"][0]["error"].get<std::string>().find("max_chars"), std::string::npos)
      << env_run.dump(2);
}

// Before: a 104 KB PDF of 300 dense pages made 34,800 chunks. Its text is
// hundreds of times its size: the expansion limit stops it early.
TEST_F(HardeningTest, ADocumentThatExpandsFarBeyondItsSizeFailsEarly) {
  std::filesystem::create_directories(Docs());
  PdfSpec dense;
  const std::string line(120, 'w');
  for (int p = 0; p < 120; ++p) {
    PdfPageSpec page;
    for (int l = 0; l < 90; ++l) page.runs.push_back({20, 780.0 - l * 8.5, 4, PdfFont::kSerif, line});
    dense.pages.push_back(page);
  }
  const std::string plain = Docs() + "/dense-plain.pdf", packed = Docs() + "/dense.pdf";
  ASSERT_TRUE(MakePdf(dense, plain).ok());
  const std::string qpdf = "qpdf --compress-streams=y --recompress-flate --object-streams=generate '" + plain +
                           "' '" + packed + "'";
  ASSERT_EQ(std::system(qpdf.c_str()), 0) << qpdf;
  std::filesystem::remove(plain);
  const int64_t size = static_cast<int64_t>(std::filesystem::file_size(packed));
  ProcessResult r = Docpipe({"ingest", "--json", "--max-expansion-ratio", "20", packed}, {}, 120);
  nlohmann::json summary = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out << r.err;
  const nlohmann::json& d = summary["documents"][0];
  ASSERT_EQ(d["status"], "FAILED") << d.dump() << " (source " << size << " bytes)";
  EXPECT_NE(d["error"].get<std::string>().find("over the document limit max_expansion_ratio"), std::string::npos)
      << d["error"];
}

// Before: escape sequences and U+202E in file names reached the terminal raw.
TEST_F(HardeningTest, NamesWithEscapeSequencesAndBidiOverridesArePrintedEscaped) {
  const std::string name = "evil\x1b[2J\xE2\x80\xAEtxt.md";
  WriteDoc(name, "# Evil name\n\nHarmless text.\n");
  ProcessResult r = Docpipe({"ingest", Docs() + "/" + name});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ProcessResult status = Docpipe({"status"});
  for (const ProcessResult* p : {&r, &status}) {
    EXPECT_EQ(p->out.find('\x1b'), std::string::npos) << p->out;
    EXPECT_EQ(p->out.find("\xE2\x80\xAE"), std::string::npos) << p->out;
    EXPECT_NE(p->out.find("evil\\x1b[2J\\u202etxt.md"), std::string::npos) << p->out;
  }
}

// Before: --insecure-no-auth was accepted together with --bind 0.0.0.0.
TEST_F(HardeningTest, InsecureNoAuthIsRefusedOffLoopback) {
  for (const char* bind : {"0.0.0.0", "::", "192.0.2.1"}) {
    ProcessResult r = Docpipe({"serve", "--insecure-no-auth", "--bind", bind, "--port", "0"}, {}, 30);
    EXPECT_EQ(r.exit_code, 2) << bind << ": " << r.err;
    EXPECT_NE(r.err.find("--insecure-no-auth is allowed only on a loopback address"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace docpipe::testing
