// An empty C++ translation unit, on purpose. libvkrope.a is otherwise one prelinked object
// (src/public_library.cmake), from which CMake cannot tell the library's language; with this
// file it records C++ as the archive's link language in the installed package, so a C
// program that links vkrope::vkrope is linked by the C++ driver, with the C++ runtime.
