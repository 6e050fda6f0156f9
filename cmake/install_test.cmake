# install_test.cmake -- the test install_example_plugin: hgbench installed into an empty prefix
# serves an out-of-tree plugin.
#
#   cmake -DBUILD=<build tree> -DSCRATCH=<empty folder> -P install_test.cmake
#
# Installs BUILD into SCRATCH/prefix, copies the example plugin from the installed docs
# (share/doc/hgbench/examples/plugin: nothing is read from the source tree), builds it once
# with find_package(hgbench) and once with pkg-config (its Makefile), then runs the installed
# hgbench's `selftest --plugin` on each build: the example must pass, and its -DBROKEN copy
# must fail with the failing check named in the table.  Each failure is printed.
if(NOT BUILD OR NOT SCRATCH)
  message(FATAL_ERROR "usage: cmake -DBUILD=... -DSCRATCH=... -P install_test.cmake")
endif()
file(REMOVE_RECURSE ${SCRATCH})
set(P ${SCRATCH}/prefix)
set(failures 0)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install_example_plugin: ${what} failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${P})
foreach(f bin/hgbench include/hgbench/hgbench.h lib/pkgconfig/hgbench.pc
        lib/cmake/hgbench/hgbenchConfig.cmake lib/lua/5.4/hgbench.so share/man/man1/hgbench.1
        share/doc/hgbench/README.md)
  if(NOT EXISTS ${P}/${f})
    message("install_example_plugin: ${P}/${f} not installed")
    math(EXPR failures "${failures} + 1")
  endif()
endforeach()
file(COPY ${P}/share/doc/hgbench/examples/plugin DESTINATION ${SCRATCH})
set(SRC ${SCRATCH}/plugin)

# find_package
run("configuring the example with find_package" ${CMAKE_COMMAND} -S ${SRC} -B ${SCRATCH}/cm
    -DCMAKE_PREFIX_PATH=${P} -DCMAKE_BUILD_TYPE=Release)
run("building the example (find_package)" ${CMAKE_COMMAND} --build ${SCRATCH}/cm)
# pkg-config
file(MAKE_DIRECTORY ${SCRATCH}/mk)
run("building the example (pkg-config)" ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${P}/lib/pkgconfig
    make -C ${SRC} O=${SCRATCH}/mk)

foreach(dir cm mk)
  foreach(variant aid_bicgstab aid_bicgstab_broken)
    execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH
                    --unset=HGBENCH_PLUGIN_PATH OPENBLAS_NUM_THREADS=1
                    ${P}/bin/hgbench selftest --plugin ${SCRATCH}/${dir}/${variant}.so
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(variant STREQUAL "aid_bicgstab")
      if(NOT rc EQUAL 0 OR NOT out MATCHES "PASS  aid-bicgstab on ridge +verify: converges")
        message("install_example_plugin: selftest on ${dir}/${variant}.so: exit ${rc}, "
                "expected 0:\n${out}${err}")
        math(EXPR failures "${failures} + 1")
      endif()
    elseif(NOT rc EQUAL 1 OR NOT out MATCHES "FAIL  aid-bicgstab on [a-z-]+ +verify: converges to exact")
      message("install_example_plugin: selftest on ${dir}/${variant}.so: exit ${rc}, expected "
              "1 and a FAIL row naming 'verify: converges to exact':\n${out}${err}")
      math(EXPR failures "${failures} + 1")
    else()
      string(REGEX MATCH "FAIL  [^\n]*" first "${out}")
      message("install_example_plugin: ${dir}/${variant}.so fails as it must: ${first}")
    endif()
  endforeach()
endforeach()
if(failures GREATER 0)
  message(FATAL_ERROR "install_example_plugin: ${failures} failure(s)")
endif()
message("install_example_plugin: installed hgbench, the example built with find_package and "
        "with pkg-config, selftest passes on it and fails on the broken copy")
