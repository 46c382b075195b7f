#include "cli/tokenize_command.h"

#include <iostream>
#include <iterator>
#include <string>

#include "tokenize/bpe_tokenizer.h"

namespace docpipe {

int RunTokenize(const std::string& encoding, bool count, std::istream& in, std::ostream& out, std::ostream& err) {
  Result<BpeTokenizerPtr> tok = OpenBpeTokenizer(encoding);
  if (!tok.ok()) {
    err << "docpipe tokenize: " << tok.status().message() << "\n";
    return tok.status().IsNotFound() ? 2 : 1;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    err << "docpipe tokenize: reading the input failed\n";
    return 1;
  }
  const std::vector<uint32_t> ids = (*tok)->Encode(text);
  if (count) {
    out << ids.size() << "\n";
  } else {
    std::string line = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) line += ',';
      line += std::to_string(ids[i]);
    }
    line += "]\n";
    out << line;
  }
  out.flush();
  return out ? 0 : 1;
}

}  // namespace docpipe
