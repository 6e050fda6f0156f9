# manpage.cmake -- hgbench.1 from the text of `hgbench --help` (one source for both).
#
#   cmake -DHG=<hgbench binary> -DOUT=<hgbench.1> -DVERSION=<x.y.z> -P manpage.cmake
#
# The usage text becomes a roff page: NAME, SYNOPSIS (its first line), DESCRIPTION (the rest,
# verbatim in a no-fill block so the columns stay), ENVIRONMENT and SEE ALSO.
if(NOT HG OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DHG=... -DOUT=... -DVERSION=... -P manpage.cmake")
endif()
execute_process(COMMAND ${HG} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${HG} --help failed (${rc})")
endif()
# roff escapes: backslash first, then a leading dot or quote on a line
string(REPLACE "\\" "\\e" help "${help}")
string(REGEX REPLACE "\n([.'])" "\n\\\\&\\1" help "${help}")
string(FIND "${help}" "\n" eol)
string(SUBSTRING "${help}" 0 ${eol} synopsis)
math(EXPR eol "${eol} + 1")
string(SUBSTRING "${help}" ${eol} -1 body)
string(REPLACE "usage: " "" synopsis "${synopsis}")
string(TIMESTAMP year "%Y")
file(WRITE ${OUT}
".TH HGBENCH 1 \"${year}\" \"hgbench ${VERSION}\" \"User Commands\"\n"
".SH NAME\nhgbench \\- benchmark suite for hypergradient methods in bilevel optimization\n"
".SH SYNOPSIS\n.B ${synopsis}\n"
".SH DESCRIPTION\n.nf\n${body}.fi\n"
".SH ENVIRONMENT\n.TP\n.B HGBENCH_PLUGIN_PATH\nColon-separated plugin shared objects, or "
"folders of them, loaded at start-up.\n.TP\n.B OPENBLAS_NUM_THREADS\nBLAS threads (default 1).\n"
".SH SEE ALSO\nlua5.4(1), gnuplot(1); /usr/share/doc/hgbench/\n")
