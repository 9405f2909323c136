# replay.cmake — run a fuzz target once over every file in a regressions directory.
#
# Inputs that once crashed a target (or broke one of its properties) are kept under
# tests/fuzz/regressions/<target>/ so the fixed bug stays fixed. Given files rather than a
# directory, libFuzzer runs each input once and does not fuzz or write anything; an empty or
# missing directory passes. Usage: cmake -DFUZZER=<binary> -DINPUTS=<dir> -P replay.cmake
file(GLOB inputs LIST_DIRECTORIES false ${INPUTS}/*)
list(FILTER inputs EXCLUDE REGEX "/\\.[^/]*$") # dotfiles (.gitkeep) are no inputs
if(NOT inputs)
  message(STATUS "no regression inputs in ${INPUTS}")
  return()
endif()
list(LENGTH inputs count)
message(STATUS "replaying ${count} inputs from ${INPUTS}")
execute_process(COMMAND ${FUZZER} -timeout=10 -rss_limit_mb=2048 ${inputs} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed on an input of ${INPUTS} (exit ${rc})")
endif()
