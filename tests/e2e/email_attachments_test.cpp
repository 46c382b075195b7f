// An e-mail's attachments become documents of their own, stored beside it and
// linked to it both ways; one the pipeline cannot read is listed with the
// reason, and never stops the e-mail itself.
#include "e2e/cli_fixture.h"

namespace docpipe::testing {
namespace {

class EmailAttachmentsTest : public CliTest {};

TEST_F(EmailAttachmentsTest, AttachmentsAreRegisteredAsDocumentsLinkedToTheirParent) {
  const std::string mail =
      "From: Jane Roe <jane@example.com>\r\n"
      "To: ops@example.com\r\n"
      "Subject: Quarterly figures\r\n"
      "Date: Tue, 3 Nov 2026 10:00:00 +0000\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
      "\r\n"
      "--XYZ\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n"
      "Hello team, the quarterly figures are attached as a spreadsheet.\r\n"
      "--XYZ\r\n"
      "Content-Type: text/csv; name=\"figures.csv\"\r\n"
      "Content-Disposition: attachment; filename=\"figures.csv\"\r\n"
      "\r\n"
      "region,revenue\r\nnorth,1200\r\nsouth,3400\r\n"
      "--XYZ\r\n"
      "Content-Type: application/octet-stream; name=\"blob.bin\"\r\n"
      "Content-Disposition: attachment; filename=\"blob.bin\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "AAECAwQFBgcICQ==\r\n"
      "--XYZ--\r\n";
  WriteDoc("figures.eml", mail);

  ProcessResult ingest = Docpipe({"ingest", Docs()});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.out << ingest.err;
  // The attachment was queued while the e-mail was extracted: a worker takes it.
  ProcessResult drain = Docpipe({"worker", "--drain"});
  ASSERT_EQ(drain.exit_code, 0) << drain.out << drain.err;

  nlohmann::json parent = RecordFor("figures.eml");
  ASSERT_FALSE(parent.is_null());
  EXPECT_EQ(parent["status"], "COMPLETED");
  const std::string parent_id = parent["document_id"];
  const std::string parent_key = parent["source_key"];
  const std::string attachment_key = parent_key + ".attachments/01-figures.csv";
  nlohmann::json child;
  for (const nlohmann::json& r : Status()) {
    if (r["source_key"] == attachment_key) child = r;
  }
  ASSERT_FALSE(child.is_null()) << "the CSV attachment is a document of its own: " << Status().dump(2);
  EXPECT_EQ(child["status"], "COMPLETED") << child.dump(2);
  const std::string child_id = child["document_id"];

  // The parent lists both attachments: the CSV registered, the blob skipped with the reason.
  nlohmann::json parent_meta =
      nlohmann::json::parse(ReadFile(StorePath("extracted/" + parent_id + "/metadata.json")));
  ASSERT_TRUE(parent_meta.contains("attachments")) << parent_meta.dump(2);
  ASSERT_EQ(parent_meta["attachments"].size(), 2u) << parent_meta.dump(2);
  EXPECT_EQ(parent_meta["attachments"][0]["source_key"], attachment_key);
  EXPECT_EQ(parent_meta["attachments"][0]["document_id"], child_id);
  EXPECT_FALSE(parent_meta["attachments"][0].contains("skipped"));
  EXPECT_EQ(parent_meta["attachments"][1]["name"], "blob.bin");
  EXPECT_EQ(parent_meta["attachments"][1]["skipped"], "unsupported file type");
  EXPECT_EQ(parent_meta["properties"]["subject"], "Quarterly figures") << parent_meta.dump(2);

  // The attachment names its parent, and its table is searchable text.
  nlohmann::json child_meta = nlohmann::json::parse(ReadFile(StorePath("extracted/" + child_id + "/metadata.json")));
  EXPECT_EQ(child_meta["parent"]["document_id"], parent_id) << child_meta.dump(2);
  EXPECT_EQ(child_meta["parent"]["source_key"], parent_key);
  EXPECT_NE(ReadFile(StorePath("extracted/" + child_id + "/page-0001.md")).find("south"), std::string::npos);
  nlohmann::json audit = Audit(child_id);
  bool linked = false;
  for (const nlohmann::json& e : audit) {
    if (e.value("event_type", "") == "DOCUMENT_RECEIVED" && e.contains("details") &&
        e["details"].value("parent_document_id", "") == parent_id) {
      linked = true;
    }
  }
  EXPECT_TRUE(linked) << "the attachment's DOCUMENT_RECEIVED event names its parent: " << audit.dump(2);
}

}  // namespace
}  // namespace docpipe::testing
