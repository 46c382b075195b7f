# The libraries of docpipe, in their declared order: common -> ports ->
# adapters -> pipeline -> app -> cli (cmake/layers.cmake says what each layer
# may use; docs/architecture.md draws it). A library sees only its own
# headers and those of what it links, so a wrong-way include fails to build.

# ---- common: helpers every layer uses --------------------------------------------
docpipe_library(docpipe_common LAYER common
  FILES common/*
  LIBS fmt::fmt nlohmann_json::nlohmann_json ${DOCPIPE_CRYPTO_LIBS} ${DOCPIPE_SQLITE3_LIBS} Threads::Threads)
target_compile_definitions(docpipe_common PUBLIC DOCPIPE_VERSION="${PROJECT_VERSION}")

# ---- ports: one interface per external concern, with its value types ------------
docpipe_library(docpipe_http_port LAYER ports
  FILES http/http_client.h http/http_request.cpp http/http_retry.*
  DEPS docpipe_common)
docpipe_library(docpipe_object_store_port LAYER ports
  FILES object_store/object_store.*
  DEPS docpipe_common)
docpipe_library(docpipe_tables_port LAYER ports
  FILES tables/tables.h tables/control_record.*
  DEPS docpipe_common)
docpipe_library(docpipe_queue_port LAYER ports
  FILES queue/work_queue.h
  DEPS docpipe_common)
docpipe_library(docpipe_monitoring_port LAYER ports
  FILES monitoring/metric_sink.h
  DEPS docpipe_common)
docpipe_library(docpipe_tokenize_port LAYER ports
  FILES tokenize/tokenizer.h
  DEPS docpipe_common)
docpipe_library(docpipe_extract_port LAYER ports
  FILES extract/extractor.h extract/format_options.h extract/extract_limits.h
  DEPS docpipe_common)
# OCR: the engine port, and the pool that shares one engine among threads.
docpipe_library(docpipe_ocr_port LAYER ports
  FILES ocr/ocr_engine.h ocr/ocr_pool.*
  DEPS docpipe_common)
docpipe_library(docpipe_embed_port LAYER ports
  FILES embed/embedder.*
  DEPS docpipe_common)
docpipe_library(docpipe_index_port LAYER ports
  FILES index/vector_index.*
  DEPS docpipe_common)
docpipe_library(docpipe_enrich_port LAYER ports
  FILES enrich/enricher.* enrich/text_span.*
  DEPS docpipe_common)

# ---- adapters: the implementations beside each port -----------------------------
# libcurl, the transport of every remote adapter.
docpipe_library(docpipe_http LAYER adapters
  FILES http/*
  DEPS docpipe_http_port
  LIBS ${CMAKE_DL_LIBS})  # libcurl is loaded on first use (dlopen): its header only here
target_include_directories(docpipe_http PRIVATE ${CURL_INCLUDE_DIRS})
# AWS SigV4, credentials, the standard retry mode and Secrets Manager: what
# the AWS adapters share.
docpipe_library(docpipe_aws LAYER adapters
  FILES aws/*
  DEPS docpipe_http_port)
docpipe_library(docpipe_object_store LAYER adapters
  FILES object_store/*
  DEPS docpipe_object_store_port docpipe_aws)
docpipe_library(docpipe_tables LAYER adapters
  FILES tables/*
  DEPS docpipe_tables_port docpipe_aws)
docpipe_library(docpipe_queue LAYER adapters
  FILES queue/*
  DEPS docpipe_queue_port docpipe_aws)
docpipe_library(docpipe_monitoring LAYER adapters
  FILES monitoring/*
  DEPS docpipe_monitoring_port docpipe_aws)
docpipe_library(docpipe_tokenize LAYER adapters
  FILES tokenize/*
  DEPS docpipe_tokenize_port
  LIBS ${DOCPIPE_PCRE2_LIBS})
set_property(GLOBAL APPEND PROPERTY DOCPIPE_CLAIMED_FILES extract/gmime_parser.cpp)
# Tesseract's engine is a module, docpipe-ocr-tesseract.so, that the first
# image read loads (ocr/tesseract_ocr_engine.h): linked into docpipe,
# libtesseract and the ~50 libraries it brings (image formats, libarchive,
# libcurl) would be loaded by every command at start-up.
set_property(GLOBAL APPEND PROPERTY DOCPIPE_CLAIMED_FILES ocr/tesseract_ocr_engine.cpp)
docpipe_library(docpipe_ocr LAYER adapters
  FILES ocr/*
  DEPS docpipe_ocr_port)
add_library(docpipe_ocr_tesseract MODULE ${DOCPIPE_SRC}/ocr/tesseract_ocr_engine.cpp)
set_target_properties(docpipe_ocr_tesseract PROPERTIES PREFIX "" OUTPUT_NAME docpipe-ocr-tesseract
                                                       LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
target_include_directories(docpipe_ocr_tesseract PRIVATE $<TARGET_PROPERTY:docpipe_ocr,DOCPIPE_INCLUDE_ROOT>)
# Headers only from docpipe (Status is inline): the module links nothing of
# the binary, and --no-undefined proves it.
target_link_libraries(docpipe_ocr_tesseract PRIVATE fmt::fmt ${TEXT_LIB_tesseract} ${TEXT_LIB_lept} ${CMAKE_DL_LIBS})
docpipe_module_no_undefined(docpipe_ocr_tesseract)
docpipe_library(docpipe_extract LAYER adapters
  FILES extract/* extract/pdf/*
  DEPS docpipe_extract_port docpipe_ocr_port docpipe_ocr
  LIBS mupdf_all ${DOCPIPE_UCHARDET_LIBS} ${DOCPIPE_FRIBIDI_LIBS} ${DOCPIPE_ICU_LIBS}
       ${DOCPIPE_PUGIXML_LIBS} ${CMAKE_DL_LIBS})  # libzip: loaded on first use (dlopen), its header only here
# GMime parses e-mail in a module, docpipe-mime.so, that the first e-mail
# read loads (extract/mime_message.h): linked into docpipe, GMime, GLib, GIO
# and GPGME (some 15 libraries) would be loaded by every command at start-up.
add_library(docpipe_mime MODULE ${DOCPIPE_SRC}/extract/gmime_parser.cpp)
set_target_properties(docpipe_mime PROPERTIES PREFIX "" OUTPUT_NAME docpipe-mime
                                              LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
target_include_directories(docpipe_mime PRIVATE $<TARGET_PROPERTY:docpipe_extract,DOCPIPE_INCLUDE_ROOT>)
# Headers only from docpipe (Status is inline): the module links nothing of
# the binary, and --no-undefined proves it.
target_link_libraries(docpipe_mime PRIVATE PkgConfig::GMIME)
docpipe_module_no_undefined(docpipe_mime)
docpipe_library(docpipe_embed LAYER adapters
  FILES embed/*
  DEPS docpipe_embed_port docpipe_http_port docpipe_tokenize)
docpipe_library(docpipe_index LAYER adapters
  FILES index/*
  DEPS docpipe_index_port docpipe_http_port)
docpipe_library(docpipe_enrich LAYER adapters
  FILES enrich/*
  DEPS docpipe_enrich_port docpipe_aws
  LIBS ${DOCPIPE_PCRE2_LIBS} ${DOCPIPE_PHONENUMBER_LIBS} ${CLD2_LIB})

# ---- pipeline: the stages and the classes that drive them (ports only) ----------
docpipe_library(docpipe_chunk LAYER pipeline
  FILES chunk/*
  DEPS docpipe_tokenize_port docpipe_extract_port)
docpipe_library(docpipe_pipeline LAYER pipeline
  FILES pipeline/*
  DEPS docpipe_chunk docpipe_object_store_port docpipe_tables_port docpipe_queue_port docpipe_monitoring_port
       docpipe_extract_port docpipe_embed_port docpipe_index_port docpipe_enrich_port)
docpipe_library(docpipe_search LAYER pipeline
  FILES search/*
  DEPS docpipe_embed_port docpipe_index_port)

# ---- app: configuration, composition (adapters are chosen here), entry points ---
docpipe_library(docpipe_config LAYER app
  FILES config/*
  DEPS docpipe_chunk docpipe_extract_port docpipe_pipeline)
# toml++ header-only (its shared library would be one more to load at start-up).
target_compile_definitions(docpipe_config PRIVATE TOML_HEADER_ONLY=1)
target_include_directories(docpipe_config PRIVATE $<TARGET_PROPERTY:tomlplusplus::tomlplusplus,INTERFACE_INCLUDE_DIRECTORIES>)
docpipe_library(docpipe_app LAYER app
  FILES app/*
  DEPS docpipe_config docpipe_pipeline docpipe_search docpipe_http docpipe_aws docpipe_object_store docpipe_tables
       docpipe_queue docpipe_monitoring docpipe_tokenize docpipe_extract docpipe_embed docpipe_index docpipe_enrich docpipe_ocr)
docpipe_library(docpipe_lambda LAYER app
  FILES lambda/*
  DEPS docpipe_pipeline docpipe_http_port)
# The head's HTTP server (libmicrohttpd, src/serve/http_server.cpp) is a module
# that `serve` loads when it starts serving (serve/http_server.h): linked into
# docpipe, libmicrohttpd and the TLS and compression libraries it needs would
# be loaded by every command at start-up.
set_property(GLOBAL APPEND PROPERTY DOCPIPE_CLAIMED_FILES serve/http_server.cpp)
docpipe_library(docpipe_serve LAYER app
  FILES serve/*
  DEPS docpipe_app
  LIBS ${CMAKE_DL_LIBS})
add_library(docpipe_http_server MODULE ${DOCPIPE_SRC}/serve/http_server.cpp)
set_target_properties(docpipe_http_server PROPERTIES PREFIX "" OUTPUT_NAME docpipe-http-server
                                                     LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
target_include_directories(docpipe_http_server PRIVATE $<TARGET_PROPERTY:docpipe_serve,DOCPIPE_INCLUDE_ROOT>)
# Headers only from docpipe (Status is inline): the module links nothing of
# the binary, and --no-undefined proves it.
target_link_libraries(docpipe_http_server PRIVATE fmt::fmt nlohmann_json::nlohmann_json PkgConfig::MICROHTTPD ZLIB::ZLIB)
docpipe_module_no_undefined(docpipe_http_server)

# ---- cli: the commands and `docpipe` --------------------------------------------
set_property(GLOBAL APPEND PROPERTY DOCPIPE_CLAIMED_FILES cli/main.cpp)  # the executable's, below
docpipe_library(docpipe_cli LAYER cli
  FILES cli/*
  DEPS docpipe_app docpipe_serve docpipe_lambda
  LIBS CLI11::CLI11)
# `docpipe --version` names the commit: a header written into the build tree
# at every build (rewritten only when the commit changes). Where the sources
# are no git checkout (the Docker context), -DDOCPIPE_GIT_COMMIT=<sha> names it.
set(DOCPIPE_GIT_COMMIT "" CACHE STRING "commit to report when the sources are not a git checkout")
set(DOCPIPE_VERSION_DIR ${CMAKE_BINARY_DIR}/generated/version)
add_custom_target(docpipe_build_version
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUTPUT=${DOCPIPE_VERSION_DIR}/build_version.h
          -DVERSION=${PROJECT_VERSION} -DGIT_COMMIT=${DOCPIPE_GIT_COMMIT} -P ${CMAKE_SOURCE_DIR}/cmake/build_version.cmake
  BYPRODUCTS ${DOCPIPE_VERSION_DIR}/build_version.h
  VERBATIM)
target_include_directories(docpipe_cli PRIVATE ${DOCPIPE_VERSION_DIR})
add_dependencies(docpipe_cli docpipe_build_version)

add_executable(docpipe ${DOCPIPE_SRC}/cli/main.cpp)
target_include_directories(docpipe PRIVATE $<TARGET_PROPERTY:docpipe_cli,DOCPIPE_INCLUDE_ROOT>)
target_link_libraries(docpipe PRIVATE docpipe_cli)
# Modules docpipe loads from beside the binary: `serve`'s HTTP server, OCR, e-mail.
add_dependencies(docpipe docpipe_http_server docpipe_ocr_tesseract docpipe_mime)
docpipe_precompile(docpipe)

docpipe_check_all_files_claimed()
