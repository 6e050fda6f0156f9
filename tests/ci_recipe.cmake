# ci_recipe.cmake -- the CI job of docs/ci.md, run as a user would: hgbench installed into an
# empty prefix, a project holding a plugin (the example's source as my_method.c), a tracked
# scenario and a committed baseline; the job's shell block, extracted from the docs, must pass,
# and fail once the baseline claims runs ten times faster than they are.  The test runs on a
# machine that may be busy (a developer's): the job's time ratio is raised to 4
# (HGBENCH_TIME_RATIO, as docs/ci.md advises for noisy runners), so only a real slowdown fails.
#
#   cmake -DBUILD=<build tree> -DSRC=<source tree> -DSCRATCH=<folder> -P ci_recipe.cmake
file(REMOVE_RECURSE ${SCRATCH})
set(P ${SCRATCH}/prefix)
set(PROJ ${SCRATCH}/my-method)
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  WORKING_DIRECTORY ${PROJ})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ci_recipe: ${what} failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()
file(MAKE_DIRECTORY ${PROJ}/baseline)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${P} OUTPUT_QUIET
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ci_recipe: cmake --install failed")
endif()
configure_file(${SRC}/examples/plugin/aid_bicgstab.c ${PROJ}/my_method.c COPYONLY)
file(WRITE ${PROJ}/CMakeLists.txt "cmake_minimum_required(VERSION 3.18)
project(my_method LANGUAGES C)
find_package(hgbench REQUIRED)
add_library(my_method MODULE my_method.c)
target_link_libraries(my_method PRIVATE hgbench::hgbench m)
set_target_properties(my_method PROPERTIES PREFIX \"\")
")
file(WRITE ${PROJ}/bench.lua "local hg = require \"hgbench\"
hg.sweep{problems = {{\"ridge\", {n = 2000, d = 100}}}, methods = {\"aid-bicgstab\", \"aid-fp\"},
         t = hg.range(20, 400, 8, \"log\"), k = \"t\"}
")
execute_process(COMMAND ${CMAKE_COMMAND} -DDOC=${SRC}/docs/ci.md -DNAME=ci -DLANG=sh
                -DOUT=${PROJ}/job.sh -P ${SRC}/cmake/extract_examples.cmake RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ci_recipe: no job in docs/ci.md")
endif()
set(ENV{PATH} "${P}/bin:$ENV{PATH}")
set(ENV{CMAKE_PREFIX_PATH} "${P}")
set(ENV{OPENBLAS_NUM_THREADS} 1)
set(ENV{HGBENCH_TIME_RATIO} 4)

# the baseline, recorded once with the same plugin, then the job against it
run("building the plugin" ${CMAKE_COMMAND} -S . -B build-baseline -DCMAKE_BUILD_TYPE=Release)
run("building the plugin" ${CMAKE_COMMAND} --build build-baseline)
run("recording the baseline" ${P}/bin/hgbench --plugin build-baseline/my_method.so run bench.lua
    --out baseline)
run("the job of docs/ci.md" sh job.sh)
if(NOT EXISTS ${PROJ}/out/report.md)
  message(FATAL_ERROR "ci_recipe: the job wrote no out/report.md")
endif()

# a baseline ten times faster than the truth: the job must fail on the slowdown
execute_process(COMMAND awk "BEGIN { FS = OFS = \"\\t\" } NR > 1 { $22 = $22 / 10 } { print }"
                ${PROJ}/out/results.tsv OUTPUT_FILE ${PROJ}/baseline/results.tsv)
execute_process(COMMAND sh job.sh WORKING_DIRECTORY ${PROJ} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT out MATCHES "REGRESSION: slower")
  message(FATAL_ERROR "ci_recipe: the job passed against a baseline 10x faster (${rc}):\n${out}")
endif()
message("ci_recipe: the job of docs/ci.md passes against its baseline and fails on a 10x slowdown")
