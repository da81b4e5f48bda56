# Compiler warnings for vkrope's own C++ code, as an INTERFACE target. Only C++ sources get
# them: the one C source is Debian's volk.c, which is not ours to fix.
# -Wno-missing-field-initializers: `VkFooInfo info{VK_STRUCTURE_TYPE_FOO}` (sType set, the
# rest zeroed) is the idiomatic way to fill Vulkan structures.
add_library(vkrope_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(vkrope_warnings INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
      -Wnon-virtual-dtor -Wno-missing-field-initializers $<$<BOOL:${VKROPE_WERROR}>:-Werror>>)
endif()
