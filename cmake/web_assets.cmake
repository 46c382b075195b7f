# The dashboard (web/, TypeScript + Preact): web/build.mjs type-checks and
# bundles it with the pinned typescript and esbuild (package-lock.json) into
# the build tree and writes a source that embeds every asset with .incbin, so
# `docpipe serve` carries its pages and needs no network at run time. Nothing
# built is written into the source tree. The generated source belongs to the
# serve library (docpipe_serve, app layer), beside serve/web_assets.h, which
# declares its table. Include after cmake/bpe_tables.cmake (node, npm ci's
# stamp) and src/libraries.cmake (docpipe_serve).
file(GLOB DOCPIPE_WEB_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/web/src/*)
set(DOCPIPE_WEB_DIR ${CMAKE_BINARY_DIR}/generated/web)
set(DOCPIPE_WEB_SOURCE ${DOCPIPE_WEB_DIR}/web_assets.cpp)
add_custom_command(
  OUTPUT ${DOCPIPE_WEB_SOURCE}
  COMMAND ${DOCPIPE_NODE} ${CMAKE_SOURCE_DIR}/web/build.mjs --out-dir ${DOCPIPE_WEB_DIR}
          --node-modules ${DOCPIPE_NODE_MODULES}
  # The file is rewritten only when an asset changed; touch it so this rule
  # is not run again on every build.
  COMMAND ${CMAKE_COMMAND} -E touch_nocreate ${DOCPIPE_WEB_SOURCE}
  DEPENDS ${DOCPIPE_NPM_STAMP} ${DOCPIPE_WEB_SOURCES} ${CMAKE_SOURCE_DIR}/web/build.mjs
          ${CMAKE_SOURCE_DIR}/web/tsconfig.json
  COMMENT "Building the dashboard (web/): tsc, esbuild"
  VERBATIM)
add_custom_target(web_assets DEPENDS ${DOCPIPE_WEB_SOURCE})
add_dependencies(web_assets npm_packages)  # not the stamp's rule a second time (bpe_tables.cmake)
target_sources(docpipe_serve PRIVATE ${DOCPIPE_WEB_SOURCE})
set_source_files_properties(${DOCPIPE_WEB_SOURCE} TARGET_DIRECTORY docpipe_serve
                            PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
add_dependencies(docpipe_serve web_assets)
