// libFuzzer target: the scan of AWS's XML answers (src/common/xml_text.h),
// S3's ListObjectsV2 page (ParseListObjectsV2) and the error code and status
// of an XML or JSON error answer (AwsErrorCode, AwsErrorStatus). Beyond
// crashes: escaping round-trips, and an element's text lies inside the input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aws/aws_client.h"
#include "common/xml_text.h"
#include "object_store/s3_object_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string_view xml(text);
  for (const char* tag : {"Key", "Contents", "Error", "Code", "Message", "Credentials"}) {
    for (std::string_view e : docpipe::XmlElements(xml, tag)) {
      if (!e.empty() && (e.data() < xml.data() || e.data() + e.size() > xml.data() + xml.size())) std::abort();
    }
    (void)docpipe::XmlText(xml, tag);
  }
  if (docpipe::XmlCanCarry(text) && docpipe::XmlUnescape(docpipe::XmlEscape(text)) != text) std::abort();
  (void)docpipe::ParseListObjectsV2(text);
  docpipe::HttpResponse r;
  r.status = 400 + static_cast<int>(size % 200);
  r.body = text;
  if (size % 2 == 0) r.headers["content-type"] = "application/x-amz-json-1.0";
  (void)docpipe::AwsErrorCode(r);
  (void)docpipe::AwsErrorStatus("S3 GetObject", r);
  return 0;
}
