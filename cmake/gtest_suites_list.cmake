# Run by cmake/gtest_suites.cmake after each link of a test binary: lists its
# tests (--gtest_list_tests) and writes OUTPUT, the CTest script with one test
# per suite (minus EXCLUDE, minus SEPARATE) and one per SEPARATE test.
# Inputs (-D): BINARY, OUTPUT, WORKING_DIRECTORY, and ":"-joined EXCLUDE
# (full names or gtest patterns with * and ?), SEPARATE (full names), LABELS,
# ENVIRONMENT_MODIFICATION.
cmake_minimum_required(VERSION 3.25)

execute_process(COMMAND "${BINARY}" --gtest_list_tests
                OUTPUT_VARIABLE listing ERROR_VARIABLE errors RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${BINARY} --gtest_list_tests failed (${rc}):\n${listing}${errors}")
endif()

# A gtest pattern as an anchored regular expression.
function(pattern_regex pattern out)
  string(REGEX REPLACE "([][+.^$(){}|\\\\])" "\\\\\\1" regex "${pattern}")
  string(REPLACE "*" ".*" regex "${regex}")
  string(REPLACE "?" "." regex "${regex}")
  set(${out} "^${regex}$" PARENT_SCOPE)
endfunction()

string(REPLACE ":" ";" exclude_patterns "${EXCLUDE}")
set(exclude_count 0)
foreach(pattern IN LISTS exclude_patterns)
  pattern_regex("${pattern}" exclude_regex_${exclude_count})
  math(EXPR exclude_count "${exclude_count} + 1")
endforeach()
string(REPLACE ":" ";" separate "${SEPARATE}")
string(REPLACE ":" ";" labels "${LABELS}")

# Suites in the binary's order, each with its tests' full names.
set(suites "")
string(REPLACE "\n" ";" lines "${listing}")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "#.*" "" line "${line}")  # "  # GetParam() = ..." comments
  if(line MATCHES "^([^ ].*)\\.[ ]*$")
    set(suite "${CMAKE_MATCH_1}")
    string(MAKE_C_IDENTIFIER "${suite}" suite_var)
    list(APPEND suites "${suite}")
    set(tests_${suite_var} "")
  elseif(line MATCHES "^  ([^ ]+)")
    list(APPEND tests_${suite_var} "${suite}.${CMAKE_MATCH_1}")
  endif()
endforeach()

function(write_test name filter cost)
  string(APPEND script
    "add_test([==[${name}]==] [==[${BINARY}]==] [==[--gtest_filter=${filter}]==])\n"
    "set_tests_properties([==[${name}]==] PROPERTIES WORKING_DIRECTORY [==[${WORKING_DIRECTORY}]==]"
    " LABELS [==[${labels}]==] COST ${cost}")
  if(ENVIRONMENT_MODIFICATION)
    string(APPEND script " ENVIRONMENT_MODIFICATION [==[${ENVIRONMENT_MODIFICATION}]==]")
  endif()
  string(APPEND script ")\n")
  set(script "${script}" PARENT_SCOPE)
endfunction()

set(script "# Written by cmake/gtest_suites_list.cmake from ${BINARY} --gtest_list_tests.\n")
set(found_separate "")
foreach(suite IN LISTS suites)
  string(MAKE_C_IDENTIFIER "${suite}" suite_var)
  set(kept 0)
  set(left_out "")
  foreach(test IN LISTS tests_${suite_var})
    set(excluded FALSE)
    set(i 0)
    foreach(pattern IN LISTS exclude_patterns)
      if(test MATCHES "${exclude_regex_${i}}")
        set(excluded TRUE)
        # The pattern itself goes into the suite's negative filter, once.
        list(APPEND left_out "${pattern}")
        break()
      endif()
      math(EXPR i "${i} + 1")
    endforeach()
    if(excluded)
      continue()
    elseif(test IN_LIST separate)
      list(APPEND left_out "${test}")
      list(APPEND found_separate "${test}")
      write_test("${test}" "${test}" 1000)
    else()
      math(EXPR kept "${kept} + 1")
    endif()
  endforeach()
  if(kept GREATER 0)
    set(filter "${suite}.*")
    if(left_out)
      list(REMOVE_DUPLICATES left_out)
      list(JOIN left_out ":" negative)
      string(APPEND filter "-${negative}")
    endif()
    # Bigger suites start first on a clean clone (no CTestCostData.txt yet).
    write_test("${suite}" "${filter}" ${kept})
  endif()
endforeach()

# A SEPARATE name that matches no test is a typo that would drop nothing
# silently but lose its head start: fail the build instead.
foreach(test IN LISTS separate)
  if(NOT test IN_LIST found_separate)
    message(FATAL_ERROR "docpipe_gtest_suites: SEPARATE test ${test} is not in ${BINARY}")
  endif()
endforeach()

file(WRITE "${OUTPUT}" "${script}")
