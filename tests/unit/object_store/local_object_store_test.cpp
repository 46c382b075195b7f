#include "object_store/object_store.h"

#include <filesystem>

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

// The port's contract (Put, Get, GetRange, Head, List, Delete, key checks,
// NotFound) runs against this adapter in object_store_conformance_test.cpp;
// here is what only the directory does: its layout, temporary files and
// folders.

TEST_F(LocalObjectStoreTest, ObjectsAreLaidOutAsTheirKeysSayWithoutTemporaryFiles) {
  std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(store_->Put("input/x/a.bin", binary).ok());
  EXPECT_EQ(testing::ReadFile(root() + "/input/x/a.bin"), binary) << "laid out as the key says";
  ASSERT_TRUE(store_->Put("input/x/a.bin", "second").ok());
  EXPECT_EQ(testing::ReadFile(root() + "/input/x/a.bin"), "second");
  ASSERT_TRUE(store_->Put("empty", "").ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store_->Put("hot", std::string(50'000 + i, 'h')).ok());
  std::string src = dir_.Join("src.pdf");
  testing::WriteFile(src, std::string(300'000, 'p'));
  ASSERT_TRUE(store_->PutFile("input/doc.pdf", src).ok());
  EXPECT_TRUE(store_->PutFile("input/missing.pdf", dir_.Join("nope.pdf")).IsNotFound());
  EXPECT_TRUE(TempFiles().empty());
}

TEST_F(LocalObjectStoreTest, PutManyLeavesNoTemporaryFilesOnSuccessOrFailure) {
  std::vector<ObjectToPut> pages;
  for (int i = 0; i < 20; ++i) pages.push_back(ObjectToPut{"extracted/d/p" + std::to_string(i), "text"});
  ASSERT_TRUE(store_->PutMany(pages).ok());
  EXPECT_EQ(testing::ReadFile(root() + "/extracted/d/p7"), "text") << "laid out as the key says";
  EXPECT_TRUE(TempFiles().empty());
  // "a/b" is a file, so "a/b/c" cannot be written: the batch fails naming
  // that key, and the objects it had written to temporary files are gone.
  ASSERT_TRUE(store_->Put("a/b", "x").ok());
  const Status s = store_->PutMany({ObjectToPut{"ok/1", "one"}, ObjectToPut{"a/b/c", "y"}});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("a/b/c"), std::string::npos) << s.ToString();
  EXPECT_TRUE(TempFiles().empty());
  EXPECT_TRUE(store_->Head("ok/1").status().IsNotFound()) << "nothing of a failed batch is renamed into place";
}

TEST_F(LocalObjectStoreTest, ListSkipsTheTemporaryFilesOfUnfinishedPuts) {
  ASSERT_TRUE(store_->Put("input/a.pdf", "a").ok());
  testing::WriteFile(root() + "/input/.docpipe-tmp-abc123", "partial");  // a leftover of a crashed Put
  auto input = store_->List("input/");
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(Keys(*input), (std::vector<std::string>{"input/a.pdf"}));
  EXPECT_EQ(Keys(*store_->List("")), (std::vector<std::string>{"input/a.pdf"}));
}

TEST_F(LocalObjectStoreTest, DeleteRemovesEmptyParents) {
  ASSERT_TRUE(store_->Put("extracted/doc1/pages/p1.txt", "1").ok());
  ASSERT_TRUE(store_->Put("extracted/doc2/p1.txt", "2").ok());
  ASSERT_TRUE(store_->Delete("extracted/doc1/pages/p1.txt").ok());
  EXPECT_FALSE(fs::exists(root() + "/extracted/doc1")) << "empty parents removed";
  EXPECT_TRUE(fs::exists(root() + "/extracted/doc2/p1.txt")) << "siblings untouched";
  ASSERT_TRUE(store_->Delete("extracted/doc2/p1.txt").ok());
  EXPECT_FALSE(fs::exists(root() + "/extracted"));
  EXPECT_TRUE(fs::is_directory(root())) << "the root stays";
  // Writing again after the directories vanished works.
  ASSERT_TRUE(store_->Put("extracted/doc1/pages/p1.txt", "again").ok());
  EXPECT_EQ(testing::ReadFile(root() + "/extracted/doc1/pages/p1.txt"), "again");
}

TEST_F(LocalObjectStoreTest, MalformedKeysNeverEscapeTheRoot) {
  for (std::string key : {std::string("../x"), std::string("a/../../x"), std::string("/etc/passwd")}) {
    EXPECT_EQ(store_->Put(key, "x").code(), Status::Code::kInvalidInput) << key;
  }
  EXPECT_FALSE(fs::exists(dir_.Join("x"))) << "nothing escaped the root";
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
