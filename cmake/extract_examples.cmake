# extract_examples.cmake -- write the C block that follows the marker
# "<!-- example: NAME" in a Markdown file to OUT, so a test compiles the docs' worked examples.
#
#   cmake -DDOC=docs/DESIGN.md -DNAME=method -DOUT=example_method.c -P extract_examples.cmake
file(READ ${DOC} text)
string(FIND "${text}" "<!-- example: ${NAME}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${DOC}: no '<!-- example: ${NAME}' marker")
endif()
string(SUBSTRING "${text}" ${at} -1 text)
string(FIND "${text}" "```c\n" open)
if(open EQUAL -1)
  message(FATAL_ERROR "${DOC}: no ```c block after the '${NAME}' example marker")
endif()
math(EXPR open "${open} + 5")
string(SUBSTRING "${text}" ${open} -1 text)
string(FIND "${text}" "\n```" close)
if(close EQUAL -1)
  message(FATAL_ERROR "${DOC}: the '${NAME}' example's block is not closed")
endif()
math(EXPR close "${close} + 1")
string(SUBSTRING "${text}" 0 ${close} code)
file(WRITE ${OUT} "/* Extracted from ${DOC} (example '${NAME}') by cmake/extract_examples.cmake. */\n#line 1 \"${DOC}:${NAME}\"\n${code}")
