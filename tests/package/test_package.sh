#!/usr/bin/env bash
# vkrope as other projects get it (README "Use it from your project"). Run by CTest:
#   test_package.sh install      BUILD SOURCE WORK [C_EXAMPLE]
#     `cmake --install BUILD` into WORK/prefix (libvkrope.a by default); checks the archive
#     leaks no internal or volk symbol; builds tests/package/consumer against the prefix with
#     find_package (C++ and the C example) and with pkg-config (also linking the Vulkan
#     loader directly); runs each on every device.
#   test_package.sh subdirectory BUILD SOURCE WORK [C_EXAMPLE]
#     the consumer with add_subdirectory(SOURCE) and BUILD_SHARED_LIBS=ON: checks
#     libvkrope.so's SONAME and that it exports only the API; installs that build and
#     builds the consumer against the shared prefix too.
#   test_package.sh deb          BUILD SOURCE WORK
#     CPack's .deb from BUILD: its control fields, its dependencies present on this system,
#     an install into a private root (dpkg --root), `vkrope devices` from there, and the
#     consumer built against what it installed.
set -euo pipefail
mode=$1 build=$(realpath "$2") source=$(realpath "$3") work=$4
c_example=${5:+$(realpath "$5")}
rm -rf "$work" && mkdir -p "$work" && work=$(realpath "$work")
consumer=$source/tests/package/consumer
generator=(-G Ninja)
fail() { echo "test_package: FAILED: $*" >&2; exit 1; }
c_example_args=()
[ -n "$c_example" ] && c_example_args=(-DVKROPE_C_EXAMPLE="$c_example")

# Every defined dynamic/global symbol must be API: vkrope::..., the C API's vkrope_..., or
# the type information of an API class. Prints the count.
check_exports() {  # check_exports LABEL SYMBOL-LIST-FILE
  local label=$1 list=$2 bad
  bad=$(c++filt < "$list" | grep -Ev '^(vkrope::|vkrope_|typeinfo for vkrope::|typeinfo name for vkrope::|vtable for vkrope::|non-virtual thunk to vkrope::)' || true)
  [ -z "$bad" ] || fail "$label exports symbols outside the API: $(echo "$bad" | head -5 | tr '\n' ';')"
  grep -Eq '^vk[A-Z]' "$list" && fail "$label exports a Vulkan entry point name (volk)"
  c++filt < "$list" | grep -Eq '^(typeinfo for |typeinfo name for |vtable for )?vkrope::detail::' &&
    fail "$label exports vkrope::detail"
  echo "test_package: $label: $(wc -l < "$list") exported symbols, all API"
}

case "$mode" in
install)
  prefix=$work/prefix
  cmake --install "$build" --prefix "$prefix" > "$work/install.log"
  for f in include/vkrope/rope.hpp include/vkrope/visibility.hpp bin/vkrope; do
    [ -e "$prefix/$f" ] || fail "not installed: $f"
  done
  lib=$(find "$prefix" -name libvkrope.a | head -1)
  [ -n "$lib" ] || fail "libvkrope.a not installed"
  libdir=$(dirname "$lib")
  [ -f "$libdir/cmake/vkrope/vkropeConfig.cmake" ] || fail "CMake package not installed"
  [ -f "$libdir/pkgconfig/vkrope.pc" ] || fail "pkg-config file not installed"
  # Strong symbols only: the weak ones are std:: template instantiations (std is a
  # default-visibility namespace) that merge with the application's own copies.
  nm -g --defined-only "$lib" | awk 'NF == 3 && $2 !~ /[VvWwu]/ { print $3 }' | sort -u > "$work/archive-symbols.txt"
  check_exports libvkrope.a "$work/archive-symbols.txt"

  # find_package
  cmake -S "$consumer" -B "$work/cmake" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" "${c_example_args[@]}"
  cmake --build "$work/cmake"
  "$work/cmake/rope_check"
  [ -z "$c_example" ] || "$work/cmake/c_example"

  # pkg-config, with the application linking the Vulkan loader as well
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  pkg-config --exists 'vkrope = 0.2.0' || fail "pkg-config does not find vkrope 0.2.0"
  read -ra cflags <<< "$(pkg-config --cflags vkrope)"
  read -ra libs <<< "$(pkg-config --libs vkrope)"
  c++ -std=c++20 -DROPE_CHECK_CALLS_LOADER "${cflags[@]}" "$consumer/rope_check.cpp" -o "$work/pc_rope_check" \
    "${libs[@]}" -lvulkan
  "$work/pc_rope_check"
  if [ -n "$c_example" ]; then
    cc -std=c99 -Wall -Wextra -pedantic -Werror "${cflags[@]}" "$c_example" -o "$work/pc_c_example" "${libs[@]}"
    "$work/pc_c_example"
  fi
  ;;
subdirectory)
  # WORK itself is the consumer's build directory: next to BUILD (build-subdirectory beside
  # build), its compile commands match BUILD's relative to the checkout, so ccache
  # (CCACHE_BASEDIR, set by run.sh) serves the library's objects from the main build's.
  sub=$work
  cmake -S "$consumer" -B "$sub" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVKROPE_WERROR=ON \
    -DVKROPE_SOURCE_DIR="$source" -DBUILD_SHARED_LIBS=ON -DVKROPE_INSTALL=ON "${c_example_args[@]}"
  cmake --build "$sub"
  so=$(find "$sub/vkrope" -name 'libvkrope.so.*.*.*' | head -1)
  [ -n "$so" ] || fail "libvkrope.so not built"
  soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  [ "$soname" = libvkrope.so.0.2 ] || fail "SONAME is '$soname', expected libvkrope.so.0.2"
  echo "test_package: SONAME $soname"
  nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }' | sort -u > "$work/so-symbols.txt"
  check_exports libvkrope.so "$work/so-symbols.txt"
  "$sub/rope_check"
  [ -z "$c_example" ] || "$sub/c_example"
  # The same build installed, then found as a package: vkrope::vkrope is the shared library.
  cmake --install "$sub" --prefix "$work/shared-prefix" > "$work/install.log"
  cmake -S "$consumer" -B "$work/cmake" "${generator[@]}" -DCMAKE_PREFIX_PATH="$work/shared-prefix" "${c_example_args[@]}"
  cmake --build "$work/cmake"
  ldd "$work/cmake/rope_check" | grep -q "libvkrope.so.0.2 => $work/shared-prefix" ||
    fail "rope_check does not load the installed libvkrope.so.0.2"
  "$work/cmake/rope_check"
  [ -z "$c_example" ] || "$work/cmake/c_example"
  ;;
deb)
  (cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" > "$work/cpack.log") ||
    { cat "$work/cpack.log"; fail "cpack"; }
  deb=$(find "$work" -maxdepth 1 -name 'vkrope_*.deb' | head -1)
  [ -n "$deb" ] || fail "no .deb made"
  echo "test_package: $(basename "$deb"): $(stat -c %s "$deb") bytes"
  dpkg-deb --field "$deb" Package Version Architecture Depends
  dpkg-deb --contents "$deb" > "$work/contents.txt"
  for f in ./usr/bin/vkrope /vkrope/vkropeConfig.cmake /pkgconfig/vkrope.pc /libvkrope.a ./usr/include/vkrope/vkrope.h; do
    grep -q -- "$f\$" "$work/contents.txt" || fail ".deb lacks $f"
  done
  # Every dependency it declares is installed here (a Debian 12 machine set up by run.sh).
  dpkg-deb --field "$deb" Depends | tr ',' '\n' | sed 's/([^)]*)//; s/|.*//; s/ //g' | while read -r dep; do
    [ -z "$dep" ] && continue
    dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "install ok installed" ||
      fail "dependency $dep is not installed"
  done
  # Installed by dpkg itself, into a private root with its own database.
  root=$work/root
  mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
  touch "$root/var/lib/dpkg/status"
  dpkg --root="$root" --force-not-root --force-depends --force-script-chrootless \
    --log=/dev/null -i "$deb" > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
  dpkg --root="$root" --force-not-root -s vkrope | grep -q '^Status: install ok installed' ||
    fail "dpkg does not list vkrope as installed"
  "$root/usr/bin/vkrope" devices | tee "$work/devices.txt"
  grep -qi llvmpipe "$work/devices.txt" || fail "vkrope devices from the .deb does not list lavapipe"
  # The packaged (debug-stripped) archive still links: the consumer through its .pc file.
  export PKG_CONFIG_PATH=$root/usr/lib/pkgconfig
  read -ra cflags <<< "$(pkg-config --cflags vkrope)"
  read -ra libs <<< "$(pkg-config --libs vkrope)"
  c++ -std=c++20 "${cflags[@]}" "$consumer/rope_check.cpp" -o "$work/deb_rope_check" "${libs[@]}"
  "$work/deb_rope_check"
  ;;
*) echo "usage: test_package.sh install|subdirectory|deb BUILD SOURCE WORK [C_EXAMPLE]" >&2; exit 2 ;;
esac
echo "test_package: $mode: ok"
