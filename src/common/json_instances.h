#pragma once
// nlohmann::json's heavy templates, instantiated once: the value type, its
// serializer, and its DOM parser and lexer over std::string and character
// pointers (what json::parse of a string, string_view or literal uses).
// Every translation unit that parses or dumps JSON otherwise generates them
// again: under ASan that was 5-8 s of CPU per such file (control_record.cpp:
// 13.3 s before, 7.2 s after; docs/benchmarks.md, "One build for the tests").
// The precompiled header (cmake/pch/docpipe_pch.h) declares them `extern`,
// so no target that uses it generates them; json_instances.cpp, in
// docpipe_common, which every such target links, defines them. A target built
// without the precompiled header instantiates them itself, as before.
#include <string>

#include <nlohmann/json.hpp>

#define DOCPIPE_JSON_INSTANCES(kind)                                                                          \
  kind template class nlohmann::basic_json<>;                                                                 \
  kind template class nlohmann::detail::serializer<nlohmann::json>;                                          \
  kind template class nlohmann::detail::json_sax_dom_parser<nlohmann::json>;                                 \
  kind template class nlohmann::detail::json_sax_dom_callback_parser<nlohmann::json>;                        \
  kind template class nlohmann::detail::lexer<                                                               \
      nlohmann::json, nlohmann::detail::iterator_input_adapter<std::string::const_iterator>>;                \
  kind template class nlohmann::detail::parser<                                                              \
      nlohmann::json, nlohmann::detail::iterator_input_adapter<std::string::const_iterator>>;                \
  kind template class nlohmann::detail::lexer<nlohmann::json,                                                  \
                                              nlohmann::detail::iterator_input_adapter<const char*>>;         \
  kind template class nlohmann::detail::parser<nlohmann::json,                                                 \
                                               nlohmann::detail::iterator_input_adapter<const char*>>;
