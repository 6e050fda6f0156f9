# layers_check.cmake -- the test layers_acyclic: the harness is four libraries whose
# dependencies go one way, hg_cli -> hg_plugins -> hg_io -> hg_core (STYLE "Layout").
#
#   cmake -DSRC=<source tree> -DSCRATCH=<empty folder to configure in> -P layers_check.cmake
#
# (a) Configures SRC into SCRATCH with --graphviz and reads the edges between the four layer
#     targets: they must be exactly cli -> plugins -> io -> core (no reverse edge, no skip, so
#     no cycle).
# (b) Reads the #include "..." lines of every source and header of each layer and fails when a
#     file includes a header that lives in a higher layer (core: harness/core and hgbench.h;
#     io: harness/io; plugins: harness/plugins, problems, methods; cli: harness/cli, lua).
# (a2) libhgbench.so (hgbench_shared) is exactly the four layers, and the Lua binding hg_lua
#     links none of them.
# Every violation is printed, naming the file and the header; the test fails if there is one.

if(NOT SRC OR NOT SCRATCH)
  message(FATAL_ERROR "usage: cmake -DSRC=... -DSCRATCH=... -P layers_check.cmake")
endif()

set(layers core io plugins cli)
set(dirs_core harness harness/core)
set(dirs_io harness/io)
set(dirs_plugins harness/plugins problems methods/hypergrad methods/outer)
set(dirs_cli harness/cli lua)
set(failures 0)

# --- (a) the target graph --------------------------------------------------------------------
file(REMOVE_RECURSE ${SCRATCH})
file(MAKE_DIRECTORY ${SCRATCH})
file(WRITE ${SCRATCH}/CMakeGraphVizOptions.cmake
     "set(GRAPHVIZ_EXTERNAL_LIBS FALSE)\nset(GRAPHVIZ_EXECUTABLES FALSE)\n")
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${SCRATCH} --graphviz=${SCRATCH}/layers.dot
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE cfg_err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring ${SRC} for the graph failed:\n${cfg_err}")
endif()
file(STRINGS ${SCRATCH}/layers.dot edge_lines REGEX "// hg_[a-z]+ -> hg_[a-z]+")
set(edges "")
foreach(line IN LISTS edge_lines)
  string(REGEX MATCH "// (hg_[a-z]+) -> (hg_[a-z]+)" _ "${line}")
  set(from ${CMAKE_MATCH_1})
  set(to ${CMAKE_MATCH_2})
  string(REGEX REPLACE "^hg_" "" from_layer ${from})
  string(REGEX REPLACE "^hg_" "" to_layer ${to})
  list(FIND layers ${from_layer} i)
  list(FIND layers ${to_layer} j)
  if(i LESS 0 OR j LESS 0)
    continue() # not two layers (hgcore, the tests' alias, links hg_cli)
  endif()
  list(APPEND edges "${from}->${to}")
  math(EXPR below "${i} - 1")
  if(NOT j EQUAL below)
    message("layers_acyclic: target edge ${from} -> ${to}: a layer may link only the one "
            "directly below it")
    math(EXPR failures "${failures} + 1")
  endif()
endforeach()
foreach(want hg_io->hg_core hg_plugins->hg_io hg_cli->hg_plugins)
  list(FIND edges ${want} k)
  if(k LESS 0)
    message("layers_acyclic: missing target edge ${want} (edges seen: ${edges})")
    math(EXPR failures "${failures} + 1")
  endif()
endforeach()

# --- (a2) the shared library and the Lua binding ----------------------------------------------
# libhgbench.so (target hgbench_shared) is the four layers' objects and nothing of Lua; the Lua
# binding hg_lua links no layer (its calls are resolved by the executable or the module that
# links it), so the module hgbench.so can take the harness from libhgbench.so alone.
file(STRINGS ${SCRATCH}/layers.dot all_edges REGEX "// [A-Za-z_:]+ -> [A-Za-z_:]+")
set(shared_parts "")
foreach(line IN LISTS all_edges)
  string(REGEX MATCH "// ([A-Za-z_:]+) -> ([A-Za-z_:]+)" _ "${line}")
  if(CMAKE_MATCH_1 STREQUAL "hgbench_shared")
    list(APPEND shared_parts ${CMAKE_MATCH_2})
  elseif(CMAKE_MATCH_1 STREQUAL "hg_lua")
    message("layers_acyclic: hg_lua links ${CMAKE_MATCH_2}: the Lua binding must link nothing")
    math(EXPR failures "${failures} + 1")
  endif()
endforeach()
list(SORT shared_parts)
if(NOT shared_parts STREQUAL "hg_cli;hg_core;hg_io;hg_plugins")
  message("layers_acyclic: libhgbench.so is made of '${shared_parts}', expected the four layers")
  math(EXPR failures "${failures} + 1")
endif()

# --- (b) the #include lines -------------------------------------------------------------------
# Which layer each header belongs to, by the folder it lives in.
foreach(layer IN LISTS layers)
  foreach(d IN LISTS dirs_${layer})
    file(GLOB headers ${SRC}/${d}/*.h)
    foreach(h IN LISTS headers)
      get_filename_component(name ${h} NAME)
      set(layer_of_${name} ${layer})
    endforeach()
  endforeach()
endforeach()
foreach(i RANGE 0 3)
  list(GET layers ${i} layer)
  foreach(d IN LISTS dirs_${layer})
    file(GLOB files ${SRC}/${d}/*.c ${SRC}/${d}/*.h)
    foreach(f IN LISTS files)
      file(STRINGS ${f} includes REGEX "^[ \t]*#[ \t]*include[ \t]+\"")
      foreach(inc IN LISTS includes)
        string(REGEX MATCH "\"([^\"]+)\"" _ "${inc}")
        get_filename_component(name "${CMAKE_MATCH_1}" NAME)
        if(NOT DEFINED layer_of_${name})
          continue() # generated (hg_prelude.h, hg_plot_*.h) or a system header in quotes
        endif()
        list(FIND layers ${layer_of_${name}} j)
        if(j GREATER i)
          file(RELATIVE_PATH rel ${SRC} ${f})
          message("layers_acyclic: ${rel} (${layer}) includes ${name} (${layer_of_${name}}), "
                  "a higher layer")
          math(EXPR failures "${failures} + 1")
        endif()
      endforeach()
    endforeach()
  endforeach()
endforeach()

if(failures GREATER 0)
  message(FATAL_ERROR "layers_acyclic: ${failures} violation(s) of core <- io <- plugins <- cli")
endif()
list(JOIN edges ", " edges_text)
message("layers_acyclic: edges ${edges_text}; no #include reaches a higher layer")
