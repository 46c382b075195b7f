#include "enrich/pii_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace docpipe {
namespace {

class PiiDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<PiiDetectorPtr> d = NewPiiDetector();
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    detector_ = std::move(d).value();
  }

  std::vector<std::string> Found(const std::string& text, const std::string& type) const {
    std::vector<std::string> out;
    for (const Entity& e : detector_->Detect(text)) {
      if (e.type == type) out.push_back(e.text);
    }
    return out;
  }

  PiiDetectorPtr detector_;
};

struct PiiCase {
  const char* type;
  const char* text;
  const char* want;  // the detected text; nullptr: nothing of `type` may be found
};

// Positives and near misses for each type.
const PiiCase kCases[] = {
    // EMAIL
    {"EMAIL", "Write to jane.doe+rag@example.co.uk today.", "jane.doe+rag@example.co.uk"},
    {"EMAIL", "Write to jane..doe@example.com today.", nullptr},
    {"EMAIL", "Write to root@localhost today.", nullptr},
    // PHONE (libphonenumber, region US)
    {"PHONE", "Call (650) 253-0000 after nine.", "(650) 253-0000"},
    {"PHONE", "London office: +44 20 7946 0958.", "+44 20 7946 0958"},
    {"PHONE", "Call (123) 456-7890 after nine.", nullptr},  // area code 123 does not exist
    {"PHONE", "Order 12345 shipped.", nullptr},
    // CREDIT_DEBIT_NUMBER
    {"CREDIT_DEBIT_NUMBER", "Card 4111 1111 1111 1111 expires soon.", "4111 1111 1111 1111"},
    {"CREDIT_DEBIT_NUMBER", "Card 5500-0000-0000-0004 expires soon.", "5500-0000-0000-0004"},
    {"CREDIT_DEBIT_NUMBER", "Amex 3782 822463 10005 on file.", "3782 822463 10005"},
    {"CREDIT_DEBIT_NUMBER", "Card 4012888888881881.", "4012888888881881"},
    {"CREDIT_DEBIT_NUMBER", "Card 4111 1111 1111 1112 expires soon.", nullptr},  // bad Luhn
    {"CREDIT_DEBIT_NUMBER", "Ref 1234 5678 9012 3452 passes Luhn.", nullptr},    // no issuer starts with 1
    {"CREDIT_DEBIT_NUMBER", "Card 4111 1111-1111 1111 mixed.", nullptr},         // inconsistent separators
    {"CREDIT_DEBIT_NUMBER", "Pi is 3.4111111111111111 or so.", nullptr},         // a decimal fraction
    // SSN
    {"SSN", "SSN: 123-45-6789.", "123-45-6789"},
    {"SSN", "SSN: 000-12-3456.", nullptr},
    {"SSN", "SSN: 666-12-3456.", nullptr},
    {"SSN", "SSN: 912-34-5678.", nullptr},
    {"SSN", "SSN: 123-00-4567.", nullptr},
    {"SSN", "SSN: 123-45-0000.", nullptr},
    {"SSN", "Part 123-45-67890 is longer.", nullptr},
    // INTERNATIONAL_BANK_ACCOUNT_NUMBER
    {"INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IBAN GB82 WEST 1234 5698 7654 32, thanks.",
     "GB82 WEST 1234 5698 7654 32"},
    {"INTERNATIONAL_BANK_ACCOUNT_NUMBER", "Pay DE89370400440532013000 now.", "DE89370400440532013000"},
    {"INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IBAN FR14 2004 1010 0505 0001 3M02 606.",
     "FR14 2004 1010 0505 0001 3M02 606"},
    {"INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IBAN GB82 WEST 1234 5698 7654 33.", nullptr},  // checksum
    {"INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IBAN DE51 3704 0044 0532 0130 0.", nullptr},  // mod 97 ok, 21 long
    {"INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IBAN DE89370400440532013000123 ok.", nullptr},  // too long
    // IP_ADDRESS
    {"IP_ADDRESS", "Connect to 192.168.10.254 now.", "192.168.10.254"},
    {"IP_ADDRESS", "The host is 10.0.0.1.", "10.0.0.1"},
    {"IP_ADDRESS", "IPv6 2001:db8::8a2e:370:7334 is up.", "2001:db8::8a2e:370:7334"},
    {"IP_ADDRESS", "Link-local fe80::1ff:fe23:4567:890a here.", "fe80::1ff:fe23:4567:890a"},
    {"IP_ADDRESS", "Upgrade to version 1.2.3.4 today.", nullptr},
    {"IP_ADDRESS", "Release: 4.10.2.1 is out.", nullptr},
    {"IP_ADDRESS", "Tagged v4.10.2.1 yesterday.", nullptr},
    {"IP_ADDRESS", "Library 1.2.3.4.5 ships.", nullptr},
    {"IP_ADDRESS", "Bad octet 256.1.1.1 here.", nullptr},
    {"IP_ADDRESS", "Meet at 12:30:45 and use std::vector.", nullptr},
    // MAC_ADDRESS
    {"MAC_ADDRESS", "NIC 00:1A:2B:3C:4D:5E attached.", "00:1A:2B:3C:4D:5E"},
    {"MAC_ADDRESS", "NIC 00-1a-2b-3c-4d-5e attached.", "00-1a-2b-3c-4d-5e"},
    {"MAC_ADDRESS", "NIC 00:1A-2B:3C:4D:5E attached.", nullptr},  // mixed separators
    {"MAC_ADDRESS", "NIC 00:1A:2B:3C:4D attached.", nullptr},     // five pairs
    // URL
    {"URL", "Docs (see https://example.com/a/b?q=1&r=2).", "https://example.com/a/b?q=1&r=2"},
    {"URL", "Visit www.example.org, then leave.", "www.example.org"},
    {"URL", "Wiki https://en.wikipedia.org/wiki/Foo_(bar) here.", "https://en.wikipedia.org/wiki/Foo_(bar)"},
    {"URL", "Broken https://nodot here.", nullptr},
    // AWS_ACCESS_KEY
    {"AWS_ACCESS_KEY", "key AKIAIOSFODNN7EXAMPLE in config", "AKIAIOSFODNN7EXAMPLE"},
    {"AWS_ACCESS_KEY", "key AKIAIOSFODNN7EXAMPL in config", nullptr},    // 19 characters
    {"AWS_ACCESS_KEY", "key XAKIAIOSFODNN7EXAMPLE in config", nullptr},  // not word-bounded
    // AWS_SECRET_KEY
    {"AWS_SECRET_KEY", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
    {"AWS_SECRET_KEY", "id AKIAIOSFODNN7EXAMPLE key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
    {"AWS_SECRET_KEY", "secret sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12 of the file", nullptr},
    {"AWS_SECRET_KEY", "secret SHA1 2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12 of the file", nullptr},
    {"AWS_SECRET_KEY", "token wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY without context", nullptr},
    // DATE_TIME
    {"DATE_TIME", "Signed 2024-03-15 in Lisbon.", "2024-03-15"},
    {"DATE_TIME", "At 2024-03-15T10:30:00Z sharp.", "2024-03-15T10:30:00Z"},
    {"DATE_TIME", "Signed 15/03/2024 in Lisbon.", "15/03/2024"},
    {"DATE_TIME", "Signed March 15, 2024 in Lisbon.", "March 15, 2024"},
    {"DATE_TIME", "Signed 15 March 2024 in Lisbon.", "15 March 2024"},
    {"DATE_TIME", "Signed 2024-02-29 (leap year).", "2024-02-29"},
    {"DATE_TIME", "Signed 2024-02-30 in Lisbon.", nullptr},
    {"DATE_TIME", "Signed 2023-02-29 in Lisbon.", nullptr},
    {"DATE_TIME", "Signed 13/13/2024 in Lisbon.", nullptr},
    {"DATE_TIME", "Signed February 30, 2024 in Lisbon.", nullptr},
};

TEST_F(PiiDetectorTest, TableOfPositivesAndNearMisses) {
  for (const PiiCase& c : kCases) {
    SCOPED_TRACE(std::string(c.type) + " in \"" + c.text + "\"");
    std::vector<std::string> found = Found(c.text, c.type);
    if (c.want == nullptr) {
      EXPECT_TRUE(found.empty()) << "unexpected: " << (found.empty() ? "" : found[0]);
    } else {
      EXPECT_EQ(found, std::vector<std::string>{c.want});
    }
  }
}

TEST_F(PiiDetectorTest, OffsetsAreCodePointsAndBytes) {
  // "é", "—" and the emoji take 2, 3 and 4 bytes before the entity.
  const std::string text = "Café — 📞 mail jane@example.com or call (650) 253-0000.";
  std::vector<Entity> found = detector_->Detect(text);
  ASSERT_EQ(found.size(), 2u);
  const Entity& email = found[0];
  EXPECT_EQ(email.type, "EMAIL");
  size_t byte = text.find("jane@");
  EXPECT_EQ(email.begin_byte, static_cast<int64_t>(byte));
  EXPECT_EQ(email.end_byte, static_cast<int64_t>(byte + std::string("jane@example.com").size()));
  // Code points: "Café — 📞 mail " is 14 characters.
  EXPECT_EQ(email.begin_offset, 14);
  EXPECT_EQ(email.end_offset, 14 + 16);
  EXPECT_EQ(byte - email.begin_offset, 1u + 2u + 3u);  // the extra bytes of é, —, 📞
  EXPECT_EQ(text.substr(email.begin_byte, email.end_byte - email.begin_byte), email.text);
  const Entity& phone = found[1];
  EXPECT_EQ(phone.type, "PHONE");
  EXPECT_EQ(phone.score, 0.99);
  EXPECT_EQ(text.substr(phone.begin_byte, phone.end_byte - phone.begin_byte), "(650) 253-0000");
  EXPECT_EQ(phone.end_offset - phone.begin_offset, 14);
}

TEST_F(PiiDetectorTest, ValidatedMatchesScoreHigherThanPatternOnes) {
  std::vector<Entity> found = detector_->Detect("Card 4111 1111 1111 1111, host 10.0.0.1.");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].type, "CREDIT_DEBIT_NUMBER");
  EXPECT_DOUBLE_EQ(found[0].score, 0.99);
  EXPECT_EQ(found[1].type, "IP_ADDRESS");
  EXPECT_LT(found[1].score, 0.99);
  EXPECT_GE(found[1].score, 0.8);
}

TEST_F(PiiDetectorTest, OverlapsKeepTheLongerSpan) {
  // The email's domain is not reported again as a URL, nor the URL's date as a date.
  std::vector<Entity> found = detector_->Detect("See https://example.com/2024-03-15/notes now.");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].type, "URL");
}

TEST_F(PiiDetectorTest, PhoneRegionIsConfigurable) {
  Result<PiiDetectorPtr> gb = NewPiiDetector({"GB"});
  ASSERT_TRUE(gb.ok());
  const std::string text = "Ring 020 7946 0958 today.";
  std::vector<Entity> found = (*gb)->Detect(text);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].type, "PHONE");
  EXPECT_TRUE(Found(text, "PHONE").empty());  // not a valid US number
  EXPECT_FALSE(NewPiiDetector({"XX"}).ok());
}

TEST_F(PiiDetectorTest, PlainProseHasNoPii) {
  const std::string text =
      "The committee met on a Tuesday to review version 2.4.1.0 of the ingestion pipeline, "
      "which processed 1200 documents at 3.5 pages per second and reduced errors by 12 percent.";
  EXPECT_TRUE(detector_->Detect(text).empty());
}

}  // namespace
}  // namespace docpipe
