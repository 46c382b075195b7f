// MIME parser choice for e-mail: GMime 3 against mimetic on one message.
// Usage: mime_choice gmime|mimetic FILE [REPEAT]
// Parses the message, walks every part and decodes each leaf's body (base64,
// quoted-printable), and prints the subject as the library gives it (GMime
// decodes RFC 2047 words to UTF-8; mimetic hands back the raw header), the
// leaves and decoded bytes, and the best wall time of REPEAT runs. Peak RSS
// is measured outside (/usr/bin/time).
#include <gmime/gmime.h>
#include <mimetic/mimetic.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace {

struct Outcome {
  std::string subject;
  long leaves = 0;
  long long decoded = 0;
};

std::string Slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void GmimeLeaf(GMimeObject*, GMimeObject* part, gpointer data) {
  auto* o = static_cast<Outcome*>(data);
  if (!GMIME_IS_PART(part)) return;
  GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(part));
  if (!content) return;
  GMimeStream* out = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(content, out);  // decodes the transfer encoding
  o->decoded += g_mime_stream_length(out);
  ++o->leaves;
  g_object_unref(out);
}

Outcome WithGmime(const std::string& bytes) {
  Outcome o;
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* msg = g_mime_parser_construct_message(parser, nullptr);
  if (msg) {
    const char* s = g_mime_message_get_subject(msg);
    o.subject = s ? s : "";
    g_mime_message_foreach(msg, GmimeLeaf, &o);
    g_object_unref(msg);
  }
  g_object_unref(parser);
  g_object_unref(stream);
  return o;
}

void MimeticWalk(mimetic::MimeEntity& e, Outcome& o) {
  if (e.header().contentType().isMultipart()) {
    for (mimetic::MimeEntity* child : e.body().parts()) MimeticWalk(*child, o);
    return;
  }
  const std::string& body = e.body();
  const std::string enc = e.header().contentTransferEncoding().mechanism();
  std::string out;
  if (enc == "base64" || enc == "BASE64" || enc == "Base64") {
    mimetic::Base64::Decoder d;
    mimetic::decode(body.begin(), body.end(), d, std::back_inserter(out));
  } else if (enc == "quoted-printable") {
    mimetic::QP::Decoder d;
    mimetic::decode(body.begin(), body.end(), d, std::back_inserter(out));
  } else {
    out = body;
  }
  o.decoded += static_cast<long long>(out.size());
  ++o.leaves;
}

Outcome WithMimetic(const std::string& bytes) {
  Outcome o;
  mimetic::MimeEntity e(bytes.begin(), bytes.end());
  o.subject = e.header().subject();
  MimeticWalk(e, o);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: mime_choice gmime|mimetic FILE [REPEAT]\n");
    return 2;
  }
  g_mime_init();
  const std::string lib = argv[1];
  const int repeat = argc > 3 ? std::atoi(argv[3]) : 3;
  const std::string bytes = Slurp(argv[2]);
  double best = 1e9;
  Outcome o;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    o = lib == "gmime" ? WithGmime(bytes) : WithMimetic(bytes);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  std::printf("%s %s: %.1f MB, %ld leaves, %.1f MB decoded in %.3f s (%.0f MB/s); subject: %s\n", lib.c_str(), argv[2],
              bytes.size() / 1e6, o.leaves, o.decoded / 1e6, best, bytes.size() / 1e6 / best, o.subject.c_str());
  return 0;
}
