# vkrope_public: the library `cmake --install` ships, named vkrope::vkrope for consumers (the
# installed CMake package, and add_subdirectory/FetchContent). Built from the same objects as
# the in-tree `vkrope`, it exports only the API (include/vkrope):
#   shared (BUILD_SHARED_LIBS=ON): libvkrope.so.MAJOR.MINOR, exports filtered by
#     vkrope.map;
#   static (the default): libvkrope.a holding one prelinked object whose hidden symbols are
#     made local, so volk's vkCreateInstance & co. cannot collide with an application that
#     links the Vulkan loader or its own volk, and nothing from src/ leaks into its link.

if(BUILD_SHARED_LIBS)
  add_library(vkrope_public SHARED $<TARGET_OBJECTS:vkrope_objects>)
  set(_vkrope_map ${CMAKE_CURRENT_SOURCE_DIR}/vkrope.map)
  target_link_options(vkrope_public PRIVATE "LINKER:--version-script=${_vkrope_map}" "LINKER:--no-undefined")
  set_target_properties(vkrope_public PROPERTIES LINK_DEPENDS ${_vkrope_map}
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
else()
  set(_prelinked ${CMAKE_CURRENT_BINARY_DIR}/vkrope_prelinked.o)
  add_custom_command(
    OUTPUT ${_prelinked}
    COMMAND ${CMAKE_LINKER} -r -o ${_prelinked} "$<TARGET_OBJECTS:vkrope_objects>"
    COMMAND ${CMAKE_OBJCOPY} --localize-hidden ${_prelinked}
    DEPENDS "$<TARGET_OBJECTS:vkrope_objects>"
    COMMAND_EXPAND_LISTS VERBATIM
    COMMENT "Prelinking libvkrope.a (hidden symbols made local)")
  # public_library_language.cpp: a C++ source, so the installed package says the archive
  # needs the C++ linker (a C program linking it gets the C++ runtime).
  add_library(vkrope_public STATIC ${_prelinked} public_library_language.cpp)
  set_source_files_properties(${_prelinked} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  set_target_properties(vkrope_public PROPERTIES CXX_VISIBILITY_PRESET hidden)
endif()
set_target_properties(vkrope_public PROPERTIES OUTPUT_NAME vkrope EXPORT_NAME vkrope)
target_include_directories(vkrope_public PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(vkrope_public PUBLIC nlohmann_json::nlohmann_json Threads::Threads ${CMAKE_DL_LIBS})
# vulkan_interop.hpp includes vulkan/vulkan_core.h: the headers' own package when installed
# (Debian's libvulkan-dev has one), so a consumer finds them wherever they live.
find_package(VulkanHeaders CONFIG QUIET)
if(TARGET Vulkan::Headers)
  target_link_libraries(vkrope_public PUBLIC Vulkan::Headers)
  set(VKROPE_USES_VULKAN_HEADERS ON PARENT_SCOPE)
  set(VKROPE_USES_VULKAN_HEADERS ON)
else()
  set(VKROPE_USES_VULKAN_HEADERS OFF PARENT_SCOPE)
endif()
target_compile_features(vkrope_public PUBLIC cxx_std_20)
add_library(vkrope::vkrope ALIAS vkrope_public)
