#!/usr/bin/env bash
# ./run.sh demo | test | build | fuzz [SECONDS] | test-trixie | cross-arm64
# Does all the set-up on a fresh Debian 12 or Ubuntu machine: installs what is missing with
# apt-get (as root or through sudo; otherwise prints the apt-get line and exits 2),
# configures, builds (ccache when present), then runs the demo or the test suite.
set -euo pipefail
cd "$(dirname "$0")"

usage() { echo "usage: ./run.sh demo|test|build|fuzz [SECONDS]|test-trixie|cross-arm64" >&2; exit 2; }
[ $# -ge 1 ] || usage
command=$1
shift
case "$command" in demo|test|build|fuzz|test-trixie|cross-arm64) ;; *) usage ;; esac

# The whole suite in a Debian 13 chroot (Mesa 26.1 lavapipe, GCC 14, glslang 15): its own
# set-up, see tools/trixie/test-in-chroot.sh.
if [ "$command" = test-trixie ]; then exec tools/trixie/test-in-chroot.sh "$@"; fi
# The library, CLI and tests cross-built for aarch64 (build-arm64), then the CLI's quick
# conformance run under qemu on arm64 lavapipe: its own set-up, see tools/cross/arm64.sh.
if [ "$command" = cross-arm64 ]; then exec tools/cross/arm64.sh "$@"; fi

# --- Packages ----------------------------------------------------------------------------
# Build tools, the Debian packages vkrope builds against, and the two CPU Vulkan drivers
# that give every machine a two-vendor device matrix (lavapipe from Mesa, SwiftShader from
# chromium-common), plus the Khronos validation layer the tests run under.
packages=(
  cmake ninja-build g++ pkg-config ccache git
  libvulkan-dev libvulkan1 libvulkan-volk-dev glslang-tools spirv-tools
  libgtest-dev nlohmann-json3-dev libcli11-dev libfmt-dev libstb-dev
  mesa-vulkan-drivers chromium-common vulkan-validationlayers
  # samples/live_compass: its window (GLFW, Xlib) and the virtual X server its test starts
  libglfw3-dev libx11-dev xvfb xauth
  # The Python module (python/) and its pytest suite, against Debian's python3
  python3-dev python3-pybind11 pybind11-dev python3-numpy python3-pytest
  # The package tests (tests/package): CPack's .deb needs dpkg-shlibdeps and file
  dpkg-dev file
)
# The fuzzers need clang and its libFuzzer runtime: ./run.sh fuzz, and ./run.sh test, which
# ends with a short fuzz run (VKROPE_FUZZ_SECONDS per target, default 30; 0 skips it).
fuzz_seconds=${VKROPE_FUZZ_SECONDS:-30}
if [ "$command" = fuzz ] || { [ "$command" = test ] && [ "$fuzz_seconds" != 0 ]; }; then
  packages+=(clang libclang-rt-14-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  # --no-install-recommends: chromium-common alone recommends a desktop's worth of packages.
  install=(apt-get install -y --no-install-recommends "${missing[@]}")
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo);
  else
    echo "run.sh: missing packages; run as root: apt-get update && ${install[*]}" >&2
    exit 2
  fi
  echo "run.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" "${install[@]}" -qq
fi

# --- Devices -----------------------------------------------------------------------------
# The loader finds SwiftShader through VK_ADD_DRIVER_FILES (no change to /etc).
swiftshader=/usr/lib/chromium/vk_swiftshader_icd.json
if [ -f "$swiftshader" ]; then
  export VK_ADD_DRIVER_FILES="${VK_ADD_DRIVER_FILES:+$VK_ADD_DRIVER_FILES:}$swiftshader"
else
  echo "run.sh: warning: $swiftshader not found; SwiftShader will be missing from the device matrix" >&2
fi

# --- Fuzzing: its own instrumented clang build (build-fuzz), then each target for SECONDS --
run_fuzz() {
  cmake --preset fuzz -DVKROPE_FUZZ_SECONDS="$1" >/dev/null
  cmake --build --preset fuzz
  ctest --preset fuzz -L fuzz -j "$(nproc)"
}
if [ "$command" = fuzz ]; then
  run_fuzz "${1:-30}"
  exit
fi

# --- Configure and build -----------------------------------------------------------------
# ccache keys on paths relative to the checkout, so the package test's second build of the
# library (add_subdirectory, tests/package) and other build directories share its cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
build_type=${VKROPE_BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DVKROPE_WERROR=ON >/dev/null
cmake --build build -j "$(nproc)"

# --- Run ---------------------------------------------------------------------------------
case "$command" in
  demo) exec ./build/vkrope demo "$@" ;;
  test)
    # Tests labelled `long` (minutes on CPU drivers) run only with VKROPE_LONG_TESTS=1.
    labels=(-LE long)
    [ "${VKROPE_LONG_TESTS:-0}" = 1 ] && labels=()
    status=0
    ctest --test-dir build -j "$(nproc)" --output-on-failure "${labels[@]}" "$@" || status=$?
    # Then the fuzz label: each libFuzzer target for VKROPE_FUZZ_SECONDS (the default suite
    # already replays their corpora; this looks for new findings).
    if [ "$fuzz_seconds" != 0 ]; then
      echo "run.sh: fuzzing each target for ${fuzz_seconds} s (VKROPE_FUZZ_SECONDS=0 skips this)"
      run_fuzz "$fuzz_seconds" || status=$?
    fi
    exit "$status" ;;
  build) ;;
esac
