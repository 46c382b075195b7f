// The ObjectStore port's contract (object_store/object_store.h), run against
// every adapter: the local directory and S3 on a real moto_server. What only
// one adapter does stays in its own file: the local store's layout on disk,
// temporary files and directories; S3's addressing, requests, multipart
// uploads, presigned PUTs and boto3 interoperation.
#include "object_store/object_store.h"

#include <atomic>
#include <climits>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "object_store/local_object_store.h"
#include "object_store/s3_object_store.h"
#include "support/conformance.h"
#include "support/moto_fixture.h"
#include "support/test_util.h"
#include "unit/object_store/store_helpers.h"

namespace docpipe {
namespace {

using testing::Keys;
using testing::Must;

namespace fs = std::filesystem;

struct StoreUnderTest {
  virtual ~StoreUnderTest() = default;
  virtual ObjectStore& store() = 0;
};

struct LocalStoreUnderTest : StoreUnderTest {
  testing::TempDir dir;
  ObjectStorePtr s;
  LocalStoreUnderTest() {
    Result<ObjectStorePtr> made = NewLocalObjectStore(dir.Join("store"));
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) s = std::move(*made);
  }
  ObjectStore& store() override { return *s; }
};

// A bucket of its own per test on the process's moto_server.
struct S3UnderTest : StoreUnderTest {
  testing::TempDir tmp;
  std::unique_ptr<testing::MotoAwsClient> aws;
  ObjectStorePtr s;
  S3UnderTest() {
    std::string error;
    testing::MotoServer* moto = testing::SharedMotoServer(&error);
    if (moto == nullptr) {
      ADD_FAILURE() << testing::MotoStartFailure(error);
      return;
    }
    aws = std::make_unique<testing::MotoAwsClient>(*moto, "s3");
    static std::atomic<int> buckets{0};
    S3Options o;
    o.bucket = fmt::format("conformance-{}", buckets++);
    o.temp_dir = tmp.path();
    Status provisioned = ProvisionS3Bucket(aws->client(), o.bucket, "us-east-1");
    EXPECT_TRUE(provisioned.ok()) << provisioned.ToString();
    Result<ObjectStorePtr> made = NewS3ObjectStore(aws->client(), o);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) s = std::move(*made);
  }
  ~S3UnderTest() override { s.reset(); }
  ObjectStore& store() override { return *s; }
};

using StoreAdapter = testing::ConformanceAdapter<StoreUnderTest>;

class ObjectStoreConformanceTest : public ::testing::TestWithParam<StoreAdapter> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().make();
    ASSERT_FALSE(HasFailure()) << "the " << GetParam().name << " store did not open";
  }
  ObjectStore& store() { return under_test_->store(); }
  testing::TempDir dir_;

 private:
  std::unique_ptr<StoreUnderTest> under_test_;
};

TEST_P(ObjectStoreConformanceTest, PutGetOverwriteAndEmptyObjects) {
  const std::string binary("a\0b\xff\r\n", 6);
  ASSERT_TRUE(store().Put("input/x/a.bin", binary).ok());
  EXPECT_EQ(Must(store().Get("input/x/a.bin")), binary);
  ASSERT_TRUE(store().Put("input/x/a.bin", "second").ok());
  EXPECT_EQ(Must(store().Get("input/x/a.bin")), "second");
  ASSERT_TRUE(store().Put("empty", "").ok());
  EXPECT_EQ(Must(store().Get("empty")), "");
  EXPECT_EQ(Must(store().Head("empty")).size, 0);
}

TEST_P(ObjectStoreConformanceTest, PutManyStoresEveryObjectAndReplacesOldOnes) {
  ASSERT_TRUE(store().Put("extracted/d/page-0002.md", "old two").ok());
  std::vector<std::string> texts;
  for (int i = 1; i <= 40; ++i) texts.push_back("page " + std::to_string(i) + std::string(static_cast<size_t>(i) * 97, 'x'));
  std::vector<ObjectToPut> batch;
  for (int i = 1; i <= 40; ++i) {
    batch.push_back(ObjectToPut{fmt::format("extracted/d/page-{:04}.md", i), texts[static_cast<size_t>(i - 1)]});
  }
  batch.push_back(ObjectToPut{"extracted/d/sub/empty.md", ""});
  ASSERT_TRUE(store().PutMany(batch).ok());
  for (int i = 1; i <= 40; ++i) {
    EXPECT_EQ(Must(store().Get(fmt::format("extracted/d/page-{:04}.md", i))), texts[static_cast<size_t>(i - 1)]) << i;
  }
  EXPECT_EQ(Must(store().Get("extracted/d/sub/empty.md")), "");
  EXPECT_EQ(Must(store().List("extracted/d/")).size(), 41u) << "no temporary objects listed";
  EXPECT_TRUE(store().PutMany({}).ok()) << "an empty batch is nothing to do";
}

TEST_P(ObjectStoreConformanceTest, PutManyRefusesAMalformedKeyNamingIt) {
  const Status s = store().PutMany({ObjectToPut{"a/../b", "x"}});
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput) << s.ToString();
  EXPECT_NE(s.ToString().find("a/../b"), std::string::npos) << s.ToString();
  EXPECT_TRUE(Must(store().List("")).empty()) << "nothing was written";
}

TEST_P(ObjectStoreConformanceTest, PutFileCopiesContent) {
  const std::string src = dir_.Join("src.pdf");
  std::string content(300'000, 'p');
  content[12345] = 'q';
  testing::WriteFile(src, content);
  ASSERT_TRUE(store().PutFile("input/doc.pdf", src).ok());
  EXPECT_EQ(Must(store().Get("input/doc.pdf")), content);
  EXPECT_TRUE(fs::exists(src)) << "the source stays";
  Status s = store().PutFile("input/missing.pdf", dir_.Join("nope.pdf"));
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(store().Head("input/missing.pdf").status().IsNotFound());
}

TEST_P(ObjectStoreConformanceTest, ReadersNeverSeeAPartialObject) {
  const std::string a(200'000, 'a'), b(50'000, 'b');
  ASSERT_TRUE(store().Put("hot", a).ok());
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      Result<std::string> got = store().Get("hot");
      if (!got.ok() || (*got != a && *got != b)) ++torn;
      ++reads;
    }
  });
  for (int i = 0; i < 80; ++i) ASSERT_TRUE(store().Put("hot", i % 2 ? a : b).ok());
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_GT(reads.load(), 0);
}

TEST_P(ObjectStoreConformanceTest, GetRangeReadsFewerAtTheEndAndNothingPastIt) {
  ASSERT_TRUE(store().Put("r", "0123456789").ok());
  ASSERT_TRUE(store().Put("empty", "").ok());
  EXPECT_EQ(Must(store().GetRange("r", 0, 4)), "0123");
  EXPECT_EQ(Must(store().GetRange("r", 2, 3)), "234");
  EXPECT_EQ(Must(store().GetRange("r", 3, 2)), "34");
  EXPECT_EQ(Must(store().GetRange("r", 0, 10)), "0123456789");
  EXPECT_EQ(Must(store().GetRange("r", 8, 5)), "89") << "fewer at the end";
  EXPECT_EQ(Must(store().GetRange("r", 8, 100)), "89") << "fewer at the end";
  EXPECT_EQ(Must(store().GetRange("r", 2, INT64_MAX)), "23456789");
  EXPECT_EQ(Must(store().GetRange("r", 10, 1)), "") << "at the end";
  EXPECT_EQ(Must(store().GetRange("r", 10, 5)), "");
  EXPECT_EQ(Must(store().GetRange("r", 50, 5)), "");
  EXPECT_EQ(Must(store().GetRange("r", 1000, 5)), "");
  EXPECT_EQ(Must(store().GetRange("r", 3, 0)), "");
  EXPECT_EQ(Must(store().GetRange("empty", 0, 10)), "");
  EXPECT_EQ(store().GetRange("r", -1, 2).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(store().GetRange("r", -1, 5).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(store().GetRange("r", 0, -1).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(store().GetRange("r", 0, -5).status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(store().GetRange("nope", 0, 5).status().IsNotFound());
}

TEST_P(ObjectStoreConformanceTest, HeadGivesSizeAndAnEtagThatFollowsTheContent) {
  ASSERT_TRUE(store().Put("h", "12345").ok());
  Result<ObjectInfo> h1 = store().Head("h");
  ASSERT_TRUE(h1.ok()) << h1.status().ToString();
  EXPECT_EQ(h1->key, "h");
  EXPECT_EQ(h1->size, 5);
  EXPECT_FALSE(h1->etag.empty());
  EXPECT_EQ(Must(store().Head("h")).etag, h1->etag) << "stable while unchanged";
  ASSERT_TRUE(store().Put("h", "abcde").ok());  // same size, new content
  Result<ObjectInfo> h2 = store().Head("h");
  ASSERT_TRUE(h2.ok()) << h2.status().ToString();
  EXPECT_EQ(h2->size, 5);
  EXPECT_NE(h2->etag, h1->etag);
}

TEST_P(ObjectStoreConformanceTest, ListIsRecursiveSortedAndByPlainPrefix) {
  for (const char* k : {"input/b.pdf", "input/a.pdf", "input/sub/c.pdf", "inputs.txt", "chunks/doc1.json",
                        "chunks/doc2.json", "extracted/doc1/p1.txt"}) {
    ASSERT_TRUE(store().Put(k, k).ok());
  }
  Result<std::vector<ObjectInfo>> input = store().List("input/");
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(Keys(*input), (std::vector<std::string>{"input/a.pdf", "input/b.pdf", "input/sub/c.pdf"}));
  ASSERT_FALSE(input->empty());
  EXPECT_EQ((*input)[0].size, 11);
  EXPECT_EQ((*input)[0].etag, Must(store().Head("input/a.pdf")).etag);

  EXPECT_EQ(Keys(Must(store().List("input"))),
            (std::vector<std::string>{"input/a.pdf", "input/b.pdf", "input/sub/c.pdf", "inputs.txt"}));
  EXPECT_EQ(Keys(Must(store().List("chunks/doc1"))), (std::vector<std::string>{"chunks/doc1.json"}));
  EXPECT_EQ(Must(store().List("")).size(), 7u);
  EXPECT_TRUE(Must(store().List("nothing/here/")).empty());
  EXPECT_TRUE(Must(store().List("input/a.pdf/")).empty()) << "an object is not a folder";
  for (const std::string& prefix : std::vector<std::string>{"../", "/etc", "/abs", "a//", "a/../", "..", "./x"}) {
    EXPECT_EQ(store().List(prefix).status().code(), Status::Code::kInvalidInput) << prefix;
  }
}

TEST_P(ObjectStoreConformanceTest, DeleteRemovesOnlyThatObjectAndIsIdempotent) {
  ASSERT_TRUE(store().Put("extracted/doc1/pages/p1.txt", "1").ok());
  ASSERT_TRUE(store().Put("extracted/doc2/p1.txt", "2").ok());
  ASSERT_TRUE(store().Delete("extracted/doc1/pages/p1.txt").ok());
  EXPECT_TRUE(store().Get("extracted/doc1/pages/p1.txt").status().IsNotFound());
  EXPECT_TRUE(store().Head("extracted/doc1/pages/p1.txt").status().IsNotFound());
  EXPECT_TRUE(store().Delete("extracted/doc1/pages/p1.txt").ok()) << "deleting an absent object is fine";
  EXPECT_TRUE(store().Delete("never/existed").ok());
  EXPECT_EQ(Keys(Must(store().List(""))), std::vector<std::string>{"extracted/doc2/p1.txt"}) << "siblings stay";
  ASSERT_TRUE(store().Put("extracted/doc1/pages/p1.txt", "again").ok());
  EXPECT_EQ(Must(store().Get("extracted/doc1/pages/p1.txt")), "again") << "writing again after a delete works";
}

TEST_P(ObjectStoreConformanceTest, MalformedKeysAreInvalidInputForEveryOperation) {
  const std::vector<std::string> bad_keys = {"",      "/abs",  "/etc/passwd", "a//b",  "a/./b",
                                            "a/../b", "a/",    "../x",        "a/../../x", "..",
                                            ".",      std::string("a\0b", 3), ".docpipe-tmp-x",
                                            "input/.docpipe-tmp-1"};
  for (const std::string& key : bad_keys) {
    EXPECT_EQ(ValidateObjectKey(key).code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store().Put(key, "x").code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store().Get(key).status().code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store().GetRange(key, 0, 1).status().code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store().Head(key).status().code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store().Delete(key).code(), Status::Code::kInvalidInput) << key;
    EXPECT_EQ(store().Fetch(key).status().code(), Status::Code::kInvalidInput) << key;
  }
  EXPECT_TRUE(ValidateObjectKey("input/a b/ünï.pdf").ok());
  EXPECT_TRUE(ValidateObjectKey(".hidden/..x/x..").ok());
  EXPECT_TRUE(Must(store().List("")).empty()) << "nothing was written";
}

TEST_P(ObjectStoreConformanceTest, AbsentObjectsAreNotFoundNamingTheKey) {
  Status get = store().Get("input/missing.pdf").status();
  EXPECT_TRUE(get.IsNotFound()) << get.ToString();
  EXPECT_NE(get.message().find("input/missing.pdf"), std::string::npos) << get.message();
  for (Status st : {store().GetRange("input/missing.pdf", 0, 10).status(),
                    store().GetRange("input/missing.pdf", 5, 0).status(), store().Head("input/missing.pdf").status(),
                    store().Fetch("input/missing.pdf").status()}) {
    EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  }
  EXPECT_TRUE(store().Delete("input/missing.pdf").ok());
  ASSERT_TRUE(store().Put("input/dir/a", "x").ok());
  EXPECT_TRUE(store().Get("input/dir").status().IsNotFound()) << "a prefix is not an object";
  EXPECT_TRUE(store().Head("input/dir").status().IsNotFound());
}

TEST_P(ObjectStoreConformanceTest, FetchGivesALocalFileWithTheContent) {
  const std::string content = "%PDF-1.4\n" + std::string(70'000, 'x');
  ASSERT_TRUE(store().Put("input/a.pdf", content).ok());
  Result<LocalFile> f = store().Fetch("input/a.pdf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(testing::ReadFile(f->path()), content);
}

INSTANTIATE_TEST_SUITE_P(Adapters, ObjectStoreConformanceTest,
                         ::testing::Values(StoreAdapter{"Local", [] { return std::make_unique<LocalStoreUnderTest>(); }},
                                           StoreAdapter{"S3Moto", [] { return std::make_unique<S3UnderTest>(); }}),
                         testing::AdapterName());

}  // namespace
}  // namespace docpipe
