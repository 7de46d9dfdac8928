# dala_embed_files(TARGET FUNCTION name DIR dir): compiles every file under
# `dir` into `target` as the byte arrays of `dala::name()` (embed_files.cmake).
# Rebuilt when any of those files changes; needs nothing but CMake.
function(dala_embed_files target)
  cmake_parse_arguments(ARG "" "FUNCTION;DIR" "" ${ARGN})
  file(GLOB_RECURSE paths CONFIGURE_DEPENDS RELATIVE "${ARG_DIR}" "${ARG_DIR}/*")
  list(SORT paths)
  set(inputs "")
  foreach(p IN LISTS paths)
    list(APPEND inputs "${ARG_DIR}/${p}")
  endforeach()
  set(output "${CMAKE_CURRENT_BINARY_DIR}/${ARG_FUNCTION}.cc")
  # The file names go through a file: a list on a command line would be
  # split by the shell.
  set(list_file "${CMAKE_CURRENT_BINARY_DIR}/${ARG_FUNCTION}.files")
  file(WRITE "${list_file}.new" "${paths}")
  file(COPY_FILE "${list_file}.new" "${list_file}" ONLY_IF_DIFFERENT)
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" "-DOUTPUT=${output}" "-DFUNCTION=${ARG_FUNCTION}" "-DBASE=${ARG_DIR}"
            "-DLIST=${list_file}" -P "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    DEPENDS ${inputs} "${list_file}" "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    COMMENT "Embedding ${ARG_DIR} as ${ARG_FUNCTION}()"
    VERBATIM)
  target_sources(${target} PRIVATE "${output}")
endfunction()
