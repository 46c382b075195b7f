# BPE rank tables for src/tokenize: npm ci fetches the pinned js-tiktoken and
# Unicode data (package-lock.json, sha512-checked), and
# tools/tiktoken_ranks_to_bin.mjs checks the rank files' sha256 and writes
# compact tables into the build tree. The tables depend on that pinned data
# and Debian's libpcre2 alone, never on the node that runs the converter:
# their sha256 must equal cmake/bpe_tables.sha256. A generated source embeds
# them with .incbin so the binaries are self-contained.
# Include after docpipe_tokenize (src/libraries.cmake) is defined.

# The node scripts/install-deps.sh puts in .tools/node when Debian's is old
# comes first; any node >= 18 builds the same tables.
find_program(DOCPIPE_NODE node HINTS ${CMAKE_SOURCE_DIR}/.tools/node/bin)
# Likewise the npm it puts in .tools/npm when there is none on PATH.
find_program(DOCPIPE_NPM npm HINTS ${CMAKE_SOURCE_DIR}/.tools/npm/bin)
if(NOT DOCPIPE_NODE OR NOT DOCPIPE_NPM)
  message(FATAL_ERROR
    "docpipe needs node and npm at build time: they fetch the pinned js-tiktoken package whose BPE ranks "
    "are compiled into docpipe. Install them with `scripts/install-deps.sh build` (it installs Debian's nodejs, and npm from the npm registry when none is on PATH).")
endif()
execute_process(COMMAND ${DOCPIPE_NODE} --version OUTPUT_VARIABLE DOCPIPE_NODE_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE)
message(STATUS "docpipe: node ${DOCPIPE_NODE_VERSION} for the BPE rank tables")
get_filename_component(DOCPIPE_NODE_DIR ${DOCPIPE_NODE} DIRECTORY)

set(DOCPIPE_NODE_MODULES ${CMAKE_SOURCE_DIR}/node_modules)
# npm ci (re)creates node_modules/ (git-ignored) when it is missing or older
# than the lockfile; npm writes node_modules/.package-lock.json last.
set(DOCPIPE_NPM_STAMP ${DOCPIPE_NODE_MODULES}/.package-lock.json)
add_custom_command(
  OUTPUT ${DOCPIPE_NPM_STAMP}
  COMMAND ${CMAKE_COMMAND} -E env "PATH=${DOCPIPE_NODE_DIR}:$ENV{PATH}"
          ${DOCPIPE_NPM} ci --no-audit --no-fund --ignore-scripts
  COMMAND ${CMAKE_COMMAND} -E touch ${DOCPIPE_NPM_STAMP}
  DEPENDS ${CMAKE_SOURCE_DIR}/package.json ${CMAKE_SOURCE_DIR}/package-lock.json
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  COMMENT "npm ci: pinned js-tiktoken, Unicode data and test peers (package-lock.json)"
  VERBATIM)
# One target owns npm ci. Every target whose rules read node_modules depends
# on it: with only the stamp file as a dependency, each such target would
# carry its own copy of the rule, and two `npm ci` runs in parallel (-j2)
# delete each other's files (ENOTEMPTY).
add_custom_target(npm_packages DEPENDS ${DOCPIPE_NPM_STAMP})

# Prints which code points libpcre2 puts in a class; the converter uses it to
# make the pattern's classes match JavaScript's Unicode tables exactly.
add_executable(pcre2_class_ranges ${CMAKE_SOURCE_DIR}/tools/pcre2_class_ranges.cpp)
target_link_libraries(pcre2_class_ranges PRIVATE PkgConfig::PCRE2)

set(DOCPIPE_BPE_DIR ${CMAKE_BINARY_DIR}/generated/tokenize)
set(DOCPIPE_BPE_ENCODINGS cl100k_base o200k_base)
set(DOCPIPE_BPE_FILES)
foreach(enc ${DOCPIPE_BPE_ENCODINGS})
  list(APPEND DOCPIPE_BPE_FILES ${DOCPIPE_BPE_DIR}/${enc}.bpe)
endforeach()
add_custom_command(
  OUTPUT ${DOCPIPE_BPE_FILES}
  COMMAND ${DOCPIPE_NODE} ${CMAKE_SOURCE_DIR}/tools/tiktoken_ranks_to_bin.mjs
          --node-modules ${DOCPIPE_NODE_MODULES} --out-dir ${DOCPIPE_BPE_DIR}
          --class-ranges $<TARGET_FILE:pcre2_class_ranges>
          --expect-sha256 ${CMAKE_SOURCE_DIR}/cmake/bpe_tables.sha256
  DEPENDS ${DOCPIPE_NPM_STAMP} ${CMAKE_SOURCE_DIR}/tools/tiktoken_ranks_to_bin.mjs
          ${CMAKE_SOURCE_DIR}/tools/bpe_unicode.mjs ${CMAKE_SOURCE_DIR}/cmake/bpe_tables.sha256 pcre2_class_ranges
  COMMENT "Converting js-tiktoken ranks to docpipe BPE tables"
  VERBATIM)
add_custom_target(bpe_tables DEPENDS ${DOCPIPE_BPE_FILES})
add_dependencies(bpe_tables npm_packages)

# One symbol pair per table; .incbin reads the file when this source compiles.
set(DOCPIPE_BPE_ASM "")
set(DOCPIPE_BPE_DECLS "")
set(DOCPIPE_BPE_CASES "")
foreach(enc ${DOCPIPE_BPE_ENCODINGS})
  string(APPEND DOCPIPE_BPE_ASM
    "    \".section .rodata.docpipe_bpe_${enc},\\\"a\\\",@progbits\\n\"\n"
    "    \".balign 16\\n\"\n"
    "    \".globl docpipe_bpe_${enc}_begin\\n.hidden docpipe_bpe_${enc}_begin\\n\"\n"
    "    \".globl docpipe_bpe_${enc}_end\\n.hidden docpipe_bpe_${enc}_end\\n\"\n"
    "    \"docpipe_bpe_${enc}_begin:\\n\"\n"
    "    \".incbin \\\"${DOCPIPE_BPE_DIR}/${enc}.bpe\\\"\\n\"\n"
    "    \"docpipe_bpe_${enc}_end:\\n\"\n"
    "    \".previous\\n\"\n")
  string(APPEND DOCPIPE_BPE_DECLS
    "extern \"C\" const char docpipe_bpe_${enc}_begin[];\nextern \"C\" const char docpipe_bpe_${enc}_end[];\n")
  string(APPEND DOCPIPE_BPE_CASES
    "  if (encoding == \"${enc}\") return {docpipe_bpe_${enc}_begin, "
    "static_cast<size_t>(docpipe_bpe_${enc}_end - docpipe_bpe_${enc}_begin)};\n")
endforeach()
set(DOCPIPE_BPE_SOURCE ${DOCPIPE_BPE_DIR}/embedded_bpe_tables.cpp)
file(CONFIGURE OUTPUT ${DOCPIPE_BPE_SOURCE} CONTENT [=[
// Generated by cmake/bpe_tables.cmake: the BPE tables in this build tree.
#include "tokenize/embedded_tables.h"

#include <cstddef>

asm(
@DOCPIPE_BPE_ASM@);

@DOCPIPE_BPE_DECLS@
namespace docpipe {

std::string_view EmbeddedBpeTable(std::string_view encoding) {
@DOCPIPE_BPE_CASES@  return {};
}

}  // namespace docpipe
]=] @ONLY)
set_source_files_properties(${DOCPIPE_BPE_SOURCE} PROPERTIES OBJECT_DEPENDS "${DOCPIPE_BPE_FILES}")
target_sources(docpipe_tokenize PRIVATE ${DOCPIPE_BPE_SOURCE})
add_dependencies(docpipe_tokenize bpe_tables)
