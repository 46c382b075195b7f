# Runs skip_probe (PROBE) three ways and checks that a suite whose set-up
# failed, and a GTEST_SKIP, make the program fail without GoogleTest's
# "[  SKIPPED ]" line (CTest would report that as a skip and pass the run),
# while a passing test still passes.
function(run_probe filter expect_rc)
  execute_process(COMMAND ${PROBE} --gtest_filter=${filter} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "${filter}: exit ${rc}, expected ${expect_rc}\n${out}${err}")
  endif()
  if(out MATCHES "\\[  SKIPPED \\]")
    message(FATAL_ERROR "${filter}: the output has a [  SKIPPED ] line, which CTest reports as a skip:\n${out}")
  endif()
  if(expect_rc EQUAL 1 AND NOT out MATCHES "\\[  FAILED  \\]")
    message(FATAL_ERROR "${filter}: no [  FAILED  ] line:\n${out}")
  endif()
endfunction()
run_probe("SetUpTestSuiteFails.*" 1)
run_probe("GtestSkip.*" 1)
run_probe("Passing.*" 0)
