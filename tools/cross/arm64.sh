#!/usr/bin/env bash
# ./run.sh cross-arm64: builds vkrope's library, CLI and tests for 64-bit ARM Linux (aarch64:
# Raspberry Pi 5's V3DV, Adreno/Mali boards and phones under Linux) on a Debian 12 amd64
# machine, with Debian's cross toolchain and the arm64 packages installed through multiarch.
# Then, under qemu-user, it runs the CLI on the arm64 build of lavapipe: `vkrope devices`
# and `vkrope conformance --quick` (VKROPE_CROSS_EMULATE=0 skips that: build only).
#
# Steps (each skipped when already done):
#  1. dpkg --add-architecture arm64; apt-get install the cross compiler, the arm64 -dev
#     packages (libvulkan-dev, libgtest-dev, libfmt-dev, libstb-dev: their libraries and
#     CMake files land in /usr/lib/aarch64-linux-gnu), the architecture-independent headers
#     and the host's shader tools, and qemu-user for step 4.
#  2. Configures build-arm64 with cmake/toolchains/aarch64-linux-gnu.cmake (samples off: no
#     GLFW or X11) and builds it (ccache when present).
#  3. The target's Vulkan driver in a private sysroot, build-arm64/sysroot: Mesa's arm64
#     drivers (lavapipe among them), the libraries they need and the arm64 validation layer,
#     fetched with `apt-get download` and unpacked with `dpkg-deb -x`, never installed.
#     Installed system-wide, mesa-vulkan-drivers:arm64 would put lvp_icd.aarch64.json into
#     /usr/share/vulkan/icd.d, where the host's loader would find (and fail to load) it.
#  4. Runs build-arm64/vkrope under `qemu-aarch64 -L build-arm64/sysroot` with
#     VK_DRIVER_FILES naming the sysroot's lavapipe manifest: devices, then conformance
#     --quick (its JSON report in build-arm64/conformance-quick.json).
#
# The build's tests list their cases when ctest runs, through the same qemu and driver
# (tests/CMakeLists.txt): `ctest --test-dir build-arm64 -R <pattern>` runs chosen cases
# emulated (slow: lavapipe's LLVM compiles every pipeline under emulation).
# Needs root (or sudo without a password) for apt-get, as run.sh does.
set -euo pipefail
cd "$(dirname "$0")/../.."
source_dir=$PWD
build_dir=$source_dir/build-arm64
sysroot=$build_dir/sysroot
emulate=${VKROPE_CROSS_EMULATE:-1}

# --- Packages ----------------------------------------------------------------------------
host_packages=(cmake ninja-build ccache g++-aarch64-linux-gnu glslang-tools spirv-tools
               nlohmann-json3-dev libcli11-dev libvulkan-volk-dev)
target_packages=(libvulkan-dev libgtest-dev libfmt-dev libstb-dev)
[ "$emulate" = 0 ] || host_packages+=(qemu-user)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${host_packages[@]}"; do installed "$p" || missing+=("$p"); done
for p in "${target_packages[@]}"; do installed "$p:arm64" || missing+=("$p:arm64"); done
add_arch=0
dpkg --print-foreign-architectures | grep -qx arm64 || add_arch=1
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo);
else sudo=(false); fi
if [ "$add_arch" = 1 ] || [ ${#missing[@]} -gt 0 ]; then
  if [ "${sudo[*]}" = false ]; then
    echo "run.sh: cross-arm64: run as root: dpkg --add-architecture arm64 && apt-get update &&" \
      "apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  [ "$add_arch" = 0 ] || "${sudo[@]}" dpkg --add-architecture arm64
  echo "run.sh: cross-arm64: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Configure and build -----------------------------------------------------------------
# The emulator and driver are named now so the tests' ctest entries can run (step 4 builds
# the sysroot they point at).
build_type=${VKROPE_BUILD_TYPE:-RelWithDebInfo}
# ccache keys on paths relative to the checkout, as in run.sh: a fresh clone (CI) reuses the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$source_dir} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
cmake -S . -B "$build_dir" -G Ninja --toolchain "$source_dir/cmake/toolchains/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE="$build_type" -DVKROPE_WERROR=ON -DVKROPE_BUILD_SAMPLES=OFF \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64;-L;$sysroot" \
  "-DVKROPE_CROSS_DRIVER_FILES=$sysroot/usr/share/vulkan/icd.d/lvp_icd.aarch64.json" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
echo "run.sh: cross-arm64: build-arm64/vkrope is for $(aarch64-linux-gnu-readelf -h "$build_dir/vkrope" | sed -nE 's/^ *Machine: *//p')"
if [ "$emulate" = 0 ]; then
  echo "run.sh: cross-arm64: built (VKROPE_CROSS_EMULATE=0: not run under qemu)"
  exit 0
fi

# --- The target's driver: a private sysroot ----------------------------------------------
# Every arm64 package that mesa-vulkan-drivers and vulkan-validationlayers need beyond those
# installed above, at the versions apt would install (its simulation lists them).
mapfile -t debs < <(apt-get install -s --no-install-recommends mesa-vulkan-drivers:arm64 vulkan-validationlayers:arm64 \
  2>/dev/null | sed -nE 's/^Inst ([^ ]+:arm64) (\[[^]]*\] )?\(([^ ]+) .*/\1=\3/p')
if ! printf '%s\n' "${debs[@]}" | grep -q '^mesa-vulkan-drivers:arm64='; then
  echo "run.sh: cross-arm64: apt cannot resolve mesa-vulkan-drivers:arm64; not run under qemu" >&2
  exit 1
fi
stamp=$sysroot/.packages
if [ "$(cat "$stamp" 2>/dev/null)" != "$(printf '%s\n' "${debs[@]}")" ]; then
  echo "run.sh: cross-arm64: unpacking ${#debs[@]} arm64 packages (Mesa's drivers and what they need) into build-arm64/sysroot"
  rm -rf "$sysroot" "$build_dir/debs"
  mkdir -p "$sysroot" "$build_dir/debs"
  # apt's sandbox user must be able to write there; as root without it apt only warns.
  chown _apt "$build_dir/debs" 2>/dev/null || true
  (cd "$build_dir/debs" && apt-get download -qq "${debs[@]}")
  for deb in "$build_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
  rm -rf "$build_dir/debs"
  printf '%s\n' "${debs[@]}" >"$stamp"
fi

# --- Under emulation ---------------------------------------------------------------------
# qemu -L: the arm64 dynamic linker and libraries come from the sysroot where it has them
# (else from the host's multiarch directories), and so do /usr/share/vulkan's manifests.
# VK_DRIVER_FILES: lavapipe alone (Mesa's hardware drivers find no device here).
emulated=(env "VK_DRIVER_FILES=$sysroot/usr/share/vulkan/icd.d/lvp_icd.aarch64.json" qemu-aarch64 -L "$sysroot")
echo "run.sh: cross-arm64: build-arm64/vkrope devices (qemu-aarch64, arm64 lavapipe)"
"${emulated[@]}" "$build_dir/vkrope" devices
# The quick conformance cases, less those with half-float or block-format data (f16, bf16,
# q8_0, q4_0): Debian 12's arm64 lavapipe (Mesa 22.3.6, LLVM 15) aborts the process compiling
# any kernel that converts half floats ("LLVM ERROR: Cannot select: ... v4f32 =
# AArch64ISD::VLSHR", in LLVM 15's AArch64 back end; x86-64 lavapipe of the same version
# compiles them). Arguments replace that choice: ./run.sh cross-arm64 --case rope/ --quick
if [ $# -gt 0 ]; then
  conformance=("$@")
else
  conformance=(--quick)
  while read -r id; do conformance+=(--case "$id"); done < <("${emulated[@]}" "$build_dir/vkrope" conformance --list |
    awk '$2 == "(quick)" {print $1}' | grep -vE 'f16|q8_0|q4_0')
fi
echo "run.sh: cross-arm64: build-arm64/vkrope conformance ${conformance[*]:0:3}... (qemu-aarch64, arm64 lavapipe)"
start=$(date +%s)
status=0
"${emulated[@]}" "$build_dir/vkrope" conformance --json "$build_dir/conformance.json" "${conformance[@]}" || status=$?
echo "run.sh: cross-arm64: conformance under qemu took $(($(date +%s) - start)) s (exit $status;" \
  "report in build-arm64/conformance.json)"
exit "$status"
