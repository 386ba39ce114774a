# Runs the generator with bad arguments (ARGS, '|'-separated) and fails unless
# it exits with status 1 (not a crash) and one line "kiln-gen-mobilenetv2:
# error: ..." on stderr.
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${GEN} ${args} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT rc STREQUAL "1")
  message(FATAL_ERROR "expected exit status 1 for '${ARGS}', got '${rc}'; stderr: ${err}")
endif()
if(NOT err MATCHES "^kiln-gen-mobilenetv2: error: [^\n]+\n$")
  message(FATAL_ERROR "expected one 'error:' line for '${ARGS}', got: ${err}")
endif()
message(STATUS "rejected '${ARGS}': ${err}")
