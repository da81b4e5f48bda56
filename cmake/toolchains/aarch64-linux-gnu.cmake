# Cross-compiling vkrope for 64-bit ARM Linux (Raspberry Pi 5, Adreno/Mali boards and phones
# under Linux) on a Debian amd64 machine, with Debian's cross toolchain
# (g++-aarch64-linux-gnu) and the arm64 -dev packages installed through multiarch
# (dpkg --add-architecture arm64; apt-get install libvulkan-dev:arm64 ...): their libraries
# and CMake package files are in /usr/lib/aarch64-linux-gnu, the architecture-independent
# headers (Vulkan, volk, nlohmann-json, CLI11) in /usr/include. The shader tools
# (glslangValidator, spirv-val, spirv-opt) and ccache are the host's. ./run.sh cross-arm64
# does the set-up and the build:
#
#   cmake -S . -B build-arm64 -G Ninja --toolchain cmake/toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(_triple aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${_triple}-gcc)
set(CMAKE_CXX_COMPILER ${_triple}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${_triple})
# GCC's notes that passing std::pair<double, double> changed ABI in GCC 10.1: everything here
# is built by one compiler, so they say nothing (and are not warnings -Werror would catch).
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)

# Libraries and packages: the cross toolchain's own (/usr/aarch64-linux-gnu) and the multiarch
# ones. "/" keeps /usr/include and /usr/share/cmake reachable; the library architecture above
# makes find_library and find_package look in /usr/lib/aarch64-linux-gnu, never in the host's
# /usr/lib/x86_64-linux-gnu.
set(CMAKE_FIND_ROOT_PATH /usr/${_triple} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # glslangValidator, spirv-*, ccache, git: the host's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
