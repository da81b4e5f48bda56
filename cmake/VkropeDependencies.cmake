# Finds every third-party dependency from Debian packages. Each missing one stops the
# configure step with the name of the package that provides it, so a fresh machine needs
# one apt-get line (run.sh prints or runs it).

set(VKROPE_MISSING_PACKAGES "")

macro(vkrope_require found what package)
  if(NOT ${found})
    message(SEND_ERROR "vkrope: ${what} not found; install the Debian package '${package}'")
    list(APPEND VKROPE_MISSING_PACKAGES ${package})
  endif()
endmacro()

# Vulkan headers. The loader itself is opened at run time by volk (dlopen of
# libvulkan.so.1), so we do not link it: a machine without a loader gets a clear error.
find_package(Vulkan QUIET)
vkrope_require(Vulkan_INCLUDE_DIR "Vulkan headers" libvulkan-dev)

# Debian's volk ships only volk.h and volk.c (no CMake or pkg-config file).
find_path(VOLK_INCLUDE_DIR volk.h)
find_file(VOLK_SOURCE volk.c PATHS ${VOLK_INCLUDE_DIR} NO_DEFAULT_PATH)
vkrope_require(VOLK_SOURCE "volk (volk.h, volk.c)" libvulkan-volk-dev)

find_program(GLSLANG_VALIDATOR glslangValidator)
vkrope_require(GLSLANG_VALIDATOR "glslangValidator" glslang-tools)
find_program(SPIRV_VAL spirv-val)
vkrope_require(SPIRV_VAL "spirv-val" spirv-tools)
find_program(SPIRV_OPT spirv-opt)
vkrope_require(SPIRV_OPT "spirv-opt" spirv-tools)

find_package(nlohmann_json 3 QUIET)
vkrope_require(nlohmann_json_FOUND "nlohmann-json" nlohmann-json3-dev)

if(VKROPE_BUILD_TOOLS OR VKROPE_BUILD_SAMPLES)
  find_package(CLI11 QUIET)
  vkrope_require(CLI11_FOUND "CLI11" libcli11-dev)
  find_package(fmt QUIET)
  vkrope_require(fmt_FOUND "fmt" libfmt-dev)
endif()

# stb (libstb-dev): stb_image_write and stb_image in libstb; stb_easy_font is header-only.
# Charts (src/plot) and the samples' images.
find_path(STB_INCLUDE_DIR stb_image_write.h PATH_SUFFIXES stb)
find_library(STB_LIBRARY stb)
vkrope_require(STB_LIBRARY "stb" libstb-dev)
if(STB_LIBRARY AND NOT TARGET stb::stb)
  add_library(stb::stb UNKNOWN IMPORTED)
  set_target_properties(stb::stb PROPERTIES IMPORTED_LOCATION ${STB_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${STB_INCLUDE_DIR})
endif()

if(VKROPE_BUILD_TESTS)
  find_package(GTest QUIET)
  vkrope_require(GTest_FOUND "GoogleTest" libgtest-dev)
endif()

if(VKROPE_MISSING_PACKAGES)
  list(REMOVE_DUPLICATES VKROPE_MISSING_PACKAGES)
  list(JOIN VKROPE_MISSING_PACKAGES " " _pkgs)
  message(FATAL_ERROR "vkrope: missing packages; run: apt-get install -y ${_pkgs}")
endif()
