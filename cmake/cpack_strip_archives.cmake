# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS): strips the debug information from the
# static libraries staged for the package. CPACK_STRIP_FILES strips executables and shared
# libraries only; libvkrope.a of a RelWithDebInfo build is mostly DWARF (about 89 MB of 90).
# Symbols stay: the archive must still link.
file(GLOB_RECURSE _archives "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.a")
foreach(_archive IN LISTS _archives)
  execute_process(COMMAND ${CPACK_VKROPE_STRIP} --strip-debug ${_archive} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "cpack_strip_archives: ${CPACK_VKROPE_STRIP} --strip-debug ${_archive} failed")
  endif()
endforeach()
