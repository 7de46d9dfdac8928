# Regenerates the conformance suite into OUT and fails if it differs from
# the committed SUITE: a change of behaviour must change the suite (and the
# documents) in the same commit. Run `dala_conformance_gen tests/vectors/conformance`
# to update it, and read the diff.
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${GEN}" "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dala_conformance_gen failed (${rc})")
endif()
file(GLOB_RECURSE generated RELATIVE "${OUT}" "${OUT}/*")
file(GLOB_RECURSE committed RELATIVE "${SUITE}" "${SUITE}/*")
list(REMOVE_ITEM committed README.md)
list(SORT generated)
list(SORT committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "the committed suite's files differ from the generator's:\n  ${committed}\n  ${generated}")
endif()
foreach(f IN LISTS generated)
  file(SHA256 "${OUT}/${f}" a)
  file(SHA256 "${SUITE}/${f}" b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "tests/vectors/conformance/${f} is not what dala_conformance_gen writes now; regenerate it")
  endif()
endforeach()
