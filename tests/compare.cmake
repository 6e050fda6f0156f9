# compare.cmake -- `hgbench compare` stays silent on two repeat runs of the same build and flags
# an injected slowdown of 2x and an injected change of a fitted rate.
#   cmake -DHG=hgbench -DSCRIPT=compare_sweep.lua -DOUT=dir -P compare.cmake
file(REMOVE_RECURSE ${OUT})
foreach(side a b)
  execute_process(COMMAND ${HG} run ${SCRIPT} --out ${OUT}/${side} RESULT_VARIABLE rc
                  OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the scenario failed (${rc})")
  endif()
endforeach()

# 1. two repeat runs: no regression
execute_process(COMMAND ${HG} compare ${OUT}/a ${OUT}/b RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "compare: 0 regression")
  message(FATAL_ERROR "repeat runs compared with exit ${rc}:\n${out}")
endif()

# 2. every run twice as slow (wall_s, column 22)
file(MAKE_DIRECTORY ${OUT}/slow)
execute_process(COMMAND awk "BEGIN { FS = OFS = \"\\t\" } NR > 1 { $22 = $22 * 2 } { print }"
                ${OUT}/a/results.tsv OUTPUT_FILE ${OUT}/slow/results.tsv)
execute_process(COMMAND ${HG} compare ${OUT}/a ${OUT}/slow RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 1 OR NOT out MATCHES "median ratio new/base 2.000[^\n]*REGRESSION: slower")
  message(FATAL_ERROR "an injected 2x slowdown compared with exit ${rc}:\n${out}")
endif()

# 3. aid-fp converging at the square root of its rate (rel_error, column 17, to its square root)
file(MAKE_DIRECTORY ${OUT}/rate)
execute_process(COMMAND awk "BEGIN { FS = OFS = \"\\t\" } NR > 1 && $4 == \"aid-fp\" { $17 = sqrt($17) } { print }"
                ${OUT}/a/results.tsv OUTPUT_FILE ${OUT}/rate/results.tsv)
execute_process(COMMAND ${HG} compare ${OUT}/a ${OUT}/rate RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 1 OR NOT out MATCHES "aid-fp [^\n]*REGRESSION: slower rate")
  message(FATAL_ERROR "an injected rate change compared with exit ${rc}:\n${out}")
endif()
if(out MATCHES "itd [^\n]*REGRESSION: slower rate")
  message(FATAL_ERROR "itd's unchanged rate was flagged:\n${out}")
endif()

# 4. bad input: a missing folder is exit 2 with its name, nothing on stdout
execute_process(COMMAND ${HG} compare ${OUT}/a ${OUT}/nosuch RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE errout)
if(NOT rc EQUAL 2 OR NOT out STREQUAL "" OR NOT errout MATCHES "nosuch")
  message(FATAL_ERROR "a missing NEW gave exit ${rc}, stdout '${out}', stderr '${errout}'")
endif()
