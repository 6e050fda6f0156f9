# Run a command that must fail: non-zero exit, a one-line error on stderr matching EXPECT,
# and nothing on stdout.  With -DANYLINES=1 only the exit status and the match are checked
# (a scenario's failed expectations print a line each).  Usage:
#   cmake -DCMD="prog|arg1|arg2" -DEXPECT="regex" [-DANYLINES=1] [-DCLEAN=dir] -P expect_fail.cmake
# CLEAN names a folder removed first (a scenario's output, so every run starts afresh).
string(REPLACE "|" ";" cmd "${CMD}")
if(CLEAN)
  file(REMOVE_RECURSE "${CLEAN}")
endif()
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a failure, got exit 0\nstdout: ${out}\nstderr: ${err}")
endif()
if(NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "stderr does not match '${EXPECT}':\n${err}")
endif()
if(ANYLINES)
  message(STATUS "failed as expected (exit ${rc}): ${err}")
  return()
endif()
string(REGEX MATCHALL "\n" lines "${err}")
list(LENGTH lines nlines)
if(NOT nlines EQUAL 1)
  message(FATAL_ERROR "expected a one-line error, got ${nlines} lines:\n${err}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "expected nothing on stdout (no half-written output), got:\n${out}")
endif()
message(STATUS "failed as expected (exit ${rc}): ${err}")
