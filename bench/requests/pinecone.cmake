# bench_pinecone_requests: how tightly the Pinecone adapter packs upserts, measured
# against the fake Pinecone of the unit tests (tests/unit/index/fake_pinecone.h,
# header-only, served with cpp-httplib). Included by bench/requests/CMakeLists.txt:
#   include(${CMAKE_CURRENT_LIST_DIR}/pinecone.cmake)
add_executable(bench_pinecone_requests ${CMAKE_CURRENT_LIST_DIR}/bench_pinecone_requests.cpp)
target_include_directories(bench_pinecone_requests PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(bench_pinecone_requests PRIVATE docpipe_all PkgConfig::CPP_HTTPLIB)
