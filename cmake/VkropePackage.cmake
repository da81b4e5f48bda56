# What `cmake --install build --prefix P` puts under P, and the .deb CPack makes of it:
#   include/vkrope/*            the public headers (C++ API and the C API, vkrope.h)
#   lib/libvkrope.a             or libvkrope.so.MAJOR.MINOR with -DBUILD_SHARED_LIBS=ON
#   bin/vkrope                  the command-line tool (when VKROPE_BUILD_TOOLS)
#   lib/cmake/vkrope/           find_package(vkrope 0.2 CONFIG REQUIRED) -> vkrope::vkrope
#   lib/pkgconfig/vkrope.pc     pkg-config --cflags --libs vkrope
include(CMakePackageConfigHelpers)

set(VKROPE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vkrope)

install(TARGETS vkrope_public EXPORT vkropeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vkrope DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET vkrope_cli)
  install(TARGETS vkrope_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT vkropeTargets NAMESPACE vkrope:: DESTINATION ${VKROPE_CMAKE_DIR})
if(BUILD_SHARED_LIBS)
  set(VKROPE_PACKAGE_SHARED ON)
else()
  set(VKROPE_PACKAGE_SHARED OFF)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vkropeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/vkropeConfig.cmake INSTALL_DESTINATION ${VKROPE_CMAKE_DIR})
# 0.x: a minor version may break the API, so 0.2 accepts 0.2.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vkropeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vkropeConfig.cmake ${PROJECT_BINARY_DIR}/vkropeConfigVersion.cmake
  DESTINATION ${VKROPE_CMAKE_DIR})

# pkg-config: paths relative to the .pc file, so the prefix given at install time holds.
# A static libvkrope.a needs the C++ runtime and threads on every link line (a C program
# links it too), so they go in Libs; a shared library carries them itself (Libs.private).
file(RELATIVE_PATH VKROPE_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
set(VKROPE_PC_RUNTIME_LIBS "-lstdc++ -lm -pthread")
foreach(lib IN LISTS CMAKE_DL_LIBS)
  string(APPEND VKROPE_PC_RUNTIME_LIBS " -l${lib}")
endforeach()
if(BUILD_SHARED_LIBS)
  set(VKROPE_PC_LIBS "")
  set(VKROPE_PC_LIBS_PRIVATE "${VKROPE_PC_RUNTIME_LIBS}")
else()
  set(VKROPE_PC_LIBS " ${VKROPE_PC_RUNTIME_LIBS}")
  set(VKROPE_PC_LIBS_PRIVATE "")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/vkrope.pc.in ${PROJECT_BINARY_DIR}/vkrope.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vkrope.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- The .deb: `cpack --config build/CPackConfig.cmake` -----------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vkrope)
set(CPACK_PACKAGE_VENDOR "vkrope")
set(CPACK_PACKAGE_CONTACT "vkrope developers <vkrope@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "RoPE and attention on any Vulkan device: library, headers, CLI")
set(CPACK_PACKAGE_DESCRIPTION
  "vkrope runs rotary position embeddings and attention as Vulkan compute shaders on any GPU or CPU driver, and checks them against a double-precision CPU reference. This package holds the library (C++ and C API), its CMake package and pkg-config file, and the vkrope command-line tool.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # executables and shared libraries; the archive below
set(CPACK_VKROPE_STRIP ${CMAKE_STRIP})
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/cpack_strip_archives.cmake)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# The tool and a shared library find their libc/libstdc++ versions through dpkg-shlibdeps.
# The Vulkan loader is opened at run time (volk), so it is named here; the headers the
# public API includes (vulkan_core.h, nlohmann/json_fwd.hpp) come from the two -dev packages.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libvulkan1, libvulkan-dev, nlohmann-json3-dev")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mesa-vulkan-drivers")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "vulkan-validationlayers")
include(CPack)
