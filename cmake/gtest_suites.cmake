# One CTest test per GoogleTest suite, not per test.
#
# Every test process of the sanitizer build pays ASan's start-up and
# LeakSanitizer's scan of the globals at exit (0.28 CPU-s on the machine of
# docs/testing.md, "Build and run costs"), so a process per test cost more than
# most tests themselves. A suite runs in one process instead; `ctest -R Suite`
# still selects it, and its output names every failed test.
#
#   docpipe_gtest_suites(TARGET <exe> LABELS <labels...>
#                        [EXCLUDE <full test names or gtest patterns...>]
#                        [SEPARATE <full test names...>]
#                        [ENVIRONMENT_MODIFICATION <value>])
#
# EXCLUDE: tests CTest does not run from this target (another add_test runs
# them, or a benchmark does). SEPARATE: long tests that get a CTest test of
# their own, so they can start first (COST) and run beside their suite.
# The list is taken after each link of <exe> (as gtest_discover_tests'
# POST_BUILD mode does) by cmake/gtest_suites_list.cmake.
function(docpipe_gtest_suites)
  cmake_parse_arguments(ARG "" "TARGET;ENVIRONMENT_MODIFICATION" "LABELS;EXCLUDE;SEPARATE" ${ARGN})
  set(dir ${CMAKE_CURRENT_BINARY_DIR})
  set(tests_file ${dir}/${ARG_TARGET}_suites.cmake)
  set(include_file ${dir}/${ARG_TARGET}_suites_include.cmake)
  # Lists go to the script as ":"-joined strings (gtest filters use ":" too).
  list(JOIN ARG_EXCLUDE ":" exclude)
  list(JOIN ARG_SEPARATE ":" separate)
  list(JOIN ARG_LABELS ":" labels)
  add_custom_command(TARGET ${ARG_TARGET} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D BINARY=$<TARGET_FILE:${ARG_TARGET}> -D OUTPUT=${tests_file}
            -D WORKING_DIRECTORY=${dir} "-DEXCLUDE=${exclude}" "-DSEPARATE=${separate}"
            "-DLABELS=${labels}" "-DENVIRONMENT_MODIFICATION=${ARG_ENVIRONMENT_MODIFICATION}"
            -P ${CMAKE_SOURCE_DIR}/cmake/gtest_suites_list.cmake
    BYPRODUCTS ${tests_file}
    VERBATIM)
  file(WRITE ${include_file}
       "if(EXISTS \"${tests_file}\")\n"
       "  include(\"${tests_file}\")\n"
       "else()\n"
       "  add_test(${ARG_TARGET}_NOT_BUILT ${ARG_TARGET}_NOT_BUILT)\n"
       "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
endfunction()
