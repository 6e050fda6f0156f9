# A scenario's manifest.json and report.md say which data every problem instance it ran on
# used: once per instance, its describe() text (data set, split, sizes, classes, side, seed).
# The scenario runs twice into one folder; the second run answers every run from results.tsv
# and must still list the same data.
#   cmake -DHG=hgbench -DSCRIPT=data_manifest.lua -DOUT=dir -P manifest.cmake
execute_process(COMMAND ${CMAKE_COMMAND} -E rm -rf ${OUT})
set(fm "Fashion-MNIST test, 40 \\+ 20 examples of 2 classes \\(0,6\\), 7x7, seed 5: train 40 x 49")
foreach(pass first second)
  execute_process(COMMAND ${HG} run ${SCRIPT} --out ${OUT}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${pass} run failed (${rc}):\n${out}\n${err}")
  endif()
  file(READ ${OUT}/manifest.json manifest)
  file(READ ${OUT}/report.md report)
  # three instances: the Fashion-MNIST one (whatever its runs) and ridge's two derived seeds
  string(REGEX MATCHALL "\\{\"problem\": " entries "${manifest}")
  list(LENGTH entries n)
  if(NOT n EQUAL 3)
    message(FATAL_ERROR "${pass} run: manifest.json lists ${n} data entries, not 3:\n${manifest}")
  endif()
  foreach(want
      "\"data\": \\[\n    {\"problem\": \"logreg\", \"params\": \"data=fashion-mnist split=test downsample=7 classes=0,6 n=40 n_val=20 seed=5\", \"data\": \"${fm}"
      "{\"problem\": \"ridge\", \"params\": \"n=30 d=4\", \"data\": \"synthetic \\(seed [0-9]+\\): train 30 x 4")
    if(NOT manifest MATCHES "${want}")
      message(FATAL_ERROR "${pass} run: manifest.json does not match '${want}':\n${manifest}")
    endif()
  endforeach()
  if(NOT report MATCHES "- Data [^\n]*:\n  - `logreg [^`]*`: ${fm}[^\n]*\n  - `ridge n=30 d=4`: synthetic \\(seed")
    message(FATAL_ERROR "${pass} run: report.md lists no Data:\n${report}")
  endif()
endforeach()
message(STATUS "manifest.json and report.md list the 3 instances' data, also on a resumed run")
