#!/usr/bin/env bash
# ./run.sh test-trixie: builds vkrope and runs its whole test suite inside a Debian 13
# (trixie) chroot, for a newer stack than the host's Debian 12: Mesa 26.1 lavapipe from
# trixie-backports (LLVM 19, Vulkan 1.4, VK_KHR_cooperative_matrix), GCC 14, glslang 15,
# Vulkan 1.4 headers, loader and validation layers, CLI11 2.4, fmt 10. It is the matrix's
# third driver version (beside the host's Mesa 22.3 lavapipe and SwiftShader), and catches
# what newer compilers and libraries refuse.
#
# Needs root (debootstrap, chroot, bind mounts) and Debian's package registry. The chroot
# (about 1 GB) lives in VKROPE_TRIXIE_ROOT (default /var/tmp/vkrope-trixie) and is reused:
# a second run only updates its packages, rebuilds and tests. The source tree is bind-mounted
# at /vkrope (read-write: nothing is written into it); the build goes to /build in the chroot.
# Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/../.."
source_dir=$PWD
root=${VKROPE_TRIXIE_ROOT:-/var/tmp/vkrope-trixie}
mirror=${VKROPE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "$(id -u)" -ne 0 ]; then
  # As run.sh does for apt-get: through sudo when it needs no password.
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then exec sudo -n -E "$0" "$@"; fi
  echo "run.sh: test-trixie needs root (debootstrap, chroot and bind mounts); run it as root or with sudo" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null; then
  echo "run.sh: installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi

if [ ! -x "$root/usr/bin/apt-get" ]; then
  echo "run.sh: creating the trixie chroot in $root"
  mkdir -p "$root"
  debootstrap --variant=minbase trixie "$root" "$mirror" >/dev/null
fi
cp /etc/resolv.conf "$root/etc/"
echo "deb $mirror trixie-backports main" >"$root/etc/apt/sources.list.d/backports.list"

# Bind mounts, undone however the script ends.
mounted=()
unmount_all() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap unmount_all EXIT
bind() {
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounted+=("$2")
}
for d in dev dev/pts proc sys; do bind "/$d" "$root/$d"; done
bind "$source_dir" "$root/vkrope"

in_chroot() {
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 bash -c "$1"
}

# The same build packages as run.sh (SwiftShader and the fuzzers' clang aside), then Mesa
# from backports.
in_chroot 'apt-get update -qq && apt-get install -y -qq --no-install-recommends >/dev/null \
  cmake ninja-build g++ pkg-config git libvulkan-dev libvulkan1 libvulkan-volk-dev glslang-tools spirv-tools \
  libgtest-dev nlohmann-json3-dev libcli11-dev libfmt-dev libstb-dev vulkan-validationlayers \
  libglfw3-dev libx11-dev xvfb xauth python3-dev python3-pybind11 pybind11-dev python3-numpy python3-pytest \
  dpkg-dev file && \
  apt-get install -y -qq --no-install-recommends -t trixie-backports mesa-vulkan-drivers >/dev/null'
in_chroot 'dpkg-query -W -f="run.sh: trixie: \${Package} \${Version}\n" mesa-vulkan-drivers glslang-tools g++ libvulkan-dev'

status=0
in_chroot 'cmake -S /vkrope -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVKROPE_WERROR=ON >/dev/null &&
  cmake --build /build -j "$(nproc)" && /build/vkrope devices' || exit 1
# Every test but the long ones and the libFuzzer runs (the default suite replays the fuzz
# corpora). Mesa 26.1 lavapipe has KHR cooperative matrices and glslang 15 builds the
# kernel for them: the coopmat test must run here, not skip (VKROPE_EXPECT_COOPMAT).
# package.subdirectory is left to the host run: here it would only compile the library a
# second time with the same compiler (the chroot has no ccache).
ctest_command="VKROPE_EXPECT_COOPMAT=1 ctest --test-dir /build -j \"\$(nproc)\" --output-on-failure -LE 'long|fuzz' -E '^package[.]subdirectory\$'$(printf ' %q' "$@")"
if [ -z "${VKROPE_CI_DEADLINE:-}" ]; then
  in_chroot "$ctest_command" || status=$?
  exit "$status"
fi

# Under CI (.ci/run sets VKROPE_CI_DEADLINE, in seconds since the epoch), this stage stops
# at the deadline instead of running CI past its limit: one CI run timed out here on a
# machine where LLVM 19 compiled 10-25 times slower than usual (see README, Testing). Tests
# still running at the deadline are stopped; if every test that finished passed, the stage
# passes and says how many did not run (ctest schedules the slowest first, from the timings
# of earlier runs in this chroot). A failure still fails it.
budget=$((VKROPE_CI_DEADLINE - $(date +%s)))
if [ "$budget" -lt 120 ]; then
  echo "run.sh: trixie: WARNING: no time left before CI's deadline; the chroot suite did not run (built only)" >&2
  exit 0
fi
log=$(mktemp)
timeout -k 30 "$budget" chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  bash -c "$ctest_command" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  finished=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#' "$log" || true)
  failed=$(grep -E '^ *[0-9]+/[0-9]+ Test +#' "$log" | grep -cvE 'Passed|Skipped' || true)
  total=$(grep -oE '^ *[0-9]+/[0-9]+ Test' "$log" | head -1 | sed -E 's|.*/([0-9]+) Test|\1|')
  rm -f "$log"
  if [ "$failed" -ne 0 ]; then
    echo "run.sh: trixie: $failed test(s) failed before CI's deadline" >&2
    exit 1
  fi
  echo "run.sh: trixie: WARNING: CI's deadline reached after $finished of ${total:-?} tests, all passed;" \
    "the rest did not run (./run.sh test-trixie runs them all)" >&2
  exit 0
fi
rm -f "$log"
exit "$status"
