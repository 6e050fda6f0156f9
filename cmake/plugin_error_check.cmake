# plugin_error_check.cmake -- `hgbench --plugin PLUGIN list` must exit 2 with nothing on
# stdout and one line on stderr matching MESSAGE (the tests plugin_error_*).
#   cmake -DHG=<hgbench> -DPLUGIN=<broken .so> -DMESSAGE=<regex> -P plugin_error_check.cmake
execute_process(COMMAND ${HG} --plugin ${PLUGIN} list RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX REPLACE "\n$" "" line "${err}")
if(NOT rc EQUAL 2 OR NOT out STREQUAL "" OR line MATCHES "\n" OR NOT line MATCHES "${MESSAGE}")
  message(FATAL_ERROR "expected exit 2, empty stdout and one line matching\n  ${MESSAGE}\n"
          "got exit ${rc}, stdout '${out}', stderr:\n${err}")
endif()
message("refused as expected: ${line}")
