#include "object_store/object_store.h"

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "object_store/local_object_store.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

namespace fs = std::filesystem;

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = NewLocalObjectStore(root());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  std::string root() const { return dir_.Join("store"); }

  // Every file under the root whose name marks an unfinished Put.
  std::vector<std::string> TempFiles() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root())) {
      if (e.path().filename().string().rfind(".docpipe-tmp-", 0) == 0) out.push_back(e.path().string());
    }
    return out;
  }
  static std::vector<std::string> Keys(const std::vector<ObjectInfo>& infos) {
    std::vector<std::string> keys;
    for (const auto& i : infos) keys.push_back(i.key);
    return keys;
  }

  testing::TempDir dir_;
  ObjectStorePtr store_;
};

TEST_F(LocalObjectStoreTest, PutGetOverwrite) {
  std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(store_->Put("input/x/a.bin", binary).ok());
  EXPECT_EQ(*store_->Get("input/x/a.bin"), binary);
  EXPECT_EQ(testing::ReadFile(root() + "/input/x/a.bin"), binary) << "laid out as the key says";
  ASSERT_TRUE(store_->Put("input/x/a.bin", "second").ok());
  EXPECT_EQ(*store_->Get("input/x/a.bin"), "second");
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
  EXPECT_TRUE(TempFiles().empty());
}

TEST_F(LocalObjectStoreTest, PutFileCopiesContent) {
  std::string src = dir_.Join("src.pdf");
  std::string content(300'000, 'p');
  content[12345] = 'q';
  testing::WriteFile(src, content);
  ASSERT_TRUE(store_->PutFile("input/doc.pdf", src).ok());
  EXPECT_EQ(*store_->Get("input/doc.pdf"), content);
  EXPECT_TRUE(fs::exists(src)) << "the source stays";
  Status s = store_->PutFile("input/missing.pdf", dir_.Join("nope.pdf"));
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(store_->Head("input/missing.pdf").status().IsNotFound());
  EXPECT_TRUE(TempFiles().empty());
}

TEST_F(LocalObjectStoreTest, ReadersNeverSeeAPartialObject) {
  const std::string a(200'000, 'a'), b(50'000, 'b');
  ASSERT_TRUE(store_->Put("hot", a).ok());
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto got = store_->Get("hot");
      if (!got.ok() || (*got != a && *got != b)) ++torn;
      ++reads;
    }
  });
  for (int i = 0; i < 80; ++i) ASSERT_TRUE(store_->Put("hot", i % 2 ? a : b).ok());
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_GT(reads.load(), 0);
  EXPECT_TRUE(TempFiles().empty());
}

TEST_F(LocalObjectStoreTest, GetRange) {
  ASSERT_TRUE(store_->Put("r", "0123456789").ok());
  EXPECT_EQ(*store_->GetRange("r", 2, 3), "234");
  EXPECT_EQ(*store_->GetRange("r", 0, 10), "0123456789");
  EXPECT_EQ(*store_->GetRange("r", 8, 100), "89") << "fewer at the end";
  EXPECT_EQ(*store_->GetRange("r", 10, 5), "");
  EXPECT_EQ(*store_->GetRange("r", 50, 5), "");
  EXPECT_EQ(*store_->GetRange("r", 3, 0), "");
  EXPECT_EQ(store_->GetRange("r", -1, 5).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(store_->GetRange("r", 0, -5).status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(store_->GetRange("nope", 0, 5).status().IsNotFound());
}

TEST_F(LocalObjectStoreTest, HeadSizeAndEtag) {
  ASSERT_TRUE(store_->Put("h", "12345").ok());
  auto h1 = store_->Head("h");
  ASSERT_TRUE(h1.ok());
  EXPECT_EQ(h1->key, "h");
  EXPECT_EQ(h1->size, 5);
  EXPECT_FALSE(h1->etag.empty());
  EXPECT_EQ(store_->Head("h")->etag, h1->etag) << "stable while unchanged";
  ASSERT_TRUE(store_->Put("h", "abcde").ok());  // same size, new content
  auto h2 = store_->Head("h");
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(h2->size, 5);
  EXPECT_NE(h2->etag, h1->etag);
}

TEST_F(LocalObjectStoreTest, ListIsRecursiveSortedAndSkipsTempFiles) {
  for (const char* k : {"input/b.pdf", "input/a.pdf", "input/sub/c.pdf", "inputs.txt", "chunks/doc1.json",
                        "chunks/doc2.json", "extracted/doc1/p1.txt"}) {
    ASSERT_TRUE(store_->Put(k, k).ok());
  }
  // A leftover of a crashed Put.
  testing::WriteFile(root() + "/input/.docpipe-tmp-abc123", "partial");

  auto input = store_->List("input/");
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(Keys(*input), (std::vector<std::string>{"input/a.pdf", "input/b.pdf", "input/sub/c.pdf"}));
  EXPECT_EQ((*input)[0].size, 11);
  EXPECT_EQ((*input)[0].etag, store_->Head("input/a.pdf")->etag);

  EXPECT_EQ(Keys(*store_->List("input")),
            (std::vector<std::string>{"input/a.pdf", "input/b.pdf", "input/sub/c.pdf", "inputs.txt"}));
  EXPECT_EQ(Keys(*store_->List("chunks/doc1")), (std::vector<std::string>{"chunks/doc1.json"}));
  EXPECT_EQ(store_->List("")->size(), 7u);
  EXPECT_TRUE(store_->List("nothing/here/")->empty());
  EXPECT_TRUE(store_->List("input/a.pdf/")->empty()) << "a file is not a directory";
  EXPECT_EQ(store_->List("../").status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(store_->List("/etc").status().code(), Status::Code::kInvalidInput);
}

TEST_F(LocalObjectStoreTest, DeleteRemovesEmptyParents) {
  ASSERT_TRUE(store_->Put("extracted/doc1/pages/p1.txt", "1").ok());
  ASSERT_TRUE(store_->Put("extracted/doc2/p1.txt", "2").ok());
  ASSERT_TRUE(store_->Delete("extracted/doc1/pages/p1.txt").ok());
  EXPECT_TRUE(store_->Get("extracted/doc1/pages/p1.txt").status().IsNotFound());
  EXPECT_FALSE(fs::exists(root() + "/extracted/doc1")) << "empty parents removed";
  EXPECT_TRUE(fs::exists(root() + "/extracted/doc2/p1.txt")) << "siblings untouched";
  ASSERT_TRUE(store_->Delete("extracted/doc2/p1.txt").ok());
  EXPECT_FALSE(fs::exists(root() + "/extracted"));
  EXPECT_TRUE(fs::is_directory(root())) << "the root stays";
  EXPECT_TRUE(store_->Delete("never/existed").ok());
  // Writing again after the directories vanished works.
  ASSERT_TRUE(store_->Put("extracted/doc1/pages/p1.txt", "again").ok());
  EXPECT_EQ(*store_->Get("extracted/doc1/pages/p1.txt"), "again");
}

TEST_F(LocalObjectStoreTest, InvalidKeys) {
  for (std::string key : {std::string(""), std::string("/etc/passwd"), std::string("a//b"), std::string("a/"),
                          std::string("../x"), std::string("a/../../x"), std::string("."), std::string("a/./b"),
                          std::string("a\0b", 3), std::string("input/.docpipe-tmp-1")}) {
    EXPECT_EQ(ValidateObjectKey(key).code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store_->Put(key, "x").code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store_->Get(key).status().code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store_->Head(key).status().code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store_->Delete(key).code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store_->Fetch(key).status().code(), Status::Code::kInvalidInput) << key;
  }
  EXPECT_TRUE(ValidateObjectKey("input/a b/ünï.pdf").ok());
  EXPECT_TRUE(ValidateObjectKey(".hidden/..x/x..").ok());
  EXPECT_FALSE(fs::exists(dir_.Join("x"))) << "nothing escaped the root";
}

TEST_F(LocalObjectStoreTest, NotFoundNamesTheKey) {
  Status s = store_->Get("input/missing.pdf").status();
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_NE(s.message().find("input/missing.pdf"), std::string::npos) << s.message();
  EXPECT_TRUE(store_->Head("input/missing.pdf").status().IsNotFound());
  EXPECT_TRUE(store_->Fetch("input/missing.pdf").status().IsNotFound());
  ASSERT_TRUE(store_->Put("input/dir/a", "x").ok());
  EXPECT_TRUE(store_->Get("input/dir").status().IsNotFound()) << "a prefix is not an object";
  EXPECT_TRUE(store_->Head("input/dir").status().IsNotFound());
}

TEST_F(LocalObjectStoreTest, KeyClashingWithDirectoryIsRejected) {
  ASSERT_TRUE(store_->Put("a/b", "x").ok());
  Status s = store_->Put("a/b/c", "y");  // "a/b" is a file
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput) << s.ToString();
  EXPECT_EQ(*store_->Get("a/b"), "x");
  EXPECT_TRUE(TempFiles().empty());
}

TEST_F(LocalObjectStoreTest, FetchReturnsTheRealFile) {
  ASSERT_TRUE(store_->Put("input/a.pdf", "%PDF").ok());
  std::string path;
  {
    auto f = store_->Fetch("input/a.pdf");
    ASSERT_TRUE(f.ok());
    path = f->path();
    EXPECT_EQ(fs::canonical(path), fs::canonical(root() + "/input/a.pdf"));
    EXPECT_EQ(testing::ReadFile(path), "%PDF");
  }
  EXPECT_TRUE(fs::exists(path)) << "the object itself is never removed";
}

TEST(LocalFileTest, TemporaryFileIsRemovedOnceAfterMove) {
  testing::TempDir dir;
  std::string p = dir.Join("tmp.bin");
  testing::WriteFile(p, "x");
  {
    LocalFile a(p, /*temporary=*/true);
    {
      LocalFile b(std::move(a));
      EXPECT_EQ(b.path(), p);
      EXPECT_TRUE(fs::exists(p));
    }
    EXPECT_FALSE(fs::exists(p)) << "the moved-to file owns the removal";
    testing::WriteFile(p, "y");
  }
  EXPECT_TRUE(fs::exists(p)) << "the moved-from file removes nothing";
  {
    LocalFile keep(p, /*temporary=*/false);
  }
  EXPECT_TRUE(fs::exists(p));
}

TEST(LocalObjectStoreFactoryTest, CreatesRootAndRejectsFileRoot) {
  testing::TempDir dir;
  auto s = NewLocalObjectStore(dir.Join("deep/nested/root"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(fs::is_directory(dir.Join("deep/nested/root")));
  testing::WriteFile(dir.Join("file"), "x");
  EXPECT_FALSE(NewLocalObjectStore(dir.Join("file")).ok());
  EXPECT_EQ(NewLocalObjectStore("").status().code(), Status::Code::kInvalidInput);
}

}  // namespace
}  // namespace docpipe
